#include "../../unit_registry.hpp"
#include "gated_nau_nmu.hpp"
#include "layer.hpp"

NALU_REGISTER_UNIT("NALU", nalu::NaluLayer)
NALU_REGISTER_UNIT("GatedNAUNMU", nalu::GatedNauNmuLayer)
