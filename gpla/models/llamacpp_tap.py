"""Read llama.cpp's final-norm hidden states and skip its output layer (issue 8).

ggml's scheduler calls an evaluation callback for every graph node: with ``ask=True`` it asks whether
we want to see the node, with ``ask=False`` it hands the computed node over, and returning False then
cancels the rest of the graph (documented in ``ggml-backend.h``). The tap asks only for
``result_norm`` (the hidden states of the rows that want logits, after the final norm), copies them and
stops, so the full-vocabulary output layer is never computed. The KV cache is written inside the layers,
before that node, so the context stays usable.
"""

from __future__ import annotations

import ctypes
from pathlib import Path
from typing import Any

import numpy as np

from gpla.errors import ModelError

NODE = b"result_norm"


def _ggml_base() -> Any:
    import llama_cpp
    from llama_cpp._ctypes_extensions import load_shared_library

    lib = load_shared_library("ggml-base", Path(llama_cpp.__file__).parent / "lib")
    lib.ggml_get_name.restype = ctypes.c_char_p
    lib.ggml_get_name.argtypes = [ctypes.c_void_p]
    lib.ggml_nbytes.restype = ctypes.c_size_t
    lib.ggml_nbytes.argtypes = [ctypes.c_void_p]
    lib.ggml_nelements.restype = ctypes.c_int64
    lib.ggml_nelements.argtypes = [ctypes.c_void_p]
    lib.ggml_backend_tensor_get.restype = None
    lib.ggml_backend_tensor_get.argtypes = [
        ctypes.c_void_p,
        ctypes.c_void_p,
        ctypes.c_size_t,
        ctypes.c_size_t,
    ]
    return lib


class HiddenStateTap:
    """An evaluation callback for ``llama_context_params.cb_eval`` that keeps ``result_norm``."""

    def __init__(self, n_embd: int) -> None:
        import llama_cpp

        self._lib = _ggml_base()
        self.n_embd = n_embd
        self.rows: np.ndarray | None = None
        self._error: BaseException | None = None
        # Keep a reference: ctypes frees the trampoline with the Python object.
        self.callback = llama_cpp.ggml_backend_sched_eval_callback(self._on_node)

    def reset(self) -> None:
        self.rows, self._error = None, None

    def hidden(self) -> np.ndarray:
        """The rows captured by the last decode, shape (n_outputs, n_embd)."""
        if self._error is not None:
            raise ModelError(f"reading llama.cpp's hidden states failed: {self._error}")
        if self.rows is None:
            raise ModelError(f"llama.cpp's graph has no {NODE.decode()} node for this model")
        return self.rows

    def _on_node(self, tensor: int, ask: bool, _user_data: int) -> bool:
        try:
            if ask:
                return bool(self._lib.ggml_get_name(tensor) == NODE)
            nbytes = self._lib.ggml_nbytes(tensor)
            if nbytes != 4 * self._lib.ggml_nelements(tensor) or nbytes % (4 * self.n_embd):
                raise ModelError(f"{NODE.decode()} is not an f32 matrix of width {self.n_embd}")
            rows = np.empty(nbytes // 4, dtype=np.float32)
            self._lib.ggml_backend_tensor_get(tensor, rows.ctypes.data, 0, nbytes)
            self.rows = rows.reshape(-1, self.n_embd)
        except BaseException as exc:  # an exception must not cross into C
            self._error = exc
        return False  # stop the graph: the output layer is not needed
