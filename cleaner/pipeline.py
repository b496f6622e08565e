"""The stages, sequenced in one visible place; this module decides nothing itself.

    read -> [pass 1, when site templates are on: extract, line keys -> spool; count the keys]
         -> pass 2: prepare (per document, in workers: extract, segment, boilerplate, fingerprints)
         -> document stage (dedup/documents.py: duplicate documents, survivor policy)
         -> passage stage (dedup/passages.py: park, group band keys, align in workers, decide)
         -> results -> writer

Per-document and per-partition work (`worker.Worker`) is a pure function of its input and the
config (and the template lines), so it runs on any engine (`engine.LocalEngine`, a process
pool, or `ray_engine.RayEngine`); the corpus-wide decisions run in the main process in input
order, on fingerprints only, which makes the output independent of the engine and the number
of workers. Documents wait between passes in spools on disk, so memory holds per document only
what the stages keep (about 340 bytes) and a byte per indexed passage. Without the passage
stage and with the `first` survivor policy, results stream out of pass 2.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from .boilerplate.templates import TemplateCounter
from .config import Config, ConfigError
from .dedup.documents import DocumentStage
from .dedup.passages import PassageStage
from .dedup.store import IndexDatabase, damaged
from .engine import LocalEngine
from .ids import UniqueIds
from .model import Document, Result, Skip, control_removals, kept_text
from .outfolder import OutputFolder, check_apart
from .readers import InputError, check_inputs, iter_inputs
from .report import NoProgress, Stats
from . import stop
from .spill import Spool
from .worker import Prepared, batched
from .writers import OutputWriter

log = logging.getLogger(__name__)


class Cleaner:
    """Cleans a stream of documents. Holds the corpus-wide state (dedup indexes, counts), so
    one Cleaner is one run: documents it has seen are the "earlier" ones for later documents.
    With `run.index` set, that state starts from a persistent index and what this run keeps is
    added to it when the run completes (`close`)."""

    def __init__(self, config: Config | None = None, progress=None):
        self.config = config or Config()
        self.config.validate()
        self.stats = Stats()
        self.progress = progress or NoProgress()  # stage(name, total) and advance(...) (report.Progress)
        self._seq = 0
        self._ids = UniqueIds()
        self._complete = False
        self.engine = self._engine()
        d, run = self.config.dedup, self.config.run
        self._db = IndexDatabase(run.index, self.config.index_settings()) if run.index else None
        self.documents = self.passages = None
        if d.enabled and d.documents.enabled:
            self.documents = DocumentStage(d, self.stats, self._db.documents if self._db else None, run.batch_size)
        if d.enabled and d.passages.enabled:
            self.passages = PassageStage(self.config, self.engine, self.stats, self.progress,
                                         self._db.passages if self._db else None)
        if self._db is not None:
            try:
                if self.documents is not None:
                    self.documents.load(self._db.document_rows())
                if self.passages is not None:
                    self.passages.load(self._db.passage_rows())
                self._seq = self._db.next_seq()
            except sqlite3.DatabaseError as e:
                self.close()
                raise damaged(self.config.run.index, e) from None

    def _engine(self):
        if self.config.run.engine == "ray":
            from .ray_engine import RayEngine

            return RayEngine(self.config)
        return LocalEngine(self.config)

    def close(self) -> None:
        """End the run: with a persistent index, commit what a complete run added (a run that
        stopped early adds nothing); release temporary stores and the engine."""
        if self._db is not None:
            if self._complete:
                self._db.commit(self._seq)
            self._db.close()
            self._db = None
        for stage in (self.documents, self.passages, self.engine):
            if stage is not None:
                stage.close()
        self.documents = self.passages = self.engine = None

    def __enter__(self) -> "Cleaner":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- entry points -----------------------------------------------------------------------
    def clean(self, inputs: list[str], stdin: BinaryIO | None = None) -> Iterator[Result]:
        """Results for files, directories, globs or "-" (stdin), in input order."""
        return self.clean_documents(iter_inputs(inputs, self.config.input, stdin))

    def clean_documents(self, items: Iterable[Document | Skip]) -> Iterator[Result]:
        """Results in input order. With the passage stage on (or a survivor policy other than
        `first`), they come once every document has been read (an earlier copy of a passage
        can be anywhere before it)."""
        items = self._timed_reads(items)
        b = self.config.boilerplate
        spool = Spool() if b.enabled and b.site_template_min_pages else None
        try:
            templates = None
            if spool is not None:
                templates = self._templates(items, spool)
                items = spool.read()
            records: Iterable = self._prepared(items, templates)
            for stage in (self.documents, self.passages):
                if stage is not None:
                    records = stage.run(records)
            for record in records:
                yield self._result(record)
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
    def _templates(self, items: Iterable[Document | Skip], spool: Spool) -> frozenset[int]:
        """Pass 1: extract every document once, count its line keys per site, park it in the
        spool; the site-template lines."""
        counter = TemplateCounter(self.config.boilerplate.site_template_min_pages, self.config.run.buffer_mb << 20)
        try:
            if self._db is not None:
                for keys, pages in self._db.template_counts():
                    counter.add_base(keys, pages)
            self.progress.stage("read", None)
            for item in self._map("extract_and_key", items, None):
                if isinstance(item, Skip):
                    self.stats.add_skip(item)
                    continue
                doc, keys = item
                counter.add(keys)
                spool.write(doc)
                self.progress.advance(1, len(doc.text))
            templates: set[int] = set()
            t = time.perf_counter()
            tasks = counter.tasks()
            for (found, run_keys, run_pages), in self.engine.map_batches("count_lines", ([task] for task in tasks),
                                                                         parallel=len(tasks) > 1):
                templates.update(found.tolist())
                if self._db is not None:
                    self._db.add_template_counts(run_keys, run_pages)
            self.stats.add_time("site-templates", time.perf_counter() - t)
        finally:
            counter.close()
        self.stats.notes["site_template_lines"] = len(templates)
        return frozenset(templates)

    def _prepared(self, items: Iterable[Document | Skip], templates: frozenset[int] | None) -> Iterator[Prepared]:
        """Pass 2: each document prepared in the workers, numbered in input order (skips counted)."""
        self.progress.stage("prepare", self.stats.docs_seen or None)
        for p in self._map("prepare", items, templates):
            if isinstance(p, Skip):
                self.stats.add_skip(p)
                continue
            for stage, seconds in p.timings.items():
                self.stats.add_time(stage, seconds)
            p.seq = self._seq
            self._seq += 1
            self.progress.advance(1, len(p.doc.text))
            yield p

    def _result(self, record) -> Result:
        """The Result of a document the stages are done with (a dropped one comes as a Result)."""
        stop.check()
        if not isinstance(record, Result):
            doc, removals = record.doc, list(record.removals)
            removals.extend(control_removals(doc.id, doc.text, removals))
            removals.sort(key=lambda r: r.start)
            text = kept_text(doc.text, removals)
            record = Result(doc, text, removals, dropped=not text.strip())
        self.stats.add_result(record)
        self.progress.advance(removals=len(record.removals))
        return record

    # -- plumbing ---------------------------------------------------------------------------
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
        for done in self.engine.map_batches(method, batched(items, self.config.run.batch_size), templates):
            yield from done


def run(inputs: list[str], out_dir: str, config: Config | None = None, fmt: str = "jsonl",
        stdin: BinaryIO | None = None, progress=None, resume: bool = False, overwrite: bool = False) -> dict:
    """Clean `inputs` into `out_dir` (documents, removed.jsonl, summary.json, manifest.json);
    returns the summary. The folder must not be or hold an input, and must be empty or hold an
    earlier run, which `overwrite` replaces (see `outfolder`). `resume`: continue the killed run
    that wrote `out_dir`, without writing a document twice. The documents are produced again
    (each decision depends on every earlier document), but what the last checkpoint holds is not
    rewritten."""
    config = config or Config()
    if fmt == "text" and config.output.compress:
        raise ConfigError("output.compress applies to JSONL output (documents.jsonl, removed.jsonl), not text files")
    check_apart(out_dir, inputs)
    check_inputs(inputs, config.input)  # what refuses the run comes before its output folder is touched
    key = run_key(inputs, config, fmt)
    with Cleaner(config, progress) as cleaner:
        folder = OutputFolder(out_dir, key, fmt, resume=resume, overwrite=overwrite)
        closed = False
        try:
            writer = OutputWriter(folder, fmt, key, resume, config.run.checkpoint_every, config.output)
            if writer.resumed:
                log.warning("resuming: %d documents of the killed run are written already", writer.resumed)
            try:
                for result in cleaner.clean(inputs, stdin):
                    t = time.perf_counter()
                    writer.write(result)
                    cleaner.stats.add_time("write", time.perf_counter() - t)
            except InputError:  # an input refused once read (a JSONL file without the text field)
                writer.abort()
                if not resume:  # nothing of it is kept: the same command, mended, starts afresh
                    folder.discard()
                    closed = True
                raise
            except BaseException:
                writer.abort()
                raise
            summary = cleaner.summary()
            writer.close(summary)
        finally:
            if not closed:
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
