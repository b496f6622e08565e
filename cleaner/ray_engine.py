"""The Ray engine: the same pipeline, with the per-document work on Ray Data.

Documents go to Ray in chunks (so the driver's memory stays bounded); `map_batches` runs the
per-document work in an actor per worker (each holds a `Preparer`), in order. The corpus-wide
document stage then decides a whole chunk at once by band-key grouping and union-find
(`DocumentIndex.check_batch`, proven equal to the one-at-a-time decisions); passages are
decided on the driver in input order, as in the local engine. Same input, same config: the
same output as the local engine.
"""
from __future__ import annotations

import logging
import pickle
from collections.abc import Iterable, Iterator

import numpy as np

from .config import Config, ConfigError

log = logging.getLogger(__name__)

CHUNK = 4096  # documents handed to Ray at a time


class _Worker:
    """Runs Preparer.<method> on a batch of pickled documents (one instance per Ray actor)."""

    def __init__(self, config: Config, templates: frozenset[int] | None, method: str):
        from .pipeline import Preparer

        self.preparer = Preparer(config, templates)
        self.method = method

    def __call__(self, batch: dict) -> dict:
        items = [pickle.loads(b) for b in batch["item"]]
        done = self.preparer.run_batch(self.method, items)
        return {"item": np.array([pickle.dumps(x, protocol=pickle.HIGHEST_PROTOCOL) for x in done], dtype=object)}


class RayMapper:
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

    def map(self, method: str, items: Iterable, templates: frozenset[int] | None) -> Iterator:
        from .pipeline import _batched

        for chunk in _batched(items, CHUNK):
            ds = self._ray.data.from_items([{"item": pickle.dumps(x, protocol=pickle.HIGHEST_PROTOCOL)} for x in chunk])
            ds = ds.map_batches(_Worker, fn_constructor_args=(self.config, templates, method),
                                batch_size=self.config.run.batch_size, concurrency=self.workers, batch_format="numpy")
            for row in ds.iter_rows():
                yield pickle.loads(row["item"])

    def close(self) -> None:
        if self._started and self._ray.is_initialized():
            self._ray.shutdown()
