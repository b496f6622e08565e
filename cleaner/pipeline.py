"""The stages composed in one visible place.

    read -> extract (per document, in parallel) -> [site-template counts, pass 1]
         -> prepare (per document, in parallel: segment, boilerplate, fingerprints)
         -> document dedup -> passage dedup (corpus-wide, in input order, on fingerprints)
         -> results (kept text + removals) -> writer

Per-document work is a pure function of the document, the config (and the template counts), so
it runs in a process pool; the corpus-wide stages run in the main process in input order, which
makes the output independent of the number of workers. When site templates are on, pass 1
extracts every document once, counts its line keys and spools it to a temporary file; pass 2
reads the spool, so HTML is parsed once and stdin needs no second reading.
"""
from __future__ import annotations

import itertools
import logging
import multiprocessing
import pickle
import tempfile
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np

from .boilerplate import boilerplate_removals
from .boilerplate.language import language_of, stopwords
from .boilerplate.templates import TemplateCounter, document_keys, template_flags
from .config import Config
from .dedup.documents import DocFingerprint, DocumentIndex
from .dedup.passages import PassageIndex, Unit, passage_removals, passage_units
from .dedup.store import IndexDatabase
from .extract import extract
from .model import Block, Document, Removal, Result, Skip, Span, kept_text
from .readers import iter_inputs
from .report import Stats
from .segment import split_blocks
from .writers import OutputWriter

log = logging.getLogger(__name__)


@dataclass
class Prepared:
    """Everything the corpus-wide stages need from one document (kept small: it crosses from a
    worker to the main process; blocks are recomputed there when needed)."""

    doc: Document
    removals: list[Removal]  # boilerplate
    fingerprint: DocFingerprint | None
    units: list[Unit]
    window_keys: np.ndarray | None  # passage LSH keys, see PassageIndex.window_keys
    timings: dict[str, float] = field(default_factory=dict)


class Preparer:
    """Per-document work: extraction, segmentation, boilerplate, fingerprints."""

    def __init__(self, config: Config, templates: frozenset[int] | None = None):
        self.config = config
        self.templates = templates
        d = config.dedup
        self.doc_index = DocumentIndex(d.documents) if d.enabled and d.documents.enabled else None
        self.passage_index = PassageIndex(d.passages) if d.enabled and d.passages.enabled else None

    def _guarded(self, doc: Document, work):
        try:
            return work(doc)
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
        return doc, document_keys(doc.text, split_blocks(doc.text, doc.hints), doc.site)

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
            if self.passage_index is not None:
                for p, keys in zip(ready, self.passage_index.window_keys([p.units for p in ready])):
                    p.window_keys = keys
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
        if cfg.boilerplate.enabled or self.passage_index is not None:
            blocks = split_blocks(doc.text, doc.hints)
            language = language_of(doc.text)
            doc.meta["language"] = language
            stops = stopwords(language)
        if cfg.boilerplate.enabled:
            flags = template_flags(doc.text, blocks, doc.site, self.templates) if self.templates else None
            # Text trafilatura extracted gets the named rules only; the learned model is for
            # whole-page text (measured in bench/extraction.py).
            learned = doc.meta.get("extraction") != "trafilatura"
            removals, title = boilerplate_removals(doc.id, doc.text, blocks, stops, cfg.boilerplate,
                                                   templates=flags, learned=learned, known_title=doc.title)
            doc.title = doc.title or title
        timings["boilerplate"] = time.perf_counter() - t
        units: list[Unit] = []
        if self.passage_index is not None:
            t = time.perf_counter()
            kept = [b for b in blocks if not _covered(b, removals)]
            units = passage_units(doc.text, kept, stops, cfg.dedup.passages.min_words, cfg.dedup.normalize_digits)
            timings["passage-units"] = time.perf_counter() - t
        return Prepared(doc, removals, None, units, None, timings)

    def run_batch(self, method: str, batch: list[Document | Skip]) -> list:
        docs = [item for item in batch if not isinstance(item, Skip)]
        if method == "prepare":
            done = iter(self.prepare_batch(docs))
        else:
            done = iter([self._guarded(d, getattr(self, method)) for d in docs])
        return [item if isinstance(item, Skip) else next(done) for item in batch]


def _covered(block: Block, removals: list[Removal]) -> bool:
    return any(r.start <= block.content_start and block.content_end <= r.end for r in removals)


# The worker process's Preparer, built once by the pool initializer.
_worker: Preparer | None = None


