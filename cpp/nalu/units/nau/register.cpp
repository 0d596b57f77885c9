#include "../../unit_registry.hpp"
#include "layer.hpp"

NALU_REGISTER_UNIT("NAU", nalu::NauLayer)
