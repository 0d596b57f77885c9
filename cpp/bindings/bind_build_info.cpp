#include <pybind11/pybind11.h>

#include "nalu/build_info.hpp"

namespace py = pybind11;

namespace nalu_bindings {

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
            return d;
        },
        "How the C++ core was compiled, read from the compiler's predefined macros.");
}

}  // namespace nalu_bindings
