// The binding of the training loop (TrainingLoop_f32/_f64), shared by the two ways to build one:
// array_loop (bind_model.cpp, for fit) and task_loop (bind_tasks.cpp, for train_task).
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "gil.hpp"
#include "nalu/lock_set.hpp"
#include "nalu/model/training_loop.hpp"

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

// The loss named `name` ("mse" or "sse"); ValueError otherwise. The only check of the name.
inline nalu::Loss loss_of(const std::string& name) {
    if (name == "mse") return nalu::Loss::Mse;
    if (name == "sse") return nalu::Loss::Sse;
    throw py::value_error("loss must be one of ('mse', 'sse'), got '" + name + "'");
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

// A TrainingLoop together with everything it points into (the model, the optimizer, the arrays
// of an array source), so that none of it can disappear under it.
template <class T>
struct BoundLoop {
    std::shared_ptr<nalu::Sequential<T>> model;
    std::shared_ptr<nalu::Optimizer<T>> optimizer;
    std::vector<py::object> keep_alive;
    std::unique_ptr<nalu::TrainingLoop<T>> loop;
};

// Builds a BoundLoop over `source`. The loop allocates its batch buffers now: a batch too large
// for memory is a MemoryError that names it, instead of pybind11's bare "std::bad_alloc".
template <class T>
std::unique_ptr<BoundLoop<T>> bind_loop(std::shared_ptr<nalu::Sequential<T>> model,
                                        std::shared_ptr<nalu::Optimizer<T>> opt,
                                        std::unique_ptr<nalu::BatchSource<T>> source, std::size_t batch,
                                        nalu::Loss loss, const std::string& where) {
    auto bound = std::make_unique<BoundLoop<T>>();
    bound->model = model;
    bound->optimizer = opt;
    try {
        bound->loop = std::make_unique<nalu::TrainingLoop<T>>(*model, *opt, std::move(source), batch, loss);
    } catch (const std::bad_alloc&) {
        PyErr_SetString(PyExc_MemoryError,
                        (where + ": a batch of " + std::to_string(batch) + " rows of " +
                         std::to_string(model->in_features()) + " values does not fit in memory").c_str());
        throw py::error_already_set();
    }
    return bound;
}

template <class T>
void bind_training_loop(py::module_& m, const std::string& suffix) {
    using B = BoundLoop<T>;
    py::class_<B>(m, ("TrainingLoop" + suffix).c_str())
        .def("run", [](B& self, py::array losses, py::array regularizers) {
            check_step_arrays(losses, regularizers, "TrainingLoop.run");
            nalu::FitChunk c;
            {
                ReleaseGil release;
                nalu::LockSet lock(all_mutexes(*self.model, *self.optimizer));
                c = self.loop->run(static_cast<std::size_t>(losses.size()),
                                   static_cast<double*>(losses.mutable_data()),
                                   static_cast<double*>(regularizers.mutable_data()));
            }
            return chunk_tuple(c);
        }, py::arg("losses"), py::arg("regularizers"), "Runs len(losses) steps at most: (steps applied, divergence or None, loss of the step not applied).");
}

}  // namespace nalu_bindings
