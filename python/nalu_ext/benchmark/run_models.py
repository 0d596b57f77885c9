"""A run specification's model: its layers' units, widths, initial parameters and options
(the specification is plain data, so a run can be rebuilt anywhere from it; the sweeps module
makes and executes specifications, protocols of their own, such as npu_simple, build their
models here too).
"""

from __future__ import annotations

from typing import Any, Dict, List, Sequence

from ..model import Sequential
from ..units import UNITS
from .recipes import RECIPES, REGULARIZED
from .tasks import task_from_dict

# each unit family's two-layer network, as its recipe says (docs/protocols.md#recipes)
FAMILIES: Dict[str, Sequence[str]] = {name: recipe.network for name, recipe in RECIPES.items()}


def network_of(spec: Dict[str, Any]) -> List[str]:
    """The units of a specification's layers: its own network, or its family's."""
    return list(spec.get("network") or FAMILIES[spec["family"]])


def build_model(spec: Dict[str, Any]) -> Sequential:
    """The specification's model with its initial parameters (the same on every machine: each
    layer is seeded by the run's seed and the layer's index)."""
    network = network_of(spec)
    if "widths" in spec:  # a protocol of its own widths (nalu_ext.benchmark.npu_simple)
        widths = tuple(spec["widths"])
    else:
        widths = (task_from_dict(spec["task"]).input_size, *[spec["hidden"]] * (len(network) - 1), 1)
    layers = []
    inits = spec.get("init") or [None] * len(network)  # older files: the units' defaults
    for k, kind in enumerate(network):
        kwargs: Dict[str, Any] = {"dtype": spec["dtype"], "seed": spec["seed"] * 1000 + k, "init": inits[k],
                                  **(spec.get("options") or [{}] * len(network))[k]}
        if kind in REGULARIZED and "regularizer" in spec:
            kwargs.update(spec["regularizer"])
        layers.append(UNITS[kind](widths[k], widths[k + 1], **kwargs))
    return Sequential(*layers)
