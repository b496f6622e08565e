"""The passage index (main process): the units indexed so far and the band keys of this call's
windows, on disk in partitions, grouped into candidate pairs (window, earlier unit).

The search for earlier copies is band-key grouping, as the large dedup pipelines do it, not an
index held in memory. The main process numbers the indexable units in input order and writes
the keys to partitions on disk (`PassageIndex.add`). Each partition is then grouped on its own
(`group_partitions`, in workers): a window's candidates are the first BUCKET_CAP units filed
under one of its keys that come before its document; a window whose keys no earlier unit was
filed under is not written at all (a filter of the keys filed tells). Memory holds one byte per
indexed unit (kept or not), eight per document of the call and the filter (4-8 bits a key, at
most `run.buffer_mb`); everything else is on disk.
"""
from __future__ import annotations

from array import array
from collections.abc import Iterator

import numpy as np

from ..config import PassageDedupConfig
from ..model import Span
from ..spill import Partitions, RecordFile, loaded, row_chunks, top_bits_part
from .index import KeyFilter, sort_entries, sorted_bucket_candidates
from .passage_keys import PassageKeys
from .units import record_span, unit_spans

BUCKET_CAP = 64  # a band key shared by very many units (a common short passage) proposes only its first ones
WINDOW_BITS = 28  # a window id is (the document's ordinal in the call << WINDOW_BITS) | window code

# Partitioned records, two uint64 columns each: an entry (an indexed unit's band key, its item),
# a query (a window's band key, the window id), a candidate pair (window id, item).
PARTS = 256  # partitions of the band keys on disk: each is grouped on its own
QUERY_ROWS = 1 << 16  # queries of a partition grouped at a time (each can propose BUCKET_CAP pairs)


