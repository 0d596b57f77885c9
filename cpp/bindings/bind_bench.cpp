// Benchmark support (bench/protocol_runs.py's floor, docs/performance.md#the-floor): the rates of
// the work a training step cannot avoid, each measured by a micro-kernel in this ISA's copy, the
// best of several repetitions (the least disturbed by the shared machine).
#include <pybind11/pybind11.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "gil.hpp"
#include "nalu/isa/peak.hpp"
#include "nalu/isa/vecmath_kernels.hpp"
#include "nalu/rng.hpp"
#include "nalu/tasks/uniform.hpp"

namespace py = pybind11;

namespace nalu_bindings {

namespace {
// The best rate (work units per second) of `repeats` calls of run(), each doing `work` units.
template <class Run>
double best_rate(Run&& run, double work, int repeats) {
    double best = 0.0;
    ReleaseGil release;
    for (int r = 0; r < repeats; ++r) {
        const auto start = std::chrono::steady_clock::now();
        run();
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (seconds > 0.0) best = std::max(best, work / seconds);
    }
    return best;
}

volatile float sink;  // where each micro-kernel's result goes, so it is not optimised away

void check_repeats(int repeats) {
    if (repeats < 1) throw py::value_error("repeats must be >= 1, got " + std::to_string(repeats));
}
}  // namespace

void bind_bench(py::module_& m) {
    m.def(
        "_fma_peak",
        [](int repeats) {
            check_repeats(repeats);
            const auto& k = nalu::kernels<nalu::PeakKernels<float>>();
            constexpr std::size_t kRounds = 100000;  // about 0.5 ms per call at 3.5 GHz
            return best_rate([&] { sink = k.fma_chains(kRounds); },
                             static_cast<double>(kRounds) * static_cast<double>(k.fma_chain_lanes()), repeats);
        },
        py::arg("repeats") = 30,
        "Benchmark support: float32 multiply-adds per second of this ISA's widest FMA, in independent "
        "chains (the core's peak), the best of `repeats` calls.");
    m.def(
        "_log_rate",
        [](std::size_t n, int repeats) {
            check_repeats(repeats);
            if (n == 0) throw py::value_error("n must be > 0, got 0");
            std::vector<float> x(n), out(n);
            for (std::size_t i = 0; i < n; ++i) x[i] = 1.0f + static_cast<float>(i % 1000) * 1e-3f;
            const auto log = nalu::kernels<nalu::VecmathKernels<float>>().log_abs_plus;
            return best_rate([&] { log(out.data(), x.data(), 1e-7f, n); sink = out[n - 1]; },
                             static_cast<double>(n), repeats);
        },
        py::arg("n") = 12800, py::arg("repeats") = 200,
        "Benchmark support: float32 log(|x| + eps) per second of the units' vector log on n values in "
        "cache, the best of `repeats` calls.");
    m.def(
        "_uniform_rate",
        [](std::size_t rows, std::size_t n, int repeats) {
            check_repeats(repeats);
            if (rows == 0 || n == 0) throw py::value_error("rows and n must be > 0");
            std::vector<float> x(rows * n);
            std::vector<std::uint64_t> keys(rows);
            for (std::size_t r = 0; r < rows; ++r) keys[r] = nalu::row_key(nalu::stream_key(0, 0), r);
            const auto uniform = nalu::kernels<nalu::TaskKernels<float>>().uniform_rows;
            return best_rate([&] { uniform(x.data(), rows, n, keys.data(), 0, 1.0, 1.0); sink = x[0]; },
                             static_cast<double>(rows * n), repeats);
        },
        py::arg("rows") = 128, py::arg("n") = 100, py::arg("repeats") = 200,
        "Benchmark support: float32 task values per second of the generator's inner loop alone (rows "
        "of n values from given row keys; no keys, targets or redraws), the best of `repeats` calls.");
}

}  // namespace nalu_bindings
