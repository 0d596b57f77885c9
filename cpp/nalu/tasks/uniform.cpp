#include "uniform.hpp"

namespace nalu {
namespace NALU_ISA {

namespace {
inline std::uint32_t fmix32(std::uint32_t h) {
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

// __restrict on a parameter (which GCC honours) lets the loop vectorise.
template <class T>
void fill(T* __restrict x, std::size_t n, std::uint32_t k0, std::uint32_t k1, std::uint32_t first,
          double lo, double width) {
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint32_t c = first + static_cast<std::uint32_t>(i);
        const std::uint32_t h = fmix32((c * 0x9e3779b9u + k0) ^ k1);
        // 31 bits as a non-negative int32: converts exactly (and vectorises: no unsigned convert)
        const double u = static_cast<double>(static_cast<std::int32_t>(h >> 1)) * 0x1.0p-31;
        x[i] = static_cast<T>(lo + u * width);
    }
}
}  // namespace

template <class T>
void uniform_row(T* x, std::size_t n, std::uint64_t row_key, std::size_t first, double lo,
                 double width) {
    fill(x, n, static_cast<std::uint32_t>(row_key), static_cast<std::uint32_t>(row_key >> 32),
         static_cast<std::uint32_t>(first), lo, width);
}

template void uniform_row<float>(float*, std::size_t, std::uint64_t, std::size_t, double, double);
template void uniform_row<double>(double*, std::size_t, std::uint64_t, std::size_t, double, double);

}  // namespace NALU_ISA
}  // namespace nalu
