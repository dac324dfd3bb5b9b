"""Runs the GPLA stages in order over a run directory; resumable and incremental.

Every stage has a *key*: a hash of its settings, of the input files they name, and of the key of the
stage before it. A stage whose key and outputs are unchanged since it last finished is skipped, so
re-running a finished run makes no model call, and changing one setting re-runs only that stage and
the ones downstream. Long stages checkpoint per batch (``gpla.stages.checkpoint``): a killed run
resumes redoing at most the batch in flight. ``manifest.json`` records the config, package
versions, input hashes, per-stage status and model usage.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import shutil
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from gpla.config import RunConfig
from gpla.errors import ConfigError
from gpla.stages import STAGE_NAMES, STAGES, Stage
from gpla.stages.context import USAGE_FIELDS, ModelPool, StageContext

MANIFEST = "manifest.json"
_VERSIONED = ("gpla", "numpy", "pandas", "scipy", "scikit-learn", "factor_analyzer", "semopy",
              "llama_cpp_python", "sentence-transformers", "openai", "transformers", "torch")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _input_files(settings: Any) -> list[Path]:
    """Existing files named anywhere in a stage's settings (also inside specs like ``csv:a.csv:text=x``)."""
    found: list[Path] = []
    if isinstance(settings, dict):
        for v in settings.values():
            found += _input_files(v)
    elif isinstance(settings, list | tuple):
        for v in settings:
            found += _input_files(v)
    elif isinstance(settings, str):
        for part in {settings, *settings.split(":")}:
            p = Path(part)
            if part and len(part) < 4096 and p.is_file():
                found.append(p.resolve())
    return sorted(set(found))


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in _VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


@dataclass
class StageOutcome:
    name: str
    status: str  # "done" (ran now), "cached" (unchanged, skipped), "failed"
    seconds: float = 0.0
    usage: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class RunSummary:
    run_dir: Path
    stages: list[StageOutcome]
    usage: dict[str, int]

    @property
    def model_calls(self) -> int:
        return self.usage.get("calls", 0)


