// How the core was compiled, read from the compiler's own predefined macros, so that tests can
// check the flags that were really in effect (not the ones a build script meant to pass).
#pragma once

#include <string>

namespace nalu {

struct BuildInfo {
    std::string build_type;  // CMAKE_BUILD_TYPE, from the build
    std::string cxx_flags;   // the flags CMake passed for that build type
    std::string compiler;    // e.g. "GNU 12.2.0"
    bool optimized;          // __OPTIMIZE__: -O1 or higher
    bool fast_math;          // __FAST_MATH__: -ffast-math or -Ofast (never in the default build)
    bool avx;                // __AVX__: compiled for AVX or newer (-march=native on such a CPU)
    bool asserts;            // assert() active (no NDEBUG)
};

BuildInfo build_info();

}  // namespace nalu
