#include "blas.hpp"

#include <climits>

#ifdef NALU_HAVE_BLAS
#include <cblas.h>
#endif

namespace nalu::blas {

bool available() {
#ifdef NALU_HAVE_BLAS
    return true;
#else
    return false;
#endif
}

const char* describe() {
#ifdef NALU_HAVE_BLAS
    return scipy_openblas_get_config();
#else
    return "none";
#endif
}

bool worth_it(std::size_t M, std::size_t N, std::size_t K) {
    return available() && M >= kMinDimension && N >= kMinDimension && K >= kMinDimension &&
           M * N * K >= kMinWork;
}

namespace {
bool fits(std::size_t n) { return n <= static_cast<std::size_t>(INT_MAX); }
}  // namespace

template <class T>
bool gemm(bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K, T alpha,
          const T* A, std::size_t lda, const T* B, std::size_t ldb, T beta, T* C, std::size_t ldc) {
#ifdef NALU_HAVE_BLAS
    if (!(fits(M) && fits(N) && fits(K) && fits(lda) && fits(ldb) && fits(ldc))) return false;
    const auto ta = trans_a ? CblasTrans : CblasNoTrans;
    const auto tb = trans_b ? CblasTrans : CblasNoTrans;
    const int m = static_cast<int>(M), n = static_cast<int>(N), k = static_cast<int>(K);
    if constexpr (sizeof(T) == 4)
        scipy_cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, A, static_cast<int>(lda), B,
                          static_cast<int>(ldb), beta, C, static_cast<int>(ldc));
    else
        scipy_cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, A, static_cast<int>(lda), B,
                          static_cast<int>(ldb), beta, C, static_cast<int>(ldc));
    return true;
#else
    (void)trans_a, (void)trans_b, (void)M, (void)N, (void)K, (void)alpha, (void)A, (void)lda;
    (void)B, (void)ldb, (void)beta, (void)C, (void)ldc;
    return false;
#endif
}

template bool gemm<float>(bool, bool, std::size_t, std::size_t, std::size_t, float, const float*,
                          std::size_t, const float*, std::size_t, float, float*, std::size_t);
template bool gemm<double>(bool, bool, std::size_t, std::size_t, std::size_t, double, const double*,
                           std::size_t, const double*, std::size_t, double, double*, std::size_t);

}  // namespace nalu::blas
