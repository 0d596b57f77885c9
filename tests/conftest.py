import numpy as np
import pytest

from nalu_ext import _core

ISAS = _core.build_info()["isas"]


@pytest.fixture(autouse=True, scope="module", params=ISAS, ids=lambda isa: f"isa={isa}")
def isa(request):
    """Every test module runs once per instruction-set path this CPU supports (baseline, avx2)."""
    before = _core.build_info()["isa"]
    _core.set_isa(request.param)
    yield request.param
    _core.set_isa(before)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)
