// xoshiro256** (Blackman & Vigna), seeded through splitmix64: small, fast, and the same stream on
// every platform, so a seed fixes a training run's minibatch order everywhere.
#pragma once

#include <cstddef>
#include <cstdint>

namespace nalu {

class Rng {
public:
    explicit Rng(std::uint64_t seed) {
        for (auto& word : s_) word = splitmix64(seed);
    }

    std::uint64_t next() {
        const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

    // Uniform integer in [0, n), n > 0, without modulo bias (Lemire's multiply-and-reject).
    std::size_t below(std::size_t n) {
        const std::uint64_t bound = n;
        std::uint64_t high, low;
        multiply(next(), bound, high, low);
        if (low < bound) {
            const std::uint64_t threshold = (0 - bound) % bound;
            while (low < threshold) multiply(next(), bound, high, low);
        }
        return static_cast<std::size_t>(high);
    }

    // The 128-bit product a·b as (high, low) 64-bit halves; the same on every compiler.
    static void multiply(std::uint64_t a, std::uint64_t b, std::uint64_t& high, std::uint64_t& low) {
#if defined(__SIZEOF_INT128__)
        __extension__ typedef unsigned __int128 Wide;  // __extension__: no -Wpedantic warning
        const Wide p = static_cast<Wide>(a) * b;
        high = static_cast<std::uint64_t>(p >> 64);
        low = static_cast<std::uint64_t>(p);
#else  // four 32x32 -> 64 products (MSVC, 32-bit targets)
        const std::uint64_t a0 = a & 0xffffffffu, a1 = a >> 32, b0 = b & 0xffffffffu, b1 = b >> 32;
        const std::uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
        const std::uint64_t middle = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
        high = p11 + (p01 >> 32) + (p10 >> 32) + (middle >> 32);
        low = (middle << 32) | (p00 & 0xffffffffu);
#endif
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    static std::uint64_t splitmix64(std::uint64_t& state) {
        std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    std::uint64_t s_[4];
};

}  // namespace nalu
