"""Local transformers models: causal LMs (ValueLlama, Qwen, ...) and seq2seq (T5 family, Kaleido).

Prompts are batched by length with left padding. ``label_probs`` reads the next-token logits of a
plain forward pass at the last position; under the ``gpv`` protocol (default) they then go through the
model's generation-config processors as ``generate``'s scores do (``hf_processors.py``), under ``raw``
they are used as they are. ``dtype`` (``hf:NAME?dtype=bfloat16``): ``auto`` = float32 on CPU,
bfloat16 on CUDA (GPV loads ValueLlama in bfloat16). ``hf:default`` is the packaged Gemma 3 270M
converted once into a transformers folder (``hf_default.py``).
``shared_prefix=True`` (the default, issue 8) scores causal prompts that share a long prefix on one
pass over it (``hf_prefix.py``); ``False``, seq2seq models and lone prompts take the naive path.
Transformers has no JSON grammar, so a JSON schema is stated in the prompt and read back tolerantly.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from gpla.errors import ConfigError, ModelError
from gpla.models import hf_prompts
from gpla.models.backend import Backend, LabelProbs, Outcome, store_label_probs
from gpla.models.base import ChatRequest, ChatResult, Message
from gpla.models.extras import require
from gpla.models.labels import LabelProtocol, check_protocol, label_token_ids
from gpla.models.prompting import extract_json, json_instruction

_loaded: dict[tuple[str, str, str], tuple[Any, Any, threading.Lock]] = {}
_load_lock = threading.Lock()
DTYPES = ("auto", "float32", "bfloat16", "float16")


def resolve_dtype(dtype: str, device: str) -> str:
    """``auto`` → float32 on CPU, bfloat16 on a GPU (as GPV loads ValueLlama)."""
    if dtype not in DTYPES:
        raise ConfigError(f"hf: dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    if dtype == "auto":
        return "float32" if device == "cpu" else "bfloat16"
    return dtype


def _load(name: str, device: str, dtype: str = "float32") -> tuple[Any, Any, threading.Lock]:
    """Tokenizer and model for ``name`` (hub id or local folder), once per process."""
    with _load_lock:
        if (name, device, dtype) not in _loaded:
            import torch

            transformers = require("transformers", "hf", "the hf backend")
            AutoConfig = transformers.AutoConfig
            AutoModelForCausalLM = transformers.AutoModelForCausalLM
            AutoModelForSeq2SeqLM = transformers.AutoModelForSeq2SeqLM
            AutoTokenizer = transformers.AutoTokenizer

            try:
                config = AutoConfig.from_pretrained(name)
                auto: Any = (
                    AutoModelForSeq2SeqLM if config.is_encoder_decoder else AutoModelForCausalLM
                )
                tokenizer = AutoTokenizer.from_pretrained(name)
                model = auto.from_pretrained(name)
                # Cast after loading: works across transformers releases (torch_dtype vs dtype).
                model = model.to(device=device, dtype=getattr(torch, dtype)).eval()
            except Exception as exc:
                raise ModelError(f"cannot load transformers model {name!r}: {exc}") from exc
            tokenizer.padding_side = "left"  # the last position is then every row's next token
            if tokenizer.pad_token_id is None:
                tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
            _loaded[(name, device, dtype)] = (tokenizer, model, threading.Lock())
        return _loaded[(name, device, dtype)]


class HFBackend(Backend):
    kind = "hf"

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        device: str = "cpu",
        batch_size: int = 8,
        num_beams: int = 1,
        num_return_sequences: int = 1,
        shared_prefix: bool = True,
        dtype: str = "auto",
    ) -> None:
        super().__init__()
        if base_url:
            raise ConfigError(f"hf:{model} runs in-process and takes no URL (got {base_url})")
        require("transformers", "hf", "the hf backend")  # before converting the default GGUF
        self.dtype = resolve_dtype(dtype, device)
        folder = model
        if model == "default":
            from gpla.models.hf_default import default_folder

            folder = str(default_folder())
        self.folder = folder
        self._processors: Any = None  # the generation config's processors, built on first gpv call
        if num_return_sequences > max(num_beams, 1):
            raise ConfigError("num_return_sequences cannot exceed num_beams for beam search")
        self.model = model
        self.batch_size = max(1, batch_size)
        self.num_beams = num_beams
        self.num_return_sequences = num_return_sequences
        self._tok, self._lm, self._lock = _load(folder, device, self.dtype)
        self.device = device
        self.seq2seq = bool(self._lm.config.is_encoder_decoder)
        # Issue 8: the fast path returns the naive numbers up to float rounding, so it needs no
        # cache-key entry. Only a decoder's KV cache can be continued by a suffix.
        self.shared_prefix = shared_prefix and not self.seq2seq
        # Token positions run through the model by label_probs, padding included (benchmarks, tests).
        self.forward_tokens = 0
        self._template = bool(getattr(self._tok, "chat_template", None)) and not self.seq2seq
        self.routes = {
            "chat": "tokenizer chat template"
            if self._template
            else "plain transcript (no chat template)",
            "json": "schema in prompt + tolerant parse",
            "label_probs": "next-token logits (shared-prefix KV cache + suffix batches)"
            if self.shared_prefix
            else "next-token logits (forward pass, left padding)",
        }

    def identity(self) -> dict[str, Any]:
        beams = {"num_beams": self.num_beams, "num_return_sequences": self.num_return_sequences}
        ident = {**super().identity(), **beams, "dtype": self.dtype}
        if self.model == "default":  # the converted folder is named after the packaged GGUF
            ident["folder"] = Path(self.folder).name
        # The generation config decides the gpv protocol's numbers (temperature, top-k, top-p).
        settings = self._lm.generation_config.to_diff_dict()
        settings.pop("transformers_version", None)
        ident["generation_config"] = settings
        return ident

    # -- prompts ---------------------------------------------------------------------------------

    def prompt_ids(self, request: ChatRequest) -> list[int]:
        if request.json_schema and not request.raw:
            last = request.messages[-1]
            extra = Message(last.role, last.content + json_instruction(request.json_schema))
            request = ChatRequest(messages=(*request.messages[:-1], extra), raw=False)
        return hf_prompts.prompt_ids(self._tok, request, bool(self._template), causal=not self.seq2seq)

    def _batches(self, ids: list[list[int]]) -> Iterator[list[int]]:
        """Indices in batches of similar length (less padding)."""
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), self.batch_size):
            yield order[start : start + self.batch_size]

    def _pad(self, rows: list[list[int]]) -> dict[str, Any]:
        enc = self._tok.pad({"input_ids": rows}, padding=True, return_tensors="pt")
        return {k: v.to(self.device) for k, v in enc.items()}

    # -- generation ------------------------------------------------------------------------------

    def generate(self, requests: Sequence[ChatRequest]) -> list[Outcome[ChatResult]]:
        outcomes: list[Outcome[ChatResult]] = [ModelError("not generated")] * len(requests)
        ids = [self.prompt_ids(r) for r in requests]
        # Requests batch together only when they decode the same way; sampled ones run alone,
        # seeded by their content and sample index so that a sample is reproducible.
        groups: dict[tuple[Any, ...], list[int]] = {}
        for i, r in enumerate(requests):
            key = ("sample", i) if r.temperature > 0 else ("greedy", r.max_tokens)
            groups.setdefault(key, []).append(i)
        for members in groups.values():
            for batch in self._batches([ids[i] for i in members]):
                chosen = [members[b] for b in batch]
                try:
                    texts = self._decode_batch(
                        [requests[i] for i in chosen], [ids[i] for i in chosen]
                    )
                    for i, res in zip(chosen, texts, strict=True):
                        outcomes[i] = res
                except Exception as exc:
                    for i in chosen:
                        outcomes[i] = exc
        return outcomes

    def _decode_batch(self, requests: list[ChatRequest], rows: list[list[int]]) -> list[ChatResult]:
        import torch

        first = requests[0]
        enc = self._pad(rows)
        options: dict[str, Any] = {
            "max_new_tokens": first.max_tokens,
            "num_beams": self.num_beams,
            "num_return_sequences": self.num_return_sequences,
            "pad_token_id": self._tok.pad_token_id,
        }
        if first.temperature > 0:
            options.update(do_sample=True, temperature=first.temperature)
            torch.manual_seed(zlib.crc32(repr(first).encode()))
        else:
            options.update(do_sample=False)
        self.limiter.wait()
        with self._lock, torch.no_grad():
            out = self._lm.generate(**enc, **options)
        new = out if self.seq2seq else out[:, enc["input_ids"].shape[1] :]
        k = self.num_return_sequences
        results = []
        for j, request in enumerate(requests):
            seqs = [self._finish(request, new[j * k + s]) for s in range(k)]
            text, finish, n = seqs[0]
            meta: dict[str, Any] = {"sequences": [s[0] for s in seqs]} if k > 1 else {}
            if request.json_schema is not None:
                found = extract_json(text)
                meta["json_valid"] = found is not None
                text = found if found is not None else text
            results.append(ChatResult(text, len(rows[j]), n, finish, meta=meta))
        return results

    def _finish(self, request: ChatRequest, tokens: Any) -> tuple[str, str, int]:
        """Text (cut at the first stop string), finish reason and completion token count."""
        specials = set(self._tok.all_special_ids)
        kept = [int(t) for t in tokens if int(t) != self._tok.pad_token_id]
        ended = bool(kept) and kept[-1] in specials
        text = self._tok.decode(kept, skip_special_tokens=True)
        cuts = [text.find(s) for s in request.stop if s and s in text]
        if cuts:
            return text[: min(cuts)], "stop", len(kept)
        return text, "stop" if ended or len(kept) < request.max_tokens else "length", len(kept)

    # -- label probabilities ---------------------------------------------------------------------

    def label_probs(
        self, prompts: Sequence[ChatRequest], labels: Sequence[str], protocol: LabelProtocol = "gpv"
    ) -> list[Outcome[LabelProbs]]:
        gpv = check_protocol(protocol) == "gpv"
        token_ids = label_token_ids(labels, self._gpv_token if gpv else self._first_token, protocol)
        ids = [self.label_prompt_ids(p, protocol) for p in prompts]
        process = self.gpv_processors() if gpv else None
        outcomes: list[Outcome[LabelProbs]] = [ModelError("not evaluated")] * len(prompts)
        alone = list(range(len(prompts)))
        if self.shared_prefix:  # issue 8: groups sharing a prefix take the fast path
            alone = self._label_probs_shared(ids, token_ids, outcomes, process)
        lengths = [len(x) for x in ids]
        for batch in self._batches([ids[i] for i in alone]):
            rows = [ids[alone[b]] for b in batch]
            logits = _processed(partial(self.next_logits, rows), rows, process)
            store_label_probs(outcomes, [alone[b] for b in batch], lengths, token_ids, logits)
        return outcomes

    def label_prompt_ids(self, request: ChatRequest, protocol: LabelProtocol) -> list[int]:
        """The tokens ``label_probs`` scores: under ``gpv`` a plain prompt is tokenised as GPV does,
        ``tokenizer(prompt, add_special_tokens=False)``; a chat-templated prompt keeps its own."""
        ids = hf_prompts.gpv_prompt_ids(self._tok, request, protocol, bool(self._template))
        if ids is not None:
            return ids
        return self.prompt_ids(request)

    def gpv_processors(self) -> Any:
        """The model's generation-config processors (``hf_processors.py``), built once."""
        if self._processors is None:
            from gpla.models.hf_processors import GenerationProcessors

            self._processors = GenerationProcessors(self._lm.generation_config)
            self.routes["gpv_processors"] = self._processors.description
        return None if self._processors.identity else self._processors

    def _label_probs_shared(
        self,
        ids: list[list[int]],
        token_ids: list[list[int]],
        outcomes: list[Outcome[LabelProbs]],
        process: Callable[[Sequence[Sequence[int]], np.ndarray], np.ndarray] | None = None,
    ) -> list[int]:
        """Score every group of prompts that share a prefix into ``outcomes``; returns the indices
        of the prompts left for the naive path."""
        import torch

        from gpla.models.hf_prefix import group_logits, plan_groups
        from gpla.models.prefix_scoring import PrefixGroup

        def group_rows(group: PrefixGroup) -> np.ndarray:
            self.limiter.wait()
            with self._lock, torch.no_grad():
                logits, computed = group_logits(
                    self._lm,
                    [ids[i] for i in group.members],
                    group.prefix_len,
                    self._tok.pad_token_id,
                    self.batch_size,
                )
                self.forward_tokens += computed
            return np.asarray(logits)

        alone: list[int] = []
        lengths = [len(x) for x in ids]
        for group in plan_groups(ids):
            if group.prefix_len == 0:
                alone.extend(group.members)
                continue
            members = [ids[i] for i in group.members]
            logits = _processed(partial(group_rows, group), members, process)
            store_label_probs(outcomes, group.members, lengths, token_ids, logits)
        return alone

    def _first_token(self, text: str) -> int | None:
        return hf_prompts.first_token(self._tok, text)

    def _gpv_token(self, word: str) -> int | None:
        return hf_prompts.gpv_token(self._tok, word)

    def next_logits(self, rows: list[list[int]]) -> np.ndarray:
        """Next-token logits after each (unpadded) token row: one forward pass, last position."""
        import torch

        enc = self._pad(rows)
        self.limiter.wait()
        with self._lock, torch.no_grad():
            if self.seq2seq:
                start = self._lm.config.decoder_start_token_id
                dec = torch.full((len(rows), 1), start, dtype=torch.long, device=self.device)
                logits = self._lm(**enc, decoder_input_ids=dec).logits
            else:
                # Left padding shifts positions; give each row positions that start at 0.
                positions = (enc["attention_mask"].cumsum(-1) - 1).clamp(min=0)
                logits = self._lm(**enc, position_ids=positions).logits
            self.forward_tokens += int(enc["input_ids"].numel())
        return logits[:, -1, :].float().cpu().numpy()


def _processed(
    logits: Callable[[], np.ndarray],
    prompts: Sequence[Sequence[int]],
    process: Callable[[Sequence[Sequence[int]], np.ndarray], np.ndarray] | None,
) -> Callable[[], np.ndarray]:
    """``logits`` followed by the gpv protocol's processors, still lazy (``store_label_probs`` calls
    it and gives each prompt the error if it raises)."""
    if process is None:
        return logits
    return lambda: process(prompts, logits())
