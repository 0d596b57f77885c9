// What the bindings of the multi-step loops (Fitter, TaskFitter) share.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <mutex>
#include <new>
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

// Training a model with an optimizer built on another model's parameters would update nothing
// the loss depends on: ValueError instead of a silent no-op.
template <class T>
void check_optimizer_targets(const nalu::Sequential<T>& model, const nalu::Optimizer<T>& opt,
                             const std::string& where) {
    if (!model.owns_all(opt))
        throw py::value_error(where + ": the optimizer updates parameters of a layer that is not in "
                                      "this model; build it from this model's parameters()");
}

// Builds a training loop (make() allocates its batch buffers), turning an allocation failure into
// a MemoryError that names the batch instead of pybind11's bare "std::bad_alloc".
template <class Make>
auto allocate_loop(Make make, const std::string& where, std::size_t batch, std::size_t width) {
    try {
        return make();
    } catch (const std::bad_alloc&) {
        PyErr_SetString(PyExc_MemoryError, (where + ": a batch of " + std::to_string(batch) + " rows of " +
                                            std::to_string(width) + " values does not fit in memory")
                                               .c_str());
        throw py::error_already_set();
    }
}

// "loss", "update" or None: why a step was not applied (nalu_ext.TrainingDiverged.cause).
inline py::object divergence_name(nalu::Divergence d) {
    switch (d) {
        case nalu::Divergence::Loss: return py::str("loss");
        case nalu::Divergence::Update: return py::str("update");
        case nalu::Divergence::None: break;
    }
    return py::none();
}

// A loop's chunk as (steps applied, divergence, loss of the step not applied).
inline py::tuple chunk_tuple(const nalu::FitChunk& c) {
    return py::make_tuple(c.steps, divergence_name(c.divergence), c.loss);
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
