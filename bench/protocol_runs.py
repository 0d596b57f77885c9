"""The benchmark suite's timing claims, measured:

    python bench/protocol_runs.py [--steps 5000000] [--json FILE]

1. One NAU -> NMU run on ArithmeticTask("mul") (100 inputs, batch 128, fresh samples every step,
   logging every 1000 steps) for --steps steps, on one thread: wall time.
2. A sweep of small runs with one worker thread and with two: the speed-up (medians of five
   alternating rounds).
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import os
import statistics
import sys
import time

import nalu_ext
from nalu_ext.tasks import ArithmeticTask


def long_run(steps: int) -> dict:
    task = ArithmeticTask("mul", seed=0)
    spec = nalu_ext.make_run("NMU", task, seed=0, steps=steps)
    model = nalu_ext.sweeps.build_model(spec)
    t0 = time.perf_counter()
    result = nalu_ext.train_task(model, task, nalu_ext.Adam(model.parameters(), lr=1e-3), steps=steps,
                                 log_every=1000)
    seconds = time.perf_counter() - t0
    return {"steps": steps, "seconds": seconds, "us_per_step": 1e6 * seconds / steps,
            "success": result.success, "solved_at": result.solved_at, "test_mse": result.test_mse,
            "threshold": result.threshold}


def sweep_scaling(runs_per_worker: int = 8, steps: int = 20000, rounds: int = 5) -> dict:
    """Median wall time of the same sweep on one and on two worker threads, the two timed in
    alternation so that a slow spell of the shared machine hits both alike."""
    runs = [nalu_ext.make_run("NMU", ArithmeticTask("mul", seed=s), seed=s, steps=steps)
            for s in range(2 * runs_per_worker)]
    times: dict = {1: [], 2: []}
    for _ in range(rounds):
        for workers in (1, 2):
            with cf.ThreadPoolExecutor(max_workers=workers) as pool:
                time.sleep(0.3)
                t0 = time.perf_counter()
                nalu_ext.sweep(runs, executor=pool, progress=False)
                times[workers].append(time.perf_counter() - t0)
    one, two = statistics.median(times[1]), statistics.median(times[2])
    return {"runs": len(runs), "steps_per_run": steps, "rounds": rounds, "seconds_1_thread": one,
            "seconds_2_threads": two, "speedup": one / two,
            "speedups_per_round": [a / b for a, b in zip(times[1], times[2])]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=5_000_000)
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    report = {"cores": os.cpu_count(), "isa": nalu_ext.build_info()["isa"],
              "date": time.strftime("%Y-%m-%d")}
    report["scaling"] = s = sweep_scaling()
    print(f"sweep of {s['runs']} runs x {s['steps_per_run']} steps, median of {s['rounds']} rounds: "
          f"1 thread {s['seconds_1_thread']:.2f} s, 2 threads {s['seconds_2_threads']:.2f} s: {s['speedup']:.2f}x")
    report["long_run"] = r = long_run(args.steps)
    print(f"one NAU->NMU run, {r['steps']} steps, one thread: {r['seconds']:.1f} s "
          f"({r['us_per_step']:.1f} us/step); success {r['success']}, solved at {r['solved_at']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
