"""`--engine ray` on a local Ray cluster (2 CPUs) with the embedded llama.cpp Gemma: the same results
as the in-process run, a lost worker and a killed driver cost no work twice, a re-run calls nothing,
and a pool that cannot fit says so in one line.

The lexicon and questions come from files so that the model stages under test (responses,
judgments) dominate the time; the other model stages go through the same ``StageContext.batched``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from gpla.config import EngineConfig, RunConfig, load_config
from gpla.errors import ConfigError, ModelError
from gpla.pipeline import Pipeline

ray = pytest.importorskip("ray")

CONFIG = """
name = "ray-engine"
[models]
agent = "llamacpp:default"
[lexicon]
file = "lexicon.csv"
[questions]
file = "questions.csv"
[subjects]
models = ["llamacpp:default"]
profiles = ["Default", "Power: Dominance", "Benevolence: Caring", "Stimulation"]
[administration]
max_tokens = 24
batch_size = 2
[gpv]
perceptions = "sentences"
batch_size = 1
"""
QUESTIONS = {"Honesty": "I found a wallet with cash and no ID on the bus. What should I do with it?",
             "Achievement": "Should I take a boring job that pays well or a job I love that pays little?"}
N_RESPONSES = 8  # 4 profiles x 2 questions
N_BATCHES = 8  # of judgments: one response each


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    context = ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield str(context.address_info["gcs_address"])
    ray.shutdown()


def _config(folder: Path, engine: str = "local", **engine_options: Any) -> RunConfig:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "lexicon.csv").write_text("value\n" + "\n".join(QUESTIONS) + "\n")
    pd.DataFrame({"value": list(QUESTIONS), "question": list(QUESTIONS.values())}).to_csv(
        folder / "questions.csv", index=False)
    path = folder / "config.toml"
    path.write_text(CONFIG)
    cfg = load_config(path)
    return cfg.model_copy(update={"engine": EngineConfig(kind=engine, **engine_options)})  # type: ignore[arg-type]


def _run(cfg: RunConfig, run_dir: Path, cache: Path, monkeypatch: pytest.MonkeyPatch, **kw: Any) -> Any:
    monkeypatch.setenv("GPLA_CACHE_DIR", str(cache))
    return Pipeline(cfg, run_dir).run(**kw)


@pytest.fixture(scope="module")
def runs(cluster: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from gpla.models.usage import total_usage

    tmp = tmp_path_factory.mktemp("ray_engine")
    with pytest.MonkeyPatch.context() as mp:
        _run(_config(tmp), tmp / "local", tmp / "cache-local", mp)
        before = total_usage().calls
        mp.setenv("GPLA_CACHE_DIR", str(tmp / "cache-ray"))
        driver = Pipeline(_config(tmp, "ray"), tmp / "ray")
        summary = driver.run()
        driver_calls = total_usage().calls - before
    # The driver holds the subjects' model and the evaluator as recipes: it never loaded them.
    held = list(driver.models._chat.values())
    assert held and all(type(m).__name__ == "LazyChatModel" and m._model is None for m in held), held
    # Separate caches: the Ray run computed everything itself, in the workers, not in this driver
    # (the cluster started before GPLA_CACHE_DIR was set: the workers must use the driver's).
    stages = json.loads((tmp / "ray" / "manifest.json").read_text())["stages"]
    assert all(stages[s]["usage"]["calls"] > 0 for s in ("responses", "judgments")), stages
    assert driver_calls == 0 and summary.model_calls > 0
    return {"tmp": tmp, "local": tmp / "local", "ray": tmp / "ray"}


def _table(run: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(run / f"{name}.parquet")


def _same_results(run: Path, reference: Path) -> None:
    for name in ("responses", "response_perceptions", "judgments"):
        pd.testing.assert_frame_equal(_table(run, name), _table(reference, name), check_exact=False, atol=1e-6)
    pd.testing.assert_frame_equal(_table(run, "X"), _table(reference, "X"), check_exact=False, atol=1e-6)


@pytest.mark.slow
def test_ray_run_equals_the_in_process_run(runs: dict[str, Path]) -> None:
    assert len(_table(runs["ray"], "responses")) == N_RESPONSES
    assert _table(runs["ray"], "judgments")["score"].notna().any()
    _same_results(runs["ray"], runs["local"])


@pytest.mark.slow
def test_rerun_makes_no_model_calls(runs: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    cfg, cache = _config(runs["tmp"], "ray"), runs["tmp"] / "cache-ray"
    assert _run(cfg, runs["ray"], cache, monkeypatch).model_calls == 0
    # Forced through the workers again, they find every call in the cache.
    again = _run(cfg, runs["ray"], cache, monkeypatch, from_stage="responses")
    assert again.model_calls == 0 and again.usage["cache_hits"] > 0
    _same_results(runs["ray"], runs["local"])


def _resume_copy(runs: dict[str, Path], name: str) -> Path:
    """A copy of the in-process run: its keys hold on Ray (the engine is in no stage key)."""
    run = runs["tmp"] / name
    shutil.copytree(runs["local"], run)
    return run


def _wait_for_commits(partial: Path, alive: Any, n: int = 1) -> None:
    deadline = time.monotonic() + 240
    while len(list(partial.glob("*.done"))) < n:
        assert alive(), "the stage ended before anything could be killed"
        assert time.monotonic() < deadline, "the stage never checkpointed"
        time.sleep(0.05)


@pytest.mark.slow
def test_a_lost_worker_is_replaced_and_the_stage_finishes(runs: dict[str, Path],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    run = _resume_copy(runs, "lost-worker")
    cfg = _config(runs["tmp"], "ray")
    monkeypatch.setenv("GPLA_CACHE_DIR", str(runs["tmp"] / "cache-lost-worker"))
    failure: list[BaseException] = []

    def target() -> None:
        try:
            Pipeline(cfg, run).run(from_stage="judgments")
        except BaseException as err:  # re-raised in the test thread below
            failure.append(err)

    thread = threading.Thread(target=target)
    thread.start()
    _wait_for_commits(run / "partial" / "judgments", thread.is_alive)
    # ray.util.state needs the dashboard, which the test cluster does not start; the GCS knows too.
    workers = [a["Pid"] for a in ray._private.state.actors().values()
               if a["State"] == "ALIVE" and "ShardWorker" in a["ActorClassName"]]
    assert workers, "no ShardWorker actor alive mid-stage"
    os.kill(workers[0], signal.SIGKILL)  # the real fault: the worker process dies
    killed_mid_stage = len(list((run / "partial" / "judgments").glob("*.done"))) < N_BATCHES
    thread.join(timeout=300)
    assert not thread.is_alive() and not failure, failure
    assert killed_mid_stage
    _same_results(run, runs["local"])


@pytest.mark.slow
def test_a_killed_driver_resumes_without_redoing_committed_batches(
        runs: dict[str, Path], cluster: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from gpla.engine import ray_batches

    run = _resume_copy(runs, "killed-driver")
    folder = runs["tmp"] / "driver-config"
    _config(folder)
    config = folder / "config.toml"
    config.write_text(CONFIG + f'[engine]\nkind = "ray"\naddress = "{cluster}"\n')
    env = {**os.environ, "GPLA_CACHE_DIR": str(runs["tmp"] / "cache-driver"), "GPLA_QUIET": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "gpla", "run", str(config), "--out", str(run),
                             "--from", "judgments", "--quiet"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    partial = run / "partial" / "judgments"
    _wait_for_commits(partial, lambda: proc.poll() is None)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    time.sleep(2)  # the dead driver's actors are torn down by Ray; let a last write land
    committed = {int(p.name.split("-")[1].split(".")[0]) for p in partial.glob("*.done")}
    assert 0 < len(committed) < N_BATCHES
    assert json.loads((run / "manifest.json").read_text())["stages"]["judgments"]["status"] == "running"

    dispatched: list[int] = []
    job = ray_batches.RayExecutor._job

    def recording(self: Any, ray_: Any, pool: Any, store: Any, payload: bytes, pending: list[int],
                  batches: list[Any]) -> Any:
        dispatched.extend(pending)
        return job(self, ray_, pool, store, payload, pending, batches)

    monkeypatch.setattr(ray_batches.RayExecutor, "_job", recording)
    summary = _run(load_config(config), run, runs["tmp"] / "cache-driver", monkeypatch)
    assert {s.name: s.status for s in summary.stages}["judgments"] == "done"
    assert dispatched and not set(dispatched) & committed, (dispatched, committed)
    _same_results(run, runs["local"])


@pytest.mark.slow
def test_a_vllm_evaluator_loads_only_in_the_workers_and_equals_in_process(
    cluster: str, gemma_hf_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any spec runs in an actor: the judgments stage with a ``vllm:`` evaluator (its engine spawns
    its own processes inside the actor), while the driver never loads it."""
    pytest.importorskip("vllm")
    from vllm_fixtures import vllm_spec

    def config(engine: str, **options: Any) -> RunConfig:
        cfg = _config(tmp_path / "config", engine, **options)
        return cfg.model_copy(update={
            "models": cfg.models.model_copy(update={"evaluator": vllm_spec(gemma_hf_dir)}),
            "subjects": cfg.subjects.model_copy(update={"profiles": ["Default", "Stimulation"]})})

    _run(config("local"), tmp_path / "local", tmp_path / "cache-local", monkeypatch)
    monkeypatch.setenv("GPLA_CACHE_DIR", str(tmp_path / "cache-ray"))
    driver = Pipeline(config("ray", workers=1), tmp_path / "ray")
    driver.run()
    evaluator = [m for m in driver.models._chat.values() if m.name.startswith("vllm:")]
    assert len(evaluator) == 1 and evaluator[0]._model is None  # type: ignore[attr-defined]
    stages = json.loads((tmp_path / "ray" / "manifest.json").read_text())["stages"]
    assert stages["judgments"]["usage"]["calls"] > 0
    _same_results(tmp_path / "ray", tmp_path / "local")


