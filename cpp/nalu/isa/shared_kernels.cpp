// This ISA's copy of the shared kernels (compiled once per ISA, see isa.hpp).
#include "shared_kernels.hpp"

#include "../model/loss_kernels.hpp"
#include "../optim/update_kernels.hpp"
#include "../tasks/uniform.hpp"
#include "isa.hpp"
#include "vecmath.hpp"

namespace nalu {
namespace NALU_ISA {
NALU_KERNEL_TABLE(SharedKernels, &squared_error<T>, &sgd_update<T>, &adam_update<T>,
                  &rmsprop_update<T>, &uniform_rows<T>, &row_sums<T>, &vec::exp<T>, &vec::log_abs_plus<T>,
                  &vec::tanh<T>, &vec::sigmoid_pair<T>)

}  // namespace NALU_ISA
}  // namespace nalu
