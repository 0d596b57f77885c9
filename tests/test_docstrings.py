"""Every public name says what it does (help() shows it), in numpydoc form: a function or method
that takes arguments has a Parameters section, one that returns something a Returns section, and
a class documents its constructor's parameters (its own docstring, or its __init__'s)."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any, Iterator, Tuple

import pytest

import nalu_ext

ISA_INDEPENDENT = True


def public_objects() -> Iterator[Tuple[str, Any]]:
    for name in nalu_ext.__all__:
        obj = getattr(nalu_ext, name)
        if inspect.ismodule(obj) or name.startswith("__"):
            continue
        yield name, obj
        if inspect.isclass(obj):
            for attr, value in vars(obj).items():
                if (attr.startswith("_") and attr != "__init__") or not (callable(value) or isinstance(value, property)):
                    continue
                if attr == "__init__" and dataclasses.is_dataclass(obj):
                    continue  # generated from the fields, which the class docstring documents
                yield f"{name}.{attr}", value


OBJECTS = dict(public_objects())


def own_params(fn: Any) -> list:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return []
    return [p for p in sig.parameters.values() if p.name not in ("self", "cls")
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


@pytest.mark.parametrize("name", sorted(n for n, o in OBJECTS.items() if callable(o) or isinstance(o, property)))
def test_public_name_is_documented(name):
    obj = OBJECTS[name]
    target = obj.fget if isinstance(obj, property) else obj
    doc = inspect.getdoc(target)
    assert doc and not doc.startswith("Initialize self"), f"{name} has no docstring of its own"
    if inspect.isclass(obj):
        if own_params(obj.__init__) and not issubclass(obj, BaseException):
            init_doc = inspect.getdoc(obj.__init__) or ""
            assert "Parameters\n----------" in doc + init_doc, f"{name}: constructor parameters undocumented"
        return
    if isinstance(obj, property) or name.endswith("__init__") or inspect.isbuiltin(target):
        return  # a compiled function's docstring is its pybind11 signature and text
    if own_params(target):
        assert "Parameters\n----------" in doc, f"{name}: no Parameters section"
    returns = inspect.signature(target).return_annotation
    if returns not in ("None", None, inspect.Signature.empty):
        assert "Returns\n-------" in doc, f"{name}: no Returns section"
