import os

import numpy as np
import pytest

from nalu_ext import _core

ISAS = _core.build_info()["isas"]


def pytest_generate_tests(metafunc):
    """Every test module runs once per instruction-set path this CPU supports (baseline, avx2),
    except modules that declare ISA_INDEPENDENT = True (they run once, on the default path)."""
    if "isa" in metafunc.fixturenames:
        independent = getattr(metafunc.module, "ISA_INDEPENDENT", False)
        names = [_core.build_info()["isa"]] if independent else ISAS
        metafunc.parametrize("isa", names, indirect=True, scope="module",
                             ids=[f"isa={n}" for n in names])


@pytest.fixture(autouse=True, scope="module")
def isa(request):
    before = _core.build_info()["isa"]
    _core.set_isa(request.param)
    yield request.param
    _core.set_isa(before)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


def pytest_collection_modifyitems(config, items):
    """.ci/sanitize sets NALU_EXT_SANITIZER; under AddressSanitizer a failed terabyte allocation
    aborts the process instead of raising std::bad_alloc, so those tests cannot run there."""
    if os.environ.get("NALU_EXT_SANITIZER") != "address":
        return
    skip = pytest.mark.skip(reason="AddressSanitizer aborts on a failed huge allocation")
    for item in items:
        if "huge_allocation" in item.keywords:
            item.add_marker(skip)
