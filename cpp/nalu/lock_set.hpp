// Locks several mutexes at once in a global order (by address), so that two threads locking
// overlapping sets (two models sharing a layer, an optimizer shared by two models) cannot deadlock.
#pragma once

#include <algorithm>
#include <mutex>
#include <vector>

namespace nalu {

class LockSet {
public:
    explicit LockSet(std::vector<std::mutex*> mutexes) : held_(std::move(mutexes)) {
        std::sort(held_.begin(), held_.end());
        held_.erase(std::unique(held_.begin(), held_.end()), held_.end());
        for (std::mutex* m : held_) m->lock();
    }
    ~LockSet() {
        for (auto it = held_.rbegin(); it != held_.rend(); ++it) (*it)->unlock();
    }
    LockSet(const LockSet&) = delete;
    LockSet& operator=(const LockSet&) = delete;

private:
    std::vector<std::mutex*> held_;
};

}  // namespace nalu
