"""The local engine: the workers' work (`worker.Worker`) in a process pool, or in this process
when one worker is asked for or the work is too small to be worth shipping. The Ray engine
(`ray_engine`) offers the same `map_batches`; the pipeline sees only that."""
from __future__ import annotations

import itertools
import multiprocessing
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor

from .config import Config
from .worker import Worker

# With run.workers = 0, work that takes less than this per document stays in the main process:
# shipping a document to a worker and back costs about 0.2 ms of the main process's time
# (measured in bench/scale.py: document dedup alone ran slower with 2 workers than with 1).
AUTO_POOL_SECONDS = 0.001


class LocalEngine:
    """Maps Worker methods over batches, here or in a pool of `run.workers` processes."""

    def __init__(self, config: Config):
        self.config = config
        self._local = Worker(config)

    def close(self) -> None:
        """(Pools live for one map.)"""

    def map_batches(self, method: str, batches: Iterable[list], templates: frozenset[int] | None = None,
                    parallel: bool | None = None) -> Iterator[list]:
        """Worker.<method> over each batch, results in order: in a process pool when
        workers > 1 and the work is worth starting processes for (`parallel`; by default, when
        there is more than one batch and, with `run.workers = 0`, the first batch took more
        than AUTO_POOL_SECONDS a document here), else here."""
        batches = iter(batches)
        workers = self.config.resolved_workers()
        local = self._local if templates is None else Worker(self.config, templates)
        if parallel is None and workers > 1:
            first = next(batches, None)
            if first is None:
                return
            t = time.perf_counter()
            yield local.run_batch(method, first)
            quick = time.perf_counter() - t < AUTO_POOL_SECONDS * len(first)
            second = next(batches, None)
            parallel = second is not None and not (self.config.run.workers == 0 and quick)
            batches = itertools.chain([second] if second is not None else [], batches)
        if workers <= 1 or not parallel:
            for batch in batches:
                yield local.run_batch(method, batch) if batch else []
            return
        ctx = multiprocessing.get_context("forkserver")
        # Workers start with cleaner imported (once per process), and the main module when it is
        # a file: a script read from stdin cannot be imported again.
        main_file = getattr(sys.modules.get("__main__"), "__file__", None)
        ctx.set_forkserver_preload((["__main__"] if main_file and os.path.isfile(main_file) else []) + [__name__])
        # ProcessPoolExecutor, not multiprocessing.Pool: Pool's worker-handler thread spins while
        # results wait to be read (measured: seconds of the main process's CPU on a 10k run), and
        # a worker that dies makes Pool hang where the executor raises BrokenProcessPool.
        parent = (os.getpid(), process_start(os.getpid()))
        pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                                   initargs=(self.config, templates, parent))
        try:
            pending: deque = deque()
            for batch in batches:  # at most 2 batches a worker in flight
                pending.append(pool.submit(_run_batch_in_worker, method, batch) if batch else None)
                while len(pending) >= 2 * workers:
                    done = pending.popleft()
                    yield done.result() if done is not None else []
            while pending:
                done = pending.popleft()
                yield done.result() if done is not None else []
        except BaseException:
            _stop_workers(pool)
            raise
        pool.shutdown(wait=True)


STOP_WAIT_SECONDS = 5.0


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """On an error, Ctrl-C or SIGTERM: end the workers now rather than after their batches, and
    wait for the pool's manager only so long (seen: a pool interrupted while it started a worker
    waited for that worker forever). Workers left behind end themselves with this process."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            process.terminate()
        except (OSError, ValueError, AttributeError):
            pass  # already gone
    pool.shutdown(wait=False, cancel_futures=True)
    manager = getattr(pool, "_executor_manager_thread", None)
    if manager is not None:
        manager.join(STOP_WAIT_SECONDS)


# The worker process's Worker, built once by the pool initializer.
_worker: Worker | None = None


def _init_worker(config: Config, templates: frozenset[int] | None, parent: tuple[int, str]) -> None:
    global _worker
    _worker = Worker(config, templates)
    threading.Thread(target=_watch_parent, args=parent, name="cleaner-parent-watch", daemon=True).start()


WATCH_SECONDS = 0.5


def process_start(pid: int) -> str:
    """A process's start time (its identity with its pid: pids are reused), "" if there is no
    such process, "zombie" for a dead one not yet reaped."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except OSError:
        try:
            os.kill(pid, 0)  # no /proc: only whether the pid exists
            return "?"
        except ProcessLookupError:
            return ""
        except PermissionError:
            return "?"
    return "zombie" if fields[0] in (b"Z", b"X") else fields[19].decode()


def _watch_parent(pid: int, start: str) -> None:
    """A worker ends itself when the process that started the run is gone (killed, even with
    SIGKILL), so no worker outlives its run holding memory and the caller's stdout."""
    while True:
        time.sleep(WATCH_SECONDS)
        if process_start(pid) != start:
            os._exit(1)


def _run_batch_in_worker(method: str, batch: list) -> list:
    assert _worker is not None
    return _worker.run_batch(method, batch)
