// Run-time choice of the instruction set, for every kernel table alike.
//
// Kernel sources are compiled once per ISA (isa.hpp). Each copy registers its table of function
// pointers while the module loads (NALU_KERNEL_TABLE in isa.hpp); kernels<Table>() returns the
// copy of the running ISA: AVX-512 (F, BW, DQ, VL, with AVX2 and FMA) when the CPU has it, else
// AVX2+FMA when it has both, else the baseline, which runs on any x86-64 (and any other CPU).
// set_isa() switches at run time (the Python package applies NALU_EXT_ISA through it on import).
// Nothing here knows a unit: a table is any struct of function pointers.
#pragma once

#include <string>
#include <typeinfo>
#include <vector>

namespace nalu {

// In order: each path runs on every CPU that runs a later one.
enum class Isa : unsigned { Baseline = 0, Avx2 = 1, Avx512 = 2 };
constexpr unsigned kIsaCount = 3;

Isa current_isa();
const char* active_isa();
std::vector<std::string> available_isas();
// Switches every later kernel call to the named ISA; throws std::invalid_argument if the name is
// unknown or this CPU cannot run it.
void set_isa(const std::string& name);

// The copies of one kernel table, indexed by Isa; null until a kernel source provides one
// (constant-initialised, so set before any dynamic initialisation runs).
template <class Table>
struct KernelCopies {
    static inline const void* copies[kIsaCount] = {};
};

// Stores `table` as copy `isa` of a table (NALU_PROVIDE_KERNELS in isa.hpp); returns true.
bool provide_kernels(const void** copies, unsigned isa, const void* table);

[[noreturn]] void missing_kernels(const char* table);

// The running ISA's copy of Table; where the build has none for that ISA, the copy of the nearest
// earlier one (which the CPU also runs).
template <class Table>
const Table& kernels() {
    const void* const* copies = KernelCopies<Table>::copies;
    for (unsigned isa = static_cast<unsigned>(current_isa()) + 1; isa-- > 0;)
        if (copies[isa]) return *static_cast<const Table*>(copies[isa]);
    missing_kernels(typeid(Table).name());
}

}  // namespace nalu
