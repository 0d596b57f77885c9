// Kernel code is compiled once per instruction set: NALU_ISA names the namespace of this copy
// (nalu::baseline, nalu::avx2) and NALU_ISA_INDEX its nalu::Isa value. Everything such code
// defines, inline helpers included, must live in that namespace: otherwise the linker could merge
// an AVX2-compiled inline function into the baseline path and the "runs on any x86-64" promise
// would break. The kernel files therefore use raw pointers only (no std containers or strings,
// whose inline code would be shared), and never call kernels<Table>() (dispatch.hpp).
//
// A kernel source defines its table of function pointers with NALU_KERNEL_TABLE at its end;
// non-ISA code (the layers) reaches the running ISA's copy through kernels<Table>().
#pragma once

#ifndef NALU_ISA
#define NALU_ISA baseline
#define NALU_ISA_INDEX 0
#endif

#include "dispatch.hpp"

#define NALU_ISA_CONCAT2(a, b) a##b
#define NALU_ISA_CONCAT(a, b) NALU_ISA_CONCAT2(a, b)

// Records `table` (a static object of type Table, made of this ISA's functions) as this ISA's copy
// of Table, while the module loads, in a variable called `name`. The store happens in
// provide_kernels (compiled for the baseline), so no instruction of this ISA runs before dispatch
// has checked the CPU. (The name is the caller's: __COUNTER__ would be unique by itself, but Clang
// 22's -Wpedantic calls it a C2y extension.)
#define NALU_PROVIDE_KERNELS(Table, table, name)                                                  \
    namespace {                                                                                   \
    const bool name = ::nalu::provide_kernels(::nalu::KernelCopies<Table>::copies, NALU_ISA_INDEX, &(table)); \
    }

// Defines this ISA's copy of the table template Table<T> for float and double, from the
// initialisers of its members in order (which may name T, e.g. &forward<T>), and provides both.
// The variable template lives in an anonymous namespace: a namespace-scope const variable template
// has external linkage (the "const means internal" rule is for non-templates), and its mangled name
// does not include its type, so two sources' tables of the same name would be merged by the linker,
// one unit calling another's kernels (Clang did this to NacMulKernels and LossKernels while they
// were named by line, both at line 30).
#define NALU_KERNEL_TABLE(Table, ...)                                                             \
    namespace {                                                                                   \
    template <class T>                                                                            \
    const Table<T> NALU_ISA_CONCAT(nalu_table_, Table){__VA_ARGS__};                              \
    }                                                                                             \
    NALU_PROVIDE_KERNELS(Table<float>, NALU_ISA_CONCAT(nalu_table_, Table)<float>,               \
                         NALU_ISA_CONCAT(nalu_provided_float_, Table))                            \
    NALU_PROVIDE_KERNELS(Table<double>, NALU_ISA_CONCAT(nalu_table_, Table)<double>,             \
                         NALU_ISA_CONCAT(nalu_provided_double_, Table))
