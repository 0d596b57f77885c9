"""What a type checker sees of the public API: a user's script over every entry point passes
mypy --strict and runs; the mistakes a type checker should catch are caught, line by line; the
package itself is mypy --strict clean; the Literal types of the API's choices are the run-time
choices."""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys
import typing

import numpy as np
import pytest

from nalu_ext import _types
from nalu_ext.units import inalu, linear, nalu, nau

ISA_INDEPENDENT = True
HERE = pathlib.Path(__file__).parent / "typing"
mypy = pytest.importorskip("mypy")  # the test group installs it
# numpy's stubs before 2.0 give ndarray no default type parameters, so --strict asks for them on
# every bare np.ndarray: the package is type-checked against numpy >= 2 (CI's latest numpy), and
# these tests skip on the lowest supported numpy (.ci/lowest), where only its run time is tested
pytestmark = pytest.mark.skipif(int(np.__version__.split(".")[0]) < 2,
                                reason="type-checked against numpy >= 2 (its stubs' default type parameters)")


def run_mypy(tmp_path: pathlib.Path, *targets: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir",
                           str(tmp_path / "cache"), *targets], capture_output=True, text=True, timeout=600,
                          cwd=tmp_path)


def test_a_script_over_every_public_entry_point_type_checks_and_runs(tmp_path):
    script = str(HERE / "uses_every_entry_point.py")
    done = run_mypy(tmp_path, script)
    assert done.returncode == 0, done.stdout + done.stderr
    ran = subprocess.run([sys.executable, script], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr


def test_the_mistakes_a_type_checker_should_catch_are_caught(tmp_path):
    misuses = HERE / "misuses.py"
    expected = {number for number, line in enumerate(misuses.read_text().splitlines(), 1) if "# error:" in line}
    done = run_mypy(tmp_path, str(misuses))
    found = {int(m) for m in re.findall(r"misuses\.py:(\d+): error", done.stdout)}
    assert found == expected, done.stdout


def test_the_package_is_mypy_strict_clean(tmp_path):
    root = pathlib.Path(__file__).parent.parent  # the source tree: pyproject.toml's [tool.mypy], strict = true
    done = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir", str(tmp_path / "cache")],
                          capture_output=True, text=True, timeout=600, cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("literal, choices", [(_types.ConstraintName, nau.CONSTRAINTS),
                                              (_types.ActivationName, linear.ACTIVATIONS),
                                              (_types.RegularizerFormName, inalu.REGULARIZER_FORMS),
                                              (_types.GateName, nalu.NALU.GATES),
                                              (_types.NaluBase, nalu.NALU.BASES)])
def test_the_literal_types_are_the_run_time_choices(literal, choices):
    assert typing.get_args(literal) == tuple(choices)
