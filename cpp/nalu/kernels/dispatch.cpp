// Chooses the kernel table at run time (compiled with the default, portable flags).
#include <atomic>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernel_table.hpp"

namespace nalu {

namespace baseline {
template <class T> const KernelTable<T>& table();
}
#ifdef NALU_HAVE_AVX2
namespace avx2 {
template <class T> const KernelTable<T>& table();
}
#endif

namespace {

bool cpu_has_avx2_fma() {
#if defined(NALU_HAVE_AVX2) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
}

enum class Isa { Baseline, Avx2 };

// The best path this CPU runs. NALU_EXT_ISA is applied by the Python package on import (through
// set_isa, which rejects names it does not know).
Isa initial_isa() { return cpu_has_avx2_fma() ? Isa::Avx2 : Isa::Baseline; }

std::atomic<Isa>& current() {
    static std::atomic<Isa> isa{initial_isa()};
    return isa;
}

}  // namespace

template <class T>
const KernelTable<T>& kernels() {
#ifdef NALU_HAVE_AVX2
    if (current().load(std::memory_order_relaxed) == Isa::Avx2) return avx2::table<T>();
#endif
    return baseline::table<T>();
}
template const KernelTable<float>& kernels<float>();
template const KernelTable<double>& kernels<double>();

const char* active_isa() { return kernels<float>().isa; }

std::vector<std::string> available_isas() {
    std::vector<std::string> names{"baseline"};
    if (cpu_has_avx2_fma()) names.push_back("avx2");
    return names;
}

void set_isa(const std::string& name) {
    if (name == "baseline") {
        current() = Isa::Baseline;
    } else if (name == "avx2" && cpu_has_avx2_fma()) {
        current() = Isa::Avx2;
    } else {
        std::string known;
        for (const auto& n : available_isas()) known += (known.empty() ? "" : ", ") + n;
        throw std::invalid_argument("unknown or unsupported ISA '" + name + "' (this CPU runs: " + known + ")");
    }
}

}  // namespace nalu
