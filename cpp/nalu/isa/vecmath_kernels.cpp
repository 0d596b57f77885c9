// This ISA's copy of the vector math table (compiled once per ISA, see isa.hpp).
#include "vecmath_kernels.hpp"

#include "isa.hpp"
#include "vecmath.hpp"

namespace nalu {
namespace NALU_ISA {
NALU_KERNEL_TABLE(VecmathKernels, &vec::exp<T>, &vec::log_abs_plus<T>, &vec::tanh<T>, &vec::sigmoid_pair<T>)
}  // namespace NALU_ISA
}  // namespace nalu
