"""CPU micro-benchmarks: nalu_ext against hand-written NumPy and PyTorch eager, in one run.

    python bench/run.py [--quick] [--json FILE] [--configs toy,paper,wide,big]

For each configuration (a NALU stack, a batch, float32) it times one full training step
(forward, MSE loss, backward, Adam update) as: nalu_ext `fit` (the loop in C++), nalu_ext
`train_step` called from a Python loop, the NumPy peer, and PyTorch eager (when installed), and
prints the medians and the ratios. All figures of a table come from the same process run, so the
ratios hold even though absolute times drift on a shared machine. Further sections: float64
against float32, forward latency at batch 1, NumPy's own sgemm rate at 1024^3 and at each
one-layer configuration's product shape (the references for the effective GEMM rate of the wide
and big configurations), and memory over a long fit.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from typing import Any, Callable, Dict, List

import numpy as np

import nalu_ext

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peers import NumpyNalu, torch_peer  # noqa: E402

CONFIGS: Dict[str, Dict[str, Any]] = {
    "toy": {"widths": (2, 1), "batch": 100, "label": "NALU 2->1, batch 100"},
    "paper": {"widths": (100, 2, 1), "batch": 128, "label": "NALU 100->2->1, batch 128"},
    "wide": {"widths": (256, 256), "batch": 256, "label": "NALU 256->256, batch 256"},
    "big": {"widths": (1024, 1024), "batch": 1024, "label": "NALU 1024->1024, batch 1024"},
}


# OpenBLAS (NumPy's and nalu_ext's) and PyTorch's OpenMP keep their worker threads spinning for a
# while after each use. On a 2-core machine a spinning pool of one peer slows the next one, so
# each measurement starts after the others have gone quiet.
QUIET_SECONDS = 0.3


def calibrate(run: Callable[[int], None], min_time: float) -> int:
    """How many calls of run make one timing of about min_time seconds."""
    n = 1
    while True:
        t0 = time.perf_counter()
        run(n)
        elapsed = time.perf_counter() - t0
        if elapsed >= min_time / 4 or n >= 1 << 24:
            return max(1, int(n * min_time / max(elapsed, 1e-9)))
        n *= 4


def interleaved_medians(variants: Dict[str, Callable[[int], None]], min_time: float,
                        rounds: int) -> Dict[str, float]:
    """Median seconds per call of each variant, measured in rounds in which every variant runs
    once: a slow spell of the shared machine then hits all variants alike, not one of them."""
    counts = {}
    for name, run in variants.items():
        time.sleep(QUIET_SECONDS)
        run(3)  # first calls pay one-time costs (allocation, lazy initialisation)
        counts[name] = calibrate(run, min_time)
    samples: Dict[str, List[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, run in variants.items():
            time.sleep(QUIET_SECONDS)
            run(max(1, counts[name] // 10))  # wake the caches and any worker threads, untimed
            t0 = time.perf_counter()
            run(counts[name])
            samples[name].append((time.perf_counter() - t0) / counts[name])
    return {name: statistics.median(times) for name, times in samples.items()}


def median_seconds(run: Callable[[int], None], min_time: float, repeats: int) -> float:
    return interleaved_medians({"only": run}, min_time, repeats)["only"]


def data(widths, batch, dtype):
    rng = np.random.default_rng(0)
    x = rng.uniform(1.0, 2.0, size=(batch, widths[0])).astype(dtype)
    y = rng.uniform(1.0, 2.0, size=(batch, widths[-1])).astype(dtype)
    return x, y


def nalu_model(widths, dtype):
    layers = [nalu_ext.NALU(i, o, dtype=dtype, seed=k) for k, (i, o) in enumerate(zip(widths[:-1], widths[1:]))]
    model = nalu_ext.Sequential(*layers)
    return model, nalu_ext.Adam(model.parameters(), lr=1e-3)


def step_variants(widths, batch, threads) -> Dict[str, Callable[[int], None]]:
    """The runs that one configuration compares: each does n training steps."""
    variants: Dict[str, Callable[[int], None]] = {}
    for dtype, label in ((np.float32, "fit"), (np.float64, "fit_float64")):
        x, y = data(widths, batch, dtype)
        model, opt = nalu_model(widths, dtype)
        variants[label] = lambda n, m=model, o=opt, x=x, y=y: nalu_ext.fit(m, o, x, y, steps=n)
    x, y = data(widths, batch, np.float32)
    model, opt = nalu_model(widths, np.float32)

    def loop(n, m=model, o=opt):
        for _ in range(n):
            m.train_step(x, y, o)

    variants["train_step"] = loop
    peer = NumpyNalu(widths, np.dtype(np.float32))

    def numpy_steps(n):
        with np.errstate(all="ignore"):
            for _ in range(n):
                peer.step(x, y)

    variants["numpy"] = numpy_steps
    torch = torch_peer(widths, np.dtype(np.float32), threads)
    if torch is not None:
        step = torch[0](x, y)

        def torch_steps(n):
            for _ in range(n):
                step()

        variants["torch"] = torch_steps
    return variants


# Two-layer networks 100 -> 2 -> 1 of each unit; the multiplication unit as the protocol uses it,
# after an NAU (an NMU over 100 inputs in [1, 2] would multiply them all and overflow).
UNIT_NETWORKS = {
    "NAC": lambda: [nalu_ext.NAC(100, 2, seed=0), nalu_ext.NAC(2, 1, seed=1)],
    "NALU": lambda: [nalu_ext.NALU(100, 2, seed=0), nalu_ext.NALU(2, 1, seed=1)],
    "NAU": lambda: [nalu_ext.NAU(100, 2, regularizer=0.01, seed=0), nalu_ext.NAU(2, 1, seed=1)],
    "NAU->NMU": lambda: [nalu_ext.NAU(100, 2, regularizer=0.01, seed=0), nalu_ext.NMU(2, 1, regularizer=0.01, seed=1)],
    "iNALU": lambda: [nalu_ext.iNALU(100, 2, seed=0), nalu_ext.iNALU(2, 1, seed=1)],
    "NPU": lambda: [nalu_ext.NPU(100, 2, seed=0), nalu_ext.NPU(2, 1, seed=1)],
    "RealNPU": lambda: [nalu_ext.RealNPU(100, 2, seed=0), nalu_ext.RealNPU(2, 1, seed=1)],
}


def unit_variants(batch) -> Dict[str, Callable[[int], None]]:
    """fit of each unit's network (float32, full batch), n steps per call."""
    x, y = data((100, 2, 1), batch, np.float32)
    variants = {}
    for name, make in UNIT_NETWORKS.items():
        model = nalu_ext.Sequential(*make())
        opt = nalu_ext.Adam(model.parameters(), lr=1e-3)
        variants[name] = lambda n, m=model, o=opt: nalu_ext.fit(m, o, x, y, steps=n)
    return variants


