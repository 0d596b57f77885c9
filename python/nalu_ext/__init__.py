"""nalu_ext: neural arithmetic units with hand-written C++ forward and backward kernels.

Units: every class of ``UNITS`` (name -> class), e.g. ``nalu_ext.NAC``, ``nalu_ext.NALU``; each is
defined in its module of :mod:`nalu_ext.units`. Models: :class:`Sequential` (``train_step``, ``save``) and
:func:`load`. Optimizers: :class:`SGD`, :class:`Adam`, :class:`RMSprop`. Training: :func:`fit`,
returning a :class:`History`; :class:`TrainingDiverged` when the loss stops being finite.
:mod:`nalu_ext.reference` is the NumPy float64 oracle of every kernel. Benchmarks: :func:`make_run`
(each family's published recipe, :data:`RECIPES`), :func:`sweep`, :func:`read_results` and
:class:`SweepSummary` for a results file; :mod:`nalu_ext.single_module`, the recipes of Mistry,
Farrahi & Hare's single-module benchmark.
"""

import os as _os
from typing import Any as _Any, List as _List

import scipy_openblas32  # noqa: F401  (loads the OpenBLAS library that _core links against)

from . import _core, reference, single_module, stats, tasks
from ._core import build_info

if _os.environ.get("NALU_EXT_ISA"):  # force a kernel path; an unknown or unsupported name is an error
    try:
        _core.set_isa(_os.environ["NALU_EXT_ISA"])
    except ValueError as _err:
        raise ImportError(f"nalu_ext: NALU_EXT_ISA={_os.environ['NALU_EXT_ISA']!r}: {_err}") from None
from .errors import ModelFileError, TrainingDiverged
from .layers import Layer
from .model import Sequential, load, load_checkpoint
from .optim import SGD, Adam, Optimizer, RMSprop
from .protocol import RunResult, sparsity_error, success_threshold, train_task
from .recipes import Recipe
from .results_file import ResultsFileError, ResultsFileWarning, ResultsWriteError
from .sweeps import RECIPES, SweepSummary, make_run, read_results, run_id, sweep
from .train import History, fit
from .units import UNITS

__version__ = "0.2.0"

__all__ = [
    *UNITS, "UNITS", "Layer", "Sequential", "SGD", "Adam", "RMSprop", "Optimizer", "fit", "History",
    "TrainingDiverged", "ModelFileError", "load", "load_checkpoint", "build_info", "reference", "single_module", "stats",
    "tasks",
    "train_task", "RunResult", "success_threshold", "sparsity_error", "sweep", "make_run",
    "SweepSummary", "read_results", "run_id", "ResultsFileError", "ResultsWriteError", "ResultsFileWarning",
    "Recipe", "RECIPES", "__version__",
]


def __getattr__(name: str) -> _Any:
    """The units by name (nalu_ext.NAC is nalu_ext.UNITS["NAC"]): the registry is their one list.
    Type checkers see them as Any here; import a unit from its module (nalu_ext.units.<unit>) for
    its precise type."""
    try:
        return UNITS[name]
    except KeyError:
        raise AttributeError(f"module 'nalu_ext' has no attribute {name!r}") from None


def __dir__() -> _List[str]:
    return sorted(set(globals()) | set(UNITS))
