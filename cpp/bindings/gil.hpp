// Releasing the GIL around pure C++ work, safely even while the interpreter shuts down.
//
// Why not pybind11's gil_scoped_release: a thread still inside such a call when the interpreter
// finalizes (a daemon thread, or a pool worker after a second Ctrl-C) is ended by CPython < 3.14
// with pthread_exit as soon as it asks for the GIL back. pthread_exit unwinds the thread's stack
// (a "forced unwind"); gil_scoped_release asks for the GIL in a noexcept destructor, so the unwind
// reaches std::terminate and the whole process aborts at exit (SIGABRT, status 134).
//
// ReleaseGil instead parks such a thread for good once the interpreter is exiting (what CPython
// 3.14 itself does with threads that ask for the GIL while it finalizes): the process exits around
// it. "Exiting" starts when the interpreter runs its atexit handlers, which is before it starts
// finalizing, so a thread that checks just before finalization starts still finds the flag set
// (mark_exiting is registered with atexit when the module loads). The thread that runs the exit
// itself is never parked: atexit handlers may still call nalu_ext. The destructor is also
// noexcept(false): should the forced unwind still come, it passes through (pybind11 rethrows it)
// instead of aborting.
#pragma once

#include <Python.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace nalu_bindings {

struct ExitState {
    std::atomic<bool> exiting{false};
    std::thread::id exiting_thread;  // written before `exiting` is set, read after it is seen
};

inline ExitState& exit_state() {
    static ExitState state;
    return state;
}

// Called by the interpreter's atexit handlers (see module.cpp), in the thread that runs the exit.
inline void mark_exiting() {
    exit_state().exiting_thread = std::this_thread::get_id();
    exit_state().exiting.store(true, std::memory_order_release);
}

// True for a thread that must not ask for the GIL again: the interpreter is exiting and this is
// not the thread that runs the exit.
inline bool must_park() {
    const ExitState& s = exit_state();
    if (s.exiting.load(std::memory_order_acquire)) return std::this_thread::get_id() != s.exiting_thread;
#if PY_VERSION_HEX >= 0x030D0000
    return Py_IsFinalizing() != 0;
#else
    return _Py_IsFinalizing() != 0;
#endif
}

class ReleaseGil {
public:
    ReleaseGil() : state_(PyEval_SaveThread()) {}
    ~ReleaseGil() noexcept(false) {
        while (must_park()) std::this_thread::sleep_for(std::chrono::hours(1));
        PyEval_RestoreThread(state_);
    }
    ReleaseGil(const ReleaseGil&) = delete;
    ReleaseGil& operator=(const ReleaseGil&) = delete;

private:
    PyThreadState* state_;
};

}  // namespace nalu_bindings
