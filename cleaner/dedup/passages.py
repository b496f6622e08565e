"""Passage-level duplicates within and across documents, including a short passage copied with
small edits into a longer paragraph.

How passages are chosen: a passage (unit) is a sentence of a kept block; sentences shorter than
`min_words` words are joined to the next one in the same block (a short tail to the previous),
and sentences longer than 40 words are cut into pieces, so units are 8-40 words by default.
Units are indexed; queries are windows of 1..`max_window` consecutive units, so a quote that an
edit split into two sentences (or merged into one) still lines up with its source.

How a copy is found: LSH on MinHash signatures of each unit's shingle set, its content words
(stopwords of the document's language removed) plus all its word pairs, proposes earlier units.
Content words alone are too few in a short quote; word pairs alone break at every edit; the mix
keeps a copied 10-word sentence with one changed word well above the LSH threshold while two
unrelated sentences share almost nothing. Each candidate is checked cheaply (the shingle sets
must overlap by 40% of the smaller one); the MAX_SOURCES that overlap most are aligned word by
word (rapidfuzz, all words), each distinct pair of word sequences once per document.
Aligned runs of 3+ words from one source that add up to `min_words` words count as copied;
this containment test tolerates changed words and punctuation.

What goes: a unit whose words are at least `min_coverage` copied is a duplicate; a paragraph
whose words are at least `paragraph_share` duplicate goes whole, otherwise only its duplicate
units go. Very short lines ("Thank you.") never form a unit of `min_words` words, so they are
never duplicates. The first occurrence is kept: only kept text is ever a source.

How it runs on a large corpus: the search for earlier copies is band-key grouping, as the
large dedup pipelines do it, not an index held in memory. Workers compute each document's units
and the band keys of its units (index entries) and windows (queries) (`PassageFingerprinter`).
The main process numbers the indexable units in input order and writes the keys to partitions
on disk (`PassageIndex.add_batch`), about 40 KB a document of temporary disk for the default
settings. Each partition is then grouped on its own (`index.bucket_candidates`): a window's candidates are
the first `BUCKET_CAP` units filed under one of its keys that come before its document. Workers
align each window with its candidates (`align_windows`); the main process decides in input
order, with the units still kept as the only sources (`passage_verdicts`). Memory holds one byte
per indexed unit (kept or not) and eight per document of the run; everything else is on disk.
"""
from __future__ import annotations

import struct
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz.distance import Indel

from ..config import PassageDedupConfig
from ..model import Block, Removal, Span
from ..segment import removal_spans, split_sentences
from ..spill import CompactPickle, Partitions, RecordFile, loaded, row_chunks, top_bits_part
from .index import band_keys, bucket_candidates, choose_bands, sort_entries, sorted_bucket_candidates
from .minhash import MinHasher
from .shingles import hash_words, ngram_hashes, to32, word_spans, words

STAGE = "passage-dedup"
MAX_UNIT_WORDS = 40
MIN_ALIGNED_RUN = 3
BUCKET_CAP = 64  # a band key shared by very many units (a common short passage) proposes only its first ones
MAX_CANDIDATES = 64  # earlier units of other documents scored for a window (the earliest ones)
MAX_SOURCES = 8  # candidates a window is aligned with: those sharing the most shingles with it
SAME_DOC_CAP = 16  # earlier units of the same document a band key proposes
SAME_DOC_WINDOWS = 1024  # windows grouped at a time against their document's units
WINDOW_BITS = 28  # a window id is (the document's ordinal in the call << WINDOW_BITS) | window code
_RECALL_AT_THRESHOLD = 0.9
_EMPTY = np.empty(0, dtype=np.uint32)

# Partitioned records, two uint64 columns each: an entry (an indexed unit's band key, its item),
# a query (a window's band key, the window id), a candidate pair (window id, item).
PARTS = 256  # partitions of the band keys on disk: each is grouped on its own
QUERY_ROWS = 1 << 16  # queries of a partition grouped at a time (each can propose BUCKET_CAP pairs)


