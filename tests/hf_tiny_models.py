"""Tiny randomly initialised transformers models on disk, for any test folder:

    from hf_tiny_models import tiny_causal_model, tokenizer_files

Real transformers code paths (tokenizer, padding, KV cache, forward pass), random weights, no hub:
the tokenizer is the BERT WordPiece one shipped with the packaged MiniLM.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from gpla.models.embeddings import default_model_dir


def tokenizer_files(folder: Path) -> None:
    """The packaged MiniLM's tokenizer, copied next to a model."""
    src = default_model_dir()
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        shutil.copy(src / name, folder / name)


def tiny_causal_model(folder: Path) -> Path:
    """A 2-layer GPT-2 (seeded) with that tokenizer, saved in ``folder``."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    config = GPT2Config(vocab_size=30522, n_positions=256, n_embd=32, n_layer=2, n_head=2)
    GPT2LMHeadModel(config).save_pretrained(folder)
    tokenizer_files(folder)
    return folder
