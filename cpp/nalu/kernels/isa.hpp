// Kernel code is compiled once per instruction set: NALU_ISA names the namespace of this copy
// (nalu::baseline, nalu::avx2). Everything such code defines, inline helpers included, must live
// in that namespace: otherwise the linker could merge an AVX2-compiled inline function into the
// baseline path and the "runs on any x86-64" promise would break. The kernel files therefore use
// raw pointers only (no std containers or strings, whose inline code would be shared).
#pragma once

#ifndef NALU_ISA
#define NALU_ISA baseline
#endif
