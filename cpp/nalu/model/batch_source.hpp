// What the training loop takes its rows from (training_loop.hpp): fixed arrays (ArraySource) or a
// task's generator (tasks/task_source.hpp).
#pragma once

#include <cstddef>
#include <cstdint>

#include "sequential.hpp"

namespace nalu {

// Where a step's rows come from.
template <class T>
class BatchSource {
public:
    virtual ~BatchSource() = default;
    // Called at the start of every run(): the model's input may have been used in between.
    virtual void begin_chunk(Sequential<T>&, std::size_t /*batch*/) {}
    // Writes step `step`'s rows into the model's input buffer (Sequential::input_buffer) unless
    // they are there already, and returns the targets (batch, out).
    virtual const T* next(Sequential<T>& model, std::size_t batch, std::uint64_t step) = 0;
};

}  // namespace nalu