@pytest.mark.slow
def test_a_pool_that_cannot_fit_is_one_line(runs: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = _config(runs["tmp"], "ray", workers=2, cpus_per_worker=1.0)
    with pytest.raises(ConfigError, match=r"2 workers × 1 CPUs do not fit the Ray cluster's 2 CPUs") as err:
        _run(cfg, _resume_copy(runs, "no-fit"), runs["tmp"] / "cache-no-fit", monkeypatch, from_stage="responses")
    assert "\n" not in str(err.value)


@pytest.mark.slow
def test_a_worker_error_is_raised_as_itself_and_finished_batches_stay(cluster: str, tmp_path: Path) -> None:
    """Plumbing (no model): the executor through real Ray Data actors."""
    from gpla.engine.ray_batches import RayExecutor
    from gpla.errors import DataError
    from gpla.stages.checkpoint import BatchStore, run_batched
    from gpla.stages.context import ModelPool

    def work(batch: list[int]) -> dict[str, pd.DataFrame]:
        if 5 in batch:
            raise DataError("item 5 is bad")
        return {"t": pd.DataFrame({"x": batch, "pid": os.getpid()})}

    store = BatchStore(tmp_path / "partial", "key")
    executor = RayExecutor(EngineConfig(kind="ray", workers=1), ModelPool(), "plumbing", ["t"])
    with pytest.raises(DataError, match=r"^item 5 is bad$"):
        run_batched(store, list(range(6)), 2, work, "plumbing", {"t": ["x", "pid"]}, executor=executor)
    assert not store.done(2)
    out = run_batched(store, list(range(5)), 2, work, "plumbing", {"t": ["x", "pid"]}, executor=executor)["t"]
    assert out["x"].tolist() == [0, 1, 2, 3, 4] and os.getpid() not in set(out["pid"])


def test_pool_sizes_come_from_the_cluster() -> None:
    from gpla.engine.ray_cluster import plan_pool

    two_cpus = {"CPU": 2.0}
    assert plan_pool(EngineConfig(kind="ray"), two_cpus).cpus_per_worker == 0.75
    assert plan_pool(EngineConfig(kind="ray", workers=1), two_cpus).cpus_per_worker == 1.5
    gpus = plan_pool(EngineConfig(kind="ray"), {"CPU": 16.0, "GPU": 4.0})
    assert (gpus.workers, gpus.gpus_per_worker) == (4, 1.0)
    with pytest.raises(ConfigError, match="GPUs do not fit"):
        plan_pool(EngineConfig(kind="ray", workers=3, gpus_per_worker=1), {"CPU": 8.0, "GPU": 2.0})


def test_missing_ray_is_one_line_naming_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from gpla.engine.ray_cluster import connect

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now fails as if not installed
    with pytest.raises(ModelError, match=r"pip install 'gpla\[ray\]'"):
        connect(EngineConfig(kind="ray"))
