"""Rows of one tensor of a GGUF file, found without loading the file's metadata.

Why not ``gguf.GGUFReader``: it turns every metadata array into Python objects, which takes ~12 s for
Gemma's 262,144-token vocabulary, to read a few rows of one tensor. This walks the header once (string
arrays by their length prefixes only) and reads the rows at their offset; the format's constants and
the dequantisation come from the ``gguf`` package.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from gpla.errors import ModelError
from gpla.models.extras import require

_SCALAR = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
_STRING, _ARRAY = 8, 9


@dataclass(frozen=True)
class TensorRows:
    """Where a 2-D tensor's rows live in a GGUF file."""

    path: Path
    name: str
    type_name: str  # gguf.GGMLQuantizationType name, e.g. "Q8_0"
    row_bytes: int
    offset: int  # of row 0, from the start of the file

    def read(self, row: int) -> np.ndarray:
        """Row ``row`` dequantised to float32."""
        from gguf import GGMLQuantizationType
        from gguf.quants import dequantize

        with self.path.open("rb") as f:
            f.seek(self.offset + row * self.row_bytes)
            raw = np.frombuffer(f.read(self.row_bytes), dtype=np.uint8)
        if raw.size != self.row_bytes:
            raise ModelError(f"{self.path}: tensor {self.name} row {row} lies beyond the file's end")
        return dequantize(raw[None, :], GGMLQuantizationType[self.type_name]).reshape(-1)


def find_tensor(path: Path, names: tuple[str, ...]) -> TensorRows | None:
    """The first tensor of ``names`` present in the GGUF at ``path``, or None."""
    gguf = require("gguf", "llamacpp", "the llama.cpp label head")
    GGML_QUANT_SIZES, GGUF_DEFAULT_ALIGNMENT = gguf.GGML_QUANT_SIZES, gguf.GGUF_DEFAULT_ALIGNMENT
    GGUF_MAGIC, GGMLQuantizationType = gguf.GGUF_MAGIC, gguf.GGMLQuantizationType

    try:
        with path.open("rb") as f:
            magic, _version, n_tensors, n_kv = struct.unpack("<IIQQ", f.read(24))
            if magic != GGUF_MAGIC:
                raise ModelError(f"{path} is not a GGUF file")
            alignment = GGUF_DEFAULT_ALIGNMENT
            for _ in range(n_kv):
                key = _string(f)
                value = _skip_value(f, _unpack(f, "I"))
                if key == "general.alignment" and isinstance(value, int):
                    alignment = value
            infos = {}
            for _ in range(n_tensors):
                name = _string(f)
                dims = [_unpack(f, "Q") for _ in range(_unpack(f, "I"))]
                qtype, offset = _unpack(f, "I"), _unpack(f, "Q")
                infos[name] = (dims, qtype, offset)
            data_start = -(-f.tell() // alignment) * alignment
    except (OSError, struct.error, UnicodeDecodeError) as exc:
        raise ModelError(f"cannot read the GGUF header of {path}: {exc}") from exc
    for name in names:
        if name in infos:
            dims, qtype, offset = infos[name]
            kind = GGMLQuantizationType(qtype)
            block, block_bytes = GGML_QUANT_SIZES[kind]
            return TensorRows(path, name, kind.name, dims[0] // block * block_bytes, data_start + offset)
    return None


def _unpack(f: BinaryIO, fmt: str) -> int:
    size = struct.calcsize("<" + fmt)
    return struct.unpack("<" + fmt, f.read(size))[0]


def _string(f: BinaryIO) -> str:
    return f.read(_unpack(f, "Q")).decode("utf-8")


def _skip_value(f: BinaryIO, kind: int) -> int | None:
    """Read past one metadata value; returns it when it is an integer scalar."""
    if kind == _STRING:
        f.seek(_unpack(f, "Q"), 1)
    elif kind == _ARRAY:
        item, count = _unpack(f, "I"), _unpack(f, "Q")
        if item in _SCALAR:
            f.seek(count * struct.calcsize("<" + _SCALAR[item]), 1)
        else:
            for _ in range(count):
                _skip_value(f, item)
    elif kind in _SCALAR:
        value = _unpack(f, _SCALAR[kind])
        return value if isinstance(value, int) else None
    else:
        raise ModelError(f"unknown GGUF metadata type {kind}")
    return None
