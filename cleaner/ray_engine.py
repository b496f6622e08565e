"""The Ray engine: the same pipeline, with the work of the workers on Ray.

It offers the local engine's `map_batches`: every map of the pipeline (the per-document work,
the grouping of each band-key partition, the alignment of each document with its candidates)
goes to Ray Data as a dataset of batches, a chunk of batches at a time (so the driver's memory stays bounded), run in order by an actor per
worker, each holding a `worker.Worker`. The corpus-wide decisions stay on the driver, in input
order, exactly as in the local engine: same input, same config, same output.
"""
from __future__ import annotations

import logging
import pickle
from collections.abc import Iterable, Iterator

import numpy as np

from .config import Config, ConfigError
from .spill import loaded
from .worker import Worker, batched

log = logging.getLogger(__name__)

CHUNK = 64  # batches handed to Ray at a time


class _Worker:
    """Runs Worker.<method> on pickled batches (one instance per Ray actor)."""

    def __init__(self, config: Config, templates: frozenset[int] | None, method: str):
        self.worker = Worker(config, templates)
        self.method = method

    def __call__(self, rows: dict) -> dict:
        done = [self.worker.run_batch(self.method, pickle.loads(b)) for b in rows["batch"]]
        return {"batch": np.array([pickle.dumps(d, protocol=pickle.HIGHEST_PROTOCOL) for d in done], dtype=object)}


class RayEngine:
    """Starts (or joins) Ray and maps the per-document work over it."""

    def __init__(self, config: Config):
        try:
            import ray
            import ray.data
        except ImportError:
            raise ConfigError("run.engine = ray needs the ray extra: pip install 'cleaner[ray]'") from None
        self._ray = ray
        self.config = config
        self.workers = config.resolved_workers()
        self._started = not ray.is_initialized()
        if self._started:
            address = config.run.ray_address or None
            ray.init(address=address, num_cpus=None if address else self.workers, include_dashboard=False,
                     log_to_driver=False, logging_level=logging.WARNING)
        ctx = ray.data.DataContext.get_current()
        ctx.execution_options.preserve_order = True
        ctx.enable_progress_bars = False
        ctx.print_on_execution_start = False

    def map_batches(self, method: str, batches: Iterable[list], templates: frozenset[int] | None = None,
                    parallel: bool | None = None) -> Iterator[list]:
        """Worker.<method> over each batch, results in order (`parallel` is the local engine's
        choice; on Ray every map is spread over the actors)."""
        for chunk in batched(batches, CHUNK):
            rows = [{"batch": pickle.dumps(loaded(b), protocol=pickle.HIGHEST_PROTOCOL)} for b in chunk]
            ds = self._ray.data.from_items(rows, override_num_blocks=len(rows))  # a block a batch: all actors busy
            ds = ds.map_batches(_Worker, fn_constructor_args=(self.config, templates, method),
                                batch_size=1, concurrency=self.workers, batch_format="numpy")
            for row in ds.iter_rows():
                yield pickle.loads(row["batch"])

    def close(self) -> None:
        if self._started and self._ray.is_initialized():
            self._ray.shutdown()
