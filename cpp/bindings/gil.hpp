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
// (mark_exiting is registered with atexit when the module loads). The destructor is also
// noexcept(false): should the forced unwind still come, it passes through (pybind11 rethrows it)
// instead of aborting.
#pragma once

#include <Python.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace nalu_bindings {

inline std::atomic<bool>& exiting_flag() {
    static std::atomic<bool> flag{false};
    return flag;
}

// Called by the interpreter's atexit handlers (see module.cpp).
inline void mark_exiting() { exiting_flag().store(true); }

inline bool interpreter_exiting() {
#if PY_VERSION_HEX >= 0x030D0000
    return exiting_flag().load() || Py_IsFinalizing() != 0;
#else
    return exiting_flag().load() || _Py_IsFinalizing() != 0;
#endif
}

class ReleaseGil {
public:
    ReleaseGil() : state_(PyEval_SaveThread()) {}
    ~ReleaseGil() noexcept(false) {
        while (interpreter_exiting()) std::this_thread::sleep_for(std::chrono::hours(1));
        PyEval_RestoreThread(state_);
    }
    ReleaseGil(const ReleaseGil&) = delete;
    ReleaseGil& operator=(const ReleaseGil&) = delete;

private:
    PyThreadState* state_;
};

}  // namespace nalu_bindings
