// Small dense matrix products in the three layouts the unit kernels need.
//
// All matrices are row-major and C-contiguous. Names follow BLAS: `nt` means the second operand
// is used transposed. These are plain loops written so that the compiler can vectorise them
// without reassociating floating-point sums (-ffast-math is never used): dot products keep eight
// independent partial sums, and the other products are sequences of axpy over contiguous rows.
#pragma once

#include <cstddef>

namespace nalu::gemm {

// sum_k a[k] * b[k] with eight partial sums (one vector register for float32 on SSE2/AVX).
template <class T>
inline T dot(const T* a, const T* b, std::size_t n) {
    T acc[8] = {T(0), T(0), T(0), T(0), T(0), T(0), T(0), T(0)};
    std::size_t k = 0;
    for (; k + 8 <= n; k += 8)
        for (std::size_t j = 0; j < 8; ++j) acc[j] += a[k + j] * b[k + j];
    T tail = T(0);
    for (; k < n; ++k) tail += a[k] * b[k];
    return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail;
}

// y[k] += alpha * x[k]
template <class T>
inline void axpy(T* y, T alpha, const T* x, std::size_t n) {
    for (std::size_t k = 0; k < n; ++k) y[k] += alpha * x[k];
}

// C (M, N) = A (M, K) · B (N, K)ᵀ            e.g. y = x Wᵀ
template <class T>
void matmul_nt(T* C, const T* A, const T* B, std::size_t M, std::size_t N, std::size_t K) {
    for (std::size_t m = 0; m < M; ++m)
        for (std::size_t n = 0; n < N; ++n) C[m * N + n] = dot(A + m * K, B + n * K, K);
}

// C (M, N) (+)= A (K, M)ᵀ · B (K, N)         e.g. dW = dyᵀ x; accumulate adds to C
template <class T>
void matmul_tn(T* C, const T* A, const T* B, std::size_t M, std::size_t N, std::size_t K,
               bool accumulate) {
    if (!accumulate)
        for (std::size_t i = 0; i < M * N; ++i) C[i] = T(0);
    for (std::size_t k = 0; k < K; ++k)
        for (std::size_t m = 0; m < M; ++m) axpy(C + m * N, A[k * M + m], B + k * N, N);
}

// C (M, N) (+)= A (M, K) · B (K, N)          e.g. dx = dy W; accumulate adds to C
template <class T>
void matmul_nn(T* C, const T* A, const T* B, std::size_t M, std::size_t N, std::size_t K,
               bool accumulate) {
    for (std::size_t m = 0; m < M; ++m) {
        T* c = C + m * N;
        if (!accumulate)
            for (std::size_t n = 0; n < N; ++n) c[n] = T(0);
        for (std::size_t k = 0; k < K; ++k) axpy(c, A[m * K + k], B + k * N, N);
    }
}

}  // namespace nalu::gemm