def _init_worker(config: Config, templates: frozenset[int] | None) -> None:
    global _worker
    _worker = Preparer(config, templates)


def _run_batch_in_worker(method: str, batch: list[Document | Skip]) -> list:
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


class _Spool:
    """Extracted documents parked on disk between the two passes (deleted when closed)."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="cleaner-spool-")

    def write(self, doc: Document) -> None:
        pickle.dump(doc, self._file, protocol=pickle.HIGHEST_PROTOCOL)

    def read(self) -> Iterator[Document]:
        self._file.seek(0)
        while True:
            try:
                yield pickle.load(self._file)
            except EOFError:
                return

    def close(self) -> None:
        self._file.close()


class Cleaner:
    """Cleans a stream of documents. Holds the corpus-wide state (dedup indexes, counts), so
    one Cleaner is one run: documents it has seen are the "earlier" ones for later documents.
    With `run.index` set, that state starts from a persistent index and what this run keeps is
    added to it when the run completes (`close`)."""

    def __init__(self, config: Config | None = None):
        self.config = config or Config()
        self.config.validate()
        self.stats = Stats()
        self._preparer = Preparer(self.config)
        d = self.config.dedup
        self._db = IndexDatabase(self.config.run.index, self.config.index_settings()) if self.config.run.index else None
        self.doc_index = DocumentIndex(d.documents, self._db.documents if self._db else None) \
            if d.enabled and d.documents.enabled else None
        self.passage_index = PassageIndex(d.passages, self._db.passages if self._db else None) \
            if d.enabled and d.passages.enabled else None
        self._seq = 0
        self._templates_counted: TemplateCounter | None = None
        self._complete = False
        self._ray = None
        if self.config.run.engine == "ray":
            from .ray_engine import RayMapper

            self._ray = RayMapper(self.config)
        if self._db is not None:
            if self.doc_index is not None:
                self.doc_index.load(self._db.document_rows())
            if self.passage_index is not None:
                self.passage_index.load(self._db.passage_rows())
            self._seq = self._db.next_seq()

    def close(self) -> None:
        """End the run: with a persistent index, commit what a complete run added (a run that
        stopped early adds nothing); release temporary stores."""
        if self._db is not None:
            if self._complete:
                if self._templates_counted is not None:
                    self._db.add_template_counts(*self._templates_counted.run_counts())
                self._db.commit(self._seq)
            self._db.close()
            self._db = None
        for index in (self.doc_index, self.passage_index):
            if index is not None and index._store is not None:
                index.store.close()
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
        items = self._timed_reads(items)
        b = self.config.boilerplate
        if not (b.enabled and b.site_template_min_pages):
            yield from self._second_pass(items, None)
        else:
            spool = _Spool()
            try:
                templates = self._first_pass(items, spool)
                yield from self._second_pass(spool.read(), templates)
            finally:
                spool.close()
        self._complete = True

    def clean_document(self, doc: Document) -> Result:
        """One document (a Skip becomes an unchanged, dropped result that says why)."""
        prepared = self._preparer.prepare(doc)
        if isinstance(prepared, Skip):
            self.stats.add_skip(prepared)
            doc.meta["skipped"] = prepared.reason
            return Result(doc, doc.text, [], dropped=True)
        result = self._finish(prepared)
        self.stats.add_result(result)
        return result

    def summary(self) -> dict:
        return self.stats.to_dict(self.config)

    # -- passes -----------------------------------------------------------------------------
    def _first_pass(self, items: Iterable[Document | Skip], spool: _Spool) -> frozenset[int]:
        base = self._db.template_counts() if self._db is not None else None
        counter = self._templates_counted = TemplateCounter(self.config.boilerplate.site_template_min_pages, base=base)
        for item in self._map("extract_and_key", items, None):
            if isinstance(item, Skip):
                self.stats.add_skip(item)
                continue
            doc, keys = item
            counter.add(keys)
            spool.write(doc)
        templates = counter.templates()
        self.stats.notes["site_template_lines"] = len(templates)
        return templates

    def _second_pass(self, items: Iterable[Document | Skip], templates: frozenset[int] | None) -> Iterator[Result]:
        prepared = self._map("prepare", items, templates)
        if self._ray is None:  # one document at a time
            for p in prepared:
                yield from self._emit([p], None)
            return
        for chunk in _batched(prepared, self._ray_chunk()):  # document stage for a chunk at once
            docs = [p for p in chunk if isinstance(p, Prepared)]
            t = time.perf_counter()
            matches = None
            if self.doc_index is not None:
                with_fp = [p for p in docs if p.fingerprint is not None]
                found = self.doc_index.check_batch([(p.doc.id, len(p.doc.text), p.fingerprint) for p in with_fp])
                matches = {id(p): m for p, m in zip(with_fp, found)}
            self.stats.add_time("document-dedup", time.perf_counter() - t)
            yield from self._emit(chunk, matches)

    def _ray_chunk(self) -> int:
        from .ray_engine import CHUNK

        return CHUNK

    def _emit(self, items: list, matches: dict | None) -> Iterator[Result]:
        for p in items:
            if isinstance(p, Skip):
                self.stats.add_skip(p)
                continue
            result = self._finish(p, matches)
            self.stats.add_result(result)
            yield result

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
            yield item

    def _map(self, method: str, items: Iterable[Document | Skip], templates: frozenset[int] | None) -> Iterator:
        """Preparer.<method> over the items, in order, in a process pool when workers > 1 (and
        there is more than one batch: a small input is not worth starting processes for)."""
        if self._ray is not None:
            yield from self._ray.map(method, items, templates)
            return
        workers = self.config.resolved_workers()
        batches = _batched(items, self.config.run.batch_size)
        first = next(batches, None)
        second = next(batches, None) if first is not None else None
        if workers <= 1 or second is None:
            preparer = Preparer(self.config, templates) if templates is not None else self._preparer
            for batch in (b for b in (first, second) if b is not None):
                yield from preparer.run_batch(method, batch)
            for batch in batches:
                yield from preparer.run_batch(method, batch)
            return
        ctx = multiprocessing.get_context("forkserver")
        with ctx.Pool(workers, initializer=_init_worker, initargs=(self.config, templates)) as pool:
            pending: deque = deque()
            for batch in itertools.chain([first, second], batches):  # at most 2 batches a worker in flight
                pending.append(pool.apply_async(_run_batch_in_worker, (method, batch)))
                while len(pending) >= 2 * workers:
                    yield from pending.popleft().get()
            while pending:
                yield from pending.popleft().get()

    def _finish(self, p: Prepared, matches: dict | None = None) -> Result:
        """The corpus-wide stages for one document; `matches` holds document-stage decisions
        already taken for a whole chunk (Ray engine), else they are taken here."""
        doc = p.doc
        for stage, seconds in p.timings.items():
            self.stats.add_time(stage, seconds)
        seq = self._seq
        self._seq += 1
        t = time.perf_counter()
        if p.fingerprint is not None and self.doc_index is not None:
            if matches is not None:
                match = matches[id(p)]
            else:
                match = self.doc_index.check_and_add(doc.id, len(doc.text), p.fingerprint)
                self.stats.add_time("document-dedup", time.perf_counter() - t)
            if match is not None:
                reason = "duplicate:exact-document" if match.exact else "duplicate:near-document"
                whole = Removal(doc.id, 0, len(doc.text), doc.text, "document-dedup", reason,
                                Span(match.doc_id, 0, match.length), match.similarity)
                return Result(doc, "", [whole], dropped=True)
        removals = list(p.removals)
        index = self.passage_index
        if index is not None and p.units:
            t = time.perf_counter()
            verdicts, items = index.find(seq, doc.id, p.units, p.window_keys)
            found, removed_units = passage_removals(doc.id, doc.text, split_blocks(doc.text, doc.hints), p.units,
                                                    verdicts, self.config.dedup.passages)
            index.retire([items[k] for k in removed_units])
            removals.extend(found)
            self.stats.add_time("passage-dedup", time.perf_counter() - t)
        removals.sort(key=lambda r: r.start)
        text = kept_text(doc.text, removals)
        return Result(doc, text, removals, dropped=not text.strip())


def run(inputs: list[str], out_dir: str, config: Config | None = None, fmt: str = "jsonl",
        stdin: BinaryIO | None = None, on_result=None) -> dict:
    """Clean `inputs` into `out_dir` (documents, removed.jsonl, summary.json); returns the summary."""
    with Cleaner(config) as cleaner:
        writer = OutputWriter(out_dir, fmt)
        try:
            for result in cleaner.clean(inputs, stdin):
                t = time.perf_counter()
                writer.write(result)
                cleaner.stats.add_time("write", time.perf_counter() - t)
                if on_result is not None:
                    on_result(result)
        except BaseException:
            writer.abort()
            raise
        summary = cleaner.summary()
        writer.close(summary)
    return summary
