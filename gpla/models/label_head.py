"""Label logits from a GGUF model's output matrix, without the full-vocabulary output layer (issue 8).

GPV reads a handful of label tokens ("yes", "no", ...) from the next-token distribution, and the
renormalised label probabilities need only those tokens' logits. On Gemma 3 270M the output layer
(262,144 × 640) costs as much as three prompt tokens per decode call, so the shared-prefix scorer stops
llama.cpp's graph after the final norm (``llamacpp_tap.py``) and multiplies by the label rows here.

To reproduce llama.cpp's logits (to float rounding, ~1e-6), the hidden state is rounded the way ggml's
CPU matmul rounds its activations for the weight's type (its ``vec_dot_type``: 32-value Q8 blocks with
an fp16 scale for Q4_0…Q8_0, 256-value Q8_K blocks for the K-quants, fp16/bf16 for those weights)
before the dot product with the dequantised rows: Q8 activation rounding alone moves Gemma's logits by
~0.04. The scorer still compares this head with llama.cpp's own output layer on a probe prompt before
trusting it (``LlamaPrefixScorer``), so an unknown graph (logit soft-capping, scaling) falls back to the
full output layer instead of giving wrong numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from gpla.models.gguf_tensors import TensorRows, find_tensor


def round_q8_0(x: np.ndarray) -> np.ndarray:
    """``x`` (rows of a multiple of 32) after ggml's ``quantize_row_q8_0`` and back: per block of 32,
    q = round(x · 127/amax) and the scale amax/127 stored as fp16."""
    blocks = x.astype(np.float32).reshape(-1, 32)
    amax = np.abs(blocks).max(axis=1)
    safe = np.where(amax != 0, amax, np.float32(1))
    inv = np.where(amax != 0, np.float32(127) / safe, np.float32(0)).astype(np.float32)
    q = np.rint(blocks * inv[:, None])
    scale = (amax / np.float32(127)).astype(np.float16).astype(np.float32)
    return (q * scale[:, None]).reshape(x.shape)


def round_q8_K(x: np.ndarray) -> np.ndarray:
    """``x`` (rows of a multiple of 256) after ggml's ``quantize_row_q8_K_ref`` and back: per block,
    the signed value of largest magnitude maps to -127 and the scale stays fp32."""
    blocks = x.astype(np.float32).reshape(-1, 256)
    first_max = blocks[np.arange(len(blocks)), np.abs(blocks).argmax(axis=1)]
    safe = np.where(first_max != 0, first_max, np.float32(1))
    iscale = np.where(first_max != 0, np.float32(-127) / safe, np.float32(0)).astype(np.float32)
    q = np.minimum(np.rint(blocks * iscale[:, None]), 127)
    with np.errstate(divide="ignore"):
        scale = np.where(iscale != 0, np.float32(1) / iscale, np.float32(0)).astype(np.float32)
    return (q * scale[:, None]).reshape(x.shape)


def round_f16(x: np.ndarray) -> np.ndarray:
    return x.astype(np.float16).astype(np.float32)


def round_bf16(x: np.ndarray) -> np.ndarray:
    # ggml rounds to nearest even by adding 0x7fff plus the lowest kept bit, then truncating.
    bits = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) << 16
    return rounded.astype(np.uint32).view(np.float32)


def _identity(x: np.ndarray) -> np.ndarray:
    return x.astype(np.float32)


# Weight type → how ggml's CPU matmul rounds the activations it multiplies with (its vec_dot_type).
_ACTIVATION_ROUNDING: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "F32": _identity,
    "F16": round_f16,
    "BF16": round_bf16,
    **dict.fromkeys(["Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0"], round_q8_0),
    **dict.fromkeys(["Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"], round_q8_K),
}


class LabelHead:
    """Logits of chosen tokens from final-norm hidden states, as llama.cpp's output layer computes them."""

    def __init__(self, tensor: TensorRows, rounding: Callable[[np.ndarray], np.ndarray]) -> None:
        self._tensor = tensor
        self._round = rounding
        self._rows: dict[int, np.ndarray] = {}
        self.weight_type = tensor.type_name

    @classmethod
    def open(cls, path: Path) -> LabelHead | None:
        """The head of the GGUF at ``path`` (its ``output.weight``, or the tied token embeddings);
        None when its weight type's activation rounding is not known here."""
        tensor = find_tensor(path, ("output.weight", "token_embd.weight"))
        rounding = _ACTIVATION_ROUNDING.get(tensor.type_name) if tensor else None
        return cls(tensor, rounding) if tensor and rounding else None

    def logits(self, hidden: np.ndarray, token_ids: Sequence[int]) -> np.ndarray:
        """``hidden`` (n, n_embd) final-norm states → (n, len(token_ids)) logits."""
        weights = np.stack([self._row(t) for t in token_ids])
        x = np.stack([self._round(h) for h in np.atleast_2d(hidden)])
        return x.astype(np.float64) @ weights.T.astype(np.float64)

    def _row(self, token: int) -> np.ndarray:
        if token not in self._rows:
            self._rows[token] = self._tensor.read(token)
        return self._rows[token]
