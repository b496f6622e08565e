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
must overlap by 40% of the smaller one) and then aligned word by word (difflib, all words). Aligned runs of 3+ words from one source that add up to `min_words`
words count as copied; this containment test tolerates changed words and punctuation.

What goes: a unit whose words are at least `min_coverage` copied is a duplicate; a paragraph
whose words are at least `paragraph_share` duplicate goes whole, otherwise only its duplicate
units go. Very short lines ("Thank you.") never form a unit of `min_words` words, so they are
never duplicates. The first occurrence is kept: only kept text is ever a source.
"""
from __future__ import annotations

import sys
from array import array
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher

import numpy as np

from ..config import PassageDedupConfig
from ..model import Block, Removal, Span
from ..segment import removal_spans, split_sentences
from .index import BandTable, band_keys, choose_bands
from .minhash import MinHasher
from .store import FileStore
from .shingles import hash_words, ngram_hashes, to32, word_spans, words

STAGE = "passage-dedup"
MAX_UNIT_WORDS = 40
MIN_ALIGNED_RUN = 3
_RECALL_AT_THRESHOLD = 0.9
_EMPTY = np.empty(0, dtype=np.uint32)


@dataclass
class Unit:
    block: int  # index into the document's blocks
    start: int
    end: int
    hashes: np.ndarray  # uint32 per word, all words (for alignment)
    shingles: np.ndarray  # sorted unique uint32: content words and word pairs (for LSH)


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
    units, pos = [], 0
    for block, g in groups:
        n = sum(len(ws) for _, _, ws in g)
        hashes = all_hashes[pos:pos + n]
        content = hashes[np.array([w not in stopwords for w in all_words[pos:pos + n]], dtype=bool)] if n else _EMPTY
        pairs = to32(ngram_hashes(hashes, 2)) if n >= 2 else _EMPTY
        units.append(Unit(block, g[0][0], g[-1][1], hashes, np.union1d(content, pairs)))
        pos += n
    return units


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


@dataclass(frozen=True)
class Verdict:
    source: Span  # the earlier passage this unit copies
    coverage: float  # share of the unit's words aligned to earlier text


class PassageIndex:
    """Passages kept so far: LSH band keys of their shingle-set MinHash in a compact band table,
    a few numbers each in arrays, and their word hashes and shingles in the store (read back to
    verify a candidate)."""

    def __init__(self, cfg: PassageDedupConfig, store=None):
        self.cfg = cfg
        self.hasher = MinHasher(cfg.num_perm, cfg.seed)
        self.bands, self.rows = choose_bands(cfg.threshold, cfg.num_perm, _RECALL_AT_THRESHOLD)
        self._store = store
        self._lsh = BandTable()
        self._doc_seq = array("q")
        self._unit = array("q")
        self._start = array("q")
        self._end = array("q")
        self._alive = bytearray()
        self._doc_ids: dict[int, str] = {}

    def window_keys(self, docs_units: list[list[Unit]]) -> list[np.ndarray]:
        """Per document, the LSH band keys of every window: shape (units, max_window, bands), where
        [k, w-1] is the window of w units ending at unit k. A window's signature is the
        element-wise minimum of its units' signatures (the MinHash of the union). Pure
        per-document work, batched (runs in workers)."""
        width = self.cfg.max_window
        sigs = self.hasher.signatures([u.shingles for units in docs_units for u in units])
        stacks, pos = [], 0
        for units in docs_units:
            own = sigs[pos:pos + len(units)]
            pos += len(units)
            windows = np.full((len(units), width, own.shape[1]), np.uint32(0xFFFFFFFF), dtype=np.uint32)
            windows[:, 0] = own
            for j in range(1, width):
                windows[j:, j] = np.minimum(windows[j - 1:-1, j - 1], own[j:])
            stacks.append(windows)
        if not pos:
            return [np.empty((0, width, self.bands), dtype=np.uint64) for _ in docs_units]
        keys = band_keys(np.concatenate(stacks).reshape(-1, sigs.shape[1]), self.bands, self.rows)
        keys = keys.reshape(-1, width, self.bands)
        out, pos = [], 0
        for units in docs_units:
            out.append(keys[pos:pos + len(units)])
            pos += len(units)
        return out

    def find(self, doc_seq: int, doc_id: str, units: list[Unit], keys: np.ndarray) -> tuple[list[Verdict | None], list[int]]:
        """A verdict per unit (None: not a copy), and the index items added for the units.

        Earlier documents are looked up in one batch; earlier units of this document in a local
        table, so a later part of the document can match an earlier part. The units are indexed
        when the document is done; call `retire` with the items whose text ended up removed.
        """
        cfg = self.cfg
        n, width = len(units), cfg.max_window
        offsets = np.concatenate([[0], np.cumsum([len(u.hashes) for u in units])]).astype(np.int64)
        # Which words are copied, and from where: an index item (>= 0), or unit j of this
        # document (-2 - j); -1 where nothing was found.
        covered = np.full(int(offsets[-1]), -1, dtype=np.int64)
        indexable = np.array([len(u.hashes) >= cfg.min_words and len(u.shingles) > 0 for u in units], dtype=bool)
        rows = keys.reshape(-1, self.bands)
        earlier = self._lsh.query_rows(rows) if n else []
        # Earlier units of this document sharing a band with each window (band keys of different
        # bands never collide, so equal keys mean a shared band).
        shared = (rows[:, None, :] == keys[:, 0][None, :, :]).any(axis=2) & indexable[None, :] if n else None
        for k in range(n):
            for w in range(1, width + 1):
                lo = k - w + 1
                if lo < 0 or offsets[k + 1] - offsets[lo] < cfg.min_words:
                    continue
                sources = sorted(c for c in earlier[k * width + w - 1] if self._alive[c])
                sources += [-2 - j for j in np.flatnonzero(shared[k * width + w - 1, :lo]).tolist()]
                if not sources:
                    continue
                if w == 1:
                    shingles, window = units[k].shingles, units[k].hashes
                else:
                    shingles = np.unique(np.concatenate([u.shingles for u in units[lo:k + 1]]))
                    window = np.concatenate([u.hashes for u in units[lo:k + 1]])
                if len(shingles) == 0:
                    continue
                for source in sources:
                    hashes, source_shingles = self.payload(source) if source >= 0 else (
                        units[-2 - source].hashes, units[-2 - source].shingles)
                    self._align(window, shingles, hashes, source_shingles, source, covered[offsets[lo]:offsets[k + 1]])
        items = [self.add(doc_seq, doc_id, k, u.start, u.end, u.hashes, u.shingles, keys[k, 0]) if indexable[k] else -1
                 for k, u in enumerate(units)]
        added = [i for i in items if i >= 0]
        self._lsh.add_rows(keys[indexable, 0], added)
        return self._verdicts(doc_id, units, offsets, covered), items

    @property
    def store(self):
        if self._store is None:  # created on first use: workers only fingerprint
            self._store = FileStore()
        return self._store

    def add(self, doc_seq: int, doc_id: str, unit: int, start: int, end: int, hashes: np.ndarray,
            shingles: np.ndarray, keys: np.ndarray, alive: bool = True) -> int:
        """Record a passage (its band keys go in the table with `BandTable.add_rows`); returns its item."""
        item = self._remember(doc_seq, doc_id, unit, start, end, alive)
        record = self.store.put(_pack(hashes, shingles), doc_seq=doc_seq, doc_id=doc_id, unit=unit, start=start,
                                end=end, alive=int(alive), keys=keys.tobytes())
        assert record == item, "the passage store is out of step with the index"
        return item

    def _remember(self, doc_seq: int, doc_id: str, unit: int, start: int, end: int, alive: bool) -> int:
        self._doc_seq.append(doc_seq)
        self._unit.append(unit)
        self._start.append(start)
        self._end.append(end)
        self._alive.append(alive)
        self._doc_ids[doc_seq] = doc_id
        return len(self._alive) - 1

    def load(self, rows) -> None:
        """Rebuild from stored rows (item, doc_seq, doc_id, unit, start, end, alive, keys), in item order."""
        keys = []
        for item, doc_seq, doc_id, unit, start, end, alive, band_keys_blob in rows:
            assert item == self._remember(doc_seq, doc_id, unit, start, end, alive)
            keys.append(np.frombuffer(band_keys_blob, dtype=np.uint64))
        if keys:
            items = np.arange(len(keys), dtype=np.uint32)
            self._lsh.add_many(np.concatenate(keys), np.repeat(items, [len(k) for k in keys]))

    def payload(self, item: int) -> tuple[np.ndarray, np.ndarray]:
        """The word hashes and shingles of an indexed passage."""
        data = np.frombuffer(self.store.get(item), dtype=np.uint32)
        n = int(data[0])
        return data[1:1 + n], data[1 + n:]

    def _align(self, window: np.ndarray, shingles: np.ndarray, hashes: np.ndarray, source_shingles: np.ndarray,
               source: int, covered: np.ndarray) -> None:
        """Mark the window's words copied from `source` (word hashes `hashes`) in `covered` (a view)."""
        inter = len(np.intersect1d(shingles, source_shingles, assume_unique=True))
        if inter < 0.4 * min(len(shingles), len(source_shingles)):
            return
        matcher = SequenceMatcher(None, window.tolist(), hashes.tolist(), autojunk=False)
        runs = [m for m in matcher.get_matching_blocks() if m.size >= MIN_ALIGNED_RUN]
        if sum(m.size for m in runs) < self.cfg.min_words:
            return
        for m in runs:
            seg = covered[m.a:m.a + m.size]
            seg[seg == -1] = source

    def _verdicts(self, doc_id: str, units: list[Unit], offsets, covered) -> list[Verdict | None]:
        verdicts: list[Verdict | None] = []
        for k in range(len(units)):
            seg = covered[offsets[k]:offsets[k + 1]]
            hit = seg[seg != -1]
            coverage = len(hit) / len(seg) if len(seg) else 0.0
            if coverage < self.cfg.min_coverage or len(hit) == 0:
                verdicts.append(None)
                continue
            source = Counter(hit.tolist()).most_common(1)[0][0]
            if source >= 0:
                span = Span(self._doc_ids[self._doc_seq[source]], self._start[source], self._end[source])
            else:  # an earlier unit of this document; if that is itself a copy, point at its source
                j = -2 - source
                span = verdicts[j].source if verdicts[j] is not None else Span(doc_id, units[j].start, units[j].end)
            verdicts.append(Verdict(span, coverage))
        return verdicts

    def retire(self, items: list[int]) -> None:
        """Items whose text was removed stop being sources: only kept text is a first occurrence."""
        items = [i for i in items if i >= 0]
        for i in items:
            self._alive[i] = 0
        if items:
            self.store.retire(items)

    def memory_bytes(self) -> int:
        arrays = sum(a.itemsize * len(a) for a in (self._doc_seq, self._unit, self._start, self._end))
        ids = sum(sys.getsizeof(v) + 100 for v in self._doc_ids.values())  # ~100 bytes a dict entry
        return self._lsh.memory_bytes() + arrays + len(self._alive) + ids + self.store.memory_bytes()

    def __len__(self) -> int:
        return len(self._alive)


def _pack(hashes: np.ndarray, shingles: np.ndarray) -> bytes:
    return np.concatenate([np.array([len(hashes)], dtype=np.uint32), hashes.astype(np.uint32),
                           shingles.astype(np.uint32)]).tobytes()


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
        if words and dup_words / words >= cfg.paragraph_share:
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
