// Chooses the instruction set at run time (compiled with the default, portable flags).
#include "dispatch.hpp"

#include <atomic>
#include <stdexcept>
#include <string>
#include <vector>

namespace nalu {

namespace {

bool cpu_has_avx2_fma() {
#if defined(NALU_HAVE_AVX2) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
}

// The best path this CPU runs. NALU_EXT_ISA is applied by the Python package on import (through
// set_isa, which rejects names it does not know).
Isa initial_isa() { return cpu_has_avx2_fma() ? Isa::Avx2 : Isa::Baseline; }

std::atomic<Isa>& current() {
    static std::atomic<Isa> isa{initial_isa()};
    return isa;
}

}  // namespace

Isa current_isa() { return current().load(std::memory_order_relaxed); }

const char* active_isa() { return current_isa() == Isa::Avx2 ? "avx2" : "baseline"; }

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

bool provide_kernels(const void** copies, unsigned isa, const void* table) {
    copies[isa] = table;
    return true;
}

void missing_kernels(const char* table) {
    // A build error (a kernel source left out of the module), never a user's: fail loudly.
    throw std::logic_error(std::string("nalu_ext was built without the kernels of ") + table);
}

}  // namespace nalu
