"""The per-document and per-partition work, one `Worker` per process: pure functions of their
input, the config and the site-template lines, so they run in any process (a local pool, Ray)
and the output does not depend on where.

    extract_and_key   pass 1 (site templates on): HTML -> text, line keys
    prepare           pass 2: extract, segment, boilerplate, passage units, fingerprints
    count_lines       the site-template lines of a partition of line keys
    group             a partition of passage band keys -> candidate pairs
    align             a document's windows aligned with their candidates
"""
from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from .boilerplate import boilerplate_removals
from .boilerplate.language import language_of, stopwords
from .boilerplate.templates import count_lines, document_keys, template_flags
from .config import Config
from .dedup.align import AlignTask, align_unpacked, align_windows, unpack_tasks
from .dedup.doc_fingerprint import DocFingerprint, DocumentFingerprinter
from .dedup.passage_index import group_partitions
from .dedup.passage_keys import PassageFingerprinter, PassageKeys
from .dedup.units import Unit, pack_units, passage_units
from .extract import extract
from .model import Block, Document, Removal, Skip, kept_text
from .segment import pack_segmentation, segment, unpack_segmentation
from .spill import CompactPickle

log = logging.getLogger(__name__)


@dataclass
class Prepared(CompactPickle):
    """Everything the corpus-wide stages need from one document (it crosses from a worker to
    the main process and waits in a spool; blocks are recomputed when needed)."""

    doc: Document
    removals: list[Removal]  # boilerplate
    fingerprint: DocFingerprint | None
    units: list[Unit] | bytes  # packed once the worker is done, without the indexed units' words (`pack_units`)
    passage_keys: PassageKeys | None
    timings: dict[str, float] = field(default_factory=dict)
    seq: int = -1  # the document's number across runs (set in the main process, in input order)


