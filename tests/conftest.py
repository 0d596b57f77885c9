import os

import numpy as np
import pytest

from nalu_ext import _core

ISAS = _core.build_info()["isas"]


def pytest_generate_tests(metafunc):
    """Every test module runs once per instruction-set path this CPU supports (baseline, avx2, avx512),
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


ASAN_SKIPS = {
    "huge_allocation": "AddressSanitizer aborts on a failed huge allocation",
    "kills_processes": "a process SIGKILLed under AddressSanitizer leaves reports that cannot be read",
    "emulated_cpu": "an AddressSanitizer build cannot run under qemu-user (its shadow memory)",
}


def pytest_collection_modifyitems(config, items):
    """.ci/sanitize sets NALU_EXT_SANITIZER; some tests cannot run under AddressSanitizer (see
    ASAN_SKIPS and .ci/sanitize)."""
    if os.environ.get("NALU_EXT_SANITIZER") != "address":
        return
    for item in items:
        for marker, reason in ASAN_SKIPS.items():
            if marker in item.keywords:
                item.add_marker(pytest.mark.skip(reason=reason))