class PassageIndex:
    """The units indexed so far: in memory, one byte each (still kept or not); on disk, their
    band keys (partitions, for grouping) and their words and spans (the store: a temporary
    record file, or the persistent index's table). Each call of the pipeline files the queries
    of its documents and groups them against every unit indexed before."""

    def __init__(self, cfg: PassageDedupConfig, store=None, memory_bytes: int = 32 << 20):
        self.cfg = cfg
        self.width = cfg.max_window
        self._store = store if store is not None else RecordFile()
        self._alive = bytearray()
        self._memory_bytes = memory_bytes
        self._entries = Partitions(2, top_bits_part(PARTS), PARTS, memory_bytes)
        # The band keys filed, 4-8 bits a key (at most memory_bytes): a window's query whose key
        # no earlier unit was filed under cannot find a candidate, and is not written (most are not).
        self._filed = KeyFilter(low=4, high=8, max_bytes=memory_bytes)
        self._begin()

    def _begin(self) -> None:
        self.queries = Partitions(2, top_bits_part(PARTS), PARTS, self._memory_bytes)  # windows of 2+ units
        self._firsts = array("q")  # per document of this call (by ordinal): its first item
        self._call_first = len(self._alive)  # the first item of this call: its units query too

    def load(self, rows, chunk: int = 1 << 14) -> None:
        """Rebuild from stored rows (item, alive, keys), in item order."""
        keys, items = [], []
        for item, alive, keys_blob in rows:
            assert item == len(self._alive), "the passage store is out of step with the index"
            self._alive.append(alive)
            keys.append(np.frombuffer(keys_blob, dtype=np.uint64))
            items.append(item)
            if len(items) >= chunk:
                self._add_entries(keys, items)
                keys, items = [], []
        self._add_entries(keys, items)
        self._call_first = len(self._alive)  # loaded units are sources only, never queries

    def _add_entries(self, keys: list[np.ndarray], items: list[int]) -> None:
        if items:
            self._file_entries(np.stack([np.concatenate(keys),
                                         np.repeat(np.array(items, np.uint64), [len(k) for k in keys])], axis=1))

    def _file_entries(self, entries: np.ndarray) -> None:
        """File (key, item) entries, then mark their keys (a rebuild of the filter reads the
        entries filed, these included)."""
        self._entries.add(entries)
        self._filed.add(entries[:, 0], lambda: self._entries.column(0))

    def add(self, seq: int, doc_id: str, units: bytes, pk: PassageKeys) -> tuple[int, np.ndarray]:
        """Index a document's units (`pack_units`) and file its windows' queries (documents come
        in input order; `seq` is the document's number across runs). Returns the document's
        ordinal in this call and each unit's item number (-1: not indexed)."""
        ordinal, first = len(self._firsts), len(self._alive)
        self._firsts.append(first)
        k = np.flatnonzero(pk.indexable)
        items = np.full(len(pk.indexable), -1, dtype=np.int64)
        items[k] = np.arange(first, first + len(k))
        if not len(k):
            return ordinal, items
        columns = _columns(seq, doc_id, units, k, pk) if self._store.columns else {}
        view, starts = memoryview(pk.records), [0, *pk.record_ends.tolist()]
        self._store.put_many([view[a:b] for a, b in zip(starts, starts[1:])], **columns)
        self._alive.extend(b"\x01" * len(k))
        bands = pk.unit_keys.shape[1]
        if len(pk.windows):  # (before its own units are filed: they are not its candidates)
            keys = pk.window_keys.ravel()
            found = self._filed.maybe(keys)
            queries = np.empty((int(found.sum()), 2), np.uint64)
            queries[:, 0] = keys[found]
            queries[:, 1] = np.repeat(pk.windows | (np.uint64(ordinal) << np.uint64(WINDOW_BITS)), bands)[found]
            self.queries.add(queries)
        entries = np.empty((pk.unit_keys.size, 2), np.uint64)
        entries[:, 0] = pk.unit_keys.ravel()
        entries[:, 1] = np.repeat(items[k], bands)
        self._file_entries(entries)  # (a unit's own queries are its entries: see group_partitions)
        return ordinal, items

    @property
    def documents_in_call(self) -> int:
        return len(self._firsts)

    def group_tasks(self, rows: int = 1 << 20) -> Iterator[list[tuple]]:
        """What `group_partitions` needs: a task is a list of partitions (`spill.PartFile`s, read
        by the worker) with about `rows` entries and queries in all, each grouped on its own
        (small partitions sort faster); a single in-memory partition when nothing was spilled."""
        firsts = np.frombuffer(self._firsts, dtype=np.int64).copy()
        call = (firsts, self._call_first, self.width)
        if len(self._alive) == self._call_first and not self.queries.count:
            return  # nothing of this call to look up
        if not self._entries.spilled and not self.queries.spilled:
            yield [(self._entries.all(), self.queries.all(), *call)]
            return
        task: list = []
        size = 0
        for p in range(PARTS):
            entries, queries = self._entries.part_file(p), self.queries.part_file(p)
            if n := len(entries) + len(queries):
                task.append((entries, queries, *call))
                size += n
            if task and (size >= rows or p == PARTS - 1):
                yield task
                task, size = [], 0

    def end_call(self) -> None:
        """The queries of one call are grouped; the next call files its own."""
        self.queries.close()
        self._begin()

    def record(self, item: int) -> bytes:
        """An indexed unit as stored (its span and words: see `units.pack_records`)."""
        return self._store.get(item)

    def records_of(self, items: np.ndarray) -> list[bytes]:
        """The stored units of one document (`items`: its units' items, -1 for one not indexed;
        those indexed are consecutive), read at once."""
        indexed = items[items >= 0]
        return self._store.get_run(int(indexed[0]), len(indexed)) if len(indexed) else []

    def span(self, item: int) -> Span:
        return record_span(self._store.get(item))

    def alive(self, item: int) -> bool:
        return bool(self._alive[item])

    def retire(self, items: list[int]) -> None:
        """Units whose text was removed stop being sources: only kept text is a first occurrence."""
        items = [i for i in items if i >= 0]
        for i in items:
            self._alive[i] = 0
        if items:
            self._store.retire(items)

    def memory_bytes(self) -> int:
        """Memory held per unit and per document, and the key filter (the partitions' buffers are bounded)."""
        return len(self._alive) + self._firsts.itemsize * len(self._firsts) + self._filed.nbytes

    def __len__(self) -> int:
        return len(self._alive)

    def close(self) -> None:
        self._entries.close()
        self.queries.close()
        self._store.close()