@dataclass
class Unit:
    block: int  # index into the document's blocks
    start: int
    end: int
    hashes: np.ndarray  # uint32 per word, all words, digits folded (for candidates and alignment)
    shingles: np.ndarray  # sorted unique uint32: content words and word pairs (for LSH)
    numbers: np.ndarray  # uint32 per word: the word's own hash if it has digits, else 0 (numbers must match)


def passage_units(text: str, blocks: list[Block], stopwords: frozenset[str], min_words: int,
                  digits: bool = True) -> list[Unit]:
    """The units of the given (kept) blocks, in text order."""
    groups: list[tuple[int, list[tuple[int, int, list[str]]]]] = []
    for b in blocks:
        pieces: list[tuple[int, int, list[str]]] = []
        for s, e in split_sentences(text, b.content_start, b.content_end):
            ws = words(text[s:e], digits)
            if len(ws) <= MAX_UNIT_WORDS:
                pieces.append((s, e, ws))
                continue
            spans = word_spans(text, s, e)  # cut at word boundaries of the original text
            size = -(-len(spans) // -(-len(spans) // MAX_UNIT_WORDS))
            for k in range(0, len(spans), size):
                ps = s if k == 0 else spans[k][0]
                pe = e if k + size >= len(spans) else spans[k + size - 1][1]
                pieces.append((ps, pe, words(text[ps:pe], digits)))
        groups += [(b.index, g) for g in _join_short(pieces, min_words)]
    all_words = [w for _, g in groups for _, _, ws in g for w in ws]
    all_hashes = hash_words(all_words)
    all_numbers = number_hashes(text, groups, all_words) if digits else np.zeros(len(all_words), np.uint32)
    units, pos = [], 0
    for block, g in groups:
        n = sum(len(ws) for _, _, ws in g)
        hashes = all_hashes[pos:pos + n]
        content = hashes[np.array([w not in stopwords for w in all_words[pos:pos + n]], dtype=bool)] if n else _EMPTY
        pairs = to32(ngram_hashes(hashes, 2)) if n >= 2 else _EMPTY
        units.append(Unit(block, g[0][0], g[-1][1], hashes, np.union1d(content, pairs), all_numbers[pos:pos + n]))
        pos += n
    return units


def number_hashes(text: str, groups: list, folded: list[str]) -> np.ndarray:
    """Per word of the units, the hash of the word as written when it holds digits (which the
    folded words map to 0), else 0: two passages whose aligned words differ in their figures are
    not copies of each other."""
    raw = [w for _, g in groups for s, e, _ in g for w in words(text[s:e], digits=False)]
    out = np.zeros(len(folded), dtype=np.uint32)
    if len(raw) != len(folded):  # (cannot happen: folding keeps the words apart)
        return out
    at = [i for i, w in enumerate(raw) if w != folded[i]]
    if at:
        out[at] = hash_words([raw[i] for i in at]) | np.uint32(1)
    return out


def pack_units(units: list[Unit]) -> bytes:
    """Units as one buffer (they travel from a worker through the main process and a spool to
    the worker that aligns them; the main process reads only their spans)."""
    if not units:
        return b""
    spans = np.array([(u.block, u.start, u.end, len(u.hashes), len(u.shingles)) for u in units], dtype=np.int64)
    return b"".join([np.int64(len(units)).tobytes(), spans.tobytes()] + [u.hashes.tobytes() for u in units]
                    + [u.numbers.tobytes() for u in units] + [u.shingles.tobytes() for u in units])


def unit_arrays(packed: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(spans: block, start, end, words, shingles per unit; all word hashes; all shingles; all
    number hashes)."""
    n = int(np.frombuffer(packed, dtype=np.int64, count=1)[0]) if packed else 0
    if not n:
        return np.empty((0, 5), dtype=np.int64), _EMPTY, _EMPTY, _EMPTY
    spans = np.frombuffer(packed, dtype=np.int64, count=5 * n, offset=8).reshape(n, 5)
    words = int(spans[:, 3].sum())
    values = np.frombuffer(packed, dtype=np.uint32, offset=8 + spans.nbytes)
    return spans, values[:words], values[2 * words:], values[words:2 * words]


def unpack_units(packed: bytes) -> list[Unit]:
    spans, hashes, shingles, numbers = unit_arrays(packed)
    h = np.concatenate([[0], np.cumsum(spans[:, 3])])
    s = np.concatenate([[0], np.cumsum(spans[:, 4])])
    return [Unit(block, start, end, hashes[h[k]:h[k + 1]], shingles[s[k]:s[k + 1]], numbers[h[k]:h[k + 1]])
            for k, (block, start, end) in enumerate(spans[:, :3].tolist())]


def _join_short(pieces: list[tuple[int, int, list[str]]], min_words: int) -> list[list]:
    """Group consecutive pieces so each group has at least `min_words` words where possible."""
    groups: list[list] = []
    current: list = []
    count = 0
    for p in pieces:
        current.append(p)
        count += len(p[2])
        if count >= min_words:
            groups.append(current)
            current, count = [], 0
    if current:
        if groups:
            groups[-1].extend(current)
        else:
            groups.append(current)
    return groups


# -- per document (workers) ------------------------------------------------------------------------
@dataclass
class PassageKeys(CompactPickle):
    """What the corpus-wide stage files for a document, made ready in a worker. Window codes are
    k * max_window + w - 1 for the window of w units ending at unit k; a window is eligible when
    it has `min_words` words and some shingles (for one unit: exactly an indexable unit)."""

    indexable: np.ndarray  # bool per unit
    unit_keys: np.ndarray  # uint64 (indexable units, bands): index entries, and queries of their own
    records: bytes  # the indexable units as the store keeps them, one after the other
    record_ends: np.ndarray  # where each ends in `records`
    windows: np.ndarray  # uint64 codes of the eligible windows of 2+ units
    window_keys: np.ndarray  # uint64 (len(windows), bands): their queries
    same_doc: dict[int, list[int]] = field(default_factory=dict)  # window code -> earlier units sharing a band


class PassageFingerprinter:
    """MinHash LSH keys of units and windows (pure per-document work, batched)."""

    def __init__(self, cfg: PassageDedupConfig):
        self.cfg = cfg
        self.hasher = MinHasher(cfg.num_perm, cfg.seed)
        self.bands, self.rows = choose_bands(cfg.threshold, cfg.num_perm, _RECALL_AT_THRESHOLD)

    def keys(self, docs_units: list[list[Unit]], doc_ids: list[str]) -> list[PassageKeys]:
        """A window's signature is the element-wise minimum of its units' signatures (the
        MinHash of the union of their shingle sets)."""
        width = self.cfg.max_window
        sigs = self.hasher.signatures([u.shingles for units in docs_units for u in units])
        out, pos = [], 0
        for units, doc_id in zip(docs_units, doc_ids):
            n = len(units)
            own = sigs[pos:pos + n]
            pos += n
            windows = np.full((n, width, sigs.shape[1]), np.uint32(0xFFFFFFFF), dtype=np.uint32)
            windows[:, 0] = own
            for j in range(1, width):
                windows[j:, j] = np.minimum(windows[j - 1:-1, j - 1], own[j:])
            eligible = self._eligible(units)
            keys = band_keys(windows[eligible], self.bands, self.rows) if n else np.empty((0, self.bands), np.uint64)
            codes = np.flatnonzero(eligible.ravel())
            single = codes % width == 0
            indexable = eligible[:, 0]
            records = _pack(doc_id, [u for u, i in zip(units, indexable) if i])
            out.append(PassageKeys(indexable, keys[single], b"".join(records), np.cumsum([len(r) for r in records]),
                                   codes[~single].astype(np.uint64), keys[~single],
                                   _same_document(codes, keys, single, width)))
        return out

    def _eligible(self, units: list[Unit]) -> np.ndarray:
        """(units, max_window) bool: the window of w units ending at unit k can be a copy."""
        width, n = self.cfg.max_window, len(units)
        counts = np.concatenate([[0], np.cumsum([len(u.hashes) for u in units])])
        some = np.concatenate([[0], np.cumsum([len(u.shingles) > 0 for u in units])])
        eligible = np.zeros((n, width), dtype=bool)
        for w in range(1, width + 1):
            k = np.arange(w - 1, n)
            eligible[k, w - 1] = (counts[k + 1] - counts[k - w + 1] >= self.cfg.min_words) & (some[k + 1] > some[k - w + 1])
        return eligible


def _same_document(codes: np.ndarray, keys: np.ndarray, single: np.ndarray, width: int) -> dict[int, list[int]]:
    """Per window, the indexable units before its first unit that share one of its band keys
    (of a key, the first SAME_DOC_CAP units; windows SAME_DOC_WINDOWS at a time: a page repeating
    one sentence thousands of times stays linear in time and bounded in memory)."""
    units = codes[single] // width
    bands = keys.shape[1]
    entry_keys, entry_units = sort_entries(keys[single].ravel(), np.repeat(units, bands))
    first = codes // width - codes % width  # the window's first unit
    same: dict[int, list[int]] = {}
    for lo in range(0, len(codes), SAME_DOC_WINDOWS):
        hi = lo + SAME_DOC_WINDOWS
        ids, found = sorted_bucket_candidates(entry_keys, entry_units, keys[lo:hi].ravel(),
                                              np.repeat(codes[lo:hi], bands), np.repeat(first[lo:hi], bands),
                                              cap=SAME_DOC_CAP)
        for code, unit in zip(ids.tolist(), found.tolist()):
            same.setdefault(code, []).append(unit)
    return same


def shared_shingles(shingles: np.ndarray, source_shingles: np.ndarray) -> int:
    """How many shingles a window shares with a source, when that is enough to be worth aligning
    (40% of the smaller set), else 0."""
    inter = len(np.intersect1d(shingles, source_shingles, assume_unique=True))
    return inter if inter and inter >= 0.4 * min(len(shingles), len(source_shingles)) else 0


def aligned_runs(window: np.ndarray, hashes: np.ndarray, min_words: int, window_numbers: np.ndarray,
                 numbers: np.ndarray) -> list[tuple[int, int]]:
    """(position in the window, length) of the runs of words copied from the source (an
    alignment of the two word sequences: rapidfuzz's Indel, in C++, linear memory per pair),
    or [] when the runs of MIN_ALIGNED_RUN words or more add up to fewer than `min_words`, or
    when a figure in the stretch the runs cover is not matched by the same figure (digits are
    folded to find candidates, so "57" and "77" align; but a box score or a bond yield with
    other numbers is not a copy: the numbers are the facts)."""
    blocks = [m for m in Indel.opcodes(window.tolist(), hashes.tolist()).as_matching_blocks()
              if m.size >= MIN_ALIGNED_RUN]
    if sum(m.size for m in blocks) < min_words:
        return []
    if window_numbers.any() or numbers.any():  # every figure in the copied stretch is matched by itself
        mine = np.zeros(len(window), dtype=bool)
        theirs = np.zeros(len(hashes), dtype=bool)
        for m in blocks:
            if not np.array_equal(window_numbers[m.a:m.a + m.size], numbers[m.b:m.b + m.size]):
                return []
            mine[m.a:m.a + m.size] = True
            theirs[m.b:m.b + m.size] = True
        a0, a1 = blocks[0].a, blocks[-1].a + blocks[-1].size
        b0, b1 = blocks[0].b, blocks[-1].b + blocks[-1].size
        if (window_numbers[a0:a1][~mine[a0:a1]].any() or numbers[b0:b1][~theirs[b0:b1]].any()):
            return []
    return [(m.a, m.size) for m in blocks]


Alignment = tuple[int, int, list[tuple[int, int]]]  # window code, source, runs


def align_windows(units: bytes, windows: list[tuple[int, list[int]]], payloads: dict[int, bytes],
                  cfg: PassageDedupConfig) -> list[Alignment]:
    """Align each window with its candidate sources (pure: runs in workers).

    `units` are the document's units (`pack_units`); `windows` lists, by window code, the
    sources: an earlier unit (item >= 0, its stored record in `payloads`) or unit j of this
    document (-2 - j). A window is aligned with at most MAX_SOURCES of its candidates, those
    sharing the most shingles with it, and a pair of word sequences seen before in the document
    is not aligned again (a page repeating one sentence a thousand times costs one alignment).
    Returns the alignments that count, in window order, then source order."""
    width = cfg.max_window
    spans, hashes, shingles, numbers = unit_arrays(units)
    h = np.concatenate([[0], np.cumsum(spans[:, 3])])
    s = np.concatenate([[0], np.cumsum(spans[:, 4])])
    sources_words = {item: _unpack(data)[1] for item, data in payloads.items()}
    seen: dict[tuple[bytes, ...], list[tuple[int, int]]] = {}
    out: list[Alignment] = []
    for code, sources in windows:
        k, w = code // width, code % width + 1
        lo = k - w + 1
        window, window_numbers = hashes[h[lo]:h[k + 1]], numbers[h[lo]:h[k + 1]]
        own = shingles[s[lo]:s[k + 1]]
        window_shingles = own if w == 1 else np.unique(own)
        scored = []
        for rank, source in enumerate(sources):
            if source >= 0:
                source_hashes, source_shingles, source_numbers = sources_words[source]
            else:
                j = -2 - source
                source_hashes, source_shingles = hashes[h[j]:h[j + 1]], shingles[s[j]:s[j + 1]]
                source_numbers = numbers[h[j]:h[j + 1]]
            if shared := shared_shingles(window_shingles, source_shingles):
                scored.append((-shared, rank, source, source_hashes, source_numbers))
        best = sorted(sorted(scored, key=lambda t: t[:2])[:MAX_SOURCES], key=lambda t: t[1])  # in source order
        window_key = window.tobytes() + window_numbers.tobytes()
        for _, _, source, source_hashes, source_numbers in best:
            key = (window_key, source_hashes.tobytes(), source_numbers.tobytes())
            if key not in seen:
                seen[key] = aligned_runs(window, source_hashes, cfg.min_words, window_numbers, source_numbers)
            if seen[key]:
                out.append((code, source, seen[key]))
    return out


# -- corpus-wide (main process) --------------------------------------------------------------------
@dataclass(frozen=True)
class Verdict:
    source: Span  # the earlier passage this unit copies
    coverage: float  # share of the unit's words aligned to earlier text


def passage_verdicts(doc_id: str, units: list[Unit], alignments: list[Alignment], cfg: PassageDedupConfig,
                     alive: Callable[[int], bool], span_of: Callable[[int], Span]) -> list[Verdict | None]:
    """A verdict per unit (None: not a copy). Words are credited to the first source that
    aligns with them, among units still kept (`alive`) and earlier units of this document."""
    width = cfg.max_window
    offsets = np.concatenate([[0], np.cumsum([len(u.hashes) for u in units])]).astype(np.int64)
    covered = np.full(int(offsets[-1]), -1, dtype=np.int64)  # the source of each copied word
    for code, source, runs in alignments:
        if source >= 0 and not alive(source):
            continue
        base = offsets[code // width - code % width]
        for a, size in runs:
            seg = covered[base + a:base + a + size]
            seg[seg == -1] = source
    verdicts: list[Verdict | None] = []
    for k in range(len(units)):
        seg = covered[offsets[k]:offsets[k + 1]]
        hit = seg[seg != -1]
        coverage = len(hit) / len(seg) if len(seg) else 0.0
        if coverage < cfg.min_coverage or len(hit) == 0:
            verdicts.append(None)
            continue
        source = Counter(hit.tolist()).most_common(1)[0][0]
        if source >= 0:
            span = span_of(source)
        else:  # an earlier unit of this document; if that is itself a copy, point at its source
            j = -2 - source
            span = verdicts[j].source if verdicts[j] is not None else Span(doc_id, units[j].start, units[j].end)
        verdicts.append(Verdict(span, coverage))
    return verdicts


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
        self._begin()

    def _begin(self) -> None:
        self.queries = Partitions(2, top_bits_part(PARTS), PARTS, self._memory_bytes)
        self._firsts = array("q")  # per document of this call (by ordinal): its first item

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

    def _add_entries(self, keys: list[np.ndarray], items: list[int]) -> None:
        if items:
            self._entries.add(np.stack([np.concatenate(keys),
                                        np.repeat(np.array(items, np.uint64), [len(k) for k in keys])], axis=1))

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
        bands, n = pk.unit_keys.shape[1], pk.unit_keys.size
        entries = np.empty((n, 2), np.uint64)
        entries[:, 0] = pk.unit_keys.ravel()
        entries[:, 1] = np.repeat(items[k], bands)
        self._entries.add(entries)
        queries = np.empty((n + pk.window_keys.size, 2), np.uint64)
        queries[:n, 0] = entries[:, 0]
        queries[n:, 0] = pk.window_keys.ravel()
        codes = np.concatenate([k.astype(np.uint64) * np.uint64(self.width), pk.windows])
        queries[:, 1] = np.repeat(codes | (np.uint64(ordinal) << np.uint64(WINDOW_BITS)), bands)
        self.queries.add(queries)
        return ordinal, items

    @property
    def documents_in_call(self) -> int:
        return len(self._firsts)

    def group_tasks(self, rows: int = 1 << 20) -> Iterator[list[tuple]]:
        """What `group_candidates` needs: a task is a list of partitions (`spill.PartFile`s, read
        by the worker) with about `rows` queries in all, each grouped on its own (small
        partitions sort faster); a single in-memory partition when nothing was spilled."""
        firsts = np.frombuffer(self._firsts, dtype=np.int64).copy()
        if not self._entries.spilled and not self.queries.spilled:
            if self.queries.count:
                yield [(self._entries.all(), self.queries.all(), firsts)]
            return
        task: list = []
        size = 0
        for p in range(PARTS):
            queries = self.queries.part_file(p)
            if n := len(queries):
                task.append((self._entries.part_file(p), queries, firsts))
                size += n
            if task and (size >= rows or p == PARTS - 1):
                yield task
                task, size = [], 0

    def end_call(self) -> None:
        """The queries of one call are grouped; the next call files its own."""
        self.queries.close()
        self._begin()

    def record(self, item: int) -> bytes:
        """An indexed unit as stored (its span, word hashes and shingles: see `align_windows`)."""
        return self._store.get(item)

    def span(self, item: int) -> Span:
        return _unpack(self._store.get(item))[0]

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
        """Memory held per unit and per document (the partitions' buffers are bounded)."""
        return len(self._alive) + self._firsts.itemsize * len(self._firsts)

    def __len__(self) -> int:
        return len(self._alive)

    def close(self) -> None:
        self._entries.close()
        self.queries.close()
        self._store.close()


def group_partitions(task: list[tuple], rows: int = QUERY_ROWS) -> np.ndarray:
    """`group_candidates` of each partition of a task, one after the other. A partition's
    entries are loaded and sorted once; its queries are read `rows` at a time, so the memory a
    worker needs grows with the index (its share of entries), not with this call's queries."""
    found = []
    for entries, queries, firsts in task:
        entries = loaded(entries)
        keys, items = sort_entries(entries[:, 0], entries[:, 1])
        del entries
        for chunk in row_chunks(queries, rows):
            found.append(group_candidates(keys, items, chunk, firsts))
    return np.concatenate(found) if found else np.empty((0, 2), np.uint64)


def group_candidates(keys: np.ndarray, items: np.ndarray, queries: np.ndarray, firsts: np.ndarray) -> np.ndarray:
    """Pairs (window, item), unique and sorted: each query's bucket (the first `BUCKET_CAP`
    entries of its key, in item order; `keys` and `items` from `sort_entries`) restricted to
    items before the query's document (`firsts[ordinal]` is the first item of the document with
    that ordinal)."""
    ordinal = (queries[:, 1] >> np.uint64(WINDOW_BITS)).astype(np.int64)
    windows, items = sorted_bucket_candidates(keys, items, queries[:, 0], queries[:, 1], firsts[ordinal],
                                              cap=BUCKET_CAP)
    return np.stack([windows, items], axis=1).astype(np.uint64)


_HEADER = struct.Struct("<qqii")  # start, end, words, doc id bytes


def _pack(doc_id: str, units: list[Unit]) -> list[bytes]:
    """Stored units: span, document id (padded to 4 bytes), word hashes and shingles."""
    ident = doc_id.encode("utf-8")
    ident += b"\0" * (-len(ident) % 4)
    return [_HEADER.pack(u.start, u.end, len(u.hashes), len(ident)) + ident + u.hashes.tobytes() + u.numbers.tobytes()
            + u.shingles.tobytes() for u in units]


def _unpack(data: bytes) -> tuple[Span, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """A stored unit: (span, (word hashes, shingles, number hashes))."""
    start, end, n, id_len = _HEADER.unpack_from(data)
    pos = _HEADER.size
    doc_id = data[pos:pos + id_len].rstrip(b"\0").decode("utf-8")
    values = np.frombuffer(data, dtype=np.uint32, offset=pos + id_len)
    return Span(doc_id, start, end), (values[:n], values[2 * n:], values[n:2 * n])


def _columns(seq: int, doc_id: str, units: bytes, k: np.ndarray, pk: PassageKeys) -> dict:
    """Columns of the persistent index's passage rows (one list per column)."""
    spans = unit_arrays(units)[0][k]
    return {"doc_seq": [seq] * len(k), "doc_id": [doc_id] * len(k), "unit": k.tolist(),
            "start": spans[:, 1].tolist(), "end": spans[:, 2].tolist(),
            "alive": [1] * len(k), "keys": [row.tobytes() for row in pk.unit_keys]}


def passage_removals(doc_id: str, text: str, blocks: list[Block], units: list[Unit],
                     verdicts: list[Verdict | None], cfg: PassageDedupConfig) -> tuple[list[Removal], set[int]]:
    """Removals for duplicate units (whole paragraphs when mostly duplicate), and the indices of
    all units whose text is removed."""
    by_block: dict[int, list[int]] = {}
    for k, u in enumerate(units):
        by_block.setdefault(u.block, []).append(k)
    removals: list[Removal] = []
    removed_units: set[int] = set()
    for b, ks in by_block.items():
        dup = [verdicts[k] is not None for k in ks]
        if not any(dup):
            continue
        words = sum(len(units[k].hashes) for k in ks)
        dup_words = sum(len(units[k].hashes) for k, d in zip(ks, dup) if d)
        block = blocks[b]
        # A paragraph goes whole when it is mostly a copy, but never with the originals it holds
        # (a paragraph repeating its own first sentence keeps that sentence).
        inside = any(v is not None and v.source.doc_id == doc_id and block.start <= v.source.start < block.end
                     for v in (verdicts[k] for k in ks))
        if words and dup_words / words >= cfg.paragraph_share and not inside:
            sources = [verdicts[k] for k in ks if verdicts[k] is not None]
            removals.append(Removal(doc_id, block.start, block.end, text[block.start:block.end], STAGE,
                                    "duplicate:paragraph", _merge_sources(sources), dup_words / words))
            removed_units.update(ks)
            continue
        spans = [(units[k].start, units[k].end) for k in ks]
        for start, end, i, j in removal_spans(spans, dup):
            run = [verdicts[ks[x]] for x in range(i, j + 1)]
            removals.append(Removal(doc_id, start, end, text[start:end], STAGE, "duplicate:passage",
                                    _merge_sources(run), sum(v.coverage for v in run) / len(run)))
            removed_units.update(ks[i:j + 1])
    return removals, removed_units


def _merge_sources(verdicts: list[Verdict]) -> Span:
    """One span covering the sources that lie in the first source's document."""
    doc = verdicts[0].source.doc_id
    spans = [v.source for v in verdicts if v.source.doc_id == doc]
    return Span(doc, min(s.start for s in spans), max(s.end for s in spans))
