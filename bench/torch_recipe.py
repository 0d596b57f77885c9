"""A family's published recipe written in PyTorch, next to nalu_ext on the same data and initial
weights (needs torch; it is never a dependency of the package):

    python bench/torch_recipe.py --family NAU --op sub --seed 0 [--steps 1100000] [--json FILE]

The PyTorch side transcribes stable-nalu's layers (AndreasMadsen/stable-nalu@3e31a1d, cited per
unit below) and its training loop (experiments/simple_function_static.py): MSE plus
λ(t)·Σ regularizer for the NAU/NMU layers, `torch.optim.Adam`, batch 128, the NAU/NMU weights
clamped after each step, with the family's recipe (`nalu_ext.benchmark.RECIPES`: its regularizer schedule,
initialisation and learning rate). Both sides log validation MSE, test MSE over the success
threshold and the sparsity error every 1000 steps. Printed: the medians of each phase of the
regularizer's schedule (or of the run's fifths when there is none) and the model the published
analysis selects (lowest validation MSE). The two runs share data and start but not rounding, so
they part after a few thousand steps; what is compared is their statistics.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any, Callable, Dict, List

import numpy as np

import nalu_ext
from nalu_ext.benchmark.sweeps import RECIPES, build_model, make_run
from nalu_ext.benchmark.tasks import ArithmeticTask
from nalu_ext.benchmark.verdicts import weights_sparsity_error

LOG_EVERY = 1000
EPS = 1e-7  # stable-nalu's eps of log(|x| + eps) (network/simple_function_static.py, layer/_abstract_nalu.py)


def transcriptions(torch: Any) -> Dict[str, Dict[str, Callable]]:
    """Per unit: its forward on (x, parameters), its effective weights (for the sparsity error),
    its sparsity regularizer and its clamp after a step (None where stable-nalu has none)."""
    F = torch.nn.functional

    def nac_weight(p):  # layer/nac.py: nac_weight(W_hat, M_hat, mode='normal')
        return torch.tanh(p["W_hat"]) * torch.sigmoid(p["M_hat"])

    def nau_penalty(p):  # functional/regualizer.py _nac_bias_linear
        a = p["W"].abs()
        return torch.min(a, (1 - a).abs()).mean()

    def nmu_penalty(p):  # functional/regualizer.py _mnac_bias_linear
        return torch.min(p["W"].abs(), (1 - p["W"]).abs()).mean()

    def nalu(x, p):  # layer/_abstract_nalu.py, tied weights, gate without bias
        W = nac_weight(p)
        g = torch.sigmoid(F.linear(x, p["G"]))
        return g * F.linear(x, W) + (1 - g) * torch.exp(F.linear(torch.log(torch.abs(x) + EPS), W))

    return {
        # layer/re_regualized_linear_nac.py
        "NAU": {"forward": lambda x, p: F.linear(x, p["W"].clamp(-1, 1)), "weights": lambda p: p["W"].clamp(-1, 1),
                "penalty": nau_penalty, "clamp": (-1.0, 1.0)},
        # layer/re_regualized_linear_mnac.py with functional/mnac.py's mode 'prod'
        "NMU": {"forward": lambda x, p: torch.prod(x.unsqueeze(1) * p["W"] + 1 - p["W"], dim=2),
                "weights": lambda p: p["W"], "penalty": nmu_penalty, "clamp": (0.0, 1.0)},
        # layer/nac.py
        "NAC": {"forward": lambda x, p: F.linear(x, nac_weight(p)), "weights": nac_weight},
        # network/simple_function_static.py, --nac-mul normal
        "NACMul": {"forward": lambda x, p: torch.exp(F.linear(torch.log(torch.abs(x) + EPS), nac_weight(p))),
                   "weights": nac_weight},
        "NALU": {"forward": nalu, "weights": nac_weight},
        # layer/basic.py, activation 'linear'
        "Linear": {"forward": lambda x, p: F.linear(x, p["W"], p["b"]), "weights": lambda p: p["W"]},
    }


def torch_run(task: ArithmeticTask, spec: dict, steps: int) -> Dict[str, np.ndarray]:
    import torch

    torch.set_num_threads(1)
    units = transcriptions(torch)
    model = build_model(spec)  # the same initial parameters as nalu_ext's run
    layers = [(units[type(layer).__name__], {k: torch.tensor(v.copy(), requires_grad=True)
                                             for k, v in layer.params.items()}) for layer in model.layers]
    opt = torch.optim.Adam([t for _, params in layers for t in params.values()], lr=spec["optimizer"]["lr"])
    reg = spec["regularizer"]
    start, end, lam = reg["reg_start"], reg["reg_end"], reg["regularizer"]

    def forward(x):
        for unit, params in layers:
            x = unit["forward"](x, params)
        return x

    xv, tv = (torch.from_numpy(a) for a in task.validation(10_000, "float32"))
    xt, tt = (torch.from_numpy(a) for a in task.test(10_000, "float32"))
    threshold = nalu_ext.benchmark.success_threshold(task)
    logs: Dict[str, list] = {"val": [], "test_over_threshold": [], "sparsity": []}
    for step in range(steps):
        x, t = (torch.from_numpy(a) for a in task.batch(step, spec["batch_size"], "float32"))
        loss = ((forward(x) - t) ** 2).mean()
        penalties = [unit["penalty"](params) for unit, params in layers if "penalty" in unit]
        if penalties and lam > 0:  # experiments/simple_function_static.py's linear scaling
            scale = max(0.0, min(1.0, (step - start) / max(end - start, 1)))
            loss = loss + lam * scale * sum(penalties)
        opt.zero_grad()
        loss.backward()
        opt.step()
        with torch.no_grad():
            for unit, params in layers:
                if "clamp" in unit:
                    params["W"].clamp_(*unit["clamp"])
            if (step + 1) % LOG_EVERY == 0:
                logs["val"].append(float(((forward(xv) - tv) ** 2).mean()))
                logs["test_over_threshold"].append(float(((forward(xt) - tt) ** 2).mean()) / threshold)
                logs["sparsity"].append(weights_sparsity_error([unit["weights"](params).numpy().astype(np.float64)
                                                                 for unit, params in layers]))
    return {k: np.array(v) for k, v in logs.items()}


def nalu_ext_run(task: ArithmeticTask, spec: dict, steps: int) -> Dict[str, np.ndarray]:
    model = build_model(spec)
    r = nalu_ext.benchmark.train_task(model, task, nalu_ext.Adam(model.parameters(), lr=spec["optimizer"]["lr"]),
                            steps=steps, batch_size=spec["batch_size"], log_every=LOG_EVERY)
    # logged after steps 1000, 2000, ...: as the PyTorch side
    return {"val": r.interpolation_mse, "test_over_threshold": r.extrapolation_mse / r.threshold,
            "sparsity": r.sparsity_error_curve}


def phases(spec: dict, steps: int) -> List[tuple]:
    reg = spec["regularizer"]
    if reg["regularizer"] > 0 and any(unit in ("NAU", "NMU") for unit in RECIPES[spec["family"]].network):
        bounds = [("before the regularizer", 0, reg["reg_start"]), ("its ramp", reg["reg_start"], reg["reg_end"]),
                  ("full strength", reg["reg_end"], steps)]
    else:
        bounds = [(f"fifth {k + 1}", k * steps // 5, (k + 1) * steps // 5) for k in range(5)]
    return [(name, lo // LOG_EVERY, min(hi, steps) // LOG_EVERY) for name, lo, hi in bounds if lo < steps]


def describe(name: str, logs: Dict[str, np.ndarray], spec: dict, steps: int) -> dict:
    out: dict = {"phases": {}}
    for phase, lo, hi in phases(spec, steps):
        out["phases"][phase] = {k: float(np.nanmedian(v[lo:hi])) for k, v in logs.items()}
        m = out["phases"][phase]
        print(f"  {name:8s} {phase:22s} median: validation MSE {m['val']:.1e}, test/threshold "
              f"{m['test_over_threshold']:.1e}, sparsity error {m['sparsity']:.1e}")
    val = np.where(np.isfinite(logs["val"]), logs["val"], np.inf)
    k = int(np.argmin(val))
    out["selected"] = {"step": (k + 1) * LOG_EVERY, **{key: float(v[k]) for key, v in logs.items()}}
    s = out["selected"]
    print(f"  {name:8s} selected (lowest validation MSE): step {s['step']}, test/threshold "
          f"{s['test_over_threshold']:.2e} ({'success' if s['test_over_threshold'] < 1 else 'failure'}), "
          f"sparsity error {s['sparsity']:.2e}")
    final = logs["test_over_threshold"][-1]
    out["final_test_over_threshold"] = float(final)
    print(f"  {name:8s} final model: test/threshold {final:.2e} ({'success' if final < 1 else 'failure'})")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--family", default="NAU", choices=("NAU", "NMU", "NAC", "NACMul", "NALU", "Linear"))
    parser.add_argument("--op", default="sub", choices=("add", "sub", "mul", "div", "square", "sqrt"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=1_100_000,
                        help="steps of the published 5e6-step recipe to run (default 1.1e6)")
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    try:
        import torch  # noqa: F401
    except ImportError:
        print("needs PyTorch: pip install torch==2.13.0", file=sys.stderr)
        return 1
    task = ArithmeticTask(args.op, seed=args.seed)
    spec = make_run(args.family, task, seed=args.seed, steps=5_000_000)   # the published recipe
    report = {"family": args.family, "op": args.op, "seed": args.seed, "steps": args.steps,
              "recipe": spec, "date": time.strftime("%Y-%m-%d")}
    print(f"{args.family} ({' -> '.join(RECIPES[args.family].network)}) on ArithmeticTask({args.op!r}, "
          f"seed={args.seed}), {args.steps} steps of its recipe")
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
