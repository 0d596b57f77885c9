// The training loop of the benchmark tasks: every step trains on fresh rows of the task's
// training stream (rows [step·B, (step+1)·B), tasks/generator.hpp), so a run depends only on its
// seed; run() can be called in chunks (for logging) with exactly the result of one long run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "../tasks/generator.hpp"
#include "sequential.hpp"

namespace nalu {

template <class T>
class TaskFitter {
public:
    TaskFitter(Sequential<T>& model, Optimizer<T>& optimizer, tasks::TaskSpec spec,
               tasks::Ranges ranges, std::uint64_t seed, std::size_t batch_size, Loss loss)
        : model_(model), opt_(optimizer), spec_(spec), ranges_(std::move(ranges)), seed_(seed),
          batch_(batch_size), loss_(loss) {
        // The batch's buffers now, so that a batch too large for memory fails here, not mid-run.
        model_.input_buffer(batch_);
        ensure_size(targets_, batch_);
    }

    // Steps [first_step, first_step + steps): losses and regularizer terms per step; stops at the
    // first step that is not applied (Sequential::train_step: nothing of it is kept).
    FitChunk run(std::uint64_t first_step, std::size_t steps, double* losses, double* regularizers) {
        T* t = ensure_size(targets_, batch_);
        for (std::size_t s = 0; s < steps; ++s) {
            tasks::generate(model_.input_buffer(batch_), t, spec_, ranges_, seed_, kTrainStream,
                            (first_step + s) * batch_, batch_);
            const StepResult r = model_.train_step(t, batch_, loss_, opt_);
            if (r.divergence != Divergence::None) return {s, r.divergence, r.loss};
            losses[s] = r.loss;
            regularizers[s] = r.regularizer;
        }
        return {steps};
    }

    static constexpr std::uint64_t kTrainStream = 0;  // as nalu_ext.tasks.TRAIN_STREAM

private:
    Sequential<T>& model_;
    Optimizer<T>& opt_;
    tasks::TaskSpec spec_;
    tasks::Ranges ranges_;
    std::uint64_t seed_;
    std::size_t batch_;
    Loss loss_;
    std::vector<T> targets_;
};

}  // namespace nalu
