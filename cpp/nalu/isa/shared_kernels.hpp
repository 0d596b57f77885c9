// The kernels every unit shares (losses, optimizer updates, task data, vector math), as a table
// reached through kernels<SharedKernels<T>>() (dispatch.hpp). Each unit has a table of its own in
// its folder, cpp/nalu/units/<unit>/kernels.hpp.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dispatch.hpp"

namespace nalu {

template <class T>
struct SharedKernels {
    // model/loss_kernels.hpp: Σ (y − t)² in double, and dy = scale (y − t)
    double (*squared_error)(T* dy, const T* y, const T* t, T scale, std::size_t n);
    // optim/update_kernels.hpp: one optimizer step over n parameters, state read from *_in and
    // written to *_out; true when every new value is finite (see the optimizer classes)
    bool (*sgd_update)(T* p, const T* g, const T* buf_in, T* buf_out, std::size_t n, T lr,
                       T momentum, bool first);
    bool (*adam_update)(T* p, const T* g, const T* m_in, T* m_out, const T* v_in, T* v_out,
                        std::size_t n, T step_size, T bc2_sqrt, T one_minus_b1, T b2,
                        T one_minus_b2, T eps);
    bool (*rmsprop_update)(T* p, const T* g, const T* v_in, T* v_out, std::size_t n, T lr, T alpha,
                           T one_minus_alpha, T eps);
    // tasks/uniform.hpp: rows of task inputs, one key each, the same bits on every ISA
    void (*uniform_rows)(T* x, std::size_t rows, std::size_t n, const std::uint64_t* row_keys, std::size_t first,
                         double lo, double width);
    // tasks/uniform.hpp: s[r] = Σ_{begin ≤ i < end} x[r·n + i] in double in a fixed order, for
    // r < rows (the task targets' a and b), the same bits on every ISA
    void (*row_sums)(double* s, const T* x, std::size_t rows, std::size_t n, std::size_t begin,
                     std::size_t end);
    // vecmath.hpp, for the tests of both paths
    void (*exp)(T* out, const T* in, std::size_t n);
    void (*log_abs_plus)(T* out, const T* x, T eps, std::size_t n);
    void (*tanh)(T* out, const T* in, std::size_t n);
    void (*sigmoid_pair)(T* s, T* s_neg, const T* z, std::size_t n);
};

template <class T>
const SharedKernels<T>& shared_kernels() {
    return kernels<SharedKernels<T>>();
}

}  // namespace nalu
