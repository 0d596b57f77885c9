// Bindings of the optimizers: SGD_f32/_f64, Adam_f32/_f64, RMSprop_f32/_f64 over an Optimizer base.
//
// An optimizer is built from parameter arrays (model.parameters()). Each must be a view that a
// layer handed out: its NumPy base is the layer, which tells where the matching gradient lives.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "arrays.hpp"
#include "gil.hpp"
#include "nalu/lock_set.hpp"
#include "nalu/optim/adam.hpp"
#include "nalu/optim/rmsprop.hpp"
#include "nalu/optim/sgd.hpp"

namespace nalu_bindings {

namespace {

template <class T>
nalu::ParamSlot<T> slot_of(py::handle obj, std::size_t position) {
    const std::string where = "parameter " + std::to_string(position);
    if (!py::isinstance<py::array>(obj))
        throw py::type_error(where + ": expected a parameter array from model.parameters(), got " +
                             std::string(py::str(py::type::of(obj).attr("__name__"))));
    py::array arr = py::reinterpret_borrow<py::array>(obj);
    py::object base = arr.attr("base");
    while (py::isinstance<py::array>(base)) base = base.attr("base");  // a slice of a parameter view
    if (base.is_none() || !py::isinstance<nalu::Layer<T>>(base))
        throw py::type_error(where + ": expected a " + dtype_name<T>() +
                             " parameter array from model.parameters() (a view of a layer's "
                             "parameters), got an array of dtype " + std::string(py::str(arr.dtype())) +
                             " that no " + dtype_name<T>() + " layer owns");
    auto layer = base.cast<std::shared_ptr<nalu::Layer<T>>>();
    const T* data = static_cast<const T*>(arr.data());
    for (const auto& p : layer->param_info())
        if (data == layer->params() + p.offset && static_cast<std::size_t>(arr.size()) == p.size &&
            (arr.flags() & py::array::c_style))
            return {layer, layer->params() + p.offset, layer->grads() + p.offset, p.size};
    throw py::value_error(where + ": the array is a part of a " + layer->kind() +
                          " layer's parameters, not one whole parameter (pass model.parameters())");
}

template <class T>
std::vector<nalu::ParamSlot<T>> slots_of(const py::sequence& params) {
    if (py::len(params) == 0) throw py::value_error("the optimizer got an empty parameter list");
    std::vector<nalu::ParamSlot<T>> slots;
    std::set<const T*> seen;
    for (std::size_t i = 0; i < py::len(params); ++i) {
        slots.push_back(slot_of<T>(params[i], i));
        if (!seen.insert(slots.back().param).second)
            throw py::value_error("parameter " + std::to_string(i) +
                                  " appears more than once in the parameter list");
    }
    return slots;
}

nalu::ClipConfig clip_of(py::object value, py::object norm) {
    nalu::ClipConfig c;
    if (!value.is_none()) {
        c.value = value.cast<double>();
        if (!(c.value > 0.0)) throw py::value_error("clip_value must be > 0 (or None), got " + std::string(py::str(value)));
    }
    if (!norm.is_none()) {
        c.norm = norm.cast<double>();
        if (!(c.norm > 0.0)) throw py::value_error("clip_norm must be > 0 (or None), got " + std::string(py::str(norm)));
    }
    return c;
}

template <class T>
nalu::TwoCopyState<T>& named_state(nalu::Optimizer<T>& opt, const std::string& name) {
    std::string known;
    for (const auto& entry : opt.state()) {
        if (name == entry.first) return *entry.second;
        known += (known.empty() ? "" : ", ") + std::string(entry.first);
    }
    throw py::key_error("this optimizer has no state '" + name + "' (it has: " +
                        (known.empty() ? "none" : known) + ")");
}

template <class T>
void bind_for(py::module_& m, const std::string& suffix) {
    using O = nalu::Optimizer<T>;
    py::class_<O, std::shared_ptr<O>>(m, ("Optimizer" + suffix).c_str())
        .def_property("lr", &O::lr, &O::set_lr)
        .def_property("steps", &O::steps, [](O& self, long long t) {
            nalu::LockSet lock(self.mutexes());
            self.set_steps(t);
        })
        .def_property_readonly("state_names", [](O& self) {
            py::list names;
            for (const auto& entry : self.state()) names.append(entry.first);
            return names;
        })
        .def("get_state", [](O& self, const std::string& name) {
            // copies of the named state, one array per parameter, under the optimizer's locks
            auto& copies = named_state(self, name);
            py::list out;
            nalu::LockSet lock(self.mutexes());
            for (std::size_t i = 0; i < self.slots().size(); ++i) {
                py::array_t<T> a(static_cast<py::ssize_t>(self.slots()[i].size));
                std::copy(copies.in(i), copies.in(i) + self.slots()[i].size, a.mutable_data());
                out.append(a);
            }
            return out;
        }, py::arg("name"))
        .def("set_state", [](O& self, const std::string& name, py::sequence values) {
            auto& copies = named_state(self, name);
            const auto& slots = self.slots();
            if (py::len(values) != slots.size())
                throw py::value_error("state '" + name + "' needs " + std::to_string(slots.size()) +
                                      " arrays (one per parameter), got " + std::to_string(py::len(values)));
            std::vector<CArray<T>> arrays;
            for (std::size_t i = 0; i < slots.size(); ++i) {
                CArray<T> a = py::cast<CArray<T>>(values[i]);
                if (static_cast<std::size_t>(a.size()) != slots[i].size)
                    throw py::value_error("state '" + name + "' of parameter " + std::to_string(i) + " has " +
                                          std::to_string(a.size()) + " values, the parameter " +
                                          std::to_string(slots[i].size));
                arrays.push_back(std::move(a));
            }
            nalu::LockSet lock(self.mutexes());
            for (std::size_t i = 0; i < slots.size(); ++i)
                std::copy(arrays[i].data(), arrays[i].data() + slots[i].size, copies.current(i));
        }, py::arg("name"), py::arg("values"))
        .def("step", [](O& self) {  // false: the update was not applied (see Optimizer::step)
            ReleaseGil release;
            nalu::LockSet lock(self.mutexes());
            return self.step();
        });

    py::class_<nalu::Sgd<T>, O, std::shared_ptr<nalu::Sgd<T>>>(m, ("SGD" + suffix).c_str())
        .def(py::init([](py::sequence params, double lr, double momentum, py::object clip_value,
                         py::object clip_norm) {
            return std::make_shared<nalu::Sgd<T>>(slots_of<T>(params), lr, momentum,
                                                  clip_of(clip_value, clip_norm));
        }), py::arg("params"), py::arg("lr"), py::arg("momentum"), py::arg("clip_value"), py::arg("clip_norm"));
    py::class_<nalu::Adam<T>, O, std::shared_ptr<nalu::Adam<T>>>(m, ("Adam" + suffix).c_str())
        .def(py::init([](py::sequence params, double lr, double beta1, double beta2, double eps,
                         py::object clip_value, py::object clip_norm) {
            return std::make_shared<nalu::Adam<T>>(slots_of<T>(params), lr, beta1, beta2, eps,
                                                   clip_of(clip_value, clip_norm));
        }), py::arg("params"), py::arg("lr"), py::arg("beta1"), py::arg("beta2"), py::arg("eps"),
           py::arg("clip_value"), py::arg("clip_norm"));
    py::class_<nalu::RmsProp<T>, O, std::shared_ptr<nalu::RmsProp<T>>>(m, ("RMSprop" + suffix).c_str())
        .def(py::init([](py::sequence params, double lr, double alpha, double eps,
                         py::object clip_value, py::object clip_norm) {
            return std::make_shared<nalu::RmsProp<T>>(slots_of<T>(params), lr, alpha, eps,
                                                      clip_of(clip_value, clip_norm));
        }), py::arg("params"), py::arg("lr"), py::arg("alpha"), py::arg("eps"), py::arg("clip_value"),
           py::arg("clip_norm"));
}

}  // namespace

void bind_optim(py::module_& m) {
    bind_for<float>(m, "_f32");
    bind_for<double>(m, "_f64");
}

}  // namespace nalu_bindings
