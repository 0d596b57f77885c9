"""nalu_ext: neural arithmetic units with hand-written C++ forward and backward kernels.

Units: every class of ``UNITS`` (name -> class), e.g. ``nalu_ext.NAC``, ``nalu_ext.NALU``; each is
defined in its module of :mod:`nalu_ext.units`. Models: :class:`Sequential` (``train_step``, ``save``) and
:func:`load`. Optimizers: :class:`SGD`, :class:`Adam`, :class:`RMSprop`. Training: :func:`fit`,
returning a :class:`History`; :class:`TrainingDiverged` when the loss stops being finite.
:mod:`nalu_ext.reference` is the NumPy float64 oracle of every kernel. The benchmark (the
published protocols, their tasks, sweeps, results files and tables) is :mod:`nalu_ext.benchmark`,
imported when used.
"""

import os as _os
from typing import Any as _Any

import scipy_openblas32  # noqa: F401  (loads the OpenBLAS library that _core links against)

from . import _core, reference
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
from .train import History, fit
from .units import UNITS
# Every unit by name (tests/test_imports.py checks this list against the registry, UNITS, which
# each unit's module joins): written out so that type checkers see each class.
from .units.division import NMRU, NRU
from .units.inalu import iNALU
from .units.linear import Dense, Linear
from .units.nac import NAC
from .units.nac_mul import NACMul, NACMulNMU, PosNACMul
from .units.nalu import NALU, GatedNAUNMU
from .units.nau import NAU
from .units.nmu import NMU, sNMU
from .units.npu import NPU, NaiveNPU, RealNaiveNPU, RealNPU

__version__ = "0.2.0"

__all__ = [
    "NAU", "NMU", "sNMU", "NRU", "NMRU", "iNALU", "Linear", "Dense", "NAC", "NACMul", "PosNACMul", "NACMulNMU",
    "NALU", "GatedNAUNMU", "NPU", "RealNPU", "NaiveNPU", "RealNaiveNPU", "UNITS", "Layer", "Sequential", "SGD",
    "Adam", "RMSprop", "Optimizer", "fit", "History", "TrainingDiverged", "ModelFileError", "load",
    "load_checkpoint", "build_info", "reference", "__version__",
]


def __getattr__(name: str) -> _Any:
    """``nalu_ext.benchmark``, imported on first use (it is not needed to train a unit)."""
    if name == "benchmark":
        import importlib

        return importlib.import_module(".benchmark", __name__)
    raise AttributeError(f"module 'nalu_ext' has no attribute {name!r}")
