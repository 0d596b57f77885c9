"""The published NAU -> NAU recipe written in PyTorch, next to nalu_ext on the same data and
initial weights (needs torch; it is never a dependency of the package):

    python bench/torch_recipe.py --op sub --seed 0 [--steps 1100000] [--json FILE]

The PyTorch side follows stable-nalu: forward x clamp(W1)ᵀ clamp(W2)ᵀ, loss MSE + λ(t)·Σ mean
min(|W|, |1 − |W||) with λ̂ = 10 ramped from step 10⁶ to 2·10⁶, Adam lr 1e-3, batch 128, weights
clamped to [−1, 1] after each step. Both sides log validation MSE, test MSE over the success
threshold and the sparsity error every 1000 steps. Printed: the medians of each phase (before the
regularizer, during its ramp, at full strength) and the model the published analysis would select
(lowest validation MSE). The two runs share data and start but not rounding, so they part after a
few thousand steps; what is compared is their statistics.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Dict, List

import numpy as np

import nalu_ext
from nalu_ext.sweeps import build_model, make_run
from nalu_ext.tasks import ArithmeticTask

LOG_EVERY = 1000


def sparsity(weights: List[np.ndarray]) -> float:
    w = np.concatenate([x.ravel() for x in weights]).astype(np.float64)
    return float(np.max(np.minimum(np.abs(w), np.abs(1.0 - np.abs(w)))))


def torch_run(task: ArithmeticTask, spec: dict, steps: int) -> Dict[str, np.ndarray]:
    import torch

    torch.set_num_threads(1)
    model = build_model(spec)
    w1 = torch.tensor(model.layers[0].params["W"].copy(), requires_grad=True)
    w2 = torch.tensor(model.layers[1].params["W"].copy(), requires_grad=True)
    opt = torch.optim.Adam([w1, w2], lr=spec["optimizer"]["lr"])
    reg = spec["regularizer"]
    start, end, lam = reg["reg_start"], reg["reg_end"], reg["regularizer"]

    def penalty(w: "torch.Tensor") -> "torch.Tensor":
        a = w.abs()
        return torch.min(a, (1 - a).abs()).mean()

    xv, tv = (torch.from_numpy(a) for a in task.validation(10_000, "float32"))
    xt, tt = (torch.from_numpy(a) for a in task.test(10_000, "float32"))
    threshold = nalu_ext.success_threshold(task)
    logs: Dict[str, list] = {"val": [], "test_over_threshold": [], "sparsity": []}
    for step in range(steps):
        x, t = (torch.from_numpy(a) for a in task.batch(step, spec["batch_size"], "float32"))
        y = (x @ w1.clamp(-1, 1).T) @ w2.clamp(-1, 1).T
        scale = max(0.0, min(1.0, (step - start) / (end - start)))
        loss = ((y - t) ** 2).mean() + lam * scale * (penalty(w1) + penalty(w2))
        opt.zero_grad()
        loss.backward()
        opt.step()
        with torch.no_grad():
            w1.clamp_(-1, 1)
            w2.clamp_(-1, 1)
            if (step + 1) % LOG_EVERY == 0:
                logs["val"].append(float((((xv @ w1.T) @ w2.T - tv) ** 2).mean()))
                logs["test_over_threshold"].append(float((((xt @ w1.T) @ w2.T - tt) ** 2).mean()) / threshold)
                logs["sparsity"].append(sparsity([w1.numpy(), w2.numpy()]))
    return {k: np.array(v) for k, v in logs.items()}


def nalu_ext_run(task: ArithmeticTask, spec: dict, steps: int) -> Dict[str, np.ndarray]:
    model = build_model(spec)
    r = nalu_ext.train_task(model, task, nalu_ext.Adam(model.parameters(), lr=spec["optimizer"]["lr"]),
                            steps=steps, batch_size=spec["batch_size"], log_every=LOG_EVERY)
    return {"val": r.interpolation_mse, "test_over_threshold": r.extrapolation_mse / r.threshold,
            "sparsity": r.sparsity_error_curve}


def phases(spec: dict, steps: int) -> List[tuple]:
    reg = spec["regularizer"]
    bounds = [("before the regularizer", 0, reg["reg_start"]), ("its ramp", reg["reg_start"], reg["reg_end"]),
              ("full strength", reg["reg_end"], steps)]
    return [(name, lo // LOG_EVERY, min(hi, steps) // LOG_EVERY) for name, lo, hi in bounds if lo < steps]


def describe(name: str, logs: Dict[str, np.ndarray], spec: dict, steps: int) -> dict:
    out: dict = {"phases": {}}
    for phase, lo, hi in phases(spec, steps):
        out["phases"][phase] = {k: float(np.median(v[lo:hi])) for k, v in logs.items()}
        m = out["phases"][phase]
        print(f"  {name:8s} {phase:22s} median: validation MSE {m['val']:.1e}, test/threshold "
              f"{m['test_over_threshold']:.1e}, sparsity error {m['sparsity']:.1e}")
    k = int(np.argmin(logs["val"]))
    out["selected"] = {"step": (k + 1) * LOG_EVERY, **{key: float(v[k]) for key, v in logs.items()}}
    s = out["selected"]
    print(f"  {name:8s} selected (lowest validation MSE): step {s['step']}, test/threshold "
          f"{s['test_over_threshold']:.2e}, sparsity error {s['sparsity']:.2e}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--op", default="sub", choices=("add", "sub"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=1_100_000,
                        help="steps of the published 5e6-step schedule to run (default 1.1e6: into the ramp)")
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    try:
        import torch  # noqa: F401
    except ImportError:
        print("needs PyTorch: pip install torch==2.13.0", file=sys.stderr)
        return 1
    task = ArithmeticTask(args.op, seed=args.seed)
    spec = make_run("NAU", task, seed=args.seed, steps=5_000_000)   # the published schedule
    report = {"op": args.op, "seed": args.seed, "steps": args.steps, "date": time.strftime("%Y-%m-%d")}
    print(f"NAU -> NAU on ArithmeticTask({args.op!r}, seed={args.seed}), {args.steps} steps")
    for name, fn in (("nalu_ext", nalu_ext_run), ("torch", torch_run)):
        t0 = time.perf_counter()
        logs = fn(task, spec, args.steps)
        report[name] = describe(name, logs, spec, args.steps)
        report[name]["seconds"] = time.perf_counter() - t0
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
