"""The units, one module each: its class (registered in ``nalu_ext.UNITS``), initialisation,
NumPy reference formulas and what the benchmark needs of it. Importing this package imports every
module in it, so a new unit joins by adding its file here (and its C++ folder, see
cpp/nalu/unit_registry.hpp); nothing else lists the units.
"""

import importlib
import pkgutil

from ..layers import UNITS

for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["UNITS"]
