"""The compiled core was built as the project promises: optimised, portable, IEEE-exact."""

import nalu_ext

ISA_INDEPENDENT = True  # how the module was built


def test_default_build_is_release_without_fast_math_or_native_arch():
    info = nalu_ext.build_info()
    assert info["build_type"] == "Release"
    assert info["optimized"] and not info["asserts"]
    assert not info["fast_math"], "-ffast-math breaks IEEE NaN/Inf semantics the tests rely on"
    assert not info["avx"], "the default build must run on any x86-64 (no -march=native)"
    flags = info["cxx_flags"].split()
    assert "-Wall" in flags and "-Wextra" in flags
    assert not any(f.startswith("-march") or "fast-math" in f or f == "-Ofast" for f in flags)


def test_environment_variable_forces_the_baseline_path():
    import subprocess
    import sys

    code = "import nalu_ext; print(nalu_ext.build_info()['isa'])"
    env = dict(__import__("os").environ, NALU_EXT_ISA="baseline")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "baseline"


def test_unknown_isa_is_refused():
    import pytest

    from nalu_ext import _core

    with pytest.raises(ValueError, match="unknown or unsupported ISA 'sse9'"):
        _core.set_isa("sse9")


def test_metadata_has_one_version_a_license_and_the_console_command():
    import importlib.metadata as md

    import nalu_ext

    assert md.version("nalu_ext") == nalu_ext.__version__  # pyproject reads it from __init__.py
    meta = md.metadata("nalu_ext")
    # PEP 639: an SPDX expression and the license file, no "License ::" classifier beside them
    assert meta["License-Expression"] == "MIT" and "LICENSE" in (meta.get_all("License-File") or [])
    assert not any(c.startswith("License ::") for c in meta.get_all("Classifier"))
    assert "Programming Language :: Python :: 3.14" in meta.get_all("Classifier")
    assert meta["Requires-Python"] == ">=3.10"
    scripts = {e.name: e.value for e in md.entry_points(group="console_scripts")}
    assert scripts.get("nalu-ext") == "nalu_ext.cli:main"
    files = [str(f) for f in md.files("nalu_ext") or []]
    assert any(f.endswith("LICENSE") for f in files), files