class Worker:
    """The per-document and per-partition work (one per process)."""

    def __init__(self, config: Config, templates: frozenset[int] | None = None):
        self.config = config
        self.templates = templates
        d = config.dedup
        self.documents = DocumentFingerprinter(d.documents) if d.enabled and d.documents.enabled else None
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
        t = time.perf_counter()
        segmented = segment(doc.text, doc.hints)
        doc.segmentation = pack_segmentation(doc.text, segmented)  # for pass 2: cheaper than segmenting again
        doc.meta["_segment_seconds"] = time.perf_counter() - t
        return doc, document_keys(segmented.blocks, doc.site)

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
        ready = [p for p in out if isinstance(p, Prepared)]
        try:
            with time_limit(self.config.input.max_seconds * max(1, len(ready))):
                self._fingerprint(ready)
        except Exception:  # find the document that fails or takes too long; the others go on
            out = [self._fingerprint_alone(p) if isinstance(p, Prepared) else p for p in out]
        for p in out:
            if isinstance(p, Prepared):  # (the indexed units' words travel in their records)
                p.units = pack_units(p.units, p.passage_keys.indexable if p.passage_keys is not None else None)
        return out

    def _fingerprint_alone(self, p: Prepared) -> Prepared | Skip:
        """One document's fingerprints; past `input.max_seconds` it keeps its text without the
        passage stage (`meta.passage_dedup`), as when its alignment runs out of time."""
        try:
            with time_limit(self.config.input.max_seconds):
                self._fingerprint([p])
        except DocumentTimeout:
            log.warning("passage dedup of %s stopped after input.max_seconds: its text is kept", p.doc.source)
            p.units, p.passage_keys = [], None
            p.doc.meta["passage_dedup"] = "timeout"
        except Exception as e:
            log.exception("failed on %s", p.doc.source)
            return Skip(p.doc.source, "error", f"{type(e).__name__}: {e}"[:300])
        return p

    def _fingerprint(self, ready: list[Prepared]) -> None:
        if ready and self.documents is not None:
            t = time.perf_counter()
            digits = self.config.dedup.normalize_digits
            kept = [kept_text(p.doc.text, p.removals) for p in ready]
            for p, fp in zip(ready, self.documents.fingerprints(kept, digits)):
                p.fingerprint = fp
            ready[0].timings["fingerprint-documents"] = time.perf_counter() - t
        if ready and self.passages is not None:
            t = time.perf_counter()
            for p, keys in zip(ready, self.passages.keys([p.units for p in ready], [p.doc.id for p in ready])):
                p.passage_keys = keys
            ready[0].timings["fingerprint-passages"] = time.perf_counter() - t

    def _prepare_one(self, doc: Document) -> Prepared | Skip:
        doc = self.extract(doc)
        if isinstance(doc, Skip):
            return doc
        cfg = self.config
        timings = {"extract": doc.meta.pop("_extract_seconds", 0.0)}
        t = time.perf_counter() - doc.meta.pop("_segment_seconds", 0.0)  # (pass 1 segmented: its time counts here)
        packed, doc.segmentation = doc.segmentation, None
        removals: list[Removal] = []
        blocks: list[Block] = []
        stops: frozenset[str] = frozenset()
        if self._too_many_lines(doc):
            log.warning("%s has over input.max_lines=%d lines: kept as it is (only whole-document duplicates "
                        "are removed)", doc.source, cfg.input.max_lines)
            return Prepared(doc, [], None, [], None, timings)
        if cfg.boilerplate.enabled or self.passages is not None:
            segmented = (packed and unpack_segmentation(doc.text, packed)) or segment(doc.text, doc.hints)
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
        if blocks:  # (segmentation and language are timed here, also for passage dedup alone)
            timings["boilerplate"] = time.perf_counter() - t
        units: list[Unit] = []
        if self.passages is not None:
            t = time.perf_counter()
            kept = _uncovered(blocks, removals)
            units = passage_units(doc.text, kept, stops, cfg.dedup.passages.min_words, cfg.dedup.normalize_digits)
            timings["passage-units"] = time.perf_counter() - t
        return Prepared(doc, removals, None, units, None, timings)

    # -- per partition and per task --------------------------------------------------------------
    def count_lines(self, task: tuple[np.ndarray, int]):
        return count_lines(*task)

    def group(self, task: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> np.ndarray:
        return group_partitions(task)

    def align(self, tasks: list[AlignTask]) -> list[tuple[list | None, float]]:
        """Each document's alignments (None when they took longer than `input.max_seconds`: the
        document then keeps its text, as if it had no earlier copies), and its seconds (with its
        share of unpacking the batch's words)."""
        limit = self.config.input.max_seconds
        t = time.perf_counter()
        try:  # (the batch's limit is the sum of its documents': else each unpacks its own under its own)
            with time_limit(limit * len(tasks)):
                unpacked: list | None = unpack_tasks(tasks)
        except DocumentTimeout:
            unpacked = None
        shared = (time.perf_counter() - t) / max(1, len(tasks))
        out = []
        for k, task in enumerate(tasks):
            t = time.perf_counter()
            try:
                with time_limit(limit):
                    cfg = self.config.dedup.passages
                    found = align_unpacked(*unpacked[k], cfg) if unpacked else align_windows(*task, cfg)
            except DocumentTimeout:
                found = None
            out.append((found, shared + time.perf_counter() - t))
        return out

    def run_batch(self, method: str, batch: list) -> list:
        if method == "prepare":
            docs = [item for item in batch if not isinstance(item, Skip)]
            done = iter(self.prepare_batch(docs))
            return [item if isinstance(item, Skip) else next(done) for item in batch]
        if method == "align":
            return self.align(batch)
        if method == "extract_and_key":
            return [item if isinstance(item, Skip) else self._guarded(item, self.extract_and_key) for item in batch]
        return [getattr(self, method)(task) for task in batch]


TIMEOUT_REPEAT = 0.25  # seconds between repeats of a time limit's signal (see time_limit)


class DocumentTimeout(Exception):
    """Cleaning one document took longer than `input.max_seconds`."""


@contextmanager
def time_limit(seconds: float):
    """Raise DocumentTimeout in this thread after `seconds` (a timer signal: only in a process's
    main thread, where workers run; work stuck inside one C call ends before it is stopped)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    delivered = False

    def stop(signum, frame):
        if not delivered:
            raise DocumentTimeout(f"over input.max_seconds={seconds:g}")

    previous = signal.signal(signal.SIGALRM, stop)
    # The timer repeats until the exception reaches this frame: one raised inside a garbage
    # collector callback or a __del__ is swallowed by Python, and the next one is not.
    signal.setitimer(signal.ITIMER_REAL, seconds, TIMEOUT_REPEAT)
    try:
        yield
    except DocumentTimeout:
        delivered = True
        raise
    finally:
        delivered = True
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _uncovered(blocks: list[Block], removals: list[Removal]) -> list[Block]:
    """The blocks no removal covers, in one walk (both in text order; removals do not overlap)."""
    kept, i = [], 0
    for b in blocks:
        while i < len(removals) and removals[i].end < b.content_end:
            i += 1  # it ends before this block does, so before every later one
        if not (i < len(removals) and removals[i].start <= b.content_start):
            kept.append(b)
    return kept


def batched(items: Iterable, size: int) -> Iterator[list]:
    """Lists of `size` items (the last one shorter)."""
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
