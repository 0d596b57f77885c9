"""Reading a model file's ``.npz`` archive without trusting it: every allocation is bounded by the
file's own size.

``np.load`` believes what an archive says of itself: an ``.npy`` header may declare a shape
whose data the file does not hold, a deflated entry may inflate a thousandfold, and a failed open
leaves the file handle to the garbage collector. nalu_ext writes (``np.savez``) every entry
uncompressed, so here each entry must be stored, unencrypted, and exactly as long as its header's
dtype and shape say, inside the file; otherwise :class:`ModelFileError`.
"""

from __future__ import annotations

import inspect
import math
import os
import zipfile
from typing import IO, Dict, List, NamedTuple, Tuple

import numpy as np

from .errors import ModelFileError

NPY_MAGIC = b"\x93NUMPY"
MAX_HEADER_BYTES = 10_000  # np.lib.format's own bound on an .npy header (NumPy >= 1.24)
# NumPy < 1.24 has no max_header_size (nor the bound); there the entry's size bounds what is read
_HEADER_BOUND = ({"max_header_size": MAX_HEADER_BYTES}
                 if "max_header_size" in inspect.signature(np.lib.format.read_array_header_1_0).parameters else {})
# dtypes a model file stores: parameters, optimizer state, the metadata string
ALLOWED_KINDS = "fiub" + "U"


class Entry(NamedTuple):
    info: zipfile.ZipInfo
    dtype: np.dtype
    shape: Tuple[int, ...]
    fortran_order: bool
    data_offset: int  # of the array's bytes inside the entry


class StrictNpz:
    """The arrays of an ``.npz`` archive open in ``f``, their headers checked against the bytes
    the file holds (see the module's docstring). ``files`` lists the names without ``.npy``."""

    def __init__(self, f: IO[bytes], path: str) -> None:
        self.path = path
        size = os.fstat(f.fileno()).st_size
        head = f.read(len(NPY_MAGIC))
        f.seek(0)
        if head == NPY_MAGIC:
            raise ModelFileError(f"{path} holds a single array, not a nalu_ext model file")
        try:
            self.zip = zipfile.ZipFile(f)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as err:
            raise ModelFileError(f"{path} is not a readable nalu_ext model file: not a zip archive ({err})") from None
        try:
            self.entries: Dict[str, Entry] = {}
            for info in self.zip.infolist():
                name, entry = self._entry(info, size)
                self.entries[name] = entry
        except BaseException:
            self.zip.close()
            raise
        self.files: List[str] = list(self.entries)

    def _error(self, info: zipfile.ZipInfo, what: str) -> ModelFileError:
        return ModelFileError(f"{self.path}: the entry {info.filename!r:.80} {what}; not a nalu_ext model file")

    def _entry(self, info: zipfile.ZipInfo, size: int) -> Tuple[str, Entry]:
        if not info.filename.endswith(".npy"):
            raise self._error(info, "is not an .npy array")
        if info.flag_bits & 0x1:
            raise self._error(info, "is encrypted")
        if info.compress_type != zipfile.ZIP_STORED:
            raise self._error(info, f"is compressed (method {info.compress_type}); nalu_ext stores its "
                                    "arrays uncompressed")
        if info.compress_size != info.file_size or info.header_offset + info.file_size > size:
            raise self._error(info, f"declares {info.file_size} bytes, more than the file holds")
        with self.zip.open(info) as f:
            try:
                version = np.lib.format.read_magic(f)
                read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                               else np.lib.format.read_array_header_2_0)
                shape, fortran_order, dtype = read_header(f, **_HEADER_BOUND)
            except (ValueError, TypeError, SyntaxError, EOFError, OSError) as err:
                raise self._error(info, f"has no valid .npy header ({err})") from None
            data_offset = f.tell()
        if dtype.kind not in ALLOWED_KINDS or dtype.hasobject or dtype.fields is not None:
            raise self._error(info, f"holds {dtype}, not numbers")
        expected = math.prod(shape) * dtype.itemsize
        if data_offset + expected != info.file_size:
            raise self._error(info, f"declares {dtype}{shape} ({expected} bytes) but holds "
                                    f"{info.file_size - data_offset} bytes of data")
        return info.filename[:-4], Entry(info, dtype, tuple(shape), fortran_order, data_offset)

    def shape(self, name: str) -> Tuple[int, ...]:
        return self.entries[name].shape

    def dtype(self, name: str) -> np.dtype:
        return self.entries[name].dtype

    def __getitem__(self, name: str) -> np.ndarray:
        """The array ``name`` (KeyError when the archive has none), read from its checked bytes."""
        entry = self.entries[name]
        nbytes = entry.info.file_size - entry.data_offset
        with self.zip.open(entry.info) as f:
            f.seek(entry.data_offset)
            data = f.read(nbytes)
        if len(data) != nbytes:
            raise ModelFileError(f"{self.path}: the entry {entry.info.filename!r} is truncated")
        array = np.frombuffer(data, dtype=entry.dtype)
        return array.reshape(entry.shape, order="F" if entry.fortran_order else "C").copy()

    def close(self) -> None:
        self.zip.close()

    def __enter__(self) -> "StrictNpz":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
