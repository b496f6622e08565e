"""The stages composed in one visible place.

    read -> [pass 1, when site templates are on: extract, line keys -> spool; count the keys]
         -> pass 2: prepare (per document, in workers: extract, segment, boilerplate, fingerprints)
                    -> document dedup, in input order -> file passage band keys -> spool
         -> group passage band keys (per partition, in workers) -> candidate pairs
         -> pass 3: align windows with candidates (per document, in workers)
                    -> decide passages, in input order -> results -> writer

Per-document and per-partition work is a pure function of its input and the config (and the
template lines), so it runs in a process pool (or on Ray); the corpus-wide decisions run in the
main process in input order, on fingerprints only, which makes the output independent of the
number of workers. Documents wait between passes in spools on disk, so memory holds per
document only what the document stage keeps (about 330 bytes) and a byte per indexed passage.
Without the passage stage, results stream out of pass 2.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import logging
import multiprocessing
import os
import signal
import sqlite3
import threading
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np

from .boilerplate import boilerplate_removals
from .boilerplate.language import language_of, stopwords
from .boilerplate.templates import TemplateCounter, count_lines, document_keys, template_flags
from .config import Config
from .dedup.documents import DocFingerprint, DocumentIndex
from .dedup.passages import (MAX_CANDIDATES, WINDOW_BITS, PassageFingerprinter, PassageIndex, PassageKeys, Unit,
                             align_windows, group_partitions, pack_units, passage_removals, passage_units,
                             passage_verdicts, unpack_units)
from .dedup.store import IndexDatabase, damaged
from .extract import extract
from .model import Block, Document, Removal, Result, Skip, Span, control_removals, kept_text
from .readers import iter_inputs
from .report import Stats
from .segment import segment, split_blocks
from .spill import CompactPickle, Partitions, Spool
from .outfolder import OutputFolder, check_apart
from .writers import OutputWriter

log = logging.getLogger(__name__)

DECIDE_WINDOW = 256  # documents of pass 3 handed to the workers at a time
# With run.workers = 0, work that takes less than this per document stays in the main process:
# shipping a document to a worker and back costs about 0.2 ms of the main process's time
# (measured in bench/scale.py: document dedup alone ran slower with 2 workers than with 1).
AUTO_POOL_SECONDS = 0.001


@dataclass
class Prepared(CompactPickle):
    """Everything the corpus-wide stages need from one document (it crosses from a worker to
    the main process and waits in a spool; blocks are recomputed when needed)."""

    doc: Document
    removals: list[Removal]  # boilerplate
    fingerprint: DocFingerprint | None
    units: list[Unit] | bytes  # packed (`pack_units`) once the worker is done
    passage_keys: PassageKeys | None
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class Pending(CompactPickle):
    """A document waiting in the spool for its passage decisions."""

    doc: Document
    removals: list[Removal]  # boilerplate
    units: bytes  # packed (`pack_units`): unpacked only for a document with candidates
    same_doc: dict[int, list[int]]  # window code -> earlier units of this document sharing a band key
    ordinal: int  # in the passage stage of this call (-1: nothing indexed)
    items: np.ndarray | None  # each unit's passage item (-1: not indexed)


class Worker:
    """The per-document and per-partition work (one per process)."""

    def __init__(self, config: Config, templates: frozenset[int] | None = None):
        self.config = config
        self.templates = templates
        d = config.dedup
        self.doc_index = DocumentIndex(d.documents) if d.enabled and d.documents.enabled else None
        self.passages = PassageFingerprinter(d.passages) if d.enabled and d.passages.enabled else None

    def _guarded(self, doc: Document, work):
        try:
            with time_limit(self.config.input.max_seconds):
                return work(doc)
        except DocumentTimeout as e:
            log.warning("stopped %s: %s", doc.source, e)
            return Skip(doc.source, "timeout", str(e))
        except Exception as e:  # one bad document must not stop the run
            log.exception("failed on %s", doc.source)
            return Skip(doc.source, "error", f"{type(e).__name__}: {e}"[:300])

    def extract(self, doc: Document) -> Document | Skip:
        """HTML -> text (a no-op for text documents)."""
        if doc.html is not None:
            t = time.perf_counter()
            extract(doc, doc.html)
            doc.html = None
            doc.meta["_extract_seconds"] = time.perf_counter() - t
        if not doc.text.strip():
            return Skip(doc.source, "no-text", "no text found in the page")
        return doc

    def extract_and_key(self, doc: Document) -> tuple[Document, np.ndarray] | Skip:
        """Pass 1 of a run with site templates."""
        doc = self.extract(doc)
        if isinstance(doc, Skip):
            return doc
        if self._too_many_lines(doc):
            return doc, np.empty(0, dtype=np.uint64)
        return doc, document_keys(split_blocks(doc.text, doc.hints), doc.site)

    def _too_many_lines(self, doc: Document) -> bool:
        """Whether the document is past `input.max_lines`: then it is only checked for being a
        duplicate document (noted in its meta and counted), its text kept as it is."""
        limit = self.config.input.max_lines
        if not limit or len(doc.text) <= limit:
            return False
        lines = doc.text.count("\n") + doc.text.count("\r") - doc.text.count("\r\n")
        if lines <= limit:
            return False
        doc.meta["blocks"] = f"not cleaned: {lines} lines, over input.max_lines={limit}"
        return True

    def prepare(self, doc: Document) -> Prepared | Skip:
        """One document through `prepare_batch`."""
        return self.prepare_batch([doc])[0]

    def prepare_batch(self, docs: list[Document]) -> list[Prepared | Skip]:
        """Per-document work, then the fingerprints of the whole batch at once (fewer, larger
        numpy calls: measured in bench/dedup.py)."""
        out = [self._guarded(doc, self._prepare_one) for doc in docs]
        try:
            self._fingerprint([p for p in out if isinstance(p, Prepared)])
        except Exception:  # find the document that fails; the others go on
            out = [p if not isinstance(p, Prepared) else self._guarded(p.doc, lambda _: self._fingerprint([p]) or p)
                   for p in out]
        for p in out:
            if isinstance(p, Prepared):
                p.units = pack_units(p.units)
        return out

    def _fingerprint(self, ready: list[Prepared]) -> None:
        if ready:
            t = time.perf_counter()
            if self.doc_index is not None:
                digits = self.config.dedup.normalize_digits
                kept = [kept_text(p.doc.text, p.removals) for p in ready]
                for p, fp in zip(ready, self.doc_index.fingerprints(kept, digits)):
                    p.fingerprint = fp
            ready[0].timings["fingerprint-documents"] = time.perf_counter() - t
            t = time.perf_counter()
            if self.passages is not None:
                for p, keys in zip(ready, self.passages.keys([p.units for p in ready], [p.doc.id for p in ready])):
                    p.passage_keys = keys
            ready[0].timings["fingerprint-passages"] = time.perf_counter() - t

    def _prepare_one(self, doc: Document) -> Prepared | Skip:
        doc = self.extract(doc)
        if isinstance(doc, Skip):
            return doc
        cfg = self.config
        timings = {"extract": doc.meta.pop("_extract_seconds", 0.0)}
        t = time.perf_counter()
        removals: list[Removal] = []
        blocks: list[Block] = []
        stops: frozenset[str] = frozenset()
        if self._too_many_lines(doc):
            log.warning("%s has over input.max_lines=%d lines: kept as it is (only whole-document duplicates "
                        "are removed)", doc.source, cfg.input.max_lines)
            return Prepared(doc, [], None, [], None, timings)
        if cfg.boilerplate.enabled or self.passages is not None:
            segmented = segment(doc.text, doc.hints)
            blocks = segmented.blocks
            doc.meta["layout"] = segmented.layout.name
            language = language_of(blocks)
            doc.meta["language"] = language
            stops = stopwords(language)
        if cfg.boilerplate.enabled:
            flags = template_flags(blocks, doc.site, self.templates) if self.templates else None
            # Text trafilatura extracted gets the named rules only; the learned model is for
            # whole-page text (measured in bench/extraction.py).
            learned = doc.meta.get("extraction") != "trafilatura"
            removals, title = boilerplate_removals(doc.id, doc.text, blocks, stops, cfg.boilerplate,
                                                   templates=flags, learned=learned, known_title=doc.title)
            doc.title = doc.title or title
        timings["boilerplate"] = time.perf_counter() - t
        units: list[Unit] = []
        if self.passages is not None:
            t = time.perf_counter()
            kept = [b for b in blocks if not _covered(b, removals)]
            units = passage_units(doc.text, kept, stops, cfg.dedup.passages.min_words, cfg.dedup.normalize_digits)
            timings["passage-units"] = time.perf_counter() - t
        return Prepared(doc, removals, None, units, None, timings)

    # -- per partition and per task --------------------------------------------------------------
    def count_lines(self, task: tuple[np.ndarray, int]):
        return count_lines(*task)

    def group(self, task: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> np.ndarray:
        return group_partitions(task)

    def align(self, task: tuple) -> tuple[list | None, float]:
        """A document's alignments (None when they took longer than `input.max_seconds`: the
        document then keeps its text, as if it had no earlier copies)."""
        t = time.perf_counter()
        try:
            with time_limit(self.config.input.max_seconds):
                found = align_windows(*task, self.config.dedup.passages)
        except DocumentTimeout:
            found = None
        return found, time.perf_counter() - t

    def run_batch(self, method: str, batch: list) -> list:
        if method == "prepare":
            docs = [item for item in batch if not isinstance(item, Skip)]
            done = iter(self.prepare_batch(docs))
            return [item if isinstance(item, Skip) else next(done) for item in batch]
        if method == "extract_and_key":
            return [item if isinstance(item, Skip) else self._guarded(item, self.extract_and_key) for item in batch]
        return [getattr(self, method)(task) for task in batch]


class DocumentTimeout(Exception):
    """Cleaning one document took longer than `input.max_seconds`."""


@contextmanager
def time_limit(seconds: float):
    """Raise DocumentTimeout in this thread after `seconds` (a timer signal: only in a process's
    main thread, where workers run; work stuck inside one C call ends before it is stopped)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise DocumentTimeout(f"over input.max_seconds={seconds:g}")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _covered(block: Block, removals: list[Removal]) -> bool:
    return any(r.start <= block.content_start and block.content_end <= r.end for r in removals)


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


