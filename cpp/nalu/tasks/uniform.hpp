// The task generator's inner loop: rows of uniform values from a counter-based hash.
// Compiled once per ISA (isa/isa.hpp) with FP contraction off, so that every ISA writes the
// same bits (the data of a run must not depend on the machine that runs it).
#pragma once

#include <cstddef>
#include <cstdint>

#include "../isa/isa.hpp"

namespace nalu {

// The task data's kernels (registered at the end of uniform.cpp), reached through
// kernels<TaskKernels<T>>(): the functions declared below.
template <class T>
struct TaskKernels {
    void (*uniform_rows)(T* x, std::size_t rows, std::size_t n, const std::uint64_t* row_keys, std::size_t first,
                         double lo, double width);
    void (*row_sums)(double* s, const T* x, std::size_t rows, std::size_t n, std::size_t begin, std::size_t end);
};

namespace NALU_ISA {

// x[r·n + i] = lo + u_(r, first+i) for r < rows, i < n, with u_(r, c) in [0, 1) from a 32-bit hash
// of (row_keys[r], column c) (Murmur3's finaliser over a Weyl sequence), so the loop has no
// carried state and vectorises. In T's own precision: for float, u has 23 random bits and the
// product and sum are rounded in float (on [1, 2): every float value equally likely, exactly); for
// double, u has 31 random bits and they are rounded in double. Rounding can give x = lo + width
// itself on ranges whose width is not a power of two.
template <class T>
void uniform_rows(T* x, std::size_t rows, std::size_t n, const std::uint64_t* row_keys, std::size_t first,
                  double lo, double width);

// s[r] = the sum of x[r·n + i] over begin ≤ i < end in double, for r < rows, in a fixed order
// that vectorises: eight partial sums, lane k adding columns begin + k, begin + k + 8, ... in
// order, then ((s0 + s4) + (s2 + s6)) + ((s1 + s5) + (s3 + s7)). The same bits on every ISA.
template <class T>
void row_sums(double* s, const T* x, std::size_t rows, std::size_t n, std::size_t begin, std::size_t end);

}  // namespace NALU_ISA
}  // namespace nalu
