#include "../../unit_registry.hpp"
#include "layer.hpp"

NALU_REGISTER_UNIT("NACMul", nalu::NacMulLayer)
NALU_REGISTER_UNIT("PosNACMul", nalu::PosNacMulLayer)
NALU_REGISTER_UNIT("NACMulNMU", nalu::NacMulNmuLayer)
