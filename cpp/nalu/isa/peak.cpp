#include "peak.hpp"

#include "simd.hpp"

namespace nalu {
namespace NALU_ISA {

namespace {
// Chains in flight: latency (4 cycles) × ports (2) needs 8; more keep the ports busy while the
// loop's own instructions issue. Within the 32 registers of AVX-512, the 16 of AVX and SSE2.
#if defined(__AVX512F__)
constexpr int kChains = 16;
#else
constexpr int kChains = 10;
#endif

template <class T>
T fma_chains(std::size_t rounds) {
    using S = Simd<T>;
    typename S::V acc[kChains];
    for (int c = 0; c < kChains; ++c) acc[c] = typename S::V{} + T(1) + T(c) * T(1e-3);
    const typename S::V a = typename S::V{} + T(0.999999), b = typename S::V{} + T(1e-7);
    for (std::size_t r = 0; r < rounds; ++r)
        for (int c = 0; c < kChains; ++c) acc[c] = acc[c] * a + b;  // contracted to one FMA where the ISA has it
    T sum = T(0);
    for (int c = 0; c < kChains; ++c)
        for (std::size_t j = 0; j < S::n; ++j) sum += acc[c][j];
    return sum;
}

template <class T>
std::size_t fma_chain_lanes() {
    return kChains * Simd<T>::n;
}
}  // namespace

NALU_KERNEL_TABLE(PeakKernels, &fma_chains<T>, &fma_chain_lanes<T>)

}  // namespace NALU_ISA
}  // namespace nalu
