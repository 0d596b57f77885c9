// The core's arithmetic peak, measured: the floor that bench/protocol_runs.py sets each protocol
// step against (docs/performance.md#the-floor) is counted in multiply-adds at this rate.
#pragma once

#include <cstddef>

#include "dispatch.hpp"

namespace nalu {

// Reached through kernels<PeakKernels<T>>() (dispatch.hpp), one copy per ISA.
template <class T>
struct PeakKernels {
    // Runs `rounds` × fma_chain_lanes() independent multiply-adds in T (fused where the ISA has FMA,
    // a multiply and an add on the baseline) and returns a value that depends on all of them, so
    // that none is optimised away.
    T (*fma_chains)(std::size_t rounds);
    // Multiply-adds per round: independent chains (enough to hide the FMA latency on every port)
    // times the lanes of one register.
    std::size_t (*fma_chain_lanes)();
};

}  // namespace nalu
