"""The physical floor of a protocol step (docs/performance.md#the-floor): the least time any
implementation on this core could spend on the work one step of the benchmark protocol cannot
avoid, counted from the model's shapes and priced at rates measured in the same run.

The work counted, per step of batch B on fresh rows of an ArithmeticTask:

- multiply-adds of the products each layer must compute (forward, parameter gradients, and the
  input gradient of every layer but the first), B·in·out each, at the core's float32 FMA peak
  (``_core._fma_peak``: independent chains in the widest register);
- the logarithms of the layer inputs a unit takes the log of (B·in per such layer and step: the
  rows are new, so no log of them can be kept), at the rate of the units' own vector log
  (``_core._log_rate``);
- the task's values (B·input_size), at the rate of the generator's inner loop alone
  (``_core._uniform_rate``: no row keys, targets or redraws);
- the evaluation's share: the forward products of the 2·n_eval rows judged every log_every steps
  (the validation and test sets are fixed, so their logarithms are not counted).

Left out (so the floor is lower than any real step): the targets' sums, the loss, the optimizer's
update, the weights' transforms, every per-output exp/cos/sigmoid, and all memory traffic.
Products a unit could skip on this task's data are not counted either (the NPU's k-terms: the
inputs are positive, so k = 0).
"""

from __future__ import annotations

from typing import Dict, Sequence, Tuple

from nalu_ext import _core

# unit kind -> (products in forward, products for the parameter gradients, products for the input
# gradient), each a B·in·out multiply-add product; and whether its forward takes log of its input.
_PRODUCTS: Dict[str, Tuple[int, int, int, bool]] = {
    "Linear": (1, 1, 1, False),
    "NAU": (1, 1, 1, False),
    "NAC": (1, 1, 1, False),
    "NMU": (1, 1, 1, False),
    "NALU": (3, 3, 3, True),    # a = x W^T, m-path log(|x| + eps) W^T, gate x G^T
    "iNALU": (3, 3, 3, True),
    "NPU": (2, 2, 2, True),     # log r @ W_re^T and log r @ W_im^T (the k-terms vanish on x > 0)
    "RealNPU": (1, 1, 1, True),  # log r @ W^T
}


def measure_rates(repeats: int = 1) -> Dict[str, float]:
    """The rates the floor is priced at, per second: the best of `repeats` measurements of each."""
    return {"fma_per_s": max(_core._fma_peak() for _ in range(repeats)),
            "log_per_s": max(_core._log_rate() for _ in range(repeats)),
            "value_per_s": max(_core._uniform_rate() for _ in range(repeats))}


def step_work(layers: Sequence[Tuple[str, int, int]], batch: int = 128, n_eval: int = 10_000,
              log_every: int = 1000) -> Dict[str, float]:
    """The unavoidable work of one protocol step of the stack `layers` ((kind, in, out) each):
    multiply-adds, logarithms and task values."""
    macs = logs = 0.0
    eval_rows = 2 * n_eval / log_every
    for position, (kind, i, o) in enumerate(layers):
        if kind not in _PRODUCTS:
            raise KeyError(f"bench/floor.py has no work count for the unit {kind!r}; add it to _PRODUCTS")
        forward, params, inputs, takes_log = _PRODUCTS[kind]
        macs += (forward + params + (inputs if position else 0)) * batch * i * o + forward * eval_rows * i * o
        if takes_log:
            logs += batch * i
    return {"macs": macs, "logs": logs, "values": float(batch * layers[0][1])}


def floor_us(work: Dict[str, float], rates: Dict[str, float]) -> Dict[str, float]:
    """µs per step of each part of the work at the measured rates, and their sum ("floor")."""
    parts = {"macs_us": 1e6 * work["macs"] / rates["fma_per_s"],
             "logarithms_us": 1e6 * work["logs"] / rates["log_per_s"],
             "values_us": 1e6 * work["values"] / rates["value_per_s"]}
    return {**parts, "floor_us": sum(parts.values())}


def layers_of(model) -> list:
    """(kind, in, out) of each layer of a nalu_ext model."""
    return [(type(layer).__name__, layer.in_features, layer.out_features) for layer in model.layers]
