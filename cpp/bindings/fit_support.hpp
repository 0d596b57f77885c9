// What the bindings of the multi-step loops (Fitter, TaskFitter) share.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <mutex>
#include <string>
#include <vector>

#include "nalu/model/sequential.hpp"
#include "nalu/optim/optimizer.hpp"

namespace nalu_bindings {

namespace py = pybind11;

// The mutexes of a model's layers and of an optimizer (and of the layers it updates).
template <class T>
std::vector<std::mutex*> all_mutexes(const nalu::Sequential<T>& model, const nalu::Optimizer<T>& opt) {
    std::vector<std::mutex*> all = model.mutexes();
    for (std::mutex* m : opt.mutexes()) all.push_back(m);
    return all;
}

// The per-step output arrays are written in place: no conversion may happen, so both must be
// writable, C-contiguous, 1-D float64 arrays of one length.
inline void check_step_arrays(const py::array& losses, const py::array& regularizers, const std::string& where) {
    for (const py::array* a : {&losses, &regularizers})
        if (a->ndim() != 1 || !a->writeable() || !(a->flags() & py::array::c_style) ||
            !a->dtype().is(py::dtype::of<double>()) || a->size() != losses.size())
            throw py::value_error(where + ": expected two writable C-contiguous 1-D float64 arrays of one length");
}

}  // namespace nalu_bindings
