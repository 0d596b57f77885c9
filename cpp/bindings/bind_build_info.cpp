// build_info(), the ISA switch, and the vector-math entry points the tests use on both ISA paths.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <stdexcept>
#include <string>

#include "gil.hpp"
#include "nalu/blas.hpp"
#include "nalu/build_info.hpp"
#include "nalu/isa/vecmath_kernels.hpp"

namespace py = pybind11;

namespace nalu_bindings {

namespace {

template <class T>
py::object apply_vecmath(const std::string& name, py::array_t<T, py::array::c_style | py::array::forcecast> x,
                         double eps) {
    const std::size_t n = static_cast<std::size_t>(x.size());
    py::array_t<T> out(x.size()), second(x.size());
    const nalu::VecmathKernels<T>& k = nalu::kernels<nalu::VecmathKernels<T>>();
    {
        ReleaseGil release;
        if (name == "exp") k.exp(out.mutable_data(), x.data(), n);
        else if (name == "log_abs_plus") k.log_abs_plus(out.mutable_data(), x.data(), static_cast<T>(eps), n);
        else if (name == "tanh") k.tanh(out.mutable_data(), x.data(), n);
        else if (name == "sigmoid_pair") k.sigmoid_pair(out.mutable_data(), second.mutable_data(), x.data(), n);
        else throw std::invalid_argument("unknown vecmath function '" + name + "'");
    }
    if (name == "sigmoid_pair") return py::make_tuple(out, second);
    return std::move(out);
}

}  // namespace

void bind_build_info(py::module_& m) {
    m.def(
        "build_info",
        [] {
            const nalu::BuildInfo b = nalu::build_info();
            py::dict d;
            d["build_type"] = b.build_type;
            d["cxx_flags"] = b.cxx_flags;
            d["compiler"] = b.compiler;
            d["optimized"] = b.optimized;
            d["fast_math"] = b.fast_math;
            d["avx"] = b.avx;
            d["asserts"] = b.asserts;
            d["isa"] = nalu::active_isa();
            d["isas"] = nalu::available_isas();
            d["blas"] = nalu::blas::describe();
            return d;
        },
        "How the C++ core was compiled (read from the compiler's predefined macros) and which "
        "instruction-set path runs its kernels ('isa') out of those this CPU can run ('isas'), and "
        "the BLAS used for large products ('blas').");
    // A product goes to BLAS only when each of its dimensions is at least this (blas.hpp): a layer
    // with fewer inputs or outputs computes every row the same way whatever the batch.
    m.attr("BLAS_MIN_DIMENSION") = nalu::blas::kMinDimension;
    m.def("set_isa", &nalu::set_isa, py::arg("name"),
          "Run the kernels on the named path ('baseline', 'avx2' or 'avx512'); for tests and benchmarks.");
    m.def("_vecmath", [](const std::string& name, py::array x, double eps) -> py::object {
        if (x.dtype().is(py::dtype::of<float>())) return apply_vecmath<float>(name, x, eps);
        return apply_vecmath<double>(name, x, eps);
    }, py::arg("name"), py::arg("x"), py::arg("eps") = 0.0);
}

}  // namespace nalu_bindings
