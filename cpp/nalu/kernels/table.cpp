// The KernelTable of this ISA's copy of the kernels (compiled once per ISA, see isa.hpp).
#include "kernel_table.hpp"

#include "../model/loss_kernels.hpp"
#include "../optim/update_kernels.hpp"
#include "../tasks/uniform.hpp"
#include "../units/nac.hpp"
#include "../units/nalu.hpp"
#include "../units/inalu.hpp"
#include "../units/nau_nmu.hpp"
#include "../units/npu.hpp"
#include "vecmath.hpp"

#define NALU_STRINGIFY2(x) #x
#define NALU_STRINGIFY(x) NALU_STRINGIFY2(x)

namespace nalu {
namespace NALU_ISA {

template <class T>
const KernelTable<T>& table() {
    static const KernelTable<T> t{
        NALU_STRINGIFY(NALU_ISA),
        &nac_weights<T>,
        &nac_forward<T>,
        &nac_weights_backward<T>,
        &nac_backward<T>,
        &nalu_forward<T>,
        &nalu_backward<T>,
        &clamp_weights<T>,
        &nau_forward<T>,
        &nau_backward<T>,
        &nmu_forward<T>,
        &nmu_backward<T>,
        &npu_forward<T>,
        &npu_backward<T>,
        &inalu_forward<T>,
        &inalu_backward<T>,
        &squared_error<T>,
        &sgd_update<T>,
        &adam_update<T>,
        &rmsprop_update<T>,
        &uniform_row<T>,
        &vec::exp<T>,
        &vec::log_abs_plus<T>,
        &vec::tanh<T>,
        &vec::sigmoid_pair<T>,
    };
    return t;
}

template const KernelTable<float>& table<float>();
template const KernelTable<double>& table<double>();

}  // namespace NALU_ISA
}  // namespace nalu
