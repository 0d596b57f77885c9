// Random numbers that are the same on every platform: xoshiro256** (Blackman & Vigna), seeded
// through splitmix64, so a seed fixes a training run's minibatch order everywhere; and the
// counter-based hash (mix, stream_key, row_key) that makes the task data and the sNMU's noise a
// pure function of (seed, stream, row, column).
#pragma once

#include <cstddef>
#include <cstdint>

namespace nalu {

// SplitMix64's finaliser over a counter: a stateless, well-mixed 64-bit hash.
inline std::uint64_t mix(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

// The key of one row: a hash of (seed, stream, row) from which the row's values are hashed
// (tasks/uniform.hpp's uniform_rows): the task data's rows and the sNMU's noise.
inline std::uint64_t row_key(std::uint64_t stream_key, std::uint64_t row) {
    return mix(stream_key + row * 0x9e3779b97f4a7c15ULL);
}

// The key of a stream (a task's training, validation or test rows; an sNMU's noise of one step).
inline std::uint64_t stream_key(std::uint64_t seed, std::uint64_t stream) {
    return mix(seed * 0x9e3779b97f4a7c15ULL + mix(stream + 0x632be59bd9b4e019ULL));
}

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
