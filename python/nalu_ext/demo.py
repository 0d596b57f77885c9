"""The seed article's experiments, the package's main job: ``python -m nalu_ext demo``.

A NAC learns addition and a NALU learns multiplication from the article's data (numpy.arange
rows, Adam with learning rate 0.05, the sum of squared errors, full batch). Both are then tested
on the article's test set, which lies inside the training range (interpolation), and on a true
extrapolation set outside it.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Callable, Dict, Optional

import numpy as np

from .layers import Layer
from .units.nac import NAC
from .units.nalu import NALU
from .model import Sequential
from .optim import Adam
from .reference import nac_weight, sigmoid
from .train import History, fit

NAC_STEPS = 30_000   # Adam's second moment must first forget the huge early SSE gradients
NALU_STEPS = 20_000
LEARNING_RATE = 0.05

# Targets the demo checks (and reports): what "learned" means here.
NAC_WEIGHT_TOLERANCE = 1e-3
NAC_EXTRAPOLATION_TOLERANCE = 1e-4
NALU_EXTRAPOLATION_TOLERANCE = 1e-2


def _pairs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.stack([a, b], axis=1).astype(np.float64)


# The article's data (docs/protocols.md): training rows and its in-range "test" set; then ours.
TRAIN = _pairs(np.arange(0, 10000, 5), np.arange(5, 10005, 5))
ARTICLE_TEST = _pairs(np.arange(1000, 2000, 8), np.arange(1000, 1500, 4))
EXTRAPOLATION = _pairs(np.arange(20000, 30000, 80), np.arange(20005, 30005, 80))
SETS = {"article test set (inside the training range)": ARTICLE_TEST,
        "extrapolation set (x in [20000, 30005), outside it)": EXTRAPOLATION}


@dataclass
class Experiment:
    name: str
    model: Sequential
    history: History
    weights: np.ndarray                    # learned W = tanh(W_hat) * sigmoid(M_hat)
    max_relative_error: Dict[str, float]   # per evaluation set
    passed: bool


def _train(name: str, layer: Layer, target: Callable[[np.ndarray], np.ndarray], steps: int,
           progress: bool) -> Experiment:
    model = Sequential(layer)
    optimizer = Adam(model.parameters(), lr=LEARNING_RATE)
    history = fit(model, optimizer, TRAIN, target(TRAIN)[:, None], steps=steps, loss="sse",
                  progress=progress)
    errors = {}
    for label, x in SETS.items():
        t = target(x)
        errors[label] = float(np.max(np.abs(model(x)[:, 0] - t) / np.abs(t)))
    weights = nac_weight(layer.params["W_hat"], layer.params["M_hat"])[0]
    return Experiment(name, model, history, weights, errors, passed=False)


def run(*, nac_steps: int = NAC_STEPS, nalu_steps: int = NALU_STEPS, seed: int = 0,
        plot_dir: Optional[str] = None, progress: bool = False,
        out: Callable[[str], None] = print) -> Dict[str, Experiment]:
    """Train both experiments, print what they learned, and return them."""
    out("nalu_ext demo: the seed article's NAC (addition) and NALU (multiplication)")
    out(f"  float64, Adam lr {LEARNING_RATE}, loss = sum of squared errors, full batch of "
        f"{len(TRAIN)} rows: x1 = arange(0, 10000, 5), x2 = arange(5, 10005, 5); seed {seed}")

    results = {}
    plans = [
        ("NAC learns addition  y = x1 + x2", NAC(2, 1, dtype="float64", seed=seed),
         lambda x: x[:, 0] + x[:, 1], nac_steps),
        ("NALU learns multiplication  y = x1 * x2", NALU(2, 1, dtype="float64", seed=seed),
         lambda x: x[:, 0] * x[:, 1], nalu_steps),
    ]
    for index, (name, layer, target, steps) in enumerate(plans, start=1):
        out(f"\n[{index}/2] {name}")
        start = time.perf_counter()
        exp = _train(name, layer, target, steps, progress)
        seconds = time.perf_counter() - start
        loss = exp.history.loss
        out(f"  {exp.history.steps} steps in {seconds:.2f} s "
            f"({1e6 * seconds / max(exp.history.steps, 1):.1f} us/step); "
            f"cost {loss[0]:.3g} -> {loss[-1]:.3g}" if exp.history.steps else "  0 steps")
        out(f"  learned W = [{exp.weights[0]:.8f}, {exp.weights[1]:.8f}]   (exact: [1, 1])")
        if isinstance(layer, NALU):
            gate = sigmoid(EXTRAPOLATION @ layer.params["G"].T)
            out(f"  gate on the extrapolation set: mean {gate.mean():.3g} (0 = multiplicative path)")
        for label, err in exp.max_relative_error.items():
            out(f"  {label}: max relative error {err:.3g}")
        extrapolation_error = exp.max_relative_error[list(SETS)[1]]
        if isinstance(layer, NAC) and not isinstance(layer, NALU):
            weight_error = float(np.max(np.abs(exp.weights - 1.0)))
            exp.passed = weight_error < NAC_WEIGHT_TOLERANCE and extrapolation_error < NAC_EXTRAPOLATION_TOLERANCE
            criterion = (f"|W - 1| < {NAC_WEIGHT_TOLERANCE:g} and extrapolation error "
                         f"< {NAC_EXTRAPOLATION_TOLERANCE:g}")
        else:
            exp.passed = extrapolation_error < NALU_EXTRAPOLATION_TOLERANCE
            criterion = f"extrapolation error < {NALU_EXTRAPOLATION_TOLERANCE:g}"
        out(f"  {'learned' if exp.passed else 'NOT learned'}: {criterion}")
        results[layer.config()["kind"]] = exp

    if plot_dir is not None:
        _plot(results, plot_dir, out)
    return results


def _plot(results: Dict[str, Experiment], plot_dir: str, out: Callable[[str], None]) -> None:
    from .plot import PlottingUnavailable, plot_cost

    out("")
    try:
        for kind, exp in results.items():
            os.makedirs(plot_dir, exist_ok=True)
            path = os.path.join(plot_dir, f"{kind.lower()}_cost.png")
            plot_cost(exp.history, path, f"{exp.name}: cost per step")
            out(f"wrote {path}")
    except PlottingUnavailable as err:
        out(f"note: no plots written: {err}")
