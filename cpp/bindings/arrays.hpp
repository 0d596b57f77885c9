// Validation and conversion of array arguments, shared by every binding.
//
// Every array that reaches C++ goes through here first: the dtype must be real (floating point or
// integer; it is converted to the layer's dtype), the shape must match, and the result is a
// C-contiguous array of T that the kernels can read. Errors name what was expected and what
// arrived, and are raised before the GIL is released.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

namespace nalu_bindings {

namespace py = pybind11;

template <class T>
using CArray = py::array_t<T, py::array::c_style | py::array::forcecast>;

template <class T>
constexpr const char* dtype_name() {
    return sizeof(T) == 4 ? "float32" : "float64";
}

// f(float{}) or f(double{}) by a dtype's name ("float32", "float64"); any other name is a
// TypeError that says so.
template <class F>
auto by_dtype(const std::string& dtype, F&& f) {
    if (dtype == "float32") return f(float{});
    if (dtype == "float64") return f(double{});
    throw py::type_error("dtype must be 'float32' or 'float64', got '" + dtype + "'");
}

inline std::string shape_str(const py::array& a) {
    std::string s = "(";
    for (py::ssize_t d = 0; d < a.ndim(); ++d) {
        if (d) s += ", ";
        s += std::to_string(a.shape(d));
    }
    return s + (a.ndim() == 1 ? ",)" : ")");
}

// Any array-like as a NumPy array, or TypeError.
inline py::array as_array(py::handle obj, const std::string& where, const char* name) {
    py::array arr = py::array::ensure(obj);
    if (!arr)
        throw py::type_error(where + ": expected " + name + " as a NumPy array, got " +
                             std::string(py::str(py::type::of(obj).attr("__name__"))));
    return arr;
}

// obj as a C-contiguous (rows, cols) array of T, where cols is fixed and rows is whatever arrived.
template <class T>
CArray<T> as_batch_matrix(py::handle obj, const std::string& where, const char* name,
                          std::size_t cols) {
    py::array arr = as_array(obj, where, name);
    const char kind = arr.dtype().kind();
    if (kind != 'f' && kind != 'i' && kind != 'u')
        throw py::type_error(where + ": expected " + name +
                             " with a real dtype (floating point or integer, converted to " +
                             dtype_name<T>() + "), got dtype " +
                             std::string(py::str(arr.dtype())));
    if (arr.ndim() != 2 || static_cast<std::size_t>(arr.shape(1)) != cols)
        throw py::value_error(where + ": expected " + name + " of shape (batch, " +
                              std::to_string(cols) + "), got shape " + shape_str(arr) +
                              (arr.ndim() == 1 ? " (pass a single sample as shape (1, " +
                                                     std::to_string(cols) + "))"
                                               : ""));
    // The converting constructor keeps NumPy's own error (MemoryError for a huge broadcast view);
    // CArray<T>::ensure would clear it and leave nothing to raise.
    return CArray<T>(py::reinterpret_borrow<py::object>(arr));
}

}  // namespace nalu_bindings
