"""GPLA's Value Generator as the paper ran it: Kaleido's system (KaleidoSys, tsor13/kaleido).

Per perception (Kaleido's "action"): the ``generate`` task template from the model's config, a
``beams``-beam search returning every beam (100 in KaleidoSys), each beam parsed into
(Value|Right|Duty, text), its relevance = p("Yes") of the ``relevance`` template over ("Yes", "No"),
then KaleidoSys's ``deduplicate``: drop candidates below the relevance threshold, then ROUGE and
embedding near-duplicates of a more relevant candidate, with the thresholds the checkpoint ships in
``config.system_params`` unless given. GPLA counts values (paper Table 5: values per perception), so
the rights and duties take part in the dedup, as in KaleidoSys, but are not returned (``kinds``).

KaleidoSys embeds with ``sentence-transformers/all-mpnet-base-v2``; ``embedder`` defaults to it when
the model layer has it on this machine, else to the packaged all-MiniLM-L6-v2 (``DEFAULT_EMBEDDER``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from gpla.agents.base import require_columns, usable_rows
from gpla.agents.kaleido_filter import (
    VRDS,
    fill_template,
    kaleido_dedup,
    parse_generation,
    resolve_thresholds,
)
from gpla.errors import ConfigError, ModelError
from gpla.models.base import EmbeddingModel
from gpla.models.tasks import TaskModel, task_model
from gpla.progress import progress_bar

COLUMNS = ["perception_id", "value", "error"]
CANDIDATE_COLUMNS = ["action", "beam", "generation", "beam_score", "vrd", "text", "relevant", "dropped"]
TASKS = ("generate", "relevance")
RELEVANCE_LABELS = ("Yes", "No")  # KaleidoSys: relevant_ids = [Yes, No], p(relevant) = column 0
BEAMS = 100  # KaleidoSys.get_output(n_gens=100)
DEFAULT_EMBEDDER = "st:default"


def is_kaleido_model(model: Any) -> bool:
    """Whether ``model`` (spec or loaded model) is a seq2seq checkpoint with Kaleido's task templates."""
    return task_model(model, TASKS) is not None


