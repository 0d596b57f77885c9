"""Saving and loading models: one .npz file with the architecture (JSON) and the parameters.

Files are written atomically: to a temporary file in the same directory, flushed to disk, then
renamed over the target, so a failed save never leaves a half-written file where an earlier one
was. The parameters are copied under the layers' locks, so a save taken while another thread
trains the model holds the parameters after one of its steps, never a mix of two. An overwritten
file keeps its permissions; a new one gets the default permissions (0666 less the umask). The
temporary file's name carries the saving process's id; a save removes the temporary files that
killed processes left behind for the same target. Parameters round-trip bit-exactly (stored in
their own dtype). Loading checks every entry's header against the bytes the file holds (_npz)
and the metadata before it allocates anything: a file cannot make load allocate more than a small
multiple of its own size.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
import zipfile
from dataclasses import dataclass
from typing import IO, Any, Callable, Dict, List, Mapping, Optional, Protocol, Tuple, Union

import numpy as np

from . import _checks
from ._npz import StrictNpz
from .errors import ModelFileError
from .layers import Layer, from_config
from .units import UNITS

FORMAT = "nalu_ext.Sequential"
VERSION = 1
META_KEY = "__nalu_ext__"

PathLike = Union[str, "os.PathLike[str]"]


class SavableModel(Protocol):
    """What saving needs of a model (nalu_ext.Sequential): its layers' configs and parameters."""

    _impl: Any

    def config(self) -> List[Dict[str, Any]]: ...  # noqa: E704


@dataclass
class StoredModel:
    """What a model file holds: the layers (parameters and step counts restored), the model's
    step count, and the optimizer's state_dict when one was saved."""

    layers: List[Layer]
    steps: int
    optimizer: Optional[Dict[str, Any]]


def save_model(model: SavableModel, path: PathLike, optimizer: Optional[Mapping[str, Any]] = None) -> None:
    """The architecture (JSON metadata), every parameter (in its dtype), the step counts and,
    when given, an optimizer's state_dict (its arrays stored as arrays)."""
    path = os.fspath(path)
    params, layer_steps, steps = model._impl.snapshot()
    meta: Dict[str, Any] = {"format": FORMAT, "version": VERSION, "layers": model.config(),
                            "steps": {"model": int(steps), "layers": [int(s) for s in layer_steps]}}
    arrays: Dict[str, Any] = {}
    for i, values in enumerate(params):
        for name, value in values.items():
            arrays[f"layer{i}/{name}"] = value
    if optimizer is not None:
        hyper = {k: (list(v) if isinstance(v, tuple) else v) for k, v in optimizer["hyper"].items()}
        meta["optimizer"] = {"kind": optimizer["kind"], "hyper": hyper, "steps": int(optimizer["steps"]),
                             "state": {name: len(values) for name, values in optimizer["state"].items()}}
        for name, values in optimizer["state"].items():
            for k, value in enumerate(values):
                arrays[f"optimizer/{name}/{k}"] = value
    arrays[META_KEY] = np.array(json.dumps(meta, allow_nan=False))
    write_atomically(path, lambda f: np.savez(f, **arrays))


