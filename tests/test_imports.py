"""The package's modules import each other without a cycle, and each one can be imported first.

A cycle works or fails depending on which module is imported first; here every module is imported
first, each in a fresh interpreter, and the graph of every import statement in the package (in
functions and under TYPE_CHECKING too) is checked for cycles.
"""

from __future__ import annotations

import ast
import importlib.util
import pathlib
import subprocess
import sys
from typing import Dict, List, Set

import pytest

import nalu_ext

ISA_INDEPENDENT = True
PACKAGE = pathlib.Path(nalu_ext.__file__).parent


def module_names() -> Dict[str, pathlib.Path]:
    """Every Python module of the package by dotted name, plus the compiled nalu_ext._core."""
    names: Dict[str, pathlib.Path] = {"nalu_ext._core": PACKAGE / "_core.pyi"}
    for path in PACKAGE.rglob("*.py"):
        parts = ("nalu_ext",) + path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


MODULES = module_names()


def imports_of(name: str, path: pathlib.Path) -> Set[str]:
    """The package's modules that `name` imports anywhere in its source."""
    if path.suffix == ".pyi":
        return set()
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: Set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in MODULES)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target not in MODULES:
                continue
            for alias in node.names:  # `from . import x`: the submodule x, else the package's attribute
                found.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in MODULES else target)
    found.discard(name)
    return found


def find_cycle(graph: Dict[str, Set[str]]) -> List[str]:
    state: Dict[str, int] = {}  # 1: on the current path, 2: done
    path: List[str] = []

    def visit(node: str) -> List[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return []


def test_the_import_graph_has_no_cycle():
    graph = {name: imports_of(name, path) for name, path in MODULES.items()}
    assert "nalu_ext.units.nac" in graph and graph["nalu_ext.units.nac"], "the scan found no imports"
    assert find_cycle(graph) == []


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []


# modules of an optional extra: without it installed, importing them says what to install
OPTIONAL = {"nalu_ext.torch": ("torch", "nalu_ext.torch needs PyTorch; install it beside nalu_ext (the CPU build: "
                                         "pip install torch --index-url https://download.pytorch.org/whl/cpu)"),
            "nalu_ext.sklearn": ("sklearn", "nalu_ext.sklearn needs scikit-learn >= 1.6: pip install 'scikit-learn>=1.6'")}
OPTIONAL["nalu_ext.benchmark.torch_runs"] = OPTIONAL["nalu_ext.torch"]


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n != "nalu_ext.__main__"))
def test_each_module_imports_first_in_a_fresh_interpreter(name):
    done = subprocess.run([sys.executable, "-c", f"import {name}"], capture_output=True, text=True,
                          timeout=120)
    if name in OPTIONAL and importlib.util.find_spec(OPTIONAL[name][0]) is None:
        assert done.returncode != 0
        assert OPTIONAL[name][1] in done.stderr
        return
    assert done.returncode == 0, done.stderr


# the one module outside the benchmark that may name it: the command line dispatches to its command
DISPATCHES_TO_THE_BENCHMARK = {"nalu_ext.cli"}


def test_the_library_imports_nothing_from_the_benchmark(capsys):
    """Layers, models, optimizers, training, saving and the units know nothing of the protocols
    (before the wing, layers imported recipes and every unit carried one). The graph is printed:
    ``pytest -s tests/test_imports.py -k library``."""
    graph = {name: imports_of(name, path) for name, path in MODULES.items()}
    with capsys.disabled():
        print()
        for name in sorted(graph):
            short = sorted(n.replace("nalu_ext.", "") for n in graph[name])
            print(f"  {name.replace('nalu_ext.', '') or 'nalu_ext'} -> {', '.join(short) or '-'}")
    benchmark = {n for n in MODULES if n == "nalu_ext.benchmark" or n.startswith("nalu_ext.benchmark.")}
    assert len(benchmark) > 10, "the scan found no benchmark modules"
    leaks = {name: sorted(graph[name] & benchmark) for name in graph
             if name not in benchmark and name not in DISPATCHES_TO_THE_BENCHMARK and graph[name] & benchmark}
    assert leaks == {}


def test_importing_the_package_does_not_import_the_benchmark():
    done = subprocess.run([sys.executable, "-c", "import sys, nalu_ext, nalu_ext.torch as _t; "
                           "print(sorted(m for m in sys.modules if m.startswith('nalu_ext.benchmark')))"]
                          if importlib.util.find_spec("torch") else
                          [sys.executable, "-c", "import sys, nalu_ext; "
                           "print(sorted(m for m in sys.modules if m.startswith('nalu_ext.benchmark')))"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    again = subprocess.run([sys.executable, "-c", "import nalu_ext; print(nalu_ext.benchmark.make_run.__module__)"],
                           capture_output=True, text=True, timeout=120)
    assert again.stdout.strip() == "nalu_ext.benchmark.sweeps", again.stderr


def test_the_package_names_every_unit_of_the_registry_explicitly():
    """The registry (UNITS) is the source of truth; the package's explicit imports, which type
    checkers read, must name the same classes."""
    import ast
    import pathlib

    import nalu_ext

    tree = ast.parse(pathlib.Path(nalu_ext.__file__).read_text(encoding="utf-8"))
    imported = {alias.asname or alias.name for node in tree.body if isinstance(node, ast.ImportFrom)
                and (node.module or "").startswith("units.") for alias in node.names}
    assert imported == set(nalu_ext.UNITS)
    assert set(nalu_ext.UNITS) <= set(nalu_ext.__all__)
    for name, cls in nalu_ext.UNITS.items():
        assert getattr(nalu_ext, name) is cls
