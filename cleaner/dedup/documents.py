"""The document stage (main process): exact and near-duplicate documents, decided on
fingerprints (`doc_fingerprint`, made in workers) against the document index, in input order.

A document that matches an earlier one joins its cluster; every document of a cluster but its
survivor (`survivor`: the first by default, or the longest, newest, oldest, or lowest by a
field) is dropped whole, pointing at the survivor. With `first`, decisions stream; with any
other policy the stage first indexes every document of the run (records wait in a spool on
disk, memory holds a sort key per document), then picks each cluster's survivor, then emits
in input order.
"""
from __future__ import annotations

import time
from collections.abc import Iterable, Iterator

from ..config import DedupConfig
from ..model import Removal, Result, Span
from ..spill import Spool
from ..worker import Prepared, batched
from .document_index import DocMatch, DocumentIndex
from .survivor import Survivors, survivor_key

STAGE = "document-dedup"


class DocumentStage:
    def __init__(self, cfg: DedupConfig, stats, store=None, batch_size: int = 32):
        self.index = DocumentIndex(cfg.documents, store)
        self.policy = cfg.keep
        self.stats = stats
        self.batch_size = batch_size

    def load(self, rows) -> None:
        """Start from a persistent index's documents (an earlier run's survivors stay)."""
        self.index.load(rows)

    def run(self, prepared: Iterable[Prepared]) -> Iterator[Prepared | Result]:
        """Each document in input order: a kept one as it came, a duplicate as a dropped Result."""
        survivors = Survivors(self.policy, len(self.index))
        if survivors.streaming:
            for batch in batched(prepared, self.batch_size):
                for p, (item, match) in zip(batch, self._index(batch)):
                    yield p if match is None else self._dropped(p, self.index.root(match.item), match)
            return
        spool = Spool()
        try:
            for batch in batched(prepared, self.batch_size):
                for p, (item, _) in zip(batch, self._index(batch)):
                    if item >= 0:
                        survivors.note(item, survivor_key(self.policy, p.doc.date, p.doc.fields,
                                                          p.fingerprint.words))
                    spool.write((item, p))
            t = time.perf_counter()
            survivors.choose(self.index.root)
            self.stats.add_time(STAGE, time.perf_counter() - t)
            for item, p in spool.read():
                survivor = survivors.of(item) if item >= 0 else item
                yield p if survivor == item else self._dropped(p, survivor, None)
        finally:
            spool.close()

    def _index(self, batch: list[Prepared]) -> list[tuple[int, DocMatch | None]]:
        """Index the batch's documents: (item, the earlier document matched) per document (item
        -1: no fingerprint, never a duplicate)."""
        t = time.perf_counter()
        out: list[tuple[int, DocMatch | None]] = [(-1, None)] * len(batch)
        with_fp = [j for j, p in enumerate(batch) if p.fingerprint is not None]
        base = len(self.index)
        found = self.index.check_batch([(batch[j].doc.id, len(batch[j].doc.text), batch[j].fingerprint)
                                        for j in with_fp])
        for k, (j, match) in enumerate(zip(with_fp, found)):
            out[j] = (base + k, match)
        self.stats.add_time(STAGE, time.perf_counter() - t)
        return out

    def _dropped(self, p: Prepared, survivor: int, match: DocMatch | None) -> Result:
        """The document dropped whole as a duplicate of its cluster's survivor."""
        if match is not None and match.item == survivor:
            exact, similarity, doc_id = match.exact, match.similarity, match.doc_id
        else:
            (exact, similarity), doc_id = self.index.compare(p.fingerprint, survivor), self.index.doc_id(survivor)
        doc = p.doc
        reason = "duplicate:exact-document" if exact else "duplicate:near-document"
        whole = Removal(doc.id, 0, len(doc.text), doc.text, STAGE, reason,
                        Span(doc_id, 0, self.index.length(survivor)), similarity)
        return Result(doc, "", [whole], dropped=True)

    def close(self) -> None:
        self.index.close()
