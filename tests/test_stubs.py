"""The stub of the compiled module, python/nalu_ext/_core.pyi, says what the module does: mypy's
stubtest finds no difference (an allowlist only for pybind11's metaclass), every function's
parameter names are the binding's, so a keyword call that type-checks also runs, and it names
what pybind11-stubgen's generated stub names (the hand-written one keeps its more precise types)."""

from __future__ import annotations

import ast
import pathlib
import re
import subprocess
import sys
from typing import Dict, List

import pytest

import nalu_ext
from nalu_ext import _core

ISA_INDEPENDENT = True
STUB = pathlib.Path(nalu_ext.__file__).with_name("_core.pyi")


def stub_signatures() -> Dict[str, List[str]]:
    """'name' or 'Class.name' -> parameter names (without self), from the stub."""
    found: Dict[str, List[str]] = {}

    def params(fn: ast.FunctionDef) -> List[str]:
        return [a.arg for a in fn.args.args + fn.args.kwonlyargs if a.arg != "self"]

    for node in ast.parse(STUB.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef):
            found[node.name] = params(node)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and not item.args.vararg and not item.decorator_list:
                    found[f"{node.name}.{item.name}"] = params(item)
    return found


def runtime_parameter_lists(obj: object, name: str) -> List[List[str]]:
    """The parameter names of each overload in a pybind11 function's docstring."""
    lines = [line for line in (obj.__doc__ or "").splitlines() if re.match(rf"(\d+\. )?{name}\(", line)]
    if any(line[0].isdigit() for line in lines):  # overloaded: the numbered overloads, not (*args, **kwargs)
        lines = [line for line in lines if line[0].isdigit()]
    out = []
    for line in lines:
        inner = line[line.index("(") + 1:line.rindex(")")]
        names = [part.split(":")[0].strip() for part in re.split(r",\s*(?![^\[]*\])", inner) if part.strip()]
        out.append([n for n in names if n != "self"])
    return out


def resolve(qualified: str) -> List[object]:
    """The runtime objects a stub name stands for: '_Layer.forward' is checked on Layer_f32 and
    Layer_f64 (the stub's private bases stand for both dtypes)."""
    if "." not in qualified:
        return [getattr(_core, qualified)]
    cls, attr = qualified.split(".")
    owners = [getattr(_core, cls[1:] + s) for s in ("_f32", "_f64")] if cls.startswith("_") else [getattr(_core, cls)]
    return [getattr(o, attr) for o in owners]


SIGNATURES = stub_signatures()


@pytest.mark.parametrize("qualified", sorted(SIGNATURES))
def test_stub_parameter_names_are_the_bindings(qualified):
    name = qualified.split(".")[-1]
    for obj in resolve(qualified):
        lists = runtime_parameter_lists(obj, name)
        assert lists, f"{qualified}: no signature in the binding's docstring"
        for names in lists:
            assert names == SIGNATURES[qualified], f"{qualified}: binding {names}, stub {SIGNATURES[qualified]}"


def test_stubtest_is_clean(tmp_path):
    allowlist = tmp_path / "allowlist"
    allowlist.write_text("nalu_ext._core.*_f32\nnalu_ext._core.*_f64\n")  # "metaclass differs" only
    pytest.importorskip("mypy")
    done = subprocess.run([sys.executable, "-m", "mypy.stubtest", "nalu_ext._core", "--allowlist", str(allowlist)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_readmes_python_examples_type_check_strictly(tmp_path):
    """Every ```python block of the README passes mypy --strict (against the installed package)."""
    readme = pathlib.Path(__file__).parent.parent / "README.md"
    blocks = re.findall(r"```python\n(.*?)```", readme.read_text(encoding="utf-8"), re.S)
    assert blocks, "the README has no Python example"
    pytest.importorskip("mypy")
    for k, block in enumerate(blocks):
        (tmp_path / f"example_{k}.py").write_text(block, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir",
                           str(tmp_path / "cache"), *sorted(str(p) for p in tmp_path.glob("example_*.py"))],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def _members(path: pathlib.Path) -> Dict[str, List[str]]:
    """'name' or 'Class.member' -> parameter names (without self; [] for a property or an
    attribute) of a stub file, each class's members including those of its bases in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}

    def params(fn: ast.FunctionDef) -> List[str]:
        if any(isinstance(d, ast.Name) and d.id == "property" for d in fn.decorator_list):
            return []
        return [a.arg for a in fn.args.args + fn.args.kwonlyargs if a.arg != "self"]

    def of_class(node: ast.ClassDef) -> Dict[str, List[str]]:
        found: Dict[str, List[str]] = {}
        for base in node.bases:
            if isinstance(base, ast.Name) and base.id in classes:
                found.update(of_class(classes[base.id]))
        for item in node.body:
            setter = isinstance(item, ast.FunctionDef) and any(
                isinstance(d, ast.Attribute) and d.attr == "setter" for d in item.decorator_list)
            if setter:  # a property's setter: the property itself is the member
                continue
            if isinstance(item, ast.FunctionDef) and (not item.name.startswith("_") or item.name == "__init__"):
                found[item.name] = params(item)
            elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                found[item.target.id] = []
        return found

    members: Dict[str, List[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            members[node.name] = params(node)
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            members.update({f"{node.name}.{m}": p for m, p in of_class(node).items()})
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id != "__all__":
            members[node.target.id] = []
    return members


def test_the_stub_names_what_pybind11_stubgen_finds(tmp_path):
    """The hand-written stub (more precise types) against the one pybind11-stubgen generates from
    the binding: the same public functions, classes, members and parameter names, both ways. The
    generated one gives a constructor-less class the *args/**kwargs default of pybind11, which the
    stub spells out; those are left out of the comparison."""
    pytest.importorskip("pybind11_stubgen")
    done = subprocess.run([sys.executable, "-m", "pybind11_stubgen", "nalu_ext._core", "-o", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    generated = _members(tmp_path / "nalu_ext" / "_core.pyi")
    written = _members(STUB)
    for members in (generated, written):
        for name in [n for n, p in members.items() if n.endswith(".__init__") and p in ([], ["args", "kwargs"])]:
            del members[name]
    assert sorted(set(generated) - set(written)) == [] and sorted(set(written) - set(generated)) == []
    assert {n: p for n, p in generated.items() if p != written[n]} == {}
