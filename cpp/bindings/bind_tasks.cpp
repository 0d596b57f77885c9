// Binding of the task data generator: _core.task_rows(...) -> (x, t).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "nalu/tasks/generator.hpp"

namespace py = pybind11;

namespace nalu_bindings {

namespace {

template <class T>
py::tuple rows_of(const nalu::tasks::TaskSpec& spec, const nalu::tasks::Ranges& ranges,
                  std::uint64_t seed, std::uint64_t stream, std::uint64_t first_row, std::size_t rows) {
    py::array_t<T> x({static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(spec.input_size)});
    py::array_t<T> t({static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(1)});
    T* xp = x.mutable_data();
    T* tp = t.mutable_data();
    {
        py::gil_scoped_release release;
        nalu::tasks::generate(xp, tp, spec, ranges, seed, stream, first_row, rows);
    }
    return py::make_tuple(x, t);
}

}  // namespace

void bind_tasks(py::module_& m) {
    m.def(
        "task_rows",
        [](std::size_t input_size, std::pair<std::size_t, std::size_t> a,
           std::pair<std::size_t, std::size_t> b, const std::string& op,
           std::vector<std::pair<double, double>> intervals, std::uint64_t seed,
           std::uint64_t stream, std::uint64_t first_row, std::size_t rows, const std::string& dtype) {
            if (input_size == 0 || a.first >= a.second || b.first >= b.second || a.second > input_size ||
                b.second > input_size)
                throw py::value_error("task_rows: subsets must be non-empty ranges inside the input");
            if (intervals.empty()) throw py::value_error("task_rows: at least one interval is needed");
            nalu::tasks::Ranges ranges;
            for (const auto& [lo, hi] : intervals) {
                if (!(hi > lo)) throw py::value_error("task_rows: every interval needs lo < hi");
                ranges.lo.push_back(lo);
                ranges.hi.push_back(hi);
            }
            const nalu::tasks::TaskSpec spec{input_size, a.first, a.second, b.first, b.second,
                                             nalu::tasks::op_from_name(op)};
            if (dtype == "float32") return rows_of<float>(spec, ranges, seed, stream, first_row, rows);
            if (dtype == "float64") return rows_of<double>(spec, ranges, seed, stream, first_row, rows);
            throw py::type_error("dtype must be 'float32' or 'float64', got '" + dtype + "'");
        },
        "Rows [first_row, first_row + rows) of a task's stream: (x (rows, input_size), t (rows, 1)).");
}

}  // namespace nalu_bindings
