"""Saving and loading models: one .npz file with the architecture (JSON) and the parameters.

Files are written atomically: to a temporary file in the same directory, flushed to disk, then
renamed over the target, so a failed save never leaves a half-written file where an earlier one
was. Parameters round-trip bit-exactly (stored in their own dtype).
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from typing import Any, Dict, Union

import numpy as np

from .errors import ModelFileError
from .layers import LAYER_KINDS, Layer
from .model import Sequential

FORMAT = "nalu_ext.Sequential"
VERSION = 1
META_KEY = "__nalu_ext__"

PathLike = Union[str, "os.PathLike[str]"]


def save_model(model: Sequential, path: PathLike) -> None:
    path = os.fspath(path)
    meta = {"format": FORMAT, "version": VERSION, "layers": model.config()}
    arrays: Dict[str, Any] = {META_KEY: np.array(json.dumps(meta))}
    for i, layer in enumerate(model.layers):
        for name, value in layer.params.items():
            arrays[f"layer{i}/{name}"] = value
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _layer_from(config: Dict[str, Any]) -> Layer:
    config = dict(config)
    kind = config.pop("kind")
    if kind not in LAYER_KINDS:
        raise ModelFileError(f"unknown layer kind {kind!r} (known: {sorted(LAYER_KINDS)})")
    in_features, out_features = config.pop("in_features"), config.pop("out_features")
    return LAYER_KINDS[kind](in_features, out_features, seed=0, **config)


def load(path: PathLike) -> Sequential:
    """The model saved at ``path`` by :meth:`Sequential.save`, with bit-identical parameters.

    Raises FileNotFoundError for a missing file and :class:`ModelFileError` for a file that is not
    a complete nalu_ext model file (truncated, corrupt, or something else).
    """
    path = os.fspath(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            meta = json.loads(str(archive[META_KEY][()]))
            if meta.get("format") != FORMAT:
                raise ModelFileError(f"{path}: format {meta.get('format')!r}, expected {FORMAT!r}")
            if meta.get("version") != VERSION:
                raise ModelFileError(f"{path}: format version {meta.get('version')!r}, this nalu_ext reads {VERSION}")
            layers = [_layer_from(c) for c in meta["layers"]]
            for i, layer in enumerate(layers):
                for name, target in layer.params.items():
                    stored = archive[f"layer{i}/{name}"]
                    if stored.shape != target.shape or stored.dtype != target.dtype:
                        raise ModelFileError(
                            f"{path}: layer {i} parameter {name} is {stored.dtype}{stored.shape}, "
                            f"the architecture says {target.dtype}{target.shape}")
                    target[...] = stored
            return Sequential(*layers)
    except FileNotFoundError:
        raise
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, EOFError, OSError) as err:
        raise ModelFileError(f"{path} is not a readable nalu_ext model file: {err}") from err
