// Bindings of the task data generator, _core.task_rows(...) -> (x, t), and of task_loop (the
// training loop of train_task).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "arrays.hpp"
#include "fit_support.hpp"
#include "gil.hpp"
#include "nalu/lock_set.hpp"
#include "nalu/model/training_loop.hpp"
#include "nalu/tasks/generator.hpp"
#include "nalu/tasks/task_source.hpp"

namespace py = pybind11;

namespace nalu_bindings {

namespace {

nalu::tasks::TaskSpec spec_of(std::size_t input_size, std::pair<std::size_t, std::size_t> a,
                              std::pair<std::size_t, std::size_t> b, const std::string& op) {
    if (input_size == 0 || a.first >= a.second || b.first >= b.second || a.second > input_size ||
        b.second > input_size)
        throw py::value_error("task: subsets must be non-empty ranges inside the input");
    return nalu::tasks::TaskSpec{input_size, a.first, a.second, b.first, b.second, nalu::tasks::op_from_name(op)};
}

nalu::tasks::Ranges ranges_of(const std::vector<std::pair<double, double>>& intervals) {
    if (intervals.empty()) throw py::value_error("task: at least one interval is needed");
    nalu::tasks::Ranges ranges;
    for (const auto& [lo, hi] : intervals) {
        if (!(hi > lo)) throw py::value_error("task: every interval needs lo < hi");
        ranges.lo.push_back(lo);
        ranges.hi.push_back(hi);
    }
    return ranges;
}

template <class T>
void bind_task_loop(py::module_& m) {
    m.def("task_loop", [](std::shared_ptr<nalu::Sequential<T>> model, std::shared_ptr<nalu::Optimizer<T>> opt,
                          std::size_t input_size, std::pair<std::size_t, std::size_t> a,
                          std::pair<std::size_t, std::size_t> b, const std::string& op,
                          std::vector<std::pair<double, double>> intervals, std::uint64_t seed,
                          long long batch_size, const std::string& loss) {
        const nalu::tasks::TaskSpec spec = spec_of(input_size, a, b, op);
        const nalu::Loss kind = loss_of(loss);
        check_optimizer_targets(*model, *opt, "train_task");
        if (model->in_features() != input_size || model->out_features() != 1)
            throw py::value_error("train_task: the model maps " + std::to_string(model->in_features()) +
                                  " inputs to " + std::to_string(model->out_features()) +
                                  " outputs; the task needs " + std::to_string(input_size) + " -> 1");
        if (batch_size <= 0) throw py::value_error("batch_size must be > 0, got " + std::to_string(batch_size));
        auto source = std::make_unique<nalu::TaskSource<T>>(spec, ranges_of(intervals), seed);
        return bind_loop<T>(model, opt, std::move(source), static_cast<std::size_t>(batch_size), kind,
                            "train_task");
    }, py::arg("model"), py::arg("optimizer"), py::arg("input_size"), py::arg("a"), py::arg("b"),
       py::arg("op"), py::arg("intervals"), py::arg("seed"), py::arg("batch_size"), py::arg("loss"),
       "The training loop of train_task: fresh rows of the task's training stream every step.");
}

template <class T>
py::tuple rows_of(const nalu::tasks::TaskSpec& spec, const nalu::tasks::Ranges& ranges,
                  std::uint64_t seed, std::uint64_t stream, std::uint64_t first_row, std::size_t rows) {
    py::array_t<T> x({static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(spec.input_size)});
    py::array_t<T> t({static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(1)});
    T* xp = x.mutable_data();
    T* tp = t.mutable_data();
    {
        ReleaseGil release;
        nalu::tasks::generate(xp, tp, spec, ranges, seed, stream, first_row, rows);
    }
    return py::make_tuple(x, t);
}

// Seconds to make `steps` consecutive training batches of `batch` rows into one reused buffer,
// as TaskSource does inside train_task: the data's share of a protocol step, for
// bench/protocol_runs.py.
template <class T>
double seconds_to_generate(const nalu::tasks::TaskSpec& spec, const nalu::tasks::Ranges& ranges,
                           std::uint64_t seed, std::size_t batch, std::size_t steps) {
    std::vector<T> x(batch * spec.input_size), t(batch);
    ReleaseGil release;
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t s = 0; s < steps; ++s)
        nalu::tasks::generate(x.data(), t.data(), spec, ranges, seed, nalu::tasks::kTrainStream,
                              s * batch, batch);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

void bind_tasks(py::module_& m) {
    m.def(
        "task_rows",
        [](std::size_t input_size, std::pair<std::size_t, std::size_t> a,
           std::pair<std::size_t, std::size_t> b, const std::string& op,
           std::vector<std::pair<double, double>> intervals, std::uint64_t seed,
           std::uint64_t stream, std::uint64_t first_row, std::size_t rows, const std::string& dtype) {
            const nalu::tasks::TaskSpec spec = spec_of(input_size, a, b, op);
            const nalu::tasks::Ranges ranges = ranges_of(intervals);
            return by_dtype(dtype, [&](auto zero) {
                return rows_of<decltype(zero)>(spec, ranges, seed, stream, first_row, rows);
            });
        },
        py::arg("input_size"), py::arg("a"), py::arg("b"), py::arg("op"), py::arg("intervals"), py::arg("seed"),
        py::arg("stream"), py::arg("first_row"), py::arg("rows"), py::arg("dtype"),
        "Rows [first_row, first_row + rows) of a task's stream: (x (rows, input_size), t (rows, 1)).");
    m.def(
        "_seconds_to_generate",
        [](std::size_t input_size, std::pair<std::size_t, std::size_t> a, std::pair<std::size_t, std::size_t> b,
           const std::string& op, std::vector<std::pair<double, double>> intervals, std::uint64_t seed,
           std::size_t batch, std::size_t steps, const std::string& dtype) {
            const nalu::tasks::TaskSpec spec = spec_of(input_size, a, b, op);
            const nalu::tasks::Ranges ranges = ranges_of(intervals);
            if (batch == 0) throw py::value_error("batch must be > 0, got 0");
            return by_dtype(dtype, [&](auto zero) {
                return seconds_to_generate<decltype(zero)>(spec, ranges, seed, batch, steps);
            });
        },
        py::arg("input_size"), py::arg("a"), py::arg("b"), py::arg("op"), py::arg("intervals"), py::arg("seed"),
        py::arg("batch"), py::arg("steps"), py::arg("dtype"),
        "Benchmark support: seconds to make `steps` training batches of a task into one reused buffer.");
    // the task's streams (tasks/generator.hpp), the one place their numbers are written
    m.attr("TASK_STREAMS") = py::dict(py::arg("train") = nalu::tasks::kTrainStream,
                                      py::arg("validation") = nalu::tasks::kValidationStream,
                                      py::arg("test") = nalu::tasks::kTestStream);
    bind_task_loop<float>(m);
    bind_task_loop<double>(m);
}

}  // namespace nalu_bindings
