"""The benchmark suite's timing claims, measured:

    python bench/protocol_runs.py [--steps 5000000] [--json FILE] [--only ratios]

1. The protocol step against its floor and the fit step: for each unit family, the µs per step of
   train_task (fresh rows of ArithmeticTask every step, batch 128, logging every 1000 steps; and
   without the logs), of fit on fixed data (the same network, full batch of 128 rows) and of
   making the fresh rows alone, timed in interleaved rounds (medians), beside the step's physical
   floor (bench/floor.py: its multiply-adds, logs and values at rates measured in the same rounds);
   each family's fit step against the NALU's, the two timed back to back in each round.
2. A sweep of small runs with one worker thread and with two: the speed-up (medians of five
   alternating rounds).
3. Runs of published length per hour on all cores, for the published comparison's units (NAC,
   NALU, NAU, NMU in equal shares): from 1's protocol step times and 2's speed-up.
4. One NAU -> NMU and one NALU run on ArithmeticTask("mul") (100 inputs, batch 128, fresh samples
   every step, logging every 1000 steps) for --steps steps each, on one thread: wall time.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import os
import statistics
import sys
import time

import floor as step_floor
import nalu_ext
from nalu_ext import _core
from nalu_ext.benchmark.tasks import ArithmeticTask


def long_run(family: str, steps: int) -> dict:
    task = ArithmeticTask("mul", seed=0)
    spec = nalu_ext.benchmark.make_run(family, task, seed=0, steps=steps)
    model = nalu_ext.benchmark.sweeps.build_model(spec)
    t0 = time.perf_counter()
    result = nalu_ext.benchmark.train_task(model, task, nalu_ext.Adam(model.parameters(), lr=1e-3), steps=steps,
                                 log_every=1000)
    seconds = time.perf_counter() - t0
    return {"family": family, "steps": steps, "seconds": seconds, "us_per_step": 1e6 * seconds / steps,
            "success": result.success, "solved_at": result.solved_at, "test_mse": result.test_mse,
            "threshold": result.threshold}


def _seconds_to_generate(task: ArithmeticTask, batch: int, steps: int) -> float:
    """Seconds to make `steps` training batches of `task` in C++ (train_task's data alone)."""
    return _core._seconds_to_generate(task.input_size, task.a, task.b, task.op, list(task.interpolation),
                                      task.seed, batch, steps, "float32")


def _task(family: str) -> ArithmeticTask:
    """The task a family's step is timed on: multiplication for the multiplicative units."""
    return ArithmeticTask("mul" if family in ("NMU", "NALU", "iNALU", "NPU", "RealNPU") else "add", seed=0)


def _fit_us(family: str, task: ArithmeticTask, steps: int) -> float:
    """µs per step of fit, a new model of the family on 128 fixed rows of the task."""
    model = nalu_ext.benchmark.sweeps.build_model(nalu_ext.benchmark.make_run(family, task, seed=0, steps=steps))
    optimizer = nalu_ext.Adam(model.parameters(), lr=1e-3)
    x, t = task.validation(128, "float32")
    t0 = time.perf_counter()
    nalu_ext.fit(model, optimizer, x, t, steps=steps)
    return (time.perf_counter() - t0) / steps * 1e6


def step_ratios(families=("NAU", "NMU", "NAC", "NALU", "iNALU", "NPU", "RealNPU"), steps: int = 20000,
                rounds: int = 5) -> dict:
    """µs per step, per family, medians of interleaved rounds: the protocol (train_task, logging
    every 1000 steps), the same without logs (one log at the end), fit on fixed data, and the
    task's data alone (its batches made in C++ into one buffer); and the protocol step's floor
    (bench/floor.py), priced at the best rates measured over the rounds. (fit + data) / fit is
    the ratio this implementation's protocol step cannot go below while fit and the data are
    separate."""
    kinds = ("protocol", "protocol_without_logs", "fit", "data")
    samples: dict = {f: {k: [] for k in kinds} for f in families}
    rate_samples: list = []
    work: dict = {}

    def timed(run) -> float:
        t0 = time.perf_counter()
        run()
        return (time.perf_counter() - t0) / steps * 1e6

    for _ in range(rounds):
        rate_samples.append(step_floor.measure_rates())
        for family in families:
            task = _task(family)
            spec = nalu_ext.benchmark.make_run(family, task, seed=0, steps=steps)
            work[family] = step_floor.step_work(step_floor.layers_of(nalu_ext.benchmark.sweeps.build_model(spec)))
            for kind, log_every in (("protocol", 1000), ("protocol_without_logs", steps)):
                model = nalu_ext.benchmark.sweeps.build_model(spec)
                optimizer = nalu_ext.Adam(model.parameters(), lr=1e-3)
                samples[family][kind].append(timed(lambda: nalu_ext.benchmark.train_task(
                    model, task, optimizer, steps=steps, log_every=log_every)))
            samples[family]["fit"].append(_fit_us(family, task, steps))
            samples[family]["data"].append(_seconds_to_generate(task, 128, steps) / steps * 1e6)
    rates = {k: max(r[k] for r in rate_samples) for k in rate_samples[0]}
    out = {}
    for family, s in samples.items():
        m = {f"{kind}_us": statistics.median(s[kind]) for kind in kinds}
        fit = m["fit_us"]
        floor = step_floor.floor_us(work[family], rates)
        out[family] = {**m, "ratio": m["protocol_us"] / fit, "fit_and_data": (fit + m["data_us"]) / fit,
                       "logs_us": m["protocol_us"] - m["protocol_without_logs_us"], "work": work[family],
                       **floor, "vs_floor": m["protocol_us"] / floor["floor_us"]}
    nalu_fit = out["NALU"]["fit_us"] if "NALU" in out else float("nan")
    for family in out:
        out[family]["fit_vs_nalu"] = out[family]["fit_us"] / nalu_fit
    return {"steps": steps, "rounds": rounds, "rates": rates, "families": out, "samples_us": samples}


def fit_against_nalu(families: tuple = ("NAU", "NMU", "NAC", "iNALU", "NPU", "RealNPU"), steps: int = 10000,
                     rounds: int = 9) -> dict:
    """Each family's fit step against NALU's, timed back to back (NALU's, then the family's, each
    on its task as in step_ratios) in every round: the ratio of a pair timed a second apart,
    median over the rounds. The shared machine's speed drifts within a minute, which moves the
    ratio of two medians taken over step_ratios' longer rounds by tenths."""
    per_round: dict = {f: [] for f in families}
    for _ in range(rounds):
        for family in families:
            nalu = _fit_us("NALU", _task("NALU"), steps)
            per_round[family].append(_fit_us(family, _task(family), steps) / nalu)
    return {"steps": steps, "rounds": rounds,
            "families": {f: {"median": statistics.median(r), "min": min(r), "max": max(r), "per_round": r}
                         for f, r in per_round.items()}}


def sweep_scaling(runs_per_worker: int = 8, steps: int = 20000, rounds: int = 5) -> dict:
    """Median wall time of the same sweep on one and on two worker threads, the two timed in
    alternation so that a slow spell of the shared machine hits both alike."""
    runs = [nalu_ext.benchmark.make_run("NMU", ArithmeticTask("mul", seed=s), seed=s, steps=steps)
            for s in range(2 * runs_per_worker)]
    times: dict = {1: [], 2: []}
    for _ in range(rounds):
        for workers in (1, 2):
            with cf.ThreadPoolExecutor(max_workers=workers) as pool:
                time.sleep(0.3)
                t0 = time.perf_counter()
                nalu_ext.benchmark.sweep(runs, executor=pool, progress=False)
                times[workers].append(time.perf_counter() - t0)
    one, two = statistics.median(times[1]), statistics.median(times[2])
    return {"runs": len(runs), "steps_per_run": steps, "rounds": rounds, "seconds_1_thread": one,
            "seconds_2_threads": two, "speedup": one / two,
            "speedups_per_round": [a / b for a, b in zip(times[1], times[2])]}


def runs_per_hour(ratios: dict, speedup: float, steps: int = 5_000_000,
                  mix=("NAC", "NALU", "NAU", "NMU")) -> dict:
    """Runs of `steps` protocol steps per hour on all cores, for equal shares of `mix`: one run per
    worker thread, each at the protocol step time measured on one thread, times the measured
    speed-up of a sweep on all cores."""
    seconds = {f: ratios["families"][f]["protocol_us"] * steps / 1e6 for f in mix}
    return {"mix": list(mix), "steps": steps, "seconds_per_run_one_thread": seconds,
            "speedup": speedup, "runs_per_hour": 3600 / statistics.mean(seconds.values()) * speedup}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=5_000_000)
    parser.add_argument("--json", metavar="FILE")
    parser.add_argument("--only", choices=("ratios",), help="run only the step ratios (a few minutes)")
    args = parser.parse_args()
    report = {"cores": os.cpu_count(), "isa": nalu_ext.build_info()["isa"],
              "date": time.strftime("%Y-%m-%d")}
    report["ratios"] = ratios = step_ratios()
    rates = ratios["rates"]
    print(f"rates (best over the rounds): {rates['fma_per_s'] / 1e9:.1f} G float32 multiply-adds/s, "
          f"{rates['log_per_s'] / 1e9:.2f} G logs/s, {rates['value_per_s'] / 1e9:.2f} G task values/s")
    print(f"per step, median of {ratios['rounds']} interleaved rounds of {ratios['steps']} steps (protocol: "
          "train_task on fresh rows; logs: its evaluation every 1000 steps; fit: the same network on 128 "
          "fixed rows; data: the fresh rows alone; floor: bench/floor.py, macs + logs + values):")
    for family, r in ratios["families"].items():
        print(f"  {family:8s} protocol {r['protocol_us']:6.2f} us (logs {r['logs_us']:4.2f})  fit {r['fit_us']:5.2f} us  "
              f"data {r['data_us']:4.2f} us  floor {r['floor_us']:5.2f} us ({r['macs_us']:.2f} + {r['logarithms_us']:.2f} + "
              f"{r['values_us']:.2f})  protocol/floor {r['vs_floor']:4.2f}x  protocol/fit {r['ratio']:4.2f}x  "
              f"fit/NALU fit {r['fit_vs_nalu']:4.2f}x")
    report["fit_vs_nalu"] = pairs = fit_against_nalu()
    print(f"fit step against NALU's fit step, timed back to back, median of {pairs['rounds']} rounds of "
          f"{pairs['steps']} steps (the range over rounds):")
    for family, r in pairs["families"].items():
        print(f"  {family:8s} {r['median']:4.2f}x ({r['min']:4.2f}-{r['max']:4.2f}x)")
    if args.only == "ratios":
        return _write(report, args.json)
    report["scaling"] = s = sweep_scaling()
    print(f"sweep of {s['runs']} runs x {s['steps_per_run']} steps, median of {s['rounds']} rounds: "
          f"1 thread {s['seconds_1_thread']:.2f} s, 2 threads {s['seconds_2_threads']:.2f} s: {s['speedup']:.2f}x")
    report["runs_per_hour"] = h = runs_per_hour(ratios, s["speedup"], args.steps)
    print(f"runs of {h['steps']} steps per hour on {report['cores']} cores, {'/'.join(h['mix'])} in equal "
          f"shares: {h['runs_per_hour']:.0f}")
    report["long_runs"] = []
    for family in ("NMU", "NALU"):
        r = long_run(family, args.steps)
        report["long_runs"].append(r)
        print(f"one {family} run on mul, {r['steps']} steps, one thread: {r['seconds']:.1f} s "
              f"({r['us_per_step']:.1f} us/step); success {r['success']}, solved at {r['solved_at']}")
    return _write(report, args.json)


def _write(report: dict, path) -> int:
    if path:
        with open(path, "w") as f:
            json.dump(report, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
