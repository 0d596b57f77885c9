#include "../../unit_registry.hpp"
#include "layer.hpp"

NALU_REGISTER_UNIT("NMRU", nalu::NmruLayer)
NALU_REGISTER_UNIT("NRU", nalu::NruLayer)