def sgemm_rate(min_time, repeats, n=1024, shape=None):
    """NumPy's float32 GEMM rate in FLOP/s: n x n by n x n, or (m, k) by (k, n) for shape (m, k, n)."""
    m, k, n = shape or (n, n, n)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    seconds = median_seconds(lambda reps: [a @ b for _ in range(reps)], min_time, repeats)
    return 2.0 * m * k * n / seconds


def memory_growth(steps_short: int = 10_000, steps_long: int = 1_000_000) -> Dict[str, Any]:
    """Peak RSS after a short and after a long fit of the toy model, each in a fresh process."""
    import subprocess

    code = (
        "import resource, numpy as np, nalu_ext\n"
        "x = np.random.default_rng(0).uniform(1, 2, (100, 2)).astype(np.float32)\n"
        "y = x[:, :1] * x[:, 1:]\n"
        "m = nalu_ext.Sequential(nalu_ext.NALU(2, 1, seed=0))\n"
        "o = nalu_ext.Adam(m.parameters())\n"
        "nalu_ext.fit(m, o, x, y, steps=1000)\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "nalu_ext.fit(m, o, x, y, steps={steps})\n"
        "print(before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    out = {}
    for label, steps in (("short", steps_short), ("long", steps_long)):
        res = subprocess.run([sys.executable, "-c", code.format(steps=steps)], capture_output=True,
                             text=True, check=True)
        before, after = map(int, res.stdout.split())
        out[label] = {"steps": steps, "peak_rss_kib_before": before, "peak_rss_kib_after": after}
    out["difference_kib"] = out["long"]["peak_rss_kib_after"] - out["short"]["peak_rss_kib_after"]
    return out


def machine() -> Dict[str, Any]:
    model = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info = nalu_ext.build_info()
    torch_version = None
    peer = torch_peer((1, 1), np.dtype(np.float32), 1)
    if peer is not None:
        torch_version = peer[2]()
    return {"cpu": model, "cores": os.cpu_count(), "isa": info.get("isa", "baseline"),
            "blas": info.get("blas", "none"), "numpy": np.__version__, "torch": torch_version,
            "python": platform.python_version(), "date": time.strftime("%Y-%m-%d")}


def fmt_us(seconds):
    return "     -" if seconds is None else f"{seconds * 1e6:10.1f}"


def ratio(a, b):
    return None if a is None or b is None else a / b


def main(argv: List[str] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="shorter timings, no 'big' config, no memory check (under a minute)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--configs", default=None, help="comma-separated subset of " + ",".join(CONFIGS))
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="PyTorch threads (default: all cores)")
    args = parser.parse_args(argv)
    min_time, repeats = (0.05, 3) if args.quick else (0.2, 7)
    names = args.configs.split(",") if args.configs else [n for n in CONFIGS if not (args.quick and n == "big")]

    report: Dict[str, Any] = {"machine": machine(), "command": " ".join(["python", "bench/run.py"] + (argv or sys.argv[1:])),
                              "configs": {}}
    m = report["machine"]
    print(f"machine: {m['cpu']}, {m['cores']} cores, ISA path {m['isa']}, BLAS {m['blas']}; "
          f"numpy {m['numpy']}, torch {m['torch'] or 'not installed'}; {m['date']}")
    gemm = sgemm_rate(min_time, repeats)
    report["numpy_sgemm_gflops"] = gemm / 1e9
    print(f"NumPy sgemm 1024x1024 float32: {gemm / 1e9:.1f} GFLOP/s\n")

    print(f"{'float32, one training step':28s} {'fit us':>10s} {'loop us':>10s} {'numpy us':>10s} {'torch us':>10s}"
          f" {'vs numpy':>9s} {'vs torch':>9s} {'loop-fit':>9s}")
    for name in names:
        cfg = CONFIGS[name]
        w, b = cfg["widths"], cfg["batch"]
        r: Dict[str, Any] = {"torch": None}
        r.update(interleaved_medians(step_variants(w, b, args.threads), min_time, repeats))
        r["speedup_vs_numpy"] = ratio(r["numpy"], r["fit"])
        r["speedup_vs_torch"] = ratio(r["torch"], r["fit"])
        r["python_loop_overhead_us"] = (r["train_step"] - r["fit"]) * 1e6
        r["float64_speed_fraction"] = r["fit"] / r["fit_float64"]
        if len(w) == 2:  # one first layer: forward 3 GEMMs, backward 3 (dx is not needed)
            r["gemm_flops_per_step"] = 12.0 * b * w[0] * w[1]
            r["effective_gemm_gflops"] = r["gemm_flops_per_step"] / r["fit"] / 1e9
            r["fraction_of_numpy_sgemm"] = r["effective_gemm_gflops"] * 1e9 / gemm
            # the same bound at the step's own product shape, (b, in) by (in, out): NumPy's
            # sgemm runs small products below its 1024^3 rate, which no step can beat
            if min(b, *w) >= 16:  # a GEMM shape (toy's 2 -> 1 is not one)
                at_shape = sgemm_rate(min_time, repeats, shape=(b, w[0], w[1]))
                r["numpy_sgemm_gflops_at_shape"] = at_shape / 1e9
                r["fraction_of_numpy_sgemm_at_shape"] = r["effective_gemm_gflops"] * 1e9 / at_shape
        report["configs"][name] = r
        vt = "        -" if r["speedup_vs_torch"] is None else f"{r['speedup_vs_torch']:8.1f}x"
        print(f"{name + ': ' + cfg['label']:28.28s} {fmt_us(r['fit'])} {fmt_us(r['train_step'])} {fmt_us(r['numpy'])}"
              f" {fmt_us(r['torch'])} {r['speedup_vs_numpy']:8.1f}x {vt} {r['python_loop_overhead_us']:8.2f}")

    print("\nfloat64 (fit) against float32 (fit):")
    for name in names:
        r = report["configs"][name]
        print(f"  {name:6s} float64 {r['fit_float64'] * 1e6:10.1f} us/step = {r['float64_speed_fraction']:.2f} of float32 speed")
    for name in names:
        r = report["configs"][name]
        if "fraction_of_numpy_sgemm_at_shape" in r:
            print(f"  {name:6s} effective GEMM rate {r['effective_gemm_gflops']:.1f} GFLOP/s = "
                  f"{100 * r['fraction_of_numpy_sgemm']:.0f}% of NumPy's sgemm at 1024^3, "
                  f"{100 * r['fraction_of_numpy_sgemm_at_shape']:.0f}% of its "
                  f"{r['numpy_sgemm_gflops_at_shape']:.1f} GFLOP/s at the step's own shape")

    # Every unit, in the benchmark protocol's network shape.
    units = interleaved_medians(unit_variants(128), min_time, repeats)
    report["units"] = {name: {"fit_us": sec * 1e6} for name, sec in units.items()}
    print("\nevery unit, fit, float32, two layers 100->2->1, batch 128 (nalu_ext only: the NumPy and "
          "PyTorch peers implement the NALU):")
    print("  " + "  ".join(f"{name} {sec * 1e6:.1f} us" for name, sec in units.items()))

    # Forward latency at batch 1, NALU 100 -> 2.
    x1 = np.random.default_rng(1).uniform(1, 2, size=(1, 100)).astype(np.float32)
    layer = nalu_ext.NALU(100, 2, seed=0)
    ours = median_seconds(lambda n: [layer.forward(x1) for _ in range(n)], min_time, repeats)
    peer = torch_peer((100, 2), np.dtype(np.float32), args.threads)
    theirs = None
    if peer is not None:
        fwd = peer[1](x1)
        theirs = median_seconds(lambda n: [fwd() for _ in range(n)], min_time, repeats)
    report["forward_batch1"] = {"nalu_ext": ours, "torch": theirs, "speedup_vs_torch": ratio(theirs, ours)}
    print(f"\nforward latency, NALU 100->2, batch 1: nalu_ext {ours * 1e6:.2f} us, torch "
          + ("-" if theirs is None else f"{theirs * 1e6:.1f} us ({theirs / ours:.0f}x)"))

    if not args.quick:
        mem = memory_growth()
        report["memory"] = mem
        print(f"\nmemory: peak RSS after {mem['short']['steps']} fit steps {mem['short']['peak_rss_kib_after']} KiB, "
              f"after {mem['long']['steps']} steps {mem['long']['peak_rss_kib_after']} KiB "
              f"(difference {mem['difference_kib']} KiB)")

    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