def write_atomically(path: str, write: Callable[[IO[bytes]], None]) -> None:
    """Calls write(file) on a temporary file beside ``path``, syncs it and renames it over
    ``path``; on any error (or Ctrl-C) the temporary file is removed and ``path`` is untouched."""
    directory = os.path.dirname(os.path.abspath(path))
    base = os.path.basename(path)
    _remove_stale_temporaries(directory, base)
    mode = _mode_for(path)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{base}.{os.getpid()}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)  # mkstemp creates 0600
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _mode_for(path: str) -> int:
    """The permissions the saved file gets: those of the file it replaces, else 0666 & ~umask."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return 0o666 & ~_umask()


def _umask() -> int:
    try:  # Linux: read it without changing it (os.umask would, for every thread, for a moment)
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _remove_stale_temporaries(directory: str, base: str) -> None:
    """Removes .<base>.<pid>.*.tmp files of processes that no longer run (a save killed before
    its rename); those of running processes (a concurrent save) are left alone."""
    prefix = f".{base}."
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        # exactly <pid>.<mkstemp's random part, which has no dot>: the temporary file of a save to
        # "ckpt.20000.npz" also starts with ".ckpt." and must not be read as process 20000's
        parts = name[len(prefix):-len(".tmp")].split(".")
        if len(parts) != 2 or not parts[0].isdigit():
            continue
        pid = int(parts[0])
        if pid == os.getpid() or _process_exists(pid):
            continue
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(directory, name))


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # another user's process (or a pid the OS cannot take): do not touch its file
    return True


def read_model(path: PathLike) -> StoredModel:
    """What :meth:`Sequential.save` wrote at ``path``, parameters bit-identical (files written
    before step counts were stored give 0 steps).

    Raises FileNotFoundError for a missing file and :class:`ModelFileError` for a file that is not
    a complete nalu_ext model file (truncated, corrupt, inconsistent, or something else).
    """
    path = os.fspath(path)
    try:
        with open(path, "rb") as f, StrictNpz(f, path) as archive:
            return _read_archive(archive, path)
    except (FileNotFoundError, ModelFileError):
        raise
    except RecursionError:  # metadata nested too deeply for the JSON parser
        raise ModelFileError(f"{path}: the metadata is nested too deeply to be a nalu_ext model file") from None
    # NotImplementedError, RuntimeError: zipfile's answers to a damaged version, compression or
    # encryption field
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, EOFError, OSError, NotImplementedError,
            RuntimeError) as err:
        raise ModelFileError(f"{path} is not a readable nalu_ext model file: {err}") from err


def _read_archive(archive: StrictNpz, path: str) -> StoredModel:
    """The model in a checked archive: metadata first, each layer built only once the file is
    known to store its values, then its parameters copied in."""
    meta = _read_meta(archive, path)
    configs = _layer_configs(meta, path)
    shapes = {key: archive.shape(key) for key in archive.files}
    layers = [_layer_from(config, i, shapes, path) for i, config in enumerate(configs)]
    for i, layer in enumerate(layers):
        for name, target in layer.params.items():
            key = f"layer{i}/{name}"
            if key not in shapes:
                raise ModelFileError(f"{path}: layer {i} ({type(layer).__name__}) has no stored parameter {name}")
            stored_dtype = archive.dtype(key)
            if shapes[key] != target.shape or stored_dtype != target.dtype:
                raise ModelFileError(
                    f"{path}: layer {i} parameter {name} is {stored_dtype}{shapes[key]}, "
                    f"the architecture says {target.dtype}{target.shape}")
            target[...] = archive[key]
    steps = meta.get("steps", {"model": 0, "layers": [0] * len(layers)})
    try:
        layer_steps = [_checks.integer(s, "steps") for s in steps["layers"]]
        model_steps = _checks.integer(steps["model"], "steps")
        if len(layer_steps) != len(layers):
            raise ValueError(f"{len(layer_steps)} layer step counts for {len(layers)} layers")
    except (KeyError, TypeError, ValueError) as err:
        raise ModelFileError(f"{path}: bad step counts: {err}") from None
    for layer, count in zip(layers, layer_steps):
        layer._impl.steps = count
    return StoredModel(layers, model_steps, _read_optimizer(archive, meta, path))


def _read_meta(archive: Any, path: str) -> Dict[str, Any]:
    """The metadata object, its format and version checked."""
    if META_KEY not in archive.files:
        raise ModelFileError(f"{path} has no nalu_ext metadata: not a nalu_ext model file")
    stored = archive[META_KEY]
    if stored.dtype.kind != "U" or stored.shape != ():
        raise ModelFileError(f"{path}: the metadata is {stored.dtype}{stored.shape}, expected a JSON string")
    meta = json.loads(str(stored[()]))
    if not isinstance(meta, dict):
        raise ModelFileError(f"{path}: the metadata is a {type(meta).__name__}, expected a JSON object")
    if meta.get("format") != FORMAT:
        raise ModelFileError(f"{path}: format {meta.get('format')!r}, expected {FORMAT!r}")
    if meta.get("version") != VERSION:
        raise ModelFileError(f"{path}: format version {meta.get('version')!r}, this nalu_ext reads {VERSION}")
    return meta


def _read_optimizer(archive: Any, meta: Dict[str, Any], path: str) -> Optional[Dict[str, Any]]:
    """The optimizer's state_dict stored beside the model, or None."""
    stored = meta.get("optimizer")
    if stored is None:
        return None
    try:
        state = {name: [archive[f"optimizer/{name}/{k}"] for k in range(int(count))]
                 for name, count in stored["state"].items()}
        hyper = dict(stored["hyper"])
        if isinstance(hyper.get("betas"), list):
            hyper["betas"] = tuple(hyper["betas"])
        return {"kind": stored["kind"], "hyper": hyper, "steps": stored["steps"], "state": state}
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise ModelFileError(f"{path}: the stored optimizer is incomplete: {err}") from None


def _layer_configs(meta: Dict[str, Any], path: str) -> List[Dict[str, Any]]:
    """The metadata's layer list, checked for its shape (not yet for its values)."""
    configs = meta.get("layers")
    if not isinstance(configs, list) or not configs or not all(isinstance(c, dict) for c in configs):
        raise ModelFileError(f"{path}: the metadata's 'layers' must be a non-empty list of objects, got {configs!r:.200}")
    return configs


def _layer_from(config: Dict[str, Any], index: int, shapes: Dict[str, Tuple[int, ...]], path: str) -> Layer:
    config = dict(config)
    kind = config.pop("kind", None)
    if kind not in UNITS:
        raise ModelFileError(f"{path}: layer {index} has unknown kind {kind!r} (known: {sorted(UNITS)})")
    try:
        in_features = _checks.positive(config.pop("in_features", None), "in_features")
        out_features = _checks.positive(config.pop("out_features", None), "out_features")
    except (TypeError, ValueError) as err:
        raise ModelFileError(f"{path}: layer {index} ({kind}): {err}") from None
    # Every unit has an (out, in) weight matrix, so a layer this file really stores has at least
    # in·out stored values: checked before the layer allocates its parameters.
    stored = sum(int(np.prod(shape)) for key, shape in shapes.items() if key.startswith(f"layer{index}/"))
    if in_features * out_features > stored:
        raise ModelFileError(f"{path}: layer {index} is declared {kind}({in_features}, {out_features}) "
                             f"but the file stores only {stored} of its values")
    try:
        return from_config(dict(config, kind=kind, in_features=in_features, out_features=out_features))
    except (TypeError, ValueError) as err:
        raise ModelFileError(f"{path}: layer {index} ({kind}) has invalid settings {config!r}: {err}") from None
