// The compiled module nalu_ext._core. Each area binds itself in its own bind_<area>.cpp.
#include <pybind11/pybind11.h>

#include <exception>
#include <stdexcept>

#include "gil.hpp"

namespace py = pybind11;

namespace nalu_bindings {
void bind_layers(py::module_& m);
void bind_build_info(py::module_& m);
void bind_optim(py::module_& m);
void bind_model(py::module_& m);
void bind_tasks(py::module_& m);
void bind_bench(py::module_& m);
}  // namespace nalu_bindings

PYBIND11_MODULE(_core, m) {
    m.doc() = "nalu_ext's C++ core: neural arithmetic unit kernels (use the nalu_ext package)";
    // The core throws std::length_error only for sizes whose byte count overflows (checked_mul,
    // std::vector): to Python that is a MemoryError, not pybind11's default ValueError.
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const std::length_error& e) {
            PyErr_SetString(PyExc_MemoryError, e.what());
        }
    });
    // From the interpreter's exit on, threads leaving a C++ call park instead of asking for the
    // GIL (gil.hpp).
    py::module_::import("atexit").attr("register")(py::cpp_function(&nalu_bindings::mark_exiting));
    nalu_bindings::bind_layers(m);
    nalu_bindings::bind_build_info(m);
    nalu_bindings::bind_optim(m);
    nalu_bindings::bind_model(m);
    nalu_bindings::bind_tasks(m);
    nalu_bindings::bind_bench(m);
}