def group_partitions(task: list[tuple], rows: int = QUERY_ROWS) -> np.ndarray:
    """`group_candidates` of each partition of a task, one after the other. A partition's
    entries are loaded and sorted once; its queries are read a spill's frame at a time and grouped
    `rows` at a time, so the memory a worker needs grows with the index (its share of entries)
    and the spill buffer, not with this call's queries.

    The queries are the windows' rows, and the entries of this call's units (item from
    `call_first` on), each a query of its own unit: its id is (ordinal << WINDOW_BITS | j * width)
    for the document's j-th indexed unit (`unit_codes` turns j into the unit's number)."""
    found = []
    for entries, queries, firsts, call_first, width in task:
        entries = loaded(entries)
        keys, items = sort_entries(entries[:, 0], entries[:, 1])
        del entries
        shared = np.zeros(len(keys), dtype=bool)  # a key filed once has only its own unit
        np.equal(keys[1:], keys[:-1], out=shared[1:])
        shared[:-1] |= shared[1:]
        own = np.flatnonzero(shared & (items >= call_first))
        for lo in range(0, len(own), rows):
            at = own[lo:lo + rows]
            ordinal = np.searchsorted(firsts, items[at], side="right") - 1  # (a document without units shares
            ids = (ordinal.astype(np.uint64) << np.uint64(WINDOW_BITS)) | (  # its first with the next one)
                (items[at] - firsts[ordinal]).astype(np.uint64) * np.uint64(width))
            found.append(_candidates(keys, items, keys[at], ids, firsts[ordinal]))
        for chunk in row_chunks(queries, rows):
            found.append(group_candidates(keys, items, chunk, firsts))
    return np.concatenate(found) if found else np.empty((0, 2), np.uint64)


def group_candidates(keys: np.ndarray, items: np.ndarray, queries: np.ndarray, firsts: np.ndarray) -> np.ndarray:
    """Pairs (window, item), unique and sorted: each query's bucket (the first `BUCKET_CAP`
    entries of its key, in item order; `keys` and `items` from `sort_entries`) restricted to
    items before the query's document (`firsts[ordinal]` is the first item of the document with
    that ordinal)."""
    ordinal = (queries[:, 1] >> np.uint64(WINDOW_BITS)).astype(np.int64)
    return _candidates(keys, items, queries[:, 0], queries[:, 1], firsts[ordinal])


def _candidates(keys: np.ndarray, items: np.ndarray, query_keys: np.ndarray, ids: np.ndarray,
                before: np.ndarray) -> np.ndarray:
    windows, found = sorted_bucket_candidates(keys, items, query_keys, ids, before, cap=BUCKET_CAP)
    return np.stack([windows, found], axis=1).astype(np.uint64)


def unit_codes(codes: np.ndarray, items: np.ndarray, width: int) -> np.ndarray:
    """Window codes of a document's candidate pairs with its units' own queries (code j * width
    for its j-th indexed unit, see `group_partitions`) as the unit's number * width."""
    codes = np.array(codes, dtype=np.int64)  # (a copy: the caller's array stays as it is)
    unit = codes % width == 0
    codes[unit] = np.flatnonzero(items >= 0)[codes[unit] // width] * width
    return codes

def _columns(seq: int, doc_id: str, units: bytes, k: np.ndarray, pk: PassageKeys) -> dict:
    """Columns of the persistent index's passage rows (one list per column)."""
    spans = unit_spans(units)[k]
    return {"doc_seq": [seq] * len(k), "doc_id": [doc_id] * len(k), "unit": k.tolist(),
            "start": spans[:, 1].tolist(), "end": spans[:, 2].tolist(),
            "alive": [1] * len(k), "keys": [row.tobytes() for row in pk.unit_keys]}


class CandidateReader:
    """The candidate pairs of documents in ordinal order, one partition in memory at a time."""

    def __init__(self, pairs: Partitions, parts: int, documents: int, width: int):
        self._pairs, self._parts, self._documents, self._width = pairs, parts, documents, width
        self._part = -1
        self._ordinals = np.empty(0, dtype=np.int64)
        self._codes = self._items = self._ordinals

    def of(self, ordinal: int, items: np.ndarray) -> Iterator[tuple[int, int]]:
        """(window code, item) pairs of a document (`items`: its units' items, -1 for one not
        indexed), by window, each window's items in order."""
        part = ordinal * self._parts // self._documents
        if part != self._part:
            found = np.unique(self._pairs.part(part), axis=0)
            self._part = part
            self._ordinals = (found[:, 0] >> np.uint64(WINDOW_BITS)).astype(np.int64)
            self._codes = (found[:, 0] & np.uint64((1 << WINDOW_BITS) - 1)).astype(np.int64)
            self._items = found[:, 1].astype(np.int64)
        lo, hi = np.searchsorted(self._ordinals, [ordinal, ordinal + 1])
        return zip(unit_codes(self._codes[lo:hi], items, self._width).tolist(), self._items[lo:hi].tolist())