class Pipeline:
    """``Pipeline(config, run_dir).run()``; ``models`` lets plumbing tests inject fake models."""

    def __init__(self, config: RunConfig, run_dir: str | Path, models: ModelPool | None = None) -> None:
        self.config = config
        self.run_dir = Path(run_dir).resolve()
        self.models = models or ModelPool(lazy=config.engine.kind == "ray")
        self.manifest_path = self.run_dir / MANIFEST
        self._usage_base = dict.fromkeys(USAGE_FIELDS, 0)
        self._usage_start = dict.fromkeys(USAGE_FIELDS, 0)

    # -- manifest --------------------------------------------------------------------------------
    def read_manifest(self) -> dict[str, Any]:
        if not self.manifest_path.exists():
            return {}
        try:
            return json.loads(self.manifest_path.read_text())
        except json.JSONDecodeError as err:
            raise ConfigError(f"{self.manifest_path} is not valid JSON ({err}); delete it to start over") from None

    def _write_manifest(self, manifest: dict[str, Any]) -> None:
        """Write atomically, with the usage so far: totals over all runs and this run's share."""
        used = _delta(self.models.usage(), self._usage_start)
        manifest["usage"] = {k: self._usage_base[k] + used[k] for k in USAGE_FIELDS}
        manifest["usage_last_run"] = used
        manifest["model_calls_last_run"] = used["calls"]
        manifest["updated"] = _now()
        tmp = self.manifest_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(manifest, indent=2, default=str))
        os.replace(tmp, self.manifest_path)

    # -- keys ------------------------------------------------------------------------------------
    def stage_keys(self) -> dict[str, tuple[str, dict[str, str]]]:
        """Per stage: its key and the hashes of the input files its settings name."""
        keys: dict[str, tuple[str, dict[str, str]]] = {}
        previous = ""
        for stage in STAGES:
            settings = _jsonable(stage.settings(self.config))
            inputs = {str(p): _sha256(p) for p in _input_files(settings)}
            blob = json.dumps([stage.name, stage.code, settings, inputs, previous], sort_keys=True, default=str)
            previous = hashlib.sha256(blob.encode()).hexdigest()[:16]
            keys[stage.name] = (previous, inputs)
        return keys

    # -- running ---------------------------------------------------------------------------------
    def run(self, from_stage: str | None = None, until: str | None = None) -> RunSummary:
        """Run the stages whose key changed (or all from ``from_stage``), up to ``until`` included."""
        for name in (from_stage, until):
            if name is not None and name not in STAGE_NAMES:
                raise ConfigError(f"unknown stage {name!r}; stages are: {', '.join(STAGE_NAMES)}")
        self.run_dir.mkdir(parents=True, exist_ok=True)
        log, handler = self._logger()
        manifest = self.read_manifest()
        keys = self.stage_keys()
        manifest.update(
            name=self.config.name,
            config=self.config.as_dict(),
            versions=package_versions(),
            inputs={p: h for _, ins in keys.values() for p, h in ins.items()},
            stage_order=list(STAGE_NAMES),
        )
        manifest.setdefault("created", _now())
        stages_state: dict[str, Any] = manifest.setdefault("stages", {})
        self._usage_base = {k: int(manifest.get("usage", {}).get(k, 0)) for k in USAGE_FIELDS}
        self._usage_start = self.models.usage()
        forced = False
        outcomes: list[StageOutcome] = []
        try:
            for stage in STAGES:
                forced = forced or stage.name == from_stage
                key = keys[stage.name][0]
                if not forced and self._up_to_date(stage, key, stages_state.get(stage.name)):
                    outcomes.append(StageOutcome(stage.name, "cached"))
                    log.info("%s: up to date (key %s), skipped", stage.name, key)
                else:
                    outcomes.append(self._run_stage(stage, key, stages_state, manifest, log))
                if stage.name == until:
                    break
        finally:
            used = _delta(self.models.usage(), self._usage_start)
            self._write_manifest(manifest)
            partial = self.run_dir / "partial"
            if partial.is_dir() and not any(partial.iterdir()):
                partial.rmdir()
            log.info("run finished: %d model calls, %d cache hits", used["calls"], used["cache_hits"])
            logging.getLogger("gpla").removeHandler(handler)
            logging.getLogger("gpla").propagate = True
            handler.close()
        return RunSummary(self.run_dir, outcomes, used)

    def _up_to_date(self, stage: Stage, key: str, state: dict[str, Any] | None) -> bool:
        return bool(
            state
            and state.get("status") == "done"
            and state.get("key") == key
            and all((self.run_dir / out).exists() for out in stage.outputs)
        )

    def _run_stage(self, stage: Stage, key: str, stages_state: dict[str, Any],
                   manifest: dict[str, Any], log: logging.Logger) -> StageOutcome:
        ctx = StageContext(self.config, self.run_dir, self.models, key, log, stage.name)
        before = self.models.usage()

        def persist_usage() -> None:  # after each checkpoint: calls paid before a kill stay counted
            stages_state[stage.name]["usage"] = _delta(self.models.usage(), before)
            self._write_manifest(manifest)

        ctx.on_checkpoint = persist_usage
        started = time.perf_counter()
        stages_state[stage.name] = {"status": "running", "key": key, "started": _now()}
        self._write_manifest(manifest)
        log.info("%s: running (key %s)", stage.name, key)
        try:
            stage.run(ctx)
        except BaseException as err:
            stages_state[stage.name].update(status="failed", error=f"{type(err).__name__}: {err}",
                                            usage=_delta(self.models.usage(), before))
            log.exception("%s failed", stage.name)
            raise
        used = _delta(self.models.usage(), before)
        seconds = round(time.perf_counter() - started, 3)
        stages_state[stage.name] = {
            "status": "done", "key": key, "finished": _now(), "seconds": seconds,
            "outputs": list(stage.outputs), "usage": used, "notes": ctx.notes, "info": ctx.info,
        }
        shutil.rmtree(self.run_dir / "partial" / stage.name, ignore_errors=True)
        self._write_manifest(manifest)
        return StageOutcome(stage.name, "done", seconds, used, ctx.notes)

    def _logger(self) -> tuple[logging.Logger, logging.Handler]:
        logs = self.run_dir / "logs"
        logs.mkdir(exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        handler = logging.FileHandler(logs / f"run-{stamp}.log", encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root = logging.getLogger("gpla")
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        # The run's log goes to its file; a library that configured the root logger (some call
        # basicConfig on import) must not echo it over the progress bars.
        root.propagate = False
        return logging.getLogger("gpla.pipeline"), handler


def _jsonable(obj: Any) -> Any:
    """Settings as plain JSON data (config sections are pydantic models)."""
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json")
    if isinstance(obj, list | tuple):
        return [_jsonable(o) for o in obj]
    return obj


def _delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: after.get(k, 0) - before.get(k, 0) for k in USAGE_FIELDS}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
