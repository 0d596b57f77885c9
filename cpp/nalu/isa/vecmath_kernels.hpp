// The vector math of vecmath.hpp as a table, so that the tests can call each ISA's copy
// (_core's vecmath): reached through kernels<VecmathKernels<T>>() (dispatch.hpp). The other
// areas' kernels have tables of their own beside their code: model/loss_kernels.hpp,
// optim/update_kernels.hpp, tasks/uniform.hpp and each unit's kernels.hpp.
#pragma once

#include <cstddef>

#include "dispatch.hpp"

namespace nalu {

template <class T>
struct VecmathKernels {
    void (*exp)(T* out, const T* in, std::size_t n);
    void (*log_abs_plus)(T* out, const T* x, T eps, std::size_t n);
    void (*tanh)(T* out, const T* in, std::size_t n);
    void (*sigmoid_pair)(T* s, T* s_neg, const T* z, std::size_t n);
};

}  // namespace nalu
