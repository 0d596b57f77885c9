// The data of the arithmetic benchmark tasks (docs/protocols.md#the-arithmetic-benchmark),
// generated from a counter-based random stream: every value is a function of (seed, stream, row index, column)
// alone (a hash of the row's key and the column), so a run's data depend only on its seed and on
// which rows it asks for, never on threads, call order or the ISA path.
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

#include "../rng.hpp"
#include "uniform.hpp"

namespace nalu::tasks {

// The streams of a task: the rows of training, of the validation (interpolation) set and of the
// test (extrapolation) set are each a stream of their own (stream_key in rng.hpp). The Python side
// reads these numbers from here (_core.TASK_STREAMS).
constexpr std::uint64_t kTrainStream = 0, kValidationStream = 1, kTestStream = 2;

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

// A union of disjoint intervals [lo, hi), sampled uniformly by length.
struct Ranges {
    std::vector<double> lo, hi;
    double total() const {
        double t = 0.0;
        for (std::size_t k = 0; k < lo.size(); ++k) t += hi[k] - lo[k];
        return t;
    }
    double at(double u) const {  // u in [0, 1)
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

// t[r] = a_r ∘ b_r for rows r of x (rows, input_size), from what the model sees (the stored,
// possibly float32-rounded, values); a and b are summed in double in a fixed order (row_sums).
// Returns the rows of a division whose denominator b is exactly 0 (their t is not finite).
template <class T>
std::vector<std::size_t> targets(T* t, const T* x, const TaskSpec& spec, std::size_t rows) {
    const auto sums = kernels<TaskKernels<T>>().row_sums;
    constexpr std::size_t kChunk = 256;  // rows per pass: the sums stay on the stack
    double a[kChunk], b[kChunk];
    std::vector<std::size_t> zero_denominators;
    for (std::size_t r0 = 0; r0 < rows; r0 += kChunk) {
        const std::size_t m = rows - r0 < kChunk ? rows - r0 : kChunk;
        const T* xr = x + r0 * spec.input_size;
        sums(a, xr, m, spec.input_size, spec.a_begin, spec.a_end);
        sums(b, xr, m, spec.input_size, spec.b_begin, spec.b_end);
        for (std::size_t r = 0; r < m; ++r) {
            t[r0 + r] = static_cast<T>(apply(spec.op, a[r], b[r]));
            if (spec.op == Op::Div && b[r] == 0.0) zero_denominators.push_back(r0 + r);
        }
    }
    return zero_denominators;
}

// Rows [first_row, first_row + rows) of a stream: x (rows, input_size) and t (rows, 1).
//
// A division row whose denominator is exactly 0 is drawn again (from the keys mix(key + k), k =
// 1, 2, ...): the published code draws in float64, where an exact 0 has probability 0, but our
// float32 values lie on a grid of 2^-23 of the width, which holds 0 in a range such as U[-2, 2)
// (once in about 8·10^6 draws). Every other row is unchanged.
constexpr std::uint64_t kRedraws = 64;

template <class T>
void generate(T* x, T* t, const TaskSpec& spec, const Ranges& ranges, std::uint64_t seed,
              std::uint64_t stream, std::uint64_t first_row, std::size_t rows) {
    const std::size_t n = spec.input_size;
    const std::uint64_t key = stream_key(seed, stream);
    const auto uniform = kernels<TaskKernels<T>>().uniform_rows;  // looked up once, not per row
    const auto unit = kernels<TaskKernels<double>>().uniform_rows;
    // count rows at xr, row r from the key keys[r]
    const auto fill_rows = [&](T* xr, const std::uint64_t* keys, std::size_t count) {
        if (ranges.lo.size() == 1) {
            uniform(xr, count, n, keys, 0, ranges.lo[0], ranges.hi[0] - ranges.lo[0]);
            return;
        }
        constexpr std::size_t kChunk = 128;  // u in [0, 1) in double, a chunk at a time, then placed in the union
        double u[kChunk];
        for (std::size_t r = 0; r < count; ++r)
            for (std::size_t i0 = 0; i0 < n; i0 += kChunk) {
                const std::size_t m = n - i0 < kChunk ? n - i0 : kChunk;
                unit(u, 1, m, keys + r, i0, 0.0, 1.0);
                for (std::size_t i = 0; i < m; ++i) xr[r * n + i0 + i] = static_cast<T>(ranges.at(u[i]));
            }
    };
    // Rows a chunk at a time, each chunk's targets summed right after its rows are made, while they
    // are still in the L1 cache (a whole batch of 128 rows of 100 floats is not).
    constexpr std::size_t kKeys = 32;  // row keys per chunk, on the stack
    std::uint64_t keys[kKeys];
    std::vector<std::size_t> zero_denominators;
    for (std::size_t r0 = 0; r0 < rows; r0 += kKeys) {
        const std::size_t count = rows - r0 < kKeys ? rows - r0 : kKeys;
        for (std::size_t r = 0; r < count; ++r) keys[r] = row_key(key, first_row + r0 + r);
        fill_rows(x + r0 * n, keys, count);
        for (const std::size_t r : targets(t + r0, x + r0 * n, spec, count)) zero_denominators.push_back(r0 + r);
    }
    for (const std::size_t r : zero_denominators) {
        const std::uint64_t rk = row_key(key, first_row + r);
        // bounded: a denominator that is 0 on most draws (a range that is almost only 0) keeps its
        // non-finite target, which training reports as divergence
        for (std::uint64_t k = 1; k <= kRedraws; ++k) {
            const std::uint64_t redraw = mix(rk + k);
            fill_rows(x + r * n, &redraw, 1);
            if (targets(t + r, x + r * n, spec, 1).empty()) break;
        }
    }
}

}  // namespace nalu::tasks
