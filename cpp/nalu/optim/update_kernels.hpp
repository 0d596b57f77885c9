// The element-wise update rules of the optimizers (PyTorch's formulas and operation order),
// compiled once per ISA like the unit kernels (registered by update_kernels.cpp); the optimizers
// reach them through kernels<UpdateKernels<T>>().
//
// Each kernel reads the optimizer state from *_in and writes the new state to *_out (the optimizer
// keeps two copies and adopts the new one only when the whole step is finite), updates p in place,
// and returns whether every new parameter and state value is finite. The finiteness test is a
// comparison per value, folded into the same loop. No two pointer arguments may overlap: they are
// __restrict, without which GCC would need run-time overlap checks of six arrays and gives up
// vectorising (an Adam step over 600 parameters went from 1.8k to 19k instructions).
#pragma once

#include <cstddef>

#include "../isa/isa.hpp"

namespace nalu {

template <class T>
struct UpdateKernels {
    // one optimizer step over n parameters, state read from *_in and written to *_out; true when
    // every new value is finite (see the optimizer classes)
    bool (*sgd_update)(T* p, const T* g, const T* buf_in, T* buf_out, std::size_t n, T lr, T momentum, bool first);
    bool (*adam_update)(T* p, const T* g, const T* m_in, T* m_out, const T* v_in, T* v_out, std::size_t n,
                        T step_size, T bc2_sqrt, T one_minus_b1, T b2, T one_minus_b2, T eps);
    bool (*rmsprop_update)(T* p, const T* g, const T* v_in, T* v_out, std::size_t n, T lr, T alpha,
                           T one_minus_alpha, T eps);
};

}  // namespace nalu
