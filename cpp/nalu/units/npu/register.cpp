#include "../../unit_registry.hpp"
#include "layer.hpp"

// Two units, one layer class: the flag `real` picks the RealNPU.
NALU_REGISTER_UNIT("NPU", nalu::NpuLayer)
