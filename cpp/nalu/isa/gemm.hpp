// Small dense matrix products in the layouts the unit kernels need.
//
// All matrices are row-major and C-contiguous; `nt` means the second operand is used transposed.
// Products large enough to pay for it (blas::worth_it) go to OpenBLAS instead.
// The loops use GCC/Clang vector types of one register (simd.hpp's Simd): SSE2 on the baseline copy
// of the kernels, AVX2 with FMA on the other. Dot products keep one vector of partial sums (summation order differs from a plain loop by
// rounding only; -ffast-math is never used).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "../blas.hpp"
#include "simd.hpp"
#include "isa.hpp"

namespace nalu {
namespace NALU_ISA {
namespace gemm {

// sum_k a[k] * b[k]
template <class T>
inline T dot(const T* a, const T* b, std::size_t n) {
    using S = Simd<T>;
    typename S::V acc = S::splat(T(0));
    std::size_t k = 0;
    for (; k + S::n <= n; k += S::n) acc = S::fma(S::load(a + k), S::load(b + k), acc);
    if (k < n) acc = S::fma(S::load_partial(a + k, n - k), S::load_partial(b + k, n - k), acc);
    return S::sum(acc);
}

// y[k] += alpha * x[k]
template <class T>
inline void axpy(T* y, T alpha, const T* x, std::size_t n) {
    using S = Simd<T>;
    const typename S::V a = S::splat(alpha);
    std::size_t k = 0;
    for (; k + S::n <= n; k += S::n) S::store(y + k, S::fma(a, S::load(x + k), S::load(y + k)));
    for (; k < n; ++k) y[k] += alpha * x[k];
}

// The largest K of matmul_nt_narrow.
constexpr std::size_t kNarrowK = 4;

// matmul_nt for very narrow rows (K ≤ kNarrowK: the last layer of a 100 → 2 → 1 network), where
// a dot product per output would be one partial vector and a lane sum: vectorised over rows
// instead, S::n rows at a time (the last block partial, through the same code, so that a row's
// bits do not depend on its place in the batch), each column of A gathered into one vector; each
// output is the sum over k in order, from +0 as in the other paths.
template <class T>
void matmul_nt_narrow(T* C, const T* A, const T* B, std::size_t M, std::size_t N, std::size_t K) {
    using S = Simd<T>;
    using V = typename S::V;
    for (std::size_t m = 0; m < M; m += S::n) {
        const std::size_t rows = M - m < S::n ? M - m : S::n;
        V column[kNarrowK] = {};
        for (std::size_t k = 0; k < K; ++k)
            for (std::size_t j = 0; j < rows; ++j) column[k][j] = A[(m + j) * K + k];
        for (std::size_t n = 0; n < N; ++n) {
            V acc = S::splat(T(0));
            for (std::size_t k = 0; k < K; ++k) acc = S::fma(column[k], S::splat(B[n * K + k]), acc);
            if (N == 1 && rows == S::n) S::store(C + m, acc);
            else
                for (std::size_t j = 0; j < rows; ++j) C[(m + j) * N + n] = acc[j];
        }
    }
}

// C (M, N) = A (M, K) · B (N, K)ᵀ            e.g. y = x Wᵀ
// Blocks of four rows × two outputs: each load of A or B feeds two or four FMAs, and the eight
// accumulators are independent chains (the first layer of a 100 → 2 network is this shape).
template <class T>
void matmul_nt(T* C, const T* A, const T* B, std::size_t M, std::size_t N, std::size_t K) {
    if (blas::worth_it(M, N, K) && blas::gemm<T>(false, true, M, N, K, 1, A, K, B, K, 0, C, N)) return;
    using S = Simd<T>;
    using V = typename S::V;
    if (K <= kNarrowK) {
        matmul_nt_narrow(C, A, B, M, N, K);
        return;
    }
    std::size_t n = 0;
    for (; n + 2 <= N; n += 2) {
        const T* b[2] = {B + n * K, B + (n + 1) * K};
        std::size_t m = 0;
        for (; m + 4 <= M; m += 4) {
            V acc[4][2];
            for (auto& r : acc) r[0] = r[1] = S::splat(T(0));
            auto step = [&](std::size_t k, std::size_t width) {
                const bool full = width == S::n;
                const V bv[2] = {full ? S::load(b[0] + k) : S::load_partial(b[0] + k, width),
                                 full ? S::load(b[1] + k) : S::load_partial(b[1] + k, width)};
                for (int r = 0; r < 4; ++r) {
                    const T* a = A + (m + r) * K + k;
                    const V av = full ? S::load(a) : S::load_partial(a, width);
                    acc[r][0] = S::fma(av, bv[0], acc[r][0]);
                    acc[r][1] = S::fma(av, bv[1], acc[r][1]);
                }
            };
            std::size_t k = 0;
            for (; k + S::n <= K; k += S::n) step(k, S::n);
            if (k < K) step(k, K - k);
            for (int o = 0; o < 2; ++o) {
                T out[4];
                S::sum4({acc[0][o], acc[1][o], acc[2][o], acc[3][o]}, out);
                for (int r = 0; r < 4; ++r) C[(m + r) * N + n + o] = out[r];
            }
        }
        for (; m < M; ++m) {
            C[m * N + n] = dot(A + m * K, b[0], K);
            C[m * N + n + 1] = dot(A + m * K, b[1], K);
        }
    }
    for (; n < N; ++n)
        for (std::size_t m = 0; m < M; ++m) C[m * N + n] = dot(A + m * K, B + n * K, K);
}

// Rows [m_begin, m_end) of matmul_nt3 below, in plain loops.
template <class T>
void matmul_nt3_plain(T* A, T* Z, T* Q, const T* x, const T* L, const T* W, const T* G,
                      std::size_t m_begin, std::size_t m_end, std::size_t N, std::size_t K) {
    for (std::size_t m = m_begin; m < m_end; ++m)
            for (std::size_t n = 0; n < N; ++n) {
                T a = T(0), z = T(0), q = T(0);
                for (std::size_t k = 0; k < K; ++k) {
                    a += x[m * K + k] * W[n * K + k];
                    z += L[m * K + k] * W[n * K + k];
                    q += x[m * K + k] * G[n * K + k];
                }
                A[m * N + n] = a;
                Z[m * N + n] = z;
                Q[m * N + n] = q;
            }
}

// Three products that share their operands (a gated two-path forward) in one pass, so that each
// row of x, L, W and G is read once:
//   A (M, N) = x (M, K) · W (N, K)ᵀ,  Z (M, N) = L (M, K) · W (N, K)ᵀ,  Q (M, N) = x (M, K) · G (N, K)ᵀ
template <class T>
void matmul_nt3(T* A, T* Z, T* Q, const T* x, const T* L, const T* W, const T* G, std::size_t M,
                std::size_t N, std::size_t K) {
    if (blas::worth_it(M, N, K)) {
        // x and L stacked in memory (and A, Z likewise): one product of twice the rows, which
        // BLAS runs faster than two.
        const bool stacked = L == x + M * K && Z == A + M * N;
        if ((stacked ? blas::gemm<T>(false, true, 2 * M, N, K, 1, x, K, W, K, 0, A, N)
                     : blas::gemm<T>(false, true, M, N, K, 1, x, K, W, K, 0, A, N) &&
                           blas::gemm<T>(false, true, M, N, K, 1, L, K, W, K, 0, Z, N)) &&
            blas::gemm<T>(false, true, M, N, K, 1, x, K, G, K, 0, Q, N))
            return;
    }
    using S = Simd<T>;
    using V = typename S::V;
    if (K <= 4) {
        // Very narrow rows (a few inputs, as in most arithmetic tasks): vectorise over rows
        // instead, S::n rows at a time, each input column gathered into one vector.
        std::size_t m = 0;
        for (; m + S::n <= M; m += S::n) {
            V xc[4], lc[4];
            for (std::size_t k = 0; k < K; ++k)
                for (std::size_t j = 0; j < S::n; ++j) {
                    xc[k][j] = x[(m + j) * K + k];
                    lc[k][j] = L[(m + j) * K + k];
                }
            for (std::size_t n = 0; n < N; ++n) {
                V a = S::splat(T(0)), z = a, q = a;
                for (std::size_t k = 0; k < K; ++k) {
                    a = S::fma(xc[k], S::splat(W[n * K + k]), a);
                    z = S::fma(lc[k], S::splat(W[n * K + k]), z);
                    q = S::fma(xc[k], S::splat(G[n * K + k]), q);
                }
                for (std::size_t j = 0; j < S::n; ++j) {
                    A[(m + j) * N + n] = a[j];
                    Z[(m + j) * N + n] = z[j];
                    Q[(m + j) * N + n] = q[j];
                }
            }
        }
        matmul_nt3_plain(A, Z, Q, x, L, W, G, m, M, N, K);
        return;
    }
    if (K < S::n) {  // rows narrower than one vector: plain loops beat vector setup and sums
        matmul_nt3_plain(A, Z, Q, x, L, W, G, 0, M, N, K);
        return;
    }
    // Two rows × two outputs per pass: each load of x, L, W and G feeds two or three FMAs, and the
    // twelve accumulators are independent chains.
    std::size_t m0 = 0;
    if (N >= 2)
        for (; m0 + 2 <= M; m0 += 2) {
            const T* xr[2] = {x + m0 * K, x + (m0 + 1) * K};
            const T* lr[2] = {L + m0 * K, L + (m0 + 1) * K};
            std::size_t n = 0;
            for (; n + 2 <= N; n += 2) {
                const T* wr[2] = {W + n * K, W + (n + 1) * K};
                const T* gr[2] = {G + n * K, G + (n + 1) * K};
                V acc[2][2][3];  // [row][output][a, z, q]
                for (auto& r : acc)
                    for (auto& o : r)
                        for (auto& v : o) v = S::splat(T(0));
                auto step = [&](std::size_t k, std::size_t width) {
                    V xv[2], lv[2], wv[2], gv[2];
                    for (int j = 0; j < 2; ++j) {
                        xv[j] = width == S::n ? S::load(xr[j] + k) : S::load_partial(xr[j] + k, width);
                        lv[j] = width == S::n ? S::load(lr[j] + k) : S::load_partial(lr[j] + k, width);
                        wv[j] = width == S::n ? S::load(wr[j] + k) : S::load_partial(wr[j] + k, width);
                        gv[j] = width == S::n ? S::load(gr[j] + k) : S::load_partial(gr[j] + k, width);
                    }
                    for (int r = 0; r < 2; ++r)
                        for (int o = 0; o < 2; ++o) {
                            acc[r][o][0] = S::fma(xv[r], wv[o], acc[r][o][0]);
                            acc[r][o][1] = S::fma(lv[r], wv[o], acc[r][o][1]);
                            acc[r][o][2] = S::fma(xv[r], gv[o], acc[r][o][2]);
                        }
                };
                std::size_t k = 0;
                for (; k + S::n <= K; k += S::n) step(k, S::n);
                if (k < K) step(k, K - k);
                // each product's four outputs (two rows × two outputs) in one reduction tree
                T* const dest[3] = {A, Z, Q};
                for (int p = 0; p < 3; ++p) {
                    T out[4];
                    S::sum4({acc[0][0][p], acc[0][1][p], acc[1][0][p], acc[1][1][p]}, out);
                    for (int r = 0; r < 2; ++r)
                        for (int o = 0; o < 2; ++o) dest[p][(m0 + r) * N + n + o] = out[2 * r + o];
                }
            }
            for (; n < N; ++n)
                for (std::size_t r = 0; r < 2; ++r) {
                    A[(m0 + r) * N + n] = dot(xr[r], W + n * K, K);
                    Z[(m0 + r) * N + n] = dot(lr[r], W + n * K, K);
                    Q[(m0 + r) * N + n] = dot(xr[r], G + n * K, K);
                }
        }
    // Remaining rows: two outputs per pass share the loads of x and L; two vectors of K per
    // iteration: twelve independent FMA chains.
    for (std::size_t m = m0; m < M; ++m) {
        const T* xr = x + m * K;
        const T* lr = L + m * K;
        std::size_t n = 0;
        for (; n + 2 <= N; n += 2) {
            const T* w0 = W + n * K;
            const T* w1 = w0 + K;
            const T* g0 = G + n * K;
            const T* g1 = g0 + K;
            V acc[2][6];  // [unroll][a0, z0, q0, a1, z1, q1]
            for (auto& u : acc)
                for (auto& v : u) v = S::splat(T(0));
            auto step = [&](V* a, const V xv, const V lv, const V w0v, const V w1v, const V g0v, const V g1v) {
                a[0] = S::fma(xv, w0v, a[0]);
                a[1] = S::fma(lv, w0v, a[1]);
                a[2] = S::fma(xv, g0v, a[2]);
                a[3] = S::fma(xv, w1v, a[3]);
                a[4] = S::fma(lv, w1v, a[4]);
                a[5] = S::fma(xv, g1v, a[5]);
            };
            std::size_t k = 0;
            for (; k + 2 * S::n <= K; k += 2 * S::n)
                for (int u = 0; u < 2; ++u) {
                    const std::size_t o = k + u * S::n;
                    step(acc[u], S::load(xr + o), S::load(lr + o), S::load(w0 + o), S::load(w1 + o),
                         S::load(g0 + o), S::load(g1 + o));
                }
            if (k + S::n <= K) {  // fixed accumulator indices keep acc in registers
                step(acc[0], S::load(xr + k), S::load(lr + k), S::load(w0 + k), S::load(w1 + k),
                     S::load(g0 + k), S::load(g1 + k));
                k += S::n;
            }
            if (k < K) {
                const std::size_t c = K - k;
                step(acc[1], S::load_partial(xr + k, c), S::load_partial(lr + k, c), S::load_partial(w0 + k, c),
                     S::load_partial(w1 + k, c), S::load_partial(g0 + k, c), S::load_partial(g1 + k, c));
            }
            T out[6];
            for (int j = 0; j < 6; ++j) out[j] = S::sum(acc[0][j] + acc[1][j]);
            A[m * N + n] = out[0];
            Z[m * N + n] = out[1];
            Q[m * N + n] = out[2];
            A[m * N + n + 1] = out[3];
            Z[m * N + n + 1] = out[4];
            Q[m * N + n + 1] = out[5];
        }
        for (; n < N; ++n) {
            A[m * N + n] = dot(xr, W + n * K, K);
            Z[m * N + n] = dot(lr, W + n * K, K);
            Q[m * N + n] = dot(xr, G + n * K, K);
        }
    }
}

// Rows [m, m + R) of matmul_tn_fused_impl below, columns [n, n + (J − 1)·W + last) as J vectors
// (the last one `last` wide): each output vector stays in registers for the whole sum over K,
// split into U interleaved partial sums (independent FMA chains); the R rows share every load of
// B1 and B2.
template <int R, int J, int U, bool second, bool third, class T>
inline void tn_block(T* C1, T* C2, const T* A1, const T* B1, const T* A2, const T* B2, const T* A3,
                     std::size_t m, std::size_t n, std::size_t last, std::size_t M, std::size_t N,
                     std::size_t K) {
    using S = Simd<T>;
    using V = typename S::V;
    constexpr std::size_t W = S::n;
    auto load = [&](const T* p, int j) { return j + 1 < J || last == W ? S::load(p) : S::load_partial(p, last); };
    V c1[U][R][J], d1[U][R][J], c2[U][R][J];
    for (int u = 0; u < U; ++u)
        for (int r = 0; r < R; ++r)
            for (int j = 0; j < J; ++j) c1[u][r][j] = d1[u][r][j] = c2[u][r][j] = S::splat(T(0));
    auto step = [&](int u, std::size_t k) {
        V b1[J] = {}, b2[J] = {};  // initialised: GCC cannot see b2 is read only when written
        for (int j = 0; j < J; ++j) {
            b1[j] = load(B1 + k * N + n + j * W, j);
            if (second) b2[j] = load(B2 + k * N + n + j * W, j);
        }
        for (int r = 0; r < R; ++r) {
            const T a1 = A1[k * M + m + r], a2 = second ? A2[k * M + m + r] : T(0),
                    a3 = third ? A3[k * M + m + r] : T(0);
            for (int j = 0; j < J; ++j) {
                c1[u][r][j] = S::fma(S::splat(a1), b1[j], c1[u][r][j]);
                if (second) d1[u][r][j] = S::fma(S::splat(a2), b2[j], d1[u][r][j]);
                if (third) c2[u][r][j] = S::fma(S::splat(a3), b1[j], c2[u][r][j]);
            }
        }
    };
    std::size_t k = 0;
    for (; k + U <= K; k += U)
        for (int u = 0; u < U; ++u) step(u, k + u);
    for (; k < K; ++k) step(0, k);
    for (int r = 0; r < R; ++r)
        for (int j = 0; j < J; ++j) {
            V out1 = second ? c1[0][r][j] + d1[0][r][j] : c1[0][r][j], out2 = c2[0][r][j];
            for (int u = 1; u < U; ++u) {
                out1 += second ? c1[u][r][j] + d1[u][r][j] : c1[u][r][j];
                out2 += c2[u][r][j];
            }
            T* o1 = C1 + (m + r) * N + n + j * W;
            T* o2 = third ? C2 + (m + r) * N + n + j * W : nullptr;
            if (j + 1 < J || last == W) {
                S::store(o1, out1);
                if (third) S::store(o2, out2);
            } else {
                S::store_partial(o1, out1, last);
                if (third) S::store_partial(o2, out2, last);
            }
        }
}

// All columns of rows [m, m + R) of matmul_tn_fused_impl: blocks of as many column vectors as the
// registers hold accumulators for (about 16 with AVX-512's 32 registers, 12 with AVX's 16), then
// what is left as one block, whose sum over K is split in two when it is narrow.
template <int R, bool second, bool third, class T>
inline void tn_rows(T* C1, T* C2, const T* A1, const T* B1, const T* A2, const T* B2, const T* A3,
                    std::size_t m, std::size_t M, std::size_t N, std::size_t K) {
    constexpr std::size_t W = Simd<T>::n;
    constexpr int products = 1 + second + third;
    constexpr int budget = (kVectorBytes == 64 ? 16 : 12) / (R * products);
    constexpr int Jmax = budget < 1 ? 1 : (budget > 4 ? 4 : budget);
    std::size_t n = 0;
    for (; n + Jmax * W <= N; n += Jmax * W)
        tn_block<R, Jmax, 1, second, third>(C1, C2, A1, B1, A2, B2, A3, m, n, W, M, N, K);
    const std::size_t left = N - n;
    if (left == 0) return;
    const std::size_t vectors = (left + W - 1) / W, last = left - (vectors - 1) * W;
    constexpr int U1 = R * products <= 2 ? 2 : 1, U2 = 2 * R * products <= 4 ? 2 : 1;
    if (vectors == 1) tn_block<R, 1, U1, second, third>(C1, C2, A1, B1, A2, B2, A3, m, n, last, M, N, K);
    else if (vectors == 2) tn_block<R, 2, U2, second, third>(C1, C2, A1, B1, A2, B2, A3, m, n, last, M, N, K);
    else if (vectors == 3) tn_block<R, 3, 1, second, third>(C1, C2, A1, B1, A2, B2, A3, m, n, last, M, N, K);
    else tn_block<R, 4, 1, second, third>(C1, C2, A1, B1, A2, B2, A3, m, n, last, M, N, K);  // vectors ≤ Jmax ≤ 4
}

// The parameter-gradient products of a backward, in one pass over the rows of B1 and B2:
//   C1 (M, N) = A1 (K, M)ᵀ B1 (K, N) [+ A2 (K, M)ᵀ B2 (K, N)],   C2 (M, N) = A3 (K, M)ᵀ B1 (K, N)
// A2/B2 and A3/C2 may be null (that product is skipped). Output rows two at a time (each load of
// B1 and B2 feeds both, so a layer with two outputs reads its (K, N) operands once), columns in
// register blocks (tn_rows); outputs are written, not accumulated.
template <bool second, bool third, class T>
void matmul_tn_fused_impl(T* C1, T* C2, const T* A1, const T* B1, const T* A2, const T* B2,
                          const T* A3, std::size_t M, std::size_t N, std::size_t K) {
    std::size_t m = 0;
    for (; m + 2 <= M; m += 2) tn_rows<2, second, third>(C1, C2, A1, B1, A2, B2, A3, m, M, N, K);
    for (; m < M; ++m) tn_rows<1, second, third>(C1, C2, A1, B1, A2, B2, A3, m, M, N, K);
}

// r[j] = v[index[j]]: GCC's __builtin_shuffle takes a run-time index vector; Clang has no such
// builtin (its __builtin_shufflevector wants constants), so there the lanes are picked one by one.
template <class V, class IV>
inline V permute(V v, IV index) {
#if defined(__clang__)
    V r;
    for (std::size_t j = 0; j < sizeof(V) / sizeof(v[0]); ++j) r[j] = v[index[j]];
    return r;
#else
    return __builtin_shuffle(v, index);
#endif
}

// matmul_tn_fused for a single output row (M = 1) and rows of B narrower than a vector, with N
// dividing the vector width (the last layer of most arithmetic networks, e.g. 2 -> 1): one vector
// of B covers R = W / N consecutive rows, and A's entries are spread to match (a0 a0 a1 a1 ...).
template <class T>
bool matmul_tn_fused_narrow(T* C1, T* C2, const T* A1, const T* B1, const T* A2, const T* B2,
                            const T* A3, std::size_t N, std::size_t K) {
    using S = Simd<T>;
    using V = typename S::V;
    using Index = typename std::conditional<sizeof(T) == 4, std::int32_t, std::int64_t>::type;
    typedef Index IV __attribute__((vector_size(kVectorBytes)));
    if (N == 0 || N >= S::n || S::n % N != 0) return false;
    const std::size_t R = S::n / N;
    IV spread;
    for (std::size_t j = 0; j < S::n; ++j) spread[j] = static_cast<Index>(j / N);
    V c1 = S::splat(T(0)), d1 = c1, c2 = c1;
    std::size_t k = 0;
    for (; k + R <= K; k += R) {
        const V b1 = S::load(B1 + k * N);
        c1 = S::fma(permute(S::load_partial(A1 + k, R), spread), b1, c1);
        if (A2) d1 = S::fma(permute(S::load_partial(A2 + k, R), spread), S::load(B2 + k * N), d1);
        if (A3) c2 = S::fma(permute(S::load_partial(A3 + k, R), spread), b1, c2);
    }
    T out1[S::n], out2[S::n];
    S::store(out1, c1 + d1);
    S::store(out2, c2);
    for (std::size_t n = 0; n < N; ++n) {
        T s1 = T(0), s2 = T(0);
        for (std::size_t j = n; j < S::n; j += N) s1 += out1[j], s2 += out2[j];
        for (std::size_t r = k; r < K; ++r) {
            s1 += A1[r] * B1[r * N + n];
            if (A2) s1 += A2[r] * B2[r * N + n];
            if (A3) s2 += A3[r] * B1[r * N + n];
        }
        C1[n] = s1;
        if (A3) C2[n] = s2;
    }
    return true;
}

template <class T>
void matmul_tn_fused(T* C1, T* C2, const T* A1, const T* B1, const T* A2, const T* B2,
                     const T* A3, std::size_t M, std::size_t N, std::size_t K) {
    if (M == 1 && matmul_tn_fused_narrow(C1, C2, A1, B1, A2, B2, A3, N, K)) return;
    if (blas::worth_it(M, N, K)) {
        // [A1; A2] and [B1; B2] stacked in memory: C1 = [A1; A2]ᵀ [B1; B2], one product over 2K.
        const bool stacked = A2 && A2 == A1 + K * M && B2 == B1 + K * N;
        if ((stacked ? blas::gemm<T>(true, false, M, N, 2 * K, 1, A1, M, B1, N, 0, C1, N)
                     : blas::gemm<T>(true, false, M, N, K, 1, A1, M, B1, N, 0, C1, N) &&
                           (!A2 || blas::gemm<T>(true, false, M, N, K, 1, A2, M, B2, N, 1, C1, N))) &&
            (!A3 || blas::gemm<T>(true, false, M, N, K, 1, A3, M, B1, N, 0, C2, N)))
            return;
    }
    if (A2 && A3) matmul_tn_fused_impl<true, true>(C1, C2, A1, B1, A2, B2, A3, M, N, K);
    else if (A2) matmul_tn_fused_impl<true, false>(C1, C2, A1, B1, A2, B2, A3, M, N, K);
    else if (A3) matmul_tn_fused_impl<false, true>(C1, C2, A1, B1, A2, B2, A3, M, N, K);
    else matmul_tn_fused_impl<false, false>(C1, C2, A1, B1, A2, B2, A3, M, N, K);
}

// C (M, N) = A (K, M)ᵀ · B (K, N)            e.g. dW = dyᵀ x
template <class T>
void matmul_tn(T* C, const T* A, const T* B, std::size_t M, std::size_t N, std::size_t K) {
    matmul_tn_fused<T>(C, nullptr, A, B, nullptr, nullptr, nullptr, M, N, K);
}

// C (M, N) (+)= A (M, K) · B (K, N)          e.g. dx = dy W; accumulate adds to C
template <class T>
void matmul_nn(T* C, const T* A, const T* B, std::size_t M, std::size_t N, std::size_t K,
               bool accumulate) {
    if (blas::worth_it(M, N, K) &&
        blas::gemm<T>(false, false, M, N, K, 1, A, K, B, N, accumulate ? 1 : 0, C, N))
        return;
    for (std::size_t m = 0; m < M; ++m) {
        T* c = C + m * N;
        if (!accumulate)
            for (std::size_t n = 0; n < N; ++n) c[n] = T(0);
        for (std::size_t k = 0; k < K; ++k) axpy(c, A[m * K + k], B + k * N, N);
    }
}

// Two products of a backward's input gradient in one pass over the rows of W and G:
//   C (M, N) = A1 (M, K) W (K, N) + A2 (M, K) G (K, N),    D (M, N) = A3 (M, K) W (K, N)
template <class T>
void matmul_nn2(T* C, T* D, const T* A1, const T* W, const T* A2, const T* G, const T* A3,
                std::size_t M, std::size_t N, std::size_t K) {
    if (blas::worth_it(M, N, K) && blas::gemm<T>(false, false, M, N, K, 1, A1, K, W, N, 0, C, N) &&
        blas::gemm<T>(false, false, M, N, K, 1, A2, K, G, N, 1, C, N) &&
        blas::gemm<T>(false, false, M, N, K, 1, A3, K, W, N, 0, D, N))
        return;
    using S = Simd<T>;
    using V = typename S::V;
    std::size_t m0 = 0;
    if (K <= 4 && N < S::n) {
        // The input gradient of a layer with few outputs (K) and few inputs (N), e.g. the 2 -> 1
        // last layer: vectorise over rows, S::n at a time, each column of A gathered once.
        for (; m0 + S::n <= M; m0 += S::n) {
            V a1[4], a2[4], a3[4];
            for (std::size_t k = 0; k < K; ++k)
                for (std::size_t j = 0; j < S::n; ++j) {
                    a1[k][j] = A1[(m0 + j) * K + k];
                    a2[k][j] = A2[(m0 + j) * K + k];
                    a3[k][j] = A3[(m0 + j) * K + k];
                }
            for (std::size_t n = 0; n < N; ++n) {
                V c = S::splat(T(0)), d = c;
                for (std::size_t k = 0; k < K; ++k) {
                    c += a1[k] * W[k * N + n] + a2[k] * G[k * N + n];
                    d += a3[k] * W[k * N + n];
                }
                for (std::size_t j = 0; j < S::n; ++j) {
                    C[(m0 + j) * N + n] = c[j];
                    D[(m0 + j) * N + n] = d[j];
                }
            }
        }
    }
    for (std::size_t m = m0; m < M; ++m) {
        const T* a1 = A1 + m * K;
        const T* a2 = A2 + m * K;
        const T* a3 = A3 + m * K;
        if (N < S::n) {  // narrow rows: plain loops
            for (std::size_t n = 0; n < N; ++n) {
                T c = T(0), d = T(0);
                for (std::size_t k = 0; k < K; ++k) {
                    c += a1[k] * W[k * N + n] + a2[k] * G[k * N + n];
                    d += a3[k] * W[k * N + n];
                }
                C[m * N + n] = c;
                D[m * N + n] = d;
            }
            continue;
        }
        for (std::size_t n = 0; n < N; n += S::n) {
            const std::size_t width = N - n < S::n ? N - n : S::n;
            V c = S::splat(T(0)), e = c, d = c;
            for (std::size_t k = 0; k < K; ++k) {
                const V w = S::load_partial(W + k * N + n, width);
                c = S::fma(S::splat(a1[k]), w, c);
                e = S::fma(S::splat(a2[k]), S::load_partial(G + k * N + n, width), e);
                d = S::fma(S::splat(a3[k]), w, d);
            }
            S::store_partial(C + m * N + n, c + e, width);
            S::store_partial(D + m * N + n, d, width);
        }
    }
}

}  // namespace gemm
}  // namespace NALU_ISA
}  // namespace nalu
