// Chooses the instruction set at run time (compiled with the default, portable flags).
#include "dispatch.hpp"

#include <atomic>
#include <stdexcept>
#include <string>
#include <vector>

namespace nalu {

namespace {

constexpr const char* kNames[kIsaCount] = {"baseline", "avx2", "avx512"};

#if defined(__GNUC__) || defined(__clang__)
bool cpu_has_avx2_fma() {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

// The subsets the AVX-512 copy is compiled for (CMakeLists.txt): Skylake-SP, Ice Lake, Zen 4 on.
bool cpu_has_avx512() {
    return cpu_has_avx2_fma() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
}
#endif

// Whether this build has the copy of `isa` and this CPU runs it.
bool runs(Isa isa) {
    switch (isa) {
        case Isa::Baseline: return true;
#if defined(NALU_HAVE_AVX2) && (defined(__GNUC__) || defined(__clang__))
        case Isa::Avx2: return cpu_has_avx2_fma();
#endif
#if defined(NALU_HAVE_AVX512) && (defined(__GNUC__) || defined(__clang__))
        case Isa::Avx512: return cpu_has_avx512();
#endif
        default: return false;
    }
}

// The best path this CPU runs. NALU_EXT_ISA is applied by the Python package on import (through
// set_isa, which rejects names it does not know).
Isa initial_isa() {
    for (unsigned isa = kIsaCount; isa-- > 0;)
        if (runs(static_cast<Isa>(isa))) return static_cast<Isa>(isa);
    return Isa::Baseline;
}

std::atomic<Isa>& current() {
    static std::atomic<Isa> isa{initial_isa()};
    return isa;
}

}  // namespace

Isa current_isa() { return current().load(std::memory_order_relaxed); }

const char* active_isa() { return kNames[static_cast<unsigned>(current_isa())]; }

std::vector<std::string> available_isas() {
    std::vector<std::string> names;
    for (unsigned isa = 0; isa < kIsaCount; ++isa)
        if (runs(static_cast<Isa>(isa))) names.push_back(kNames[isa]);
    return names;
}

void set_isa(const std::string& name) {
    for (unsigned isa = 0; isa < kIsaCount; ++isa)
        if (name == kNames[isa] && runs(static_cast<Isa>(isa))) {
            current() = static_cast<Isa>(isa);
            return;
        }
    std::string known;
    for (const auto& n : available_isas()) known += (known.empty() ? "" : ", ") + n;
    throw std::invalid_argument("unknown or unsupported ISA '" + name + "' (this CPU runs: " + known + ")");
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
