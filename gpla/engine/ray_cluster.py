"""Connecting to Ray and sizing the actor pool from the resources the cluster reports."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from types import ModuleType

from gpla.config import EngineConfig
from gpla.errors import ConfigError
from gpla.models.extras import require

# Ray Data's own tasks need CPU too: an actor pool holding every CPU never starts (measured on 2
# CPUs with two 1-CPU actors: a deadlock), so this much stays free.
RAY_DATA_CPUS = 0.5


@dataclass(frozen=True)
class Pool:
    workers: int
    cpus_per_worker: float
    gpus_per_worker: float


def connect(engine: EngineConfig) -> ModuleType:
    """The ``ray`` module, connected: to the cluster already joined by this process, else to
    ``engine.address``, else a local cluster started here. Ray's own bars and logs stay quiet (ours
    show the progress; Ray's logs stay in its session folder)."""
    ray = require("ray", "ray", "--engine ray")
    require("ray.data", "ray", "--engine ray")
    if not ray.is_initialized():
        ray.init(address=engine.address, include_dashboard=False, logging_level=logging.ERROR,
                 log_to_driver=False)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.enable_operator_progress_bars = False
    context.print_on_execution_start = False
    context.enable_auto_log_stats = False
    for name in ("ray", "ray.data"):  # failures reach us as exceptions; the rest is Ray's log files'
        logging.getLogger(name).setLevel(logging.ERROR)
    return ray


def plan_pool(engine: EngineConfig, cluster: dict[str, float]) -> Pool:
    """Workers and their CPUs/GPUs: as configured, else derived from ``cluster``
    (``ray.cluster_resources()``); a ConfigError when they cannot fit."""
    cpus, gpus = float(cluster.get("CPU", 0)), float(cluster.get("GPU", 0))
    spare = cpus - RAY_DATA_CPUS
    gpw = engine.gpus_per_worker
    if engine.workers is not None:
        workers = engine.workers
    elif gpus and gpw != 0:
        workers = max(1, int(gpus // (gpw or 1)))
    else:
        workers = max(1, math.floor(cpus))
    if gpw is None:
        gpw = min(1.0, gpus / workers) if gpus else 0.0
    cpw = engine.cpus_per_worker if engine.cpus_per_worker is not None else round(spare / workers, 3)
    if cpw <= 0 or workers * cpw > spare + 1e-9:
        raise ConfigError(
            f"engine: {workers} workers × {cpw:g} CPUs do not fit the Ray cluster's {cpus:g} CPUs "
            f"({RAY_DATA_CPUS:g} stay free for Ray Data's own tasks); lower engine.workers or "
            "engine.cpus_per_worker, or add nodes")
    if workers * gpw > gpus + 1e-9:
        raise ConfigError(f"engine: {workers} workers × {gpw:g} GPUs do not fit the Ray cluster's "
                          f"{gpus:g} GPUs; lower engine.workers or engine.gpus_per_worker")
    return Pool(workers, cpw, gpw)
