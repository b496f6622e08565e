"""The passage stage (main process): passages repeated within and across documents, including a
short passage copied with small edits into a longer paragraph, and documents that are mostly a
copy of one earlier document.

Documents come from the document stage in input order. Their units (`units`) and band keys
(`passage_keys`), made in workers, are filed in the passage index (`passage_index`) and the
documents wait in a spool on disk. Once every document of the call is filed, the band keys are
grouped into candidate pairs (in workers), each document's windows are aligned with their
candidates (in workers, `align`), and the stage decides in input order, with the units still
kept as the only sources: the first occurrence is kept. About 10.5 KB a document of temporary
disk with the default settings at 10k documents (bench/scale.py), 45% of it band keys. A waiting
document keeps its indexed units' spans, not their words: the store has those.

Whole copies: a document that loses at least `dedup.documents.residue` of its words (after
boilerplate removal) to copies of one earlier document is dropped whole as
`duplicate:mostly-copy`, pointing at the stretch of that document it repeats, so fragments of a
copy never remain as a document; its units stop being sources.
"""
from __future__ import annotations

import itertools
import logging
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from ..config import Config
from ..model import Document, Removal, Result, Span
from ..spill import CompactPickle, Partitions, Spool
from ..worker import Prepared, batched
from .align import passage_removals, passage_verdicts
from .passage_index import WINDOW_BITS, CandidateReader, PassageIndex
from .units import UnitSpan, packed_spans, with_indexed

log = logging.getLogger(__name__)

DECIDE_WINDOW = 256  # documents handed to the workers for alignment at a time
MAX_CANDIDATES = 64  # earlier units of other documents scored for a window (the earliest ones)


@dataclass
class Pending(CompactPickle):
    """A document waiting in the spool for its passage decisions."""

    doc: Document
    removals: list[Removal]  # boilerplate (then its passages)
    units: bytes  # packed (`pack_units`) without the indexed units' words: the store has them
    same_doc: dict[int, list[int]]  # window code -> earlier units of this document sharing a band key
    ordinal: int  # in the passage stage of this call (-1: nothing indexed)
    items: np.ndarray | None  # each unit's passage item (-1: not indexed)