class KaleidoGenerator:
    """``generate(perceptions)`` → ``[perception_id, value, error]``, one row per kept value;
    ``candidates(texts)`` → every beam with its parse, relevance and why it was dropped."""

    def __init__(
        self,
        model: TaskModel | Any,
        *,
        beams: int = BEAMS,
        max_new_tokens: int = 30,
        max_input_tokens: int = 128,
        relevance_threshold: object = None,
        ngram_threshold: object = None,
        embed_threshold: object = None,
        dedup_across_vrd: bool | None = None,
        embedder: EmbeddingModel | str | None = None,
        kinds: Sequence[str] = ("Value",),
        batch_size: int = 8,
        generation_batch_size: int = 1,
    ) -> None:
        if beams < 1 or max_new_tokens < 1 or max_input_tokens < 1:
            raise ConfigError("Kaleido: beams, max_new_tokens and max_input_tokens must be positive")
        bad = [k for k in kinds if k not in VRDS]
        if bad or not kinds:
            raise ConfigError(f"Kaleido kinds must be among {', '.join(VRDS)}, got {list(kinds)}")
        tasks = model if isinstance(model, TaskModel) else task_model(model, TASKS)
        if tasks is None:
            name = model if isinstance(model, str) else getattr(model, "name", type(model).__name__)
            raise ConfigError(
                f"Kaleido generator: {name} is not a seq2seq model whose config.task_specific_params "
                f"has the {' and '.join(TASKS)} templates (e.g. hf:tsor13/kaleido-xl)"
            )
        self.tasks = tasks
        self.name = tasks.name
        self.gen_template = tasks.template("generate")
        self.relevance_template = tasks.template("relevance")
        self.thresholds = resolve_thresholds(
            tasks.system_params, relevance_threshold, ngram_threshold, embed_threshold, dedup_across_vrd
        )
        self.beams = beams
        self.max_new_tokens = max_new_tokens
        self.max_input_tokens = max_input_tokens
        self.kinds = tuple(kinds)
        self.batch_size = max(1, batch_size)
        self.generation_batch_size = max(1, generation_batch_size)
        self._embedder_spec = embedder
        self._embedder: EmbeddingModel | None = None

    @property
    def embedder(self) -> EmbeddingModel:
        if self._embedder is None:
            spec = self._embedder_spec
            if spec is None or isinstance(spec, str):
                from gpla.models import load_embedding_model

                spec = load_embedding_model(spec or default_embedder())
            self._embedder = spec
        return self._embedder

    def candidates(self, texts: Sequence[str]) -> pd.DataFrame:
        """Every beam of every text (``CANDIDATE_COLUMNS``); ``dropped`` is "" for a kept candidate,
        else "malformed", "relevance", "rouge" or "embedding"."""
        template, args = self.gen_template
        frames: list[pd.DataFrame] = []
        with progress_bar("generating values (kaleido)", len(texts)) as (bar, task):
            for start in range(0, len(texts), self.batch_size):
                chunk = list(texts[start : start + self.batch_size])
                beams = self.tasks.beams(
                    [fill_template(template, args, [t]) for t in chunk],
                    self.beams,
                    max_new_tokens=self.max_new_tokens,
                    max_input_tokens=self.max_input_tokens,
                    batch_size=self.generation_batch_size,
                )
                frames.extend(self._score(t, b) for t, b in zip(chunk, beams, strict=True))
                bar.advance(task, len(chunk))
        if not frames:
            return pd.DataFrame(columns=CANDIDATE_COLUMNS)
        return pd.concat(frames, ignore_index=True)[CANDIDATE_COLUMNS]

    def _score(self, action: str, beams: Sequence[Any]) -> pd.DataFrame:
        rows = []
        for i, beam in enumerate(beams):
            parsed = parse_generation(beam.text)
            rows.append(
                {
                    "action": action,
                    "beam": i,
                    "generation": beam.text,
                    "beam_score": beam.score,
                    "vrd": parsed[0] if parsed else None,
                    "text": parsed[1] if parsed else None,
                }
            )
        df = pd.DataFrame(rows)
        ok = df["vrd"].notna()
        df["relevant"] = np.nan
        if ok.any():
            template, args = self.relevance_template
            prompts = [
                fill_template(template, args, [action, v, t])
                for v, t in zip(df.loc[ok, "vrd"], df.loc[ok, "text"], strict=True)
            ]
            probs = self.tasks.label_probs(
                prompts, RELEVANCE_LABELS, max_input_tokens=self.max_input_tokens, batch_size=self.batch_size
            )
            df.loc[ok, "relevant"] = probs[:, 0]
        kept = kaleido_dedup(df[ok], self.thresholds, self._embed) if ok.any() else df[ok]
        malformed = df[~ok].assign(dropped="malformed")
        return pd.concat([kept, malformed], ignore_index=True)

    def _embed(self, texts: list[str]) -> np.ndarray:
        return self.embedder.embed(texts)

    def generate(self, perceptions: pd.DataFrame) -> pd.DataFrame:
        """``perceptions[perception_id, text]`` → ``[perception_id, value, error]``: per perception its
        kept candidates of ``kinds``, most relevant first. Rows with an upstream ``error`` are skipped;
        identical texts are generated once."""
        require_columns(perceptions, ["perception_id", "text"], "KaleidoGenerator.generate")
        rows = usable_rows(perceptions)
        texts = list(dict.fromkeys(str(t) for t in rows["text"]))
        found = self.candidates(texts)
        kept = found[(found["dropped"] == "") & found["vrd"].isin(self.kinds)]
        by_text = {t: [] for t in texts} | kept.groupby("action", sort=False)["text"].apply(list).to_dict()
        out = [
            {"perception_id": pid, "value": value, "error": None}
            for pid, text in zip(rows["perception_id"], rows["text"], strict=True)
            for value in by_text[str(text)]
        ]
        return pd.DataFrame(out, columns=COLUMNS)


def default_embedder() -> str:
    """KaleidoSys's all-mpnet-base-v2 when its PyPI parts are installed, else the packaged MiniLM."""
    try:
        from gpla.models import packaged_mpnet

        packaged_mpnet.part_files()  # a metadata lookup; raises ModelError when a part is missing
    except (ImportError, ModelError):
        return DEFAULT_EMBEDDER
    return "st:all-mpnet-base-v2"
