"""The label head's pieces without a model: the GGUF row reader and ggml's activation rounding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gpla.errors import ModelError
from gpla.models.gguf_tensors import find_tensor
from gpla.models.label_head import round_bf16, round_q8_0, round_q8_K

gguf = pytest.importorskip("gguf")


def write_gguf(path: Path, weights: np.ndarray) -> None:
    """A small GGUF with a string-array vocabulary (the part the reader must skip) and a Q8_0 matrix."""
    writer = gguf.GGUFWriter(str(path), "test")
    writer.add_array("tokenizer.ggml.tokens", [f"tok{i}" for i in range(len(weights))])
    writer.add_array("tokenizer.ggml.scores", [float(i) for i in range(len(weights))])
    writer.add_uint32("test.context_length", 8)
    writer.add_tensor("output_norm.weight", np.ones(weights.shape[1], dtype=np.float32))
    q = gguf.quants.quantize(weights, gguf.GGMLQuantizationType.Q8_0)
    writer.add_tensor("token_embd.weight", q, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def test_rows_are_read_at_their_offset(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    weights = rng.normal(size=(50, 64)).astype(np.float32)
    path = tmp_path / "tiny.gguf"
    write_gguf(path, weights)
    rows = find_tensor(path, ("output.weight", "token_embd.weight"))
    assert rows is not None and rows.name == "token_embd.weight" and rows.type_name == "Q8_0"
    reference = gguf.GGUFReader(str(path)).get_tensor(1)
    for token in (0, 17, 49):
        expected = gguf.quants.dequantize(reference.data[token : token + 1], reference.tensor_type)
        np.testing.assert_array_equal(rows.read(token), expected.reshape(-1))
        np.testing.assert_allclose(rows.read(token), weights[token], atol=0.02)
    assert find_tensor(path, ("missing.weight",)) is None
    with pytest.raises(ModelError, match="beyond the file's end"):
        rows.read(10_000)


def test_a_file_that_is_not_gguf_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.gguf"
    path.write_bytes(b"not a gguf file at all, just some bytes")
    with pytest.raises(ModelError, match="not a GGUF file"):
        find_tensor(path, ("token_embd.weight",))


def test_q8_0_rounding_keeps_32_levels_per_block_scale() -> None:
    x = np.linspace(-3.0, 5.0, 64, dtype=np.float32)
    y = round_q8_0(x)
    scale = np.float32(np.float16(5.0 / 127))
    np.testing.assert_allclose(y[32:] / scale, np.rint(y[32:] / scale), atol=1e-4)
    assert np.abs(y - x).max() <= 5.0 / 127  # at most one step off
    np.testing.assert_array_equal(round_q8_0(np.zeros(32, dtype=np.float32)), 0)


def test_q8_K_rounding_maps_the_largest_value_to_127_steps() -> None:
    x = np.zeros(256, dtype=np.float32)
    x[3], x[10] = -2.0, 1.0
    y = round_q8_K(x)
    assert y[3] == pytest.approx(-2.0) and y[10] == pytest.approx(1.0, abs=2.0 / 127)
    np.testing.assert_array_equal(round_q8_K(np.zeros(256, dtype=np.float32)), 0)


def test_bf16_rounding_is_to_nearest_even() -> None:
    one_ulp = np.float32(2.0**-7)  # bf16 has 7 explicit mantissa bits
    x = np.array([1.0, 1.0 + one_ulp / 2, 1.0 + 1.5 * one_ulp, 1.0 + 0.75 * one_ulp], np.float32)
    np.testing.assert_array_equal(round_bf16(x), [1.0, 1.0, 1.0 + 2 * one_ulp, 1.0 + one_ulp])