class PassageStage:
    def __init__(self, config: Config, engine, stats, progress, store=None):
        self.cfg = config.dedup.passages
        self.residue = config.dedup.documents.residue
        self.workers = config.resolved_workers()
        self._buffer_bytes = config.run.buffer_mb << 20
        self.index = PassageIndex(self.cfg, store, self._buffer_bytes)
        self.engine, self.stats, self.progress = engine, stats, progress

    def load(self, rows) -> None:
        """Start from a persistent index's units."""
        self.index.load(rows)

    def close(self) -> None:
        self.index.close()

    def run(self, records: Iterable[Prepared | Result]) -> Iterator[Pending | Result]:
        """Each record in input order, a kept document with its passage removals added (a
        Pending), a dropped one as a Result: park them, group the band keys, then decide."""
        spool = Spool()
        pairs = None
        try:
            for record in records:
                if isinstance(record, Prepared):
                    t = time.perf_counter()
                    record = self._file(record)
                    self.stats.add_time("passage-index", time.perf_counter() - t)
                spool.write(record)
            pairs = self._group()
            yield from self._decide(spool, pairs)
        finally:
            spool.close()
            if pairs is not None:
                pairs.close()
            self.index.end_call()

    def _file(self, p: Prepared) -> Pending:
        """Index a document's units and file its windows' queries."""
        if not p.units:
            return Pending(p.doc, p.removals, p.units, {}, -1, None)
        ordinal, items = self.index.add(p.seq, p.doc.id, p.units, p.passage_keys)
        return Pending(p.doc, p.removals, p.units, p.passage_keys.same_doc, ordinal, items)

    def _units(self, p: Pending) -> bytes:
        """A waiting document's packed units, whole again (read only for a document with candidates)."""
        return with_indexed(p.units, p.items >= 0, self.index.records_of(p.items))

    def _group(self) -> Partitions:
        """Candidate pairs (window, item) of this call, partitioned by document ordinal."""
        t = time.perf_counter()
        n = max(1, self.index.documents_in_call)
        parts = max(1, min(4096, n // 1024))  # a partition: the pairs of about 1024 documents
        pairs = Partitions(2, lambda r: ((r[:, 0] >> np.uint64(WINDOW_BITS)).astype(np.int64) * parts) // n, parts,
                           self._buffer_bytes)
        try:
            tasks = self.index.group_tasks()
            first = list(itertools.islice(tasks, 2))
            self.progress.stage("group", None)
            for (found,) in self.engine.map_batches("group", ([task] for task in itertools.chain(first, tasks)),
                                                    parallel=len(first) > 1):
                pairs.add(found)
                self.progress.advance(0, 0)  # one partition
        except BaseException:  # (a stop or a failed worker: its spilled pairs go with it)
            pairs.close()
            raise
        self.stats.add_time("passage-group", time.perf_counter() - t)
        return pairs

    def _decide(self, spool: Spool, pairs: Partitions) -> Iterator[Pending | Result]:
        """Align in workers the documents that have candidates; decide all in input order."""
        self.progress.stage("decide", spool.count)
        candidates = CandidateReader(pairs, pairs.parts, max(1, self.index.documents_in_call), self.cfg.max_window)
        windows: deque = deque()

        def task_batches():
            for chunk in batched(spool.read(), DECIDE_WINDOW):
                tasks = [(j, self._align_task(record, candidates)) for j, record in enumerate(chunk)]
                tasks = [(j, task) for j, task in tasks if task is not None]
                windows.append((chunk, [j for j, _ in tasks]))
                yield [task for _, task in tasks]

        parallel = self.workers > 1 and spool.count > 2 * DECIDE_WINDOW
        for aligned in self.engine.map_batches("align", task_batches(), parallel=parallel):
            chunk, aligned_docs = windows.popleft()
            alignments = dict(zip(aligned_docs, (found for found, _ in aligned)))
            self.stats.add_time("passage-align", sum(seconds for _, seconds in aligned))
            for j, record in enumerate(chunk):
                if j in alignments and alignments[j] is None:
                    log.warning("passage dedup of %s stopped after input.max_seconds: its text is kept", record.doc.source)
                    record.doc.meta["passage_dedup"] = "timeout"
                    self.stats.notes["passage_dedup:timeout"] += 1
                if isinstance(record, Pending) and alignments.get(j):
                    t = time.perf_counter()
                    record = self._verdicts(record, alignments[j])
                    self.stats.add_time("passage-decide", time.perf_counter() - t)
                self.progress.advance(1, len(record.doc.text))
                yield record

    def _align_task(self, record, candidates: CandidateReader) -> tuple | None:
        """What a worker needs to align a document's windows with their candidates, or None."""
        if not isinstance(record, Pending) or record.ordinal < 0:
            return None
        index = self.index
        same = record.same_doc
        cross: dict[int, list[int]] = {}
        for code, item in candidates.of(record.ordinal, record.items):  # each window's earliest items first
            if index.alive(item):  # a removed passage never comes back
                found = cross.setdefault(code, [])
                if len(found) < MAX_CANDIDATES:  # a window in a crowd of look-alikes: the earliest
                    found.append(item)
        if not cross and not same:
            return None
        windows = [(code, cross.get(code, []) + [-2 - j for j in same.get(code, [])])
                   for code in sorted(set(cross) | set(same))]
        payloads = {item: index.record(item) for items in cross.values() for item in items}
        return self._units(record), windows, payloads

    def _verdicts(self, p: Pending, alignments: list) -> Pending | Result:
        """The document's passage removals (in input order: earlier documents are decided), or
        the whole document when it is mostly a copy of one earlier document."""
        doc, index = p.doc, self.index
        units = packed_spans(p.units)
        verdicts = passage_verdicts(doc.id, units, alignments, self.cfg, index.alive, index.span)
        if all(v is None for v in verdicts):
            return p
        found, removed_units = passage_removals(doc.id, doc.text, units, verdicts, self.cfg)
        copy = mostly_copy(doc, units, found, self.residue)
        if copy is not None:
            index.retire(p.items.tolist())
            return Result(doc, "", [copy], dropped=True)
        index.retire([int(p.items[k]) for k in removed_units])
        p.removals = p.removals + found
        return p


def mostly_copy(doc: Document, units: list[UnitSpan], found: list[Removal], residue: float) -> Removal | None:
    """The whole-document removal when the passages copied from one earlier document hold at
    least `residue` of the document's words (those of its units: its text after boilerplate
    removal), else None (`residue` 0: never)."""
    words = np.concatenate([[0], np.cumsum([u.words for u in units])])
    total = int(words[-1])
    if not total or not residue:
        return None
    # Units are disjoint and in text order: those inside a removal are a run, found by two searches.
    starts = np.array([u.start for u in units])
    ends = np.array([u.end for u in units])
    lost: Counter[str] = Counter()
    stretch: dict[str, tuple[int, int]] = {}
    for r in found:
        source = r.duplicate_of
        if source is None or source.doc_id == doc.id:
            continue
        first, last = np.searchsorted(starts, r.start, "left"), np.searchsorted(ends, r.end, "right")
        lost[source.doc_id] += int(words[last] - words[first]) if last > first else 0
        lo, hi = stretch.get(source.doc_id, (source.start, source.end))
        stretch[source.doc_id] = (min(lo, source.start), max(hi, source.end))
    if not lost:
        return None
    source_id, copied = lost.most_common(1)[0]  # ties: the source met first
    if copied < residue * total:
        return None
    return Removal(doc.id, 0, len(doc.text), doc.text, "document-dedup", "duplicate:mostly-copy",
                   Span(source_id, *stretch[source_id]), copied / total)
