"""A stage's checkpoint batches as a Ray Data job (``engine.kind = "ray"``).

The shards are the stage's own deterministic batches (``gpla.stages.checkpoint``). An actor loads
the stage's models once (they travel as recipes, ``gpla.models.recipes``), computes a batch and
commits it to the run's ``BatchStore`` itself, so what is done is what the store says: a lost worker
is replaced by Ray Data and its batch redone, a killed driver resumes from the ``.done`` markers,
and a re-run makes no model call. The driver only counts: progress, and the usage the workers report.
"""

from __future__ import annotations

import gc
import os
import pickle
from collections.abc import Callable, Generator
from typing import Any

import numpy as np

from gpla.config import EngineConfig
from gpla.errors import ConfigError, GplaError, ModelError
from gpla.stages.checkpoint import BatchStore, BatchTables, checked
from gpla.stages.context import USAGE_FIELDS, ModelPool

MAX_ATTEMPTS = 3  # whole-job retries after a failure Ray Data's own actor restarts did not absorb


class ShardWorker:
    """A Ray Data actor: ``__call__`` computes and commits one batch, returns its usage (and the
    GplaError it raised, pickled: Ray would wrap it in an exception that no longer says what it was)."""

    def __init__(self, payload: bytes, store: BatchStore, names: list[str], description: str) -> None:
        from gpla.models.usage import total_usage

        self._usage = total_usage
        self.work = pickle.loads(payload)  # the stage's models load here, once per actor
        self.store, self.names, self.description = store, names, description

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        index = int(batch["index"][0])
        before = self._usage().as_dict()
        error = b""
        if not self.store.done(index):  # a retried task whose first try had committed
            try:
                tables = checked(self.work(pickle.loads(batch["items"][0])), self.names, self.description)
            except GplaError as err:  # bad input or a model's final failure: no retry can help
                error = pickle.dumps(err)
            else:
                self.store.write(index, tables)
        after = self._usage().as_dict()
        used = {name: np.array([after[name] - before[name]]) for name in USAGE_FIELDS}
        return {"index": np.array([index]), "error": np.array([error], dtype=object), **used}


class RayExecutor:
    """A ``BatchExecutor`` (``gpla.stages.checkpoint``) that runs the batches on Ray."""

    def __init__(self, engine: EngineConfig, models: ModelPool, description: str, names: list[str]) -> None:
        self.engine, self.models, self.description, self.names = engine, models, description, names

    def __call__(self, store: BatchStore, todo: list[int], batches: list[list[Any]],
                 work: Callable[[list[Any]], BatchTables], committed: Callable[[int], None]) -> None:
        from gpla.engine.ray_cluster import connect, plan_pool

        ray = connect(self.engine)
        pool = plan_pool(self.engine, ray.cluster_resources())
        payload = _ship(work, self.description)
        cause = "no result"
        for _ in range(MAX_ATTEMPTS):
            pending = [i for i in todo if not store.done(i)]
            if not pending:
                return
            try:
                failure = self._run(ray, pool, store, payload, pending, batches, committed)
            except Exception as err:  # Ray's failure (lost node, actor out of restarts): try again
                cause = _last_line(err)
                del err  # its frames hold the failed job, whose actors hold the CPUs the next needs
                gc.collect()
                continue
            if failure is not None:
                raise failure
        pending = [i for i in todo if not store.done(i)]
        if pending:
            raise ModelError(f"{self.description}: batch {pending[0]} (of {len(pending)} left) failed on Ray "
                             f"after {MAX_ATTEMPTS} attempts ({cause}); re-run to resume")

    def _run(self, ray: Any, pool: Any, store: BatchStore, payload: bytes, pending: list[int],
             batches: list[list[Any]], committed: Callable[[int], None]) -> GplaError | None:
        """One Ray Data job over ``pending``; the first GplaError a worker reported, if any."""
        rows = self._job(ray, pool, store, payload, pending, batches)
        try:
            for row in rows:
                self.models.add_usage({name: int(row[name]) for name in USAGE_FIELDS})
                if row["error"]:
                    error: GplaError = pickle.loads(row["error"])
                    return error
                committed(int(row["index"]))
        finally:
            rows.close()  # stops the job (its actors) when we leave early
        return None

    def _job(self, ray: Any, pool: Any, store: BatchStore, payload: bytes, pending: list[int],
             batches: list[list[Any]]) -> Generator[dict[str, Any], None, None]:
        rows = [{"index": i, "items": pickle.dumps(batches[i])} for i in pending]
        data = ray.data.from_items(rows, override_num_blocks=len(rows))
        results = data.map_batches(
            ShardWorker, fn_constructor_args=(payload, store, self.names, self.description),
            batch_size=1, compute=ray.data.ActorPoolStrategy(size=min(pool.workers, len(rows))),
            num_cpus=pool.cpus_per_worker, num_gpus=pool.gpus_per_worker or None,
            runtime_env={"env_vars": _forwarded_env()})
        yield from results.iter_rows()


def _ship(work: Callable[..., Any], description: str) -> bytes:
    from ray import cloudpickle  # closures and the classes they use, by value where needed

    try:
        return bytes(cloudpickle.dumps(work))
    except Exception as err:  # any pickling failure means the same here
        raise ConfigError(f"{description}: this stage's work cannot be sent to Ray workers ({err}); "
                          "run it with engine.kind = 'local'") from None


def _forwarded_env() -> dict[str, str]:
    """gpla's own settings, as this driver sees them now (a cluster's workers inherit the environment
    of its start): above all the call cache, which models loaded in a worker use. Never keys:
    workers read those from their own environment."""
    from gpla.models.cache import cache_dir

    names = ("GPLA_SHARED", "GPLA_MODELS_DIR", "GPLA_RETRY_WAIT_SCALE", "GPLA_DEBUG")
    return {**{n: os.environ[n] for n in names if n in os.environ}, "GPLA_CACHE_DIR": str(cache_dir())}


def _last_line(err: BaseException) -> str:
    """Ray's exceptions carry the remote traceback: its last line names the cause."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return lines[-1] if lines else type(err).__name__
