#include "../../unit_registry.hpp"
#include "layer.hpp"

NALU_REGISTER_UNIT("NMU", nalu::NmuLayer)
NALU_REGISTER_UNIT("sNMU", nalu::SnmuLayer)
