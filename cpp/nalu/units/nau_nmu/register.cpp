#include "../../unit_registry.hpp"
#include "layer.hpp"

NALU_REGISTER_UNIT("NAU", nalu::NauLayer)
NALU_REGISTER_UNIT("NMU", nalu::NmuLayer)
NALU_REGISTER_UNIT("NMRU", nalu::NmruLayer)
NALU_REGISTER_UNIT("NRU", nalu::NruLayer)
NALU_REGISTER_UNIT("sNMU", nalu::SnmuLayer)
