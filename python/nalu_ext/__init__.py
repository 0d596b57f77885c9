"""nalu_ext: neural arithmetic units with hand-written C++ forward and backward kernels.

Public API: the units :class:`NAC` and :class:`NALU`, and :mod:`nalu_ext.reference`, the NumPy
float64 oracle of every kernel.
"""

from . import reference
from ._core import build_info
from .layers import NAC, NALU, Layer

__version__ = "0.1.0"

__all__ = ["NAC", "NALU", "Layer", "build_info", "reference", "__version__"]
