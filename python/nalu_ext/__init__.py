"""nalu_ext: neural arithmetic units with hand-written C++ forward and backward kernels.

Units: :class:`NAC`, :class:`NALU`, :class:`NAU`, :class:`NMU`, :class:`NPU`, :class:`RealNPU`, :class:`iNALU`. Models: :class:`Sequential` (``train_step``, ``save``) and
:func:`load`. Optimizers: :class:`SGD`, :class:`Adam`, :class:`RMSprop`. Training: :func:`fit`,
returning a :class:`History`; :class:`TrainingDiverged` when the loss stops being finite.
:mod:`nalu_ext.reference` is the NumPy float64 oracle of every kernel.
"""

import os as _os

import scipy_openblas32  # noqa: F401  (loads the OpenBLAS library that _core links against)

from . import _core, reference, stats, tasks
from ._core import build_info

if _os.environ.get("NALU_EXT_ISA"):  # force a kernel path; an unknown or unsupported name is an error
    try:
        _core.set_isa(_os.environ["NALU_EXT_ISA"])
    except ValueError as _err:
        raise ImportError(f"nalu_ext: NALU_EXT_ISA={_os.environ['NALU_EXT_ISA']!r}: {_err}") from None
from .errors import ModelFileError, TrainingDiverged
from .layers import NAC, NALU, NAU, NMU, NPU, Layer, RealNPU, iNALU
from .model import Sequential
from .optim import SGD, Adam, Optimizer, RMSprop
from .protocol import RunResult, sparsity_error, success_threshold, train_task
from .serialize import load
from .sweeps import SweepSummary, make_run, sweep
from .train import History, fit

__version__ = "0.1.0"

__all__ = [
    "NAC", "NALU", "NAU", "NMU", "NPU", "RealNPU", "iNALU", "Layer", "Sequential", "SGD", "Adam", "RMSprop", "Optimizer", "fit", "History",
    "TrainingDiverged", "ModelFileError", "load", "build_info", "reference", "stats", "tasks",
    "train_task", "RunResult", "success_threshold", "sparsity_error", "sweep", "make_run",
    "SweepSummary", "__version__",
]