def _batched(items: Iterable, size: int) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class Cleaner:
    """Cleans a stream of documents. Holds the corpus-wide state (dedup indexes, counts), so
    one Cleaner is one run: documents it has seen are the "earlier" ones for later documents.
    With `run.index` set, that state starts from a persistent index and what this run keeps is
    added to it when the run completes (`close`)."""

    def __init__(self, config: Config | None = None, progress=None):
        self.config = config or Config()
        self.config.validate()
        self.stats = Stats()
        self.progress = progress  # an object with stage(name, total) and advance(...) (report.Progress)
        self._worker = Worker(self.config)
        d = self.config.dedup
        self._db = IndexDatabase(self.config.run.index, self.config.index_settings()) if self.config.run.index else None
        self.doc_index = DocumentIndex(d.documents, self._db.documents if self._db else None) \
            if d.enabled and d.documents.enabled else None
        self._buffer_bytes = self.config.run.buffer_mb << 20
        self.passage_index = PassageIndex(d.passages, self._db.passages if self._db else None, self._buffer_bytes) \
            if d.enabled and d.passages.enabled else None
        self._seq = 0
        self._ids = UniqueIds()
        self._complete = False
        self._ray = None
        if self.config.run.engine == "ray":
            from .ray_engine import RayMapper

            self._ray = RayMapper(self.config)
        if self._db is not None:
            try:
                if self.doc_index is not None:
                    self.doc_index.load(self._db.document_rows())
                if self.passage_index is not None:
                    self.passage_index.load(self._db.passage_rows())
                self._seq = self._db.next_seq()
            except sqlite3.DatabaseError as e:
                self.close()
                raise damaged(self.config.run.index, e) from None

    def close(self) -> None:
        """End the run: with a persistent index, commit what a complete run added (a run that
        stopped early adds nothing); release temporary stores."""
        if self._db is not None:
            if self._complete:
                self._db.commit(self._seq)
            self._db.close()
            self._db = None
        if self.doc_index is not None and self.doc_index._store is not None:
            self.doc_index.store.close()
        if self.passage_index is not None:
            self.passage_index.close()
        if self._ray is not None:
            self._ray.close()
            self._ray = None

    def __enter__(self) -> "Cleaner":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- entry points -----------------------------------------------------------------------
    def clean(self, inputs: list[str], stdin: BinaryIO | None = None) -> Iterator[Result]:
        """Results for files, directories, globs or "-" (stdin), in input order."""
        return self.clean_documents(iter_inputs(inputs, self.config.input, stdin))

    def clean_documents(self, items: Iterable[Document | Skip]) -> Iterator[Result]:
        """Results in input order. With the passage stage on, they come once every document
        has been read (an earlier copy of a passage can be anywhere before it)."""
        items = self._timed_reads(items)
        b = self.config.boilerplate
        spool = Spool() if b.enabled and b.site_template_min_pages else None
        try:
            templates = None
            if spool is not None:
                templates = self._first_pass(items, spool)
                items = spool.read()
            prepared = self._second_pass(items, templates)
            if self.passage_index is None:
                for record in prepared:
                    yield self._emit(record, None)
            else:
                yield from self._passage_pass(prepared)
        finally:
            if spool is not None:
                spool.close()
        self._complete = True

    def clean_document(self, doc: Document) -> Result:
        """One document (a Skip becomes an unchanged, dropped result that says why)."""
        results = list(self.clean_documents([doc]))
        if results:
            return results[0]
        doc.meta["skipped"] = self.stats.last_skip.reason if self.stats.last_skip else "error"
        return Result(doc, doc.text, [], dropped=True)

    def summary(self) -> dict:
        return self.stats.to_dict(self.config)

    # -- passes -----------------------------------------------------------------------------
    def _first_pass(self, items: Iterable[Document | Skip], spool: Spool) -> frozenset[int]:
        """Extract every document once, count its line keys per site, park it in the spool."""
        counter = TemplateCounter(self.config.boilerplate.site_template_min_pages, self._buffer_bytes)
        try:
            if self._db is not None:
                for keys, pages in self._db.template_counts():
                    counter.add_base(keys, pages)
            self._stage("read", None)
            for item in self._map("extract_and_key", items, None):
                if isinstance(item, Skip):
                    self.stats.add_skip(item)
                    continue
                doc, keys = item
                counter.add(keys)
                spool.write(doc)
                self._advance(1, len(doc.text))
            templates: set[int] = set()
            t = time.perf_counter()
            tasks = counter.tasks()
            for (found, run_keys, run_pages), in self._map_batches("count_lines", ([task] for task in tasks),
                                                                   parallel=len(tasks) > 1):
                templates.update(found.tolist())
                if self._db is not None:
                    self._db.add_template_counts(run_keys, run_pages)
            self.stats.add_time("site-templates", time.perf_counter() - t)
        finally:
            counter.close()
        self.stats.notes["site_template_lines"] = len(templates)
        return frozenset(templates)

    def _second_pass(self, items: Iterable[Document | Skip], templates: frozenset[int] | None) -> Iterator:
        """Prepared documents in input order, after the document stage: a Result for a dropped
        duplicate, else the Prepared document with its passages indexed."""
        self._stage("prepare", self.stats.docs_seen or None)
        batch: list[Prepared] = []
        for p in itertools.chain(self._map("prepare", items, templates), [None]):
            if isinstance(p, Skip):
                self.stats.add_skip(p)
                continue
            if p is not None:
                batch.append(p)
            if batch and (p is None or len(batch) >= self.config.run.batch_size):
                yield from self._document_stage(batch)
                batch = []

    def _document_stage(self, batch: list[Prepared]) -> Iterator[Prepared | Result]:
        t = time.perf_counter()
        matches: list = [None] * len(batch)
        if self.doc_index is not None:
            with_fp = [j for j, p in enumerate(batch) if p.fingerprint is not None]
            found = self.doc_index.check_batch([(batch[j].doc.id, len(batch[j].doc.text), batch[j].fingerprint)
                                                for j in with_fp])
            for j, m in zip(with_fp, found):
                matches[j] = m
        self.stats.add_time("document-dedup", time.perf_counter() - t)
        t = time.perf_counter()
        for p, match in zip(batch, matches):
            for stage, seconds in p.timings.items():
                self.stats.add_time(stage, seconds)
            seq = self._seq
            self._seq += 1
            self._advance(1, len(p.doc.text))
            if match is not None:
                doc = p.doc
                reason = "duplicate:exact-document" if match.exact else "duplicate:near-document"
                whole = Removal(doc.id, 0, len(doc.text), doc.text, "document-dedup", reason,
                                Span(match.doc_id, 0, match.length), match.similarity)
                yield Result(doc, "", [whole], dropped=True)
                continue
            if self.passage_index is None:
                yield p
                continue
            ordinal, items = self.passage_index.add(seq, p.doc.id, p.units, p.passage_keys) if p.units else (-1, None)
            yield Pending(p.doc, p.removals, p.units, p.passage_keys.same_doc if p.units else {}, ordinal, items)
        self.stats.add_time("passage-index", time.perf_counter() - t)

    def _passage_pass(self, prepared: Iterator) -> Iterator[Result]:
        """Park the prepared documents, group the passage keys, then decide in input order."""
        spool = Spool()
        pairs = None
        try:
            for record in prepared:
                spool.write(record)
            pairs = self._group_passages()
            yield from self._third_pass(spool, pairs)
        finally:
            spool.close()
            if pairs is not None:
                pairs.close()
            self.passage_index.end_call()

    def _group_passages(self) -> Partitions:
        """Candidate pairs (window, item) of this call, partitioned by document ordinal."""
        t = time.perf_counter()
        index = self.passage_index
        n = max(1, index.documents_in_call)
        parts = max(1, min(4096, n // 1024))  # a partition: the pairs of about 1024 documents
        pairs = Partitions(2, lambda r: ((r[:, 0] >> np.uint64(WINDOW_BITS)).astype(np.int64) * parts) // n, parts,
                           self._buffer_bytes)
        tasks = index.group_tasks()
        first = list(itertools.islice(tasks, 2))
        self._stage("group", None)
        for (found,) in self._map_batches("group", ([task] for task in itertools.chain(first, tasks)),
                                          parallel=len(first) > 1):
            pairs.add(found)
            self._advance(0, 0)  # one partition
        self.stats.add_time("passage-group", time.perf_counter() - t)
        return pairs

    def _third_pass(self, spool: Spool, pairs: Partitions) -> Iterator[Result]:
        """Align in workers the documents that have candidates; decide all in input order."""
        self._stage("decide", spool.count)
        candidates = _CandidateReader(pairs, pairs.parts, max(1, self.passage_index.documents_in_call))
        windows: deque = deque()

        def task_batches():
            for chunk in _batched(spool.read(), DECIDE_WINDOW):
                tasks = [(j, self._align_task(record, candidates)) for j, record in enumerate(chunk)]
                tasks = [(j, task) for j, task in tasks if task is not None]
                windows.append((chunk, [j for j, _ in tasks]))
                yield [task for _, task in tasks]

        parallel = self.config.resolved_workers() > 1 and spool.count > 2 * DECIDE_WINDOW
        for aligned in self._map_batches("align", task_batches(), parallel=parallel):
            chunk, with_task = windows.popleft()
            alignments = dict(zip(with_task, (found for found, _ in aligned)))
            self.stats.add_time("passage-align", sum(seconds for _, seconds in aligned))
            for j, record in enumerate(chunk):
                if j in alignments and alignments[j] is None:
                    log.warning("passage dedup of %s stopped after input.max_seconds: its text is kept", record.doc.source)
                    record.doc.meta["passage_dedup"] = "timeout"
                    self.stats.notes["passage_dedup:timeout"] += 1
                result = self._emit(record, alignments.get(j))
                self._advance(1, len(result.doc.text))
                yield result

    def _align_task(self, record, candidates: "_CandidateReader") -> tuple | None:
        """What a worker needs to align a document's windows with their candidates, or None."""
        if not isinstance(record, Pending) or record.ordinal < 0:
            return None
        index = self.passage_index
        same = record.same_doc
        cross: dict[int, list[int]] = {}
        for code, item in candidates.of(record.ordinal):  # by window, earliest item first
            if index.alive(item):  # a removed passage never comes back
                found = cross.setdefault(code, [])
                if len(found) < MAX_CANDIDATES:  # a window in a crowd of look-alikes: the earliest
                    found.append(item)
        if not cross and not same:
            return None
        windows = [(code, cross.get(code, []) + [-2 - j for j in same.get(code, [])])
                   for code in sorted(set(cross) | set(same))]
        payloads = {item: index.record(item) for items in cross.values() for item in items}
        return record.units, windows, payloads

    def _emit(self, record, alignments: list | None) -> Result:
        """The Result of a record of pass 2, with its passage decisions taken (in input order)."""
        if isinstance(record, Result):
            result = record
        else:
            t = time.perf_counter()
            p, removals = record, list(record.removals)
            doc = p.doc
            if alignments:
                index = self.passage_index
                units = unpack_units(p.units)
                verdicts = passage_verdicts(doc.id, units, alignments, self.config.dedup.passages,
                                            index.alive, index.span)
                if any(v is not None for v in verdicts):
                    found, removed_units = passage_removals(doc.id, doc.text, split_blocks(doc.text, doc.hints),
                                                            units, verdicts, self.config.dedup.passages)
                    index.retire([int(p.items[k]) for k in removed_units])
                    removals.extend(found)
            removals.extend(control_removals(doc.id, doc.text, removals))
            removals.sort(key=lambda r: r.start)
            text = kept_text(doc.text, removals)
            result = Result(doc, text, removals, dropped=not text.strip())
            self.stats.add_time("passage-decide", time.perf_counter() - t)
        self.stats.add_result(result)
        if self.progress is not None:
            self.progress.advance(removals=len(result.removals))
        return result

    # -- plumbing ---------------------------------------------------------------------------
    def _stage(self, name: str, total: int | None) -> None:
        if self.progress is not None:
            self.progress.stage(name, total)

    def _advance(self, docs: int, chars: int) -> None:
        if self.progress is not None:
            self.progress.advance(docs, chars)

    def _timed_reads(self, items: Iterable[Document | Skip]) -> Iterator[Document | Skip]:
        it = iter(items)
        while True:
            t = time.perf_counter()
            try:
                item = next(it)
            except StopIteration:
                return
            finally:
                self.stats.add_time("read", time.perf_counter() - t)
            self.stats.docs_seen += 1
            if isinstance(item, Document):
                self._ids.make_unique(item, self.stats)
            yield item

    def _map(self, method: str, items: Iterable, templates: frozenset[int] | None) -> Iterator:
        """Worker.<method> over the items, in order, in batches of `run.batch_size`."""
        for done in self._map_batches(method, _batched(items, self.config.run.batch_size), templates):
            yield from done

    def _map_batches(self, method: str, batches: Iterable[list], templates: frozenset[int] | None = None,
                     parallel: bool | None = None) -> Iterator[list]:
        """Worker.<method> over each batch, results in order: on Ray, in a process pool when
        workers > 1 and the work is worth starting processes for (`parallel`; by default, when
        there is more than one batch and, with `run.workers = 0`, the first batch took more
        than AUTO_POOL_SECONDS a document here), else here."""
        if self._ray is not None:
            yield from self._ray.map_batches(method, batches, templates)
            return
        batches = iter(batches)
        workers = self.config.resolved_workers()
        local = self._worker if templates is None else Worker(self.config, templates)
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
        ctx.set_forkserver_preload(["__main__", __name__])  # workers start with cleaner imported (once per process)
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
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


class UniqueIds:
    """Document ids made unique in input order: a later document with an id already used gets
    `#2`, `#3`, ... (restore, explain and the removal log need one document per id). Memory: a
    64-bit key per id seen."""

    def __init__(self) -> None:
        self._seen: set[int] = set()
        self._repeats: dict[str, int] = {}

    @staticmethod
    def _key(doc_id: str) -> int:
        return int.from_bytes(hashlib.blake2b(doc_id.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")

    def make_unique(self, doc: Document, stats) -> None:
        key = self._key(doc.id)
        if key not in self._seen:
            self._seen.add(key)
            return
        original, n = doc.id, self._repeats.get(doc.id, 1)
        while True:
            n += 1
            key = self._key(f"{original}#{n}")
            if key not in self._seen:
                break
        self._repeats[original] = n
        self._seen.add(key)
        doc.id = f"{original}#{n}"
        stats.add_duplicate_id(original)


class _CandidateReader:
    """The candidate pairs of documents in ordinal order, one partition in memory at a time."""

    def __init__(self, pairs: Partitions, parts: int, documents: int):
        self._pairs, self._parts, self._documents = pairs, parts, documents
        self._part = -1
        self._ordinals = np.empty(0, dtype=np.int64)
        self._codes = self._items = self._ordinals

    def of(self, ordinal: int) -> Iterator[tuple[int, int]]:
        """(window code, item) pairs of a document, sorted."""
        part = ordinal * self._parts // self._documents
        if part != self._part:
            found = np.unique(self._pairs.part(part), axis=0)
            self._part = part
            self._ordinals = (found[:, 0] >> np.uint64(WINDOW_BITS)).astype(np.int64)
            self._codes = (found[:, 0] & np.uint64((1 << WINDOW_BITS) - 1)).astype(np.int64)
            self._items = found[:, 1].astype(np.int64)
        lo, hi = np.searchsorted(self._ordinals, [ordinal, ordinal + 1])
        return zip(self._codes[lo:hi].tolist(), self._items[lo:hi].tolist())


def run(inputs: list[str], out_dir: str, config: Config | None = None, fmt: str = "jsonl",
        stdin: BinaryIO | None = None, progress=None, resume: bool = False, overwrite: bool = False) -> dict:
    """Clean `inputs` into `out_dir` (documents, removed.jsonl, summary.json, manifest.json);
    returns the summary. The folder must not be or hold an input, and must be empty or hold an
    earlier run, which `overwrite` replaces (see `outfolder`). `resume`: continue the killed run
    that wrote `out_dir`, without writing a document twice. The documents are produced again
    (each decision depends on every earlier document), but what the last checkpoint holds is not
    rewritten."""
    config = config or Config()
    check_apart(out_dir, inputs)
    key = run_key(inputs, config, fmt)
    folder = OutputFolder(out_dir, key, fmt, resume=resume, overwrite=overwrite)
    try:
        with Cleaner(config, progress) as cleaner:
            writer = OutputWriter(folder, fmt, key, resume, config.run.checkpoint_every)
            if writer.resumed:
                log.warning("resuming: %d documents of the killed run are written already", writer.resumed)
            try:
                for result in cleaner.clean(inputs, stdin):
                    t = time.perf_counter()
                    writer.write(result)
                    cleaner.stats.add_time("write", time.perf_counter() - t)
            except BaseException:
                writer.abort()
                raise
            summary = cleaner.summary()
            writer.close(summary)
    finally:
        folder.close()
    return summary


def run_key(inputs: list[str], config: Config, fmt: str) -> str:
    """What makes two runs write the same output: inputs, format and the settings that change it
    (not workers, engine or buffers)."""
    settings = config.to_dict()
    settings["run"] = {"index": config.run.index}
    blob = json.dumps({"inputs": [os.path.abspath(i) if i != "-" else i for i in inputs], "format": fmt,
                       "settings": settings}, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
