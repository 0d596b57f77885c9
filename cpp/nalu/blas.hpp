// Row-major GEMM through OpenBLAS (the scipy-openblas32 build that NumPy and SciPy ship), for the
// large products where an optimised BLAS beats the register-blocked kernels of isa/gemm.hpp.
//
// Compiled with the portable flags (OpenBLAS picks its own CPU kernels at run time), so the
// per-ISA kernel copies may call it.
#pragma once

#include <cstddef>

namespace nalu::blas {

// True when the core was built against OpenBLAS.
bool available();

// OpenBLAS's own description of its build and the CPU kernels it chose, or "none".
const char* describe();

// Products of at least this many multiply-adds (M·N·K), with every dimension at least
// kMinDimension, go to BLAS; smaller or skinnier ones stay in the register-blocked kernels.
// Chosen by measurement (bench/crossover.py).
constexpr std::size_t kMinWork = std::size_t(1) << 18;
constexpr std::size_t kMinDimension = 16;

// (Out of line on purpose: an inline function compiled into the AVX2 kernels could be merged into
// the baseline path by the linker.)
bool worth_it(std::size_t M, std::size_t N, std::size_t K);

// C (M, N) = alpha · op(A) · op(B) + beta · C, all row-major with leading dimensions lda, ldb, ldc;
// op(A) is (M, K): A itself, or the transpose of a (K, M) array when trans_a. Returns false, doing
// nothing, when BLAS is unavailable or a size exceeds its 32-bit integers (the caller falls back).
template <class T>
bool gemm(bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K, T alpha,
          const T* A, std::size_t lda, const T* B, std::size_t ldb, T beta, T* C, std::size_t ldc);

}  // namespace nalu::blas
