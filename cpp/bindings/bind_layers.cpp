// Bindings of the layers: one Layer_f32/Layer_f64 class for every unit, built by make_layer from
// the unit registry (cpp/nalu/unit_registry.hpp); nothing here names a unit.
//
// The Python classes in nalu_ext.units wrap these; the names here are private.
// Pattern of every call: validate and convert with the GIL held, then release the GIL and lock the
// layer (its workspace is not shared between threads), run the C++ kernels, and return.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "arrays.hpp"
#include "gil.hpp"
#include "nalu/layer.hpp"
#include "nalu/unit_registry.hpp"

namespace nalu_bindings {

namespace {

template <class T>
const nalu::ParamInfo& find_param(const nalu::Layer<T>& layer, const std::string& name) {
    for (const auto& p : layer.param_info())
        if (p.name == name) return p;
    std::string known;
    for (const auto& p : layer.param_info()) known += (known.empty() ? "" : ", ") + p.name;
    throw py::key_error(std::string(layer.kind()) + " has no parameter '" + name + "' (it has " +
                        known + ")");
}

// A writable NumPy view of one named slice of `buffer`, keeping `owner` (the layer) alive.
template <class T>
py::array_t<T> buffer_view(py::object owner, T* buffer, const nalu::ParamInfo& p) {
    std::vector<py::ssize_t> shape(p.shape.begin(), p.shape.end());
    return py::array_t<T>(shape, buffer + p.offset, owner);
}

py::dict options_dict(const nalu::Options& options) {
    py::dict d;
    for (const auto& [name, value] : options.values()) {
        if (const bool* flag = std::get_if<bool>(&value)) d[py::str(name)] = py::bool_(*flag);
        else d[py::str(name)] = py::float_(std::get<double>(value));
    }
    return d;
}

template <class T>
void bind_layer_base(py::module_& m, const std::string& suffix) {
    using L = nalu::Layer<T>;
    py::class_<L, std::shared_ptr<L>>(m, ("Layer" + suffix).c_str())
        .def_property_readonly("kind", &L::kind)
        .def_property_readonly("in_features", &L::in_features)
        .def_property_readonly("out_features", &L::out_features)
        .def_property_readonly("dtype", [](const L&) { return dtype_name<T>(); })
        .def_property_readonly("has_forward", &L::has_forward)
        .def_property("steps", &L::steps, [](L& self, long long t) {
            std::lock_guard<std::mutex> lock(self.mutex());
            self.set_steps(t);
        })
        .def_property("training", &L::training, [](L& self, bool on) {
            std::lock_guard<std::mutex> lock(self.mutex());
            self.set_training(on);
        })
        .def_property_readonly("options", [](const L& self) { return options_dict(self.options()); })
        .def_property_readonly("has_regularizer", &L::has_regularizer)
        .def_property_readonly("regularizer",
                               [](const L& self) {
                                   const auto& r = self.regularizer();
                                   return py::make_tuple(r.lambda_hat, r.start, r.end, r.initial, r.growth,
                                                         r.every);
                               })
        .def("set_regularizer",
             [](L& self, double lambda_hat, long long start, long long end, double initial, double growth,
                long long every) {
                 self.set_regularizer(nalu::RegularizerSchedule{lambda_hat, start, end, initial, growth, every});
             }, py::arg("lambda_hat"), py::arg("start"), py::arg("end"), py::arg("initial") = 0.0,
             py::arg("growth") = 0.0, py::arg("every") = 0)
        .def("regularizer_weight", [](const L& self, long long t) { return self.regularizer().at(t); },
             py::arg("t"))
        .def("after_update", [](L& self) {
            std::lock_guard<std::mutex> lock(self.mutex());
            self.after_update();
        }, "What every optimizer step does to the parameters afterwards (NAU, NMU: clamp into range).")
        .def("regularize", [](L& self, double lambda) {
            std::lock_guard<std::mutex> lock(self.mutex());
            return self.regularize(static_cast<T>(lambda));
        }, py::arg("lambda_"),
           "Adds lambda * dR/dparams to the gradients and returns R (unscaled); 0 for a unit without one.")
        .def_property_readonly("param_names",
                               [](const L& self) {
                                   py::list names;
                                   for (const auto& p : self.param_info()) names.append(p.name);
                                   return names;
                               })
        .def("param", [](py::object self, const std::string& name) {
            L& layer = self.cast<L&>();
            return buffer_view(self, layer.params(), find_param(layer, name));
        }, py::arg("name"))
        .def("grad", [](py::object self, const std::string& name) {
            L& layer = self.cast<L&>();
            return buffer_view(self, layer.grads(), find_param(layer, name));
        }, py::arg("name"))
        .def("forward", [](L& self, py::handle x_obj) {
            const std::string where = std::string(self.kind()) + ".forward";
            CArray<T> x = as_batch_matrix<T>(x_obj, where, "x", self.in_features());
            const std::size_t batch = static_cast<std::size_t>(x.shape(0));
            py::array_t<T> y({static_cast<py::ssize_t>(batch),
                              static_cast<py::ssize_t>(self.out_features())});
            {
                ReleaseGil release;
                std::lock_guard<std::mutex> lock(self.mutex());
                self.forward(x.data(), y.mutable_data(), batch);
            }
            return y;
        }, py::arg("x"))
        .def(
            "backward",
            [](L& self, py::handle dy_obj, bool need_dx) -> py::object {
                const std::string where = std::string(self.kind()) + ".backward";
                CArray<T> dy = as_batch_matrix<T>(dy_obj, where, "dy", self.out_features());
                const std::size_t batch = static_cast<std::size_t>(dy.shape(0));
                py::array_t<T> dx;
                if (need_dx)
                    dx = py::array_t<T>({static_cast<py::ssize_t>(batch),
                                         static_cast<py::ssize_t>(self.in_features())});
                T* dx_ptr = need_dx ? dx.mutable_data() : nullptr;
                {
                    ReleaseGil release;
                    std::lock_guard<std::mutex> lock(self.mutex());
                    self.backward(dy.data(), dx_ptr, batch);  // checks forward came first
                }
                if (!need_dx) return py::none();
                return std::move(dx);
            },
            py::arg("dy"), py::arg("need_dx") = true);
}

// make_layer(kind, dtype, in_features, out_features, options): a new layer of any registered unit.
// Sizes arrive checked (nalu_ext.layers.Layer: positive integers); std::size_t refuses negatives.
py::object make_layer(const std::string& kind, const std::string& dtype, std::size_t i, std::size_t o,
                      std::map<std::string, nalu::Options::Value> options) {
    return by_dtype(dtype, [&](auto zero) {
        return py::cast(nalu::make_layer<decltype(zero)>(kind, i, o, nalu::Options(std::move(options))));
    });
}

}  // namespace

void bind_layers(py::module_& m) {
    bind_layer_base<float>(m, "_f32");
    bind_layer_base<double>(m, "_f64");
    m.def("make_layer", &make_layer, py::arg("kind"), py::arg("dtype"), py::arg("in_features"),
          py::arg("out_features"), py::arg("options"),
          "A new layer of the registered unit `kind` (see unit_kinds()); options by name.");
    m.def("unit_kinds", &nalu::unit_names, "The names of the units the core registers.");
}

}  // namespace nalu_bindings
