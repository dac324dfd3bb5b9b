"""``hf:default``: the packaged Gemma 3 270M GGUF as a transformers folder, converted once per cache.

transformers reads a GGUF (``from_pretrained(dir, gguf_file=name)``, which needs ``accelerate``), but
the model it returns is flagged as GGUF-quantised although its weights are already dequantised to
float32, so it cannot be saved and reloaded as a plain model. The weights are therefore copied into a
model built from the same config without that flag and saved in float32 (~1 GB; one to a few minutes
on a CPU). The folder serves ``hf:default`` and vLLM (which loads transformers folders).

It lives in ``$GPLA_CACHE_DIR/hf/<gguf name>-<size>``; it is written to a temporary sibling and renamed
when complete, under a file lock, so an interrupted or concurrent conversion never leaves a half folder
that looks done.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from gpla.errors import ModelError
from gpla.models.extras import require

log = logging.getLogger("gpla.models")
DONE = "gpla-converted.txt"  # written last: its presence means the folder is complete


def default_folder(cache: Path | None = None) -> Path:
    """The converted folder under ``cache`` (default ``$GPLA_CACHE_DIR``), converting on first use."""
    from gpla.models.cache import cache_dir
    from gpla.models.llamacpp import default_model_path

    gguf = default_model_path(extra="hf")
    root = (cache or cache_dir()) / "hf"
    target = root / f"{gguf.stem}-{gguf.stat().st_size}"
    if (target / DONE).is_file():
        return target
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root / f"{target.name}.lock"):
        if not (target / DONE).is_file():
            partial = root / f"{target.name}.partial-{os.getpid()}"
            shutil.rmtree(partial, ignore_errors=True)
            log.warning(
                "hf:default: converting %s into %s once (one to a few minutes)", gguf.name, target
            )
            try:
                convert_gguf(gguf, partial)
                shutil.rmtree(target, ignore_errors=True)
                partial.rename(target)
            finally:
                shutil.rmtree(partial, ignore_errors=True)
    return target


def convert_gguf(gguf: Path, out: Path) -> None:
    """Write ``gguf`` as a plain float32 transformers folder (weights, config, tokenizer) to ``out``."""
    import torch

    transformers = require("transformers", "hf", "hf:default")
    require("accelerate", "hf", "hf:default")  # transformers reads a GGUF only with it
    require("gguf", "hf", "hf:default")
    AutoModelForCausalLM, AutoTokenizer = transformers.AutoModelForCausalLM, transformers.AutoTokenizer
    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        read = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
        config = read.config
        if hasattr(config, "quantization_config"):
            del config.quantization_config  # the flag that stops a reload as a plain model
        plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        plain.load_state_dict(read.state_dict())
        plain.generation_config = read.generation_config
        del read
        plain.save_pretrained(out)
        tokenizer.save_pretrained(out)
    except Exception as exc:
        raise ModelError(f"cannot convert {gguf} into a transformers folder: {exc}") from exc
    (out / DONE).write_text(f"converted from {gguf.name} ({gguf.stat().st_size} bytes)\n")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock between processes (a second converter waits, then finds the folder done)."""
    try:
        import fcntl
    except ImportError:  # no fcntl (Windows): the rename still keeps a half folder from counting
        yield
        return
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
