"""A tiny T5 shaped like a Kaleido checkpoint, built and briefly trained in the test session:

    from hf_tiny_kaleido import ACTION, tiny_kaleido_model

Its config carries ``task_specific_params`` (``generate`` and ``relevance`` templates with their
placeholder ``args``) and ``system_params`` (thresholds) the way Kaleido's checkpoints do. The
template strings are this test's own: Kaleido's real ones ship inside its checkpoints, which are on the
hub. A word-level tokenizer over ~40 words keeps the model small enough to learn, in ~150 Adam steps on
a CPU, to answer ``ACTION`` with the six ``GENERATIONS`` (so beam search returns them) and to answer the
relevance template with "Yes"/"No" at KaleidoSys's scoring position. Everything else is real
transformers code: tokenizer files, ``from_pretrained``, beam search, the forward pass.
"""

from __future__ import annotations

from pathlib import Path

ACTION = "Telling my friend the truth."
GENERATE = {"template": "[Generate]: ACTION", "args": ["ACTION"]}
RELEVANCE = {"template": "[Relevance]: ACTION | VRD: TEXT", "args": ["ACTION", "VRD", "TEXT"]}
SYSTEM_PARAMS = {
    "relevance_threshold": 0.5,
    "ngram_threshold": 0.7,
    "embed_threshold": 0.9,
    "dedup_across_vrd": True,
}
# generation -> trained relevance (True = "Yes")
GENERATIONS = {
    "Value: Honesty": True,
    "Value: Honesty.": True,
    "Value: Friendship": False,
    "Value: Truthfulness": True,
    "Right: Right to know the truth": True,
    "Duty: Duty to be honest": True,
}
WORDS = (
    "[PAD]", "[UNK]", "[EOS]", "[", "]", ":", "|", ".", "Generate", "Relevance", "Telling", "my",
    "friend", "the", "truth", "Saving", "money", "before", "quitting", "Value", "Right", "Duty",
    "Honesty", "Friendship", "Truthfulness", "Prudence", "Security", "to", "be", "honest", "know",
    "Yes", "No",
)


def _tokenizer(folder: Path) -> None:
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    inner = Tokenizer(models.WordLevel(vocab={w: i for i, w in enumerate(WORDS)}, unk_token="[UNK]"))
    inner.pre_tokenizer = pre_tokenizers.Whitespace()
    PreTrainedTokenizerFast(
        tokenizer_object=inner, pad_token="[PAD]", unk_token="[UNK]", eos_token="[EOS]"
    ).save_pretrained(folder)


def _fill(spec: dict[str, object], *values: str) -> str:
    text = str(spec["template"])
    for arg, value in zip(spec["args"], values, strict=True):  # type: ignore[call-overload]
        text = text.replace(arg, value)
    return text


def tiny_kaleido_model(folder: Path, steps: int = 150, **system_params: object) -> Path:
    """The trained tiny model saved in ``folder``; ``system_params`` override ``SYSTEM_PARAMS``
    (a value of None removes the key)."""
    import torch
    from transformers import AutoTokenizer, T5Config, T5ForConditionalGeneration

    folder.mkdir(parents=True, exist_ok=True)
    _tokenizer(folder)
    tok = AutoTokenizer.from_pretrained(folder)
    params = {k: v for k, v in {**SYSTEM_PARAMS, **system_params}.items() if v is not None}
    torch.manual_seed(0)
    config = T5Config(
        vocab_size=len(WORDS), d_model=32, d_ff=64, d_kv=16, num_layers=2, num_heads=2,
        decoder_start_token_id=0, pad_token_id=0, eos_token_id=2,
        task_specific_params={"generate": GENERATE, "relevance": RELEVANCE},
        system_params=params,
    )
    model = T5ForConditionalGeneration(config)
    source = tok(_fill(GENERATE, ACTION), return_tensors="pt").input_ids
    targets = [torch.tensor([[*tok(g).input_ids, 2]]) for g in GENERATIONS]
    judged = []
    for gen, relevant in GENERATIONS.items():
        vrd, text = gen.split(": ")
        judged.append((tok(_fill(RELEVANCE, ACTION, vrd, text), return_tensors="pt").input_ids,
                       torch.tensor([tok("Yes" if relevant else "No").input_ids[0]])))
    # KaleidoSys reads the relevance label after the decoder inputs [start, 0] (dummy labels [0, 0]).
    dummy = model.prepare_decoder_input_ids_from_labels(labels=torch.zeros((1, 2), dtype=torch.long))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: extra threads only contend for the shared CPUs
    try:
        for _ in range(steps):
            loss = sum(model(input_ids=source, labels=t).loss for t in targets)
            for ids, label in judged:
                logits = model(input_ids=ids, decoder_input_ids=dummy).logits[:, -1, :]
                loss = loss + torch.nn.functional.cross_entropy(logits, label)
            opt.zero_grad()
            loss.backward()
            opt.step()
    finally:
        torch.set_num_threads(threads)
    model.eval()
    model.save_pretrained(folder)
    return folder
