#include "../../unit_registry.hpp"
#include "layer.hpp"

NALU_REGISTER_UNIT("Linear", nalu::LinearLayer)
NALU_REGISTER_UNIT("Dense", nalu::DenseLayer)
