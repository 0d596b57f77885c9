// Bindings of Sequential_f32/_f64 (forward, backward, train_step) and array_loop (the training
// loop of fit, over fixed arrays).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "arrays.hpp"
#include "fit_support.hpp"
#include "gil.hpp"
#include "nalu/lock_set.hpp"
#include "nalu/model/sequential.hpp"

namespace nalu_bindings {

namespace {

// x (batch, in) and y (batch, out) with the same, non-zero batch.
template <class T>
std::pair<CArray<T>, CArray<T>> training_pair(const nalu::Sequential<T>& model, py::handle x_obj,
                                              py::handle y_obj, const std::string& where) {
    CArray<T> x = as_batch_matrix<T>(x_obj, where, "x", model.in_features());
    CArray<T> y = as_batch_matrix<T>(y_obj, where, "y", model.out_features());
    if (x.shape(0) != y.shape(0))
        throw py::value_error(where + ": x has " + std::to_string(x.shape(0)) + " rows but y has " +
                              std::to_string(y.shape(0)));
    if (x.shape(0) == 0) throw py::value_error(where + ": x and y are empty (0 rows); a training step needs data");
    return {std::move(x), std::move(y)};
}

// The model's output on x as a new array: run(x, batch) returns the model's output buffer.
template <class T, class Run>
py::array_t<T> output_of(nalu::Sequential<T>& self, py::handle x_obj, const char* where, Run run) {
    CArray<T> x = as_batch_matrix<T>(x_obj, where, "x", self.in_features());
    const std::size_t batch = static_cast<std::size_t>(x.shape(0));
    py::array_t<T> y({static_cast<py::ssize_t>(batch), static_cast<py::ssize_t>(self.out_features())});
    {
        ReleaseGil release;
        nalu::LockSet lock(self.mutexes());
        const T* out = run(x.data(), batch);
        std::copy(out, out + batch * self.out_features(), y.mutable_data());
    }
    return y;
}

template <class T>
void bind_for(py::module_& m, const std::string& suffix) {
    using S = nalu::Sequential<T>;
    using L = nalu::Layer<T>;
    using O = nalu::Optimizer<T>;
    py::class_<S, std::shared_ptr<S>>(m, ("Sequential" + suffix).c_str())
        .def(py::init([](std::vector<std::shared_ptr<L>> layers) {
            return std::make_shared<S>(std::move(layers));
        }), py::arg("layers"))
        .def_property_readonly("in_features", &S::in_features)
        .def_property_readonly("out_features", &S::out_features)
        .def_property("steps", &S::steps, &S::set_steps)
        .def("snapshot", [](S& self) {
            // Every layer's parameters ({name: array} per layer), the layers' step counts and the
            // model's, copied under all the layers' locks: a consistent snapshot even while
            // another thread trains the model (it lands between two of its steps).
            const auto& layers = self.layers();
            py::list copies;
            std::vector<std::pair<const T*, T*>> sources;  // (parameter, copy)
            std::vector<std::size_t> sizes;
            for (const auto& l : layers) {
                py::dict named;
                for (const auto& p : l->param_info()) {
                    py::array_t<T> copy(std::vector<py::ssize_t>(p.shape.begin(), p.shape.end()));
                    sources.emplace_back(l->params() + p.offset, copy.mutable_data());
                    sizes.push_back(p.size);
                    named[py::str(p.name)] = copy;
                }
                copies.append(named);
            }
            std::vector<long long> layer_steps;
            long long model_steps = 0;
            {
                ReleaseGil release;
                nalu::LockSet lock(self.mutexes());
                for (std::size_t k = 0; k < sources.size(); ++k)
                    std::copy(sources[k].first, sources[k].first + sizes[k], sources[k].second);
                for (const auto& l : layers) layer_steps.push_back(l->steps());
                model_steps = self.steps();
            }
            return py::make_tuple(copies, layer_steps, model_steps);
        })
        .def("forward", [](S& self, py::handle x_obj) {
            return output_of(self, x_obj, "Sequential.forward", [&self](const T* x, std::size_t batch) {
                return self.forward(x, batch);
            });
        }, py::arg("x"))
        .def("predict", [](S& self, py::handle x_obj) {
            return output_of(self, x_obj, "Sequential.predict", [&self](const T* x, std::size_t batch) {
                return self.predict(x, batch);
            });
        }, py::arg("x"))
        .def("backward", [](S& self, py::handle dy_obj, bool need_dx) -> py::object {
            CArray<T> dy = as_batch_matrix<T>(dy_obj, "Sequential.backward", "dy", self.out_features());
            const std::size_t batch = static_cast<std::size_t>(dy.shape(0));
            py::array_t<T> dx;
            if (need_dx) dx = py::array_t<T>({static_cast<py::ssize_t>(batch), static_cast<py::ssize_t>(self.in_features())});
            T* dx_ptr = need_dx ? dx.mutable_data() : nullptr;
            {
                ReleaseGil release;
                nalu::LockSet lock(self.mutexes());
                self.backward(dy.data(), dx_ptr, batch);
            }
            if (!need_dx) return py::none();
            return std::move(dx);
        }, py::arg("dy"), py::arg("need_dx") = true)
        .def("train_step", [](S& self, py::handle x_obj, py::handle y_obj, O& opt, const std::string& loss) {
            const nalu::Loss kind = loss_of(loss);
            check_optimizer_targets(self, opt, "train_step");
            auto [x, y] = training_pair(self, x_obj, y_obj, "train_step");
            const std::size_t batch = static_cast<std::size_t>(x.shape(0));
            nalu::StepResult r;
            {
                ReleaseGil release;
                nalu::LockSet lock(all_mutexes(self, opt));
                self.write_input(x.data(), batch);
                r = self.train_step(y.data(), batch, kind, opt);
            }
            return py::make_tuple(r.loss, divergence_name(r.divergence), r.regularizer);
        }, py::arg("x"), py::arg("y"), py::arg("optimizer"), py::arg("loss"));

    bind_training_loop<T>(m, suffix);
    m.def("array_loop", [](std::shared_ptr<S> model, std::shared_ptr<O> opt, py::handle x_obj,
                           py::handle y_obj, long long batch_size, bool shuffle, std::uint64_t seed,
                           const std::string& loss) {
        const nalu::Loss kind = loss_of(loss);
        check_optimizer_targets(*model, *opt, "fit");
        auto [x, y] = training_pair(*model, x_obj, y_obj, "fit");
        const std::size_t rows = static_cast<std::size_t>(x.shape(0));
        if (batch_size <= 0 || static_cast<std::size_t>(batch_size) > rows)
            throw py::value_error("fit: batch_size must be between 1 and the number of rows (" +
                                  std::to_string(rows) + "), got " + std::to_string(batch_size));
        const std::size_t batch = static_cast<std::size_t>(batch_size);
        auto source = std::make_unique<nalu::ArraySource<T>>(x.data(), y.data(), rows, model->in_features(),
                                                             model->out_features(), batch, shuffle, seed);
        auto bound = bind_loop<T>(model, opt, std::move(source), batch, kind, "fit");
        bound->keep_alive = {std::move(x), std::move(y)};
        return bound;
    }, py::arg("model"), py::arg("optimizer"), py::arg("x"), py::arg("y"), py::arg("batch_size"),
       py::arg("shuffle"), py::arg("seed"), py::arg("loss"),
       "The training loop of fit: steps on minibatches of (x, y), or the full batch.");
}

}  // namespace

void bind_model(py::module_& m) {
    bind_for<float>(m, "_f32");
    bind_for<double>(m, "_f64");
}

}  // namespace nalu_bindings
