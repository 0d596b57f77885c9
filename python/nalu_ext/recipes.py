"""How each unit family is trained on the arithmetic benchmark: its published recipe.

A :class:`Recipe` is what a unit's module declares as ``RECIPE``: the two-layer network, each
layer's initialisation scheme, the sparsity regularizer's schedule, the optimizer, batch and
hidden width, and where every value comes from. ``make_run`` and ``python -m nalu_ext benchmark``
use it for everything a caller does not set. docs/protocols.md#recipes lists them all with their
sources.

Madsen & Johansen's recipes are stable-nalu's batch scripts at the commit whose analysis wrote the
paper's tables (`STABLE_NALU`), on top of `experiments/simple_function_static.py`'s defaults.
Their schedules are fixed step numbers, not fractions of the run: a 2·10⁵-step toy run never
reaches the NMU's regularizer start at 10⁶, as in the published toy runs.
"""

from __future__ import annotations

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
        benchmark's setting (``BENCHMARK_REGULARIZED``); 0, 0, 0: none.
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
        "regularize_when": {...}}``, the fields of nalu_ext.training_rules' classes; a restart's
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
