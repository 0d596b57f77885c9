// The training loop's source of a benchmark task's rows (model/batch_source.hpp): the generator
// (generator.hpp) feeding the loop.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "../model/batch_source.hpp"
#include "generator.hpp"

namespace nalu {

// Fresh rows of a benchmark task every step: step s trains on rows [s·B, (s+1)·B) of the task's
// training stream (tasks/generator.hpp), so a run depends only on its seed.
template <class T>
class TaskSource : public BatchSource<T> {
public:
    TaskSource(tasks::TaskSpec spec, tasks::Ranges ranges, std::uint64_t seed)
        : spec_(spec), ranges_(std::move(ranges)), seed_(seed) {}

    const T* next(Sequential<T>& model, std::size_t batch, std::uint64_t step) override {
        T* t = ensure_size(targets_, batch);
        tasks::generate(model.input_buffer(batch), t, spec_, ranges_, seed_, tasks::kTrainStream, step * batch, batch);
        return t;
    }

private:
    tasks::TaskSpec spec_;
    tasks::Ranges ranges_;
    std::uint64_t seed_;
    std::vector<T> targets_;
};

}  // namespace nalu
