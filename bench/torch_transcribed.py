"""A family's network written in plain PyTorch, as a module the benchmark protocol can run
(``nalu_ext.benchmark.torch_runs.make_run(TranscribedStack, task, seed=, steps=, kwargs={"family": "NAU"})``).

The layers are torch_recipe.py's transcriptions of stable-nalu's (AndreasMadsen/stable-nalu@3e31a1d);
the regularizer schedule and the clamping after each step are its training loop's
(experiments/simple_function_static.py), with the family's published recipe (``nalu_ext.benchmark.RECIPES``).
The module starts from the parameters nalu_ext's compiled run of the same seed starts from, so the
two differ only in their arithmetic (autograd and PyTorch's kernels against nalu_ext's). Needs
torch; this file lives in bench/ and is imported by name (``torch_transcribed``) from scripts there.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy as np
import torch

from nalu_ext.benchmark.sweeps import build_model, make_run
from nalu_ext.benchmark.tasks import task_from_dict
from torch_recipe import transcriptions


class TranscribedStack(torch.nn.Module):
    """``family``'s network on ``task`` (a Task's ``to_dict()``), seed ``seed``, in plain PyTorch."""

    def __init__(self, in_features: int, seed: int, family: str, task: Dict[str, Any]) -> None:
        super().__init__()
        spec = make_run(family, task_from_dict(task), seed=seed, steps=1)  # the recipe; steps unused
        compiled = build_model(spec)
        if compiled.in_features != in_features:
            raise ValueError(f"the task has {in_features} inputs but the {family} network {compiled.in_features}")
        units = transcriptions(torch)
        self.units = [units[type(layer).__name__] for layer in compiled.layers]
        self.layer_params = torch.nn.ModuleList()
        for layer in compiled.layers:
            params = torch.nn.ParameterDict({name: torch.nn.Parameter(torch.from_numpy(value.copy()))
                                              for name, value in layer.params.items()})
            self.layer_params.append(params)
        reg = spec["regularizer"]
        self.schedule = (reg["regularizer"], reg["reg_start"], reg["reg_end"])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for unit, params in zip(self.units, self.layer_params):
            x = unit["forward"](x, params)
        return x

    def regularizer(self, step: int) -> Optional[torch.Tensor]:
        """λ(step)·Σ penalties, stable-nalu's linear ramp (None before it starts)."""
        lam, start, end = self.schedule
        scale = max(0.0, min(1.0, (step - start) / max(end - start, 1)))
        penalties = [unit["penalty"](params) for unit, params in zip(self.units, self.layer_params) if "penalty" in unit]
        if not penalties or lam * scale == 0:
            return None
        return lam * scale * sum(penalties[1:], penalties[0])

    def after_update(self) -> None:
        with torch.no_grad():
            for unit, params in zip(self.units, self.layer_params):
                if "clamp" in unit:
                    params["W"].clamp_(*unit["clamp"])

    def effective_weights(self) -> List[np.ndarray]:
        with torch.no_grad():
            return [unit["weights"](params).numpy().astype(np.float64)
                    for unit, params in zip(self.units, self.layer_params)]
