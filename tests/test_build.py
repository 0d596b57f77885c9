"""The compiled core was built as the project promises: optimised, portable, IEEE-exact."""

import nalu_ext


def test_default_build_is_release_without_fast_math_or_native_arch():
    info = nalu_ext.build_info()
    assert info["build_type"] == "Release"
    assert info["optimized"] and not info["asserts"]
    assert not info["fast_math"], "-ffast-math breaks IEEE NaN/Inf semantics the tests rely on"
    assert not info["avx"], "the default build must run on any x86-64 (no -march=native)"
    flags = info["cxx_flags"].split()
    assert "-Wall" in flags and "-Wextra" in flags
    assert not any(f.startswith("-march") or "fast-math" in f or f == "-Ofast" for f in flags)
