"""How each unit family is trained on the arithmetic benchmark: its published recipe.

A :class:`Recipe` is how a family is trained: the two-layer network, each layer's initialisation
scheme, the sparsity regularizer's schedule, the optimizer, batch and hidden width, and where every
value comes from. :data:`RECIPES` holds one per unit family (the units themselves know nothing of
it); ``make_run`` and ``python -m nalu_ext benchmark`` use it for everything a caller does not
set. docs/protocols.md#recipes lists them all with their sources. Other protocols keep tables of
their own (``single_module.RECIPES``, ``npu_simple.RECIPES``).

Madsen & Johansen's recipes are stable-nalu's batch scripts at the commit whose analysis wrote the
paper's tables (`STABLE_NALU`), on top of `experiments/simple_function_static.py`'s defaults.
Their schedules are fixed step numbers, not fractions of the run: a 2·10⁵-step toy run never
reaches the NMU's regularizer start at 10⁶, as in the published toy runs.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple

# The revision of AndreasMadsen/stable-nalu whose scripts and analysis produced the NAU/NMU paper's
# tables (its lfs_batch_jobs/function_task_static.sh and export/function_task_static.r).
STABLE_NALU = "AndreasMadsen/stable-nalu@3e31a1d"
# Every Madsen & Johansen run: simple_function_static.py's defaults (Adam, lr 1e-3, batch 128,
# hidden size 2, a log every 1000 steps).
STABLE_NALU_DEFAULTS = f"{STABLE_NALU} experiments/simple_function_static.py defaults (Adam 1e-3, batch 128, hidden 2)"
# The source of a unit outside Madsen & Johansen's comparison: no published recipe on their task.
UNPUBLISHED = ("not in Madsen & Johansen's comparison: their protocol's optimizer, batch and hidden "
               "width with the unit's own initialisation; no regularizer")


@dataclass(frozen=True)
class Recipe:
    """A unit family's training recipe on the arithmetic benchmark.

    Parameters
    ----------
    network : tuple of str
        The units of the layers: two (input -> hidden, hidden -> output) on Madsen & Johansen's
        task, one on the single-module benchmark.
    init : tuple of str
        Each layer's initialisation scheme (a name of that unit's ``INITS``).
    options : tuple of dict
        Each layer's unit options (e.g. ``{"sign_retrieval": True}``), or () for none.
    regularizer, reg_start, reg_end :
        λ̂ and the warm-up steps of the regularizer, given to the layers whose unit takes the
        benchmark's setting (:data:`REGULARIZED`); 0, 0, 0: none.
    reg_initial, reg_growth, reg_every :
        Or its geometric schedule (``nalu_ext.layers.Scheduled``; reg_every = 0: the warm-up).
    optimizer, lr, batch_size, hidden :
        The optimizer's name and learning rate, rows per step, the hidden layers' width.
    optimizer_options : dict
        Its other settings where the recipe's differ from the defaults (e.g. RMSprop's alpha).
    clip_value, clip_norm : float, optional
        Gradient clipping of the optimizer (by value, then by global norm), where the recipe has it.
    train_options : dict
        ``train_task``'s rules on the validation error by name (``{"reinit": {...},
        "regularize_when": {...}}``, the fields of nalu_ext.benchmark.training_rules' classes; a restart's
        seed is the run's).
    published : bool
        Whether the family is a model of Madsen & Johansen's comparison (their Table 1).
    source : str
        Where the values come from (repository@commit, file, flags).
    """

    network: Tuple[str, ...]
    init: Tuple[str, ...]
    options: Tuple[Dict[str, Any], ...] = field(default=(), hash=False)
    regularizer: float = 0.0
    reg_start: int = 0
    reg_end: int = 0
    reg_initial: float = 0.0
    reg_growth: float = 0.0
    reg_every: int = 0
    optimizer: str = "Adam"
    optimizer_options: Dict[str, float] = field(default_factory=dict, hash=False)
    lr: float = 1e-3
    batch_size: int = 128
    hidden: int = 2
    clip_value: Optional[float] = None
    clip_norm: Optional[float] = None
    train_options: Dict[str, Dict[str, Any]] = field(default_factory=dict, hash=False)
    published: bool = False
    source: str = ""


# The units whose layers take the benchmark's regularizer setting (λ̂ and its warm-up).
REGULARIZED = frozenset({"NAU", "NMU", "sNMU", "NMRU", "NRU", "NPU", "RealNPU", "NaiveNPU", "RealNaiveNPU",
                         "GatedNAUNMU", "NACMulNMU"})

_NMU = Recipe(
        network=("NAU", "NMU"), init=("stable-nalu", "stable-nalu"), published=True,
        regularizer=10.0, reg_start=1_000_000, reg_end=2_000_000,
        source=f"NMU of Madsen & Johansen's Table 1: {STABLE_NALU} lfs_batch_jobs/function_task_static.sh "
               "--layer-type ReRegualizedLinearNAC --nac-mul mnac with the script's defaults "
               f"--regualizer 10 --regualizer-scaling-start 1000000 --regualizer-scaling-end 2000000; "
               f"{STABLE_NALU_DEFAULTS}")

# Each unit family's recipe on Madsen & Johansen's task (a multiplying unit may follow an adding
# one, as published); the comparison of their Table 1 is the families with published=True.
RECIPES: Dict[str, Recipe] = {
    "iNALU": Recipe(
        network=("iNALU", "iNALU"), init=("inalu", "inalu"),
        source=UNPUBLISHED),
    "Linear": Recipe(
        network=("Linear", "Linear"), init=("glorot", "glorot"), published=True,
        source=f"Linear of Madsen & Johansen's Table 1: {STABLE_NALU} lfs_batch_jobs/function_task_static.sh "
               f"--layer-type linear (layer/basic.py, bias included); {STABLE_NALU_DEFAULTS}; no regularizer"),
    "Dense": Recipe(network=("Dense", "Linear"), init=("glorot", "glorot"),
        source=UNPUBLISHED + "; a sigmoid hidden layer and a linear output"),
    "NAC": Recipe(
        network=("NAC", "NAC"), init=("stable-nalu", "stable-nalu"), published=True,
        source=f"NAC+ of Madsen & Johansen's Table 1: {STABLE_NALU} lfs_batch_jobs/function_task_static.sh "
               f"--layer-type NAC; {STABLE_NALU_DEFAULTS}; no regularizer (NACLayer has none)"),
    "NACMul": Recipe(
        network=("NAC", "NACMul"), init=("stable-nalu", "stable-nalu"), published=True,
        source=f"NAC• of Madsen & Johansen's Table 1: {STABLE_NALU} lfs_batch_jobs/function_task_static.sh "
               f"--layer-type NAC --nac-mul normal (the second layer is exp(NAC(log(|z| + 1e-7))), "
               f"network/simple_function_static.py); {STABLE_NALU_DEFAULTS}; no regularizer"),
    "NACMulNMU": dataclasses.replace(
        _NMU, network=("NAU", "NACMulNMU"), published=False,
        source=f"NAC•,NMU: {STABLE_NALU} lfs_batch_jobs/function_task_static.sh (commented out there) --layer-type "
               "ReRegualizedLinearPosNAC --nac-mul normal --first-layer ReRegualizedLinearNAC, with the "
               f"script's default regularizer (10 from 1e6 to 2e6, as the NMU's); {STABLE_NALU_DEFAULTS}"),
    "PosNACMul": Recipe(
        network=("NAC", "PosNACMul"), init=("stable-nalu", "stable-nalu"),
        source="NAC•,σ of Madsen & Johansen's ablation table: AndreasMadsen/stable-nalu@f23b851 "
               "lfs_batch_jobs/function_task_static_ablation.sh --layer-type PosNAC --nac-mul normal "
               f"--first-layer NAC (layer/pos_nac.py: W = σ(Ŵ)); {STABLE_NALU_DEFAULTS}; no regularizer"),
    "G-NALU": Recipe(
        network=("NALU", "NALU"), init=("stable-nalu", "stable-nalu"),
        options=({"base": "golden-ratio"}, {"base": "golden-ratio"}),
        source=UNPUBLISHED + "; the NALU's recipe with both layers golden-ratio NALUs (bmistry4/nalm-benchmark's "
               "G-NALU, which it runs single-module only)"),
    "NALU": Recipe(
        network=("NALU", "NALU"), init=("stable-nalu", "stable-nalu"), published=True,
        source=f"NALU of Madsen & Johansen's Table 1: {STABLE_NALU} lfs_batch_jobs/function_task_static.sh "
               f"--layer-type NALU (tied weights, gate without bias, eps 1e-7); {STABLE_NALU_DEFAULTS}; "
               "no regularizer"),
    "NAU": Recipe(
        network=("NAU", "NAU"), init=("stable-nalu", "stable-nalu"), published=True,
        regularizer=0.01, reg_start=5_000, reg_end=50_000,
        source=f"NAU of Madsen & Johansen's Table 1: {STABLE_NALU} lfs_batch_jobs/function_task_static.sh "
               "--layer-type ReRegualizedLinearNAC --regualizer 0.01 --regualizer-scaling-start 5000 "
               f"--regualizer-scaling-end 50000; {STABLE_NALU_DEFAULTS}"),
    "NMU": _NMU,
    "sNMU": dataclasses.replace(
        _NMU, network=("NAU", "sNMU"), published=False,
        source="not yet the sNMU paper's own recipe: Madsen & Johansen's NAU→NMU recipe with the sNMU "
               "in the NMU's place and the original's default noise U[1, 5)"),
    "NMRU": dataclasses.replace(
        _NMU, network=("NAU", "NMRU"), init=("stable-nalu", "nalm-division"), published=False,
        source="not yet the division paper's own recipe: Madsen & Johansen's NAU→NMU recipe with the "
               "NMRU in the NMU's place (nalm-division's single_layer.py defaults: --regualizer 10, "
               "scaling 1e6 to 2e6, Adam 1e-3)"),
    "NRU": dataclasses.replace(
        _NMU, network=("NAU", "NRU"), init=("stable-nalu", "stable-nalu"), published=False,
        source="not the division paper's own recipe on this task (it trains the NRU alone: "
               "nalu_ext.benchmark.single_module): Madsen & Johansen's NAU→NMU recipe with the NRU in the NMU's place "
               "(its learning rate 1 of the single-module runs is not used: it is the NRU's alone, "
               "and here the NAU before it shares the optimizer)"),
    "NPU": Recipe(network=("NPU", "NPU"), init=("glorot", "glorot"), source=UNPUBLISHED),
    "RealNPU": Recipe(network=("RealNPU", "RealNPU"), init=("glorot", "glorot"), source=UNPUBLISHED),
    "NaiveNPU": Recipe(network=("NaiveNPU", "NaiveNPU"), init=("glorot", "glorot"), source=UNPUBLISHED),
    "RealNaiveNPU": Recipe(network=("RealNaiveNPU", "RealNaiveNPU"), init=("glorot", "glorot"), source=UNPUBLISHED),
}

# The rows of Madsen & Johansen's NALU table (paper/results/function_task_static_nalu.tex, run by
# lfs_batch_jobs/function_task_static_nalu.sh at stable-nalu@3e31a1d, seeds 0-99 on + and ×): the
# NALU after a NAC+ (`--layer-type NALU --first-layer NAC`), with tied ("shared") or separate
# (`--nalu-two-nac`) weights, and the gated NAU/NMU after a NAU (`--layer-type ReRegualizedLinearNALU
# --first-layer ReRegualizedLinearNAC --nalu-two-nac --nalu-mul mnac`), whose NAU and NMU take the
# script's default regularizer, λ̂ 10 from step 10⁶ to 2·10⁶, as Table 1's NMU does.
_NALU_SCRIPT = f"Madsen & Johansen's NALU table: {STABLE_NALU} lfs_batch_jobs/function_task_static_nalu.sh"
RECIPES.update({
    "NALU-shared": Recipe(
        network=("NAC", "NALU"), init=("stable-nalu", "stable-nalu"),
        source=f"NALU (shared) of {_NALU_SCRIPT} --layer-type NALU --first-layer NAC; {STABLE_NALU_DEFAULTS}; "
               "no regularizer"),
    "NALU-separate": Recipe(
        network=("NAC", "NALU"), init=("stable-nalu", "stable-nalu"), options=({}, {"separate_weights": True}),
        source=f"NALU (separate) of {_NALU_SCRIPT} --layer-type NALU --first-layer NAC --nalu-two-nac; "
               f"{STABLE_NALU_DEFAULTS}; no regularizer"),
    "GatedNAUNMU": dataclasses.replace(
        _NMU, network=("NAU", "GatedNAUNMU"), published=False,
        source=f"Gated NAU/NMU of {_NALU_SCRIPT} --layer-type ReRegualizedLinearNALU --first-layer "
               "ReRegualizedLinearNAC --nalu-two-nac --nalu-mul mnac with the script's default --regualizer 10 "
               f"--regualizer-scaling-start 1000000 --regualizer-scaling-end 2000000; {STABLE_NALU_DEFAULTS}"),
})

# The NMU rows of Madsen & Johansen's ablation table (paper/results/function_task_static_ablation.tex,
# run by lfs_batch_jobs/function_task_static_ablation.sh at stable-nalu@5f0d4e4): the NAU -> NMU
# recipe with `--regualizer 0` (no R_bias: no sparsity regularizer on either layer) and/or
# `--oob-mode regualized --regualizer-oob 0` (no W-clamp: both layers' forwards clamp W, the weights
# themselves are never clamped and no out-of-range penalty replaces it: the constraint "clip").
_ABLATION_SCRIPT = ("Madsen & Johansen's ablation table: AndreasMadsen/stable-nalu@5f0d4e4 "
                    "lfs_batch_jobs/function_task_static_ablation.sh --layer-type ReRegualizedLinearNAC --nac-mul mnac")
_NO_CLAMP = ({"constraint": "clip"}, {"constraint": "clip"})
RECIPES.update({
    "NMU-no-Rbias": dataclasses.replace(
        _NMU, regularizer=0.0, published=False,
        source=f"NMU, no R_bias of {_ABLATION_SCRIPT} --regualizer 0; {STABLE_NALU_DEFAULTS}"),
    "NMU-no-clamp": dataclasses.replace(
        _NMU, options=_NO_CLAMP, published=False,
        source=f"NMU, no W-clamp of {_ABLATION_SCRIPT} --oob-mode regualized --regualizer-oob 0; "
               f"{STABLE_NALU_DEFAULTS}"),
    "NMU-no-Rbias-no-clamp": dataclasses.replace(
        _NMU, regularizer=0.0, options=_NO_CLAMP, published=False,
        source=f"NMU, no R_bias, no W-clamp of {_ABLATION_SCRIPT} --oob-mode regualized --regualizer-oob 0 "
               f"--regualizer 0; {STABLE_NALU_DEFAULTS}"),
})
