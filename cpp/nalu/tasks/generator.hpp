// The data of the arithmetic benchmark tasks (REFERENCE.md, last section), generated from a
// counter-based random stream: every row is a function of (seed, stream, row index) alone (its
// own generator, seeded by hashing those three), so a run's data depend only on its seed and on
// which rows it asks for, never on threads or call order.
//
// A task is: x of `input_size` values drawn uniformly from a union of intervals, a = the sum of
// x over [a_begin, a_end), b = the sum over [b_begin, b_end), and the target t = a ∘ b.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace nalu::tasks {

enum class Op { Add, Sub, Mul, Div, Square, Sqrt };

inline Op op_from_name(const std::string& name) {
    if (name == "add") return Op::Add;
    if (name == "sub") return Op::Sub;
    if (name == "mul") return Op::Mul;
    if (name == "div") return Op::Div;
    if (name == "square") return Op::Square;
    if (name == "sqrt") return Op::Sqrt;
    throw std::invalid_argument("op must be one of add, sub, mul, div, square, sqrt; got '" + name + "'");
}

inline double apply(Op op, double a, double b) {
    switch (op) {
        case Op::Add: return a + b;
        case Op::Sub: return a - b;
        case Op::Mul: return a * b;
        case Op::Div: return a / b;
        case Op::Square: return a * a;
        case Op::Sqrt: return std::sqrt(a);
    }
    return a;
}

// SplitMix64's finaliser over a counter: a stateless, well-mixed 64-bit hash.
inline std::uint64_t mix(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

// The values of one row: wyrand (one 64×64→128-bit multiply per value) from a state that is a
// hash of (seed, stream, row).
class RowRng {
public:
    RowRng(std::uint64_t stream_key, std::uint64_t row) : s_(mix(stream_key + row * 0x9e3779b97f4a7c15ULL)) {}
    double uniform01() {  // in [0, 1), 53 random bits
        s_ += 0xa0761d6478bd642fULL;
        const __uint128_t t = static_cast<__uint128_t>(s_) * (s_ ^ 0xe7037ed1a0b428dbULL);
        return static_cast<double>((static_cast<std::uint64_t>(t >> 64) ^ static_cast<std::uint64_t>(t)) >> 11) * 0x1.0p-53;
    }

private:
    std::uint64_t s_;
};

inline std::uint64_t stream_key(std::uint64_t seed, std::uint64_t stream) {
    return mix(seed * 0x9e3779b97f4a7c15ULL + mix(stream + 0x632be59bd9b4e019ULL));
}

// A union of disjoint intervals [lo, hi), sampled uniformly by length.
struct Ranges {
    std::vector<double> lo, hi;
    double total() const {
        double t = 0.0;
        for (std::size_t k = 0; k < lo.size(); ++k) t += hi[k] - lo[k];
        return t;
    }
    double at(double u) const {  // u in [0, 1)
        if (lo.size() == 1) return lo[0] + u * (hi[0] - lo[0]);
        double pos = u * total();
        for (std::size_t k = 0; k + 1 < lo.size(); ++k) {
            const double width = hi[k] - lo[k];
            if (pos < width) return lo[k] + pos;
            pos -= width;
        }
        return lo.back() + pos;
    }
};

struct TaskSpec {
    std::size_t input_size;
    std::size_t a_begin, a_end, b_begin, b_end;
    Op op;
};

// Rows [first_row, first_row + rows) of a stream: x (rows, input_size) and t (rows, 1).
template <class T>
void generate(T* x, T* t, const TaskSpec& spec, const Ranges& ranges, std::uint64_t seed,
              std::uint64_t stream, std::uint64_t first_row, std::size_t rows) {
    const std::size_t n = spec.input_size;
    const std::uint64_t key = stream_key(seed, stream);
    const bool one_interval = ranges.lo.size() == 1;
    const double lo = ranges.lo[0], width = ranges.hi[0] - ranges.lo[0];
    for (std::size_t r = 0; r < rows; ++r) {
        RowRng rng(key, first_row + r);
        T* xr = x + r * n;
        for (std::size_t i = 0; i < n; ++i) {
            const double u = rng.uniform01();
            xr[i] = static_cast<T>(one_interval ? lo + u * width : ranges.at(u));
        }
        // Targets from what the model sees (the stored, possibly float32-rounded, values).
        double a = 0.0, b = 0.0;
        for (std::size_t i = spec.a_begin; i < spec.a_end; ++i) a += static_cast<double>(xr[i]);
        for (std::size_t i = spec.b_begin; i < spec.b_end; ++i) b += static_cast<double>(xr[i]);
        t[r] = static_cast<T>(apply(spec.op, a, b));
    }
}

}  // namespace nalu::tasks
