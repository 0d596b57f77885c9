"""Evidence for the differences between our run of the NPU paper's simple task and its table:
the suite's models beside variants that change one thing each, on the same seeds.

    python bench/npu_simple_variants.py [--seeds 20] [--json FILE]

Variants:
- Dense with hidden width 50 (2 -> 50 sigma -> 50 sigma -> 4): run.jl's Dense at e1b9a45; the suite
  uses width 10, run.jl's until commit a95aef0 (2020-05-31) made it 50: its results cache
  (DrWatson's produce_or_load with force=false) is keyed by niters, lr and run only, so results
  made before the change would have been reused, and width 10 is what reproduces the table.
- Dense, one hidden layer (2 -> 10 sigma -> 4): the architecture run.jl has commented out beside
  the two-layer one.
- NMU -> NAU with Madsen & Johansen's constraints (NMU W clamped into [0, 1] and NAU W into [-1, 1]
  after every step) instead of NeuralArithmetic.jl's (NMU clipped in the forward pass only, NAU
  unconstrained): what the issue's PyTorch transcription found changes the NMU's group on +.
- NPU with its own seed offset: the NPU and the RealNPU of the suite share their seeds, and on
  positive training data the NPU's imaginary weights get no gradient, so the two learn the same
  function; with other draws they differ as much as the published pair does.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time

import nalu_ext
from nalu_ext.benchmark import npu_simple


def variants(seed: int) -> dict:
    base = {f: npu_simple.make_run(f, seed=seed) for f in ("Dense", "NMU", "NPU", "RealNPU")}
    dense1 = copy.deepcopy(base["Dense"])
    dense1.update(network=["Dense", "Dense"], widths=[2, 10, 4], init=["glorot", "glorot"],
                  options=[{"activation": "sigmoid"}, {"activation": "identity"}])
    dense50 = copy.deepcopy(base["Dense"])
    dense50["widths"] = [2, 50, 50, 4]
    nmu_clamped = copy.deepcopy(base["NMU"])
    nmu_clamped["options"] = [{"constraint": "clamp"}, {"constraint": "clamp"}]
    npu_other = npu_simple.make_run("NPU", seed=seed + 1000)
    return {"Dense (width 10, the suite's)": base["Dense"], "Dense (width 50, run.jl at e1b9a45)": dense50,
            "Dense (1 hidden layer of 10)": dense1,
            "NMU (clip / unconstrained, the suite's)": base["NMU"], "NMU (clamped after each step)": nmu_clamped,
            "NPU (the suite's seeds)": base["NPU"], "RealNPU (the suite's seeds)": base["RealNPU"],
            "NPU (seeds + 1000)": npu_other}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    start = time.perf_counter()
    runs = {name: [] for name in variants(0)}
    for seed in range(args.seeds):
        for name, spec in variants(seed).items():
            runs[name].append(spec)
    report = {"date": time.strftime("%Y-%m-%d"), "seeds": args.seeds, "variants": {}}
    for name, specs in runs.items():
        summary = nalu_ext.benchmark.sweep(specs, progress=False, summarize=npu_simple.Summary)
        family = specs[0]["family"]
        report["variants"][name] = {r["op"]: {"mean": r["mean"], "se": r["se"]} for r in summary.rows}
        cells = "  ".join(f"{npu_simple.SYMBOLS[r['op']]} {r['mean']:.3g} ± {r['se']:.2g}" for r in summary.rows)
        published = "  ".join(f"{npu_simple.SYMBOLS[op]} {c['mae_mean']:.3g} ± {c['mae_se']:.2g}" for op in npu_simple.OPS
                              if (c := npu_simple.published_cell(family, op)) is not None)
        print(f"{name:42s} {cells}\n{'  published ' + family:42s} {published}")
    report["seconds"] = time.perf_counter() - start
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
