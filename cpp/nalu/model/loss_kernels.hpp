// The loss kernel, compiled once per ISA like the unit kernels (see isa/isa.hpp; registered by
// loss_kernels.cpp), reached through kernels<LossKernels<T>>().
#pragma once

#include <cstddef>

#include "../isa/isa.hpp"

namespace nalu {

template <class T>
struct LossKernels {
    // Σ (y − t)² in double, and dy = scale (y − t)
    double (*squared_error)(T* dy, const T* y, const T* t, T scale, std::size_t n);
};

}  // namespace nalu
