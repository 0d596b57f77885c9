"""The kernels release the GIL, and a layer shared between threads stays consistent."""

from __future__ import annotations

import threading
import time

import numpy as np

import nalu_ext


def test_forward_releases_the_gil():
    """While one thread is inside a long C++ forward, another thread keeps running Python.

    With the GIL held for the whole call, the other thread could only run at its two ends (within
    one 5 ms switch interval); so we count its steps in the middle 40% of the call."""
    layer = nalu_ext.NALU(1024, 1024, seed=0, dtype="float64")  # one forward: 12.9 GFLOP in float64
    x = np.random.default_rng(0).normal(size=(2048, 1024))
    layer.forward(x)  # warm the workspace
    window = {}

    def worker() -> None:
        window["start"] = time.perf_counter()
        layer.forward(x)
        window["end"] = time.perf_counter()

    ticks = []
    thread = threading.Thread(target=worker)
    thread.start()
    while thread.is_alive():
        ticks.append(time.perf_counter())
    thread.join()

    duration = window["end"] - window["start"]
    assert duration > 0.05, "the forward calls were too short to observe; make them larger"
    lo, hi = window["start"] + 0.3 * duration, window["end"] - 0.3 * duration
    inside = sum(lo < t < hi for t in ticks)
    assert inside > 100, f"the main thread ran {inside} steps during the C++ call"


def test_one_layer_used_from_two_threads_gives_consistent_results():
    """The layer's workspace is locked per call: concurrent calls with different batch sizes
    neither crash nor mix their results."""
    layer = nalu_ext.NALU(64, 32, seed=0, dtype="float64")
    rng = np.random.default_rng(0)
    inputs = [rng.normal(size=(b, 64)) for b in (1, 50, 300)]
    expected = [layer.forward(x) for x in inputs]
    errors = []

    def hammer(offset: int) -> None:
        for i in range(60):
            k = (i + offset) % len(inputs)
            if not np.array_equal(layer.forward(inputs[k]), expected[k]):
                errors.append(k)

    threads = [threading.Thread(target=hammer, args=(o,)) for o in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
