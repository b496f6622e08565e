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

from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher

import numpy as np

from ..config import PassageDedupConfig
from ..model import Block, Removal, Span
from ..segment import removal_spans, split_sentences
from .index import BandIndex, band_keys, choose_bands
from .minhash import MinHasher
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


@dataclass
class _Item:
    doc_seq: int
    doc_id: str
    unit: int
    start: int
    end: int
    hashes: np.ndarray
    shingles: np.ndarray
    alive: bool = True


@dataclass(frozen=True)
class Verdict:
    source: Span  # the earlier passage this unit copies
    coverage: float  # share of the unit's words aligned to earlier text


class PassageIndex:
    """Units kept so far, indexed by LSH band keys of their shingle-set MinHash."""

    def __init__(self, cfg: PassageDedupConfig):
        self.cfg = cfg
        self.hasher = MinHasher(cfg.num_perm, cfg.seed)
        self.bands, self.rows = choose_bands(cfg.threshold, cfg.num_perm, _RECALL_AT_THRESHOLD)
        self._lsh = BandIndex()
        self._items: list[_Item] = []

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

        Units are added as they are passed, so a later part of the same document can match an
        earlier part; call `retire` with the items whose text ended up removed.
        """
        cfg = self.cfg
        n = len(units)
        offsets = np.concatenate([[0], np.cumsum([len(u.hashes) for u in units])]).astype(np.int64)
        covered = np.full(int(offsets[-1]), -1, dtype=np.int64)
        items = [-1] * n
        for k in range(n):
            for w in range(1, cfg.max_window + 1):
                lo = k - w + 1
                if lo < 0 or offsets[k + 1] - offsets[lo] < cfg.min_words:
                    continue
                candidates = [c for c in self._lsh.query(keys[k, w - 1]) if self._items[c].alive
                              and not (self._items[c].doc_seq == doc_seq and self._items[c].unit >= lo)]
                if not candidates:
                    continue
                if w == 1:
                    shingles, window = units[k].shingles, units[k].hashes
                else:
                    shingles = np.unique(np.concatenate([u.shingles for u in units[lo:k + 1]]))
                    window = np.concatenate([u.hashes for u in units[lo:k + 1]])
                if len(shingles) == 0:
                    continue
                for cand in candidates:
                    self._align(window, shingles, cand, covered[offsets[lo]:offsets[k + 1]])
            u = units[k]
            if len(u.hashes) >= cfg.min_words and len(u.shingles):
                items[k] = len(self._items)
                self._items.append(_Item(doc_seq, doc_id, k, u.start, u.end, u.hashes, u.shingles))
                self._lsh.add(keys[k, 0], items[k])
        return self._verdicts(units, offsets, covered, items), items

    def _align(self, window: np.ndarray, shingles: np.ndarray, cand: int, covered: np.ndarray) -> None:
        """Mark the window's words that are copied from candidate `cand` (a view into `covered`)."""
        item = self._items[cand]
        inter = len(np.intersect1d(shingles, item.shingles, assume_unique=True))
        if inter < 0.4 * min(len(shingles), len(item.shingles)):
            return
        matcher = SequenceMatcher(None, window.tolist(), item.hashes.tolist(), autojunk=False)
        runs = [m for m in matcher.get_matching_blocks() if m.size >= MIN_ALIGNED_RUN]
        if sum(m.size for m in runs) < self.cfg.min_words:
            return
        for m in runs:
            seg = covered[m.a:m.a + m.size]
            seg[seg < 0] = cand

    def _verdicts(self, units, offsets, covered, items) -> list[Verdict | None]:
        verdicts: list[Verdict | None] = []
        redirect: dict[int, int] = {}  # a unit of this document that is itself a copy -> its source
        for k, u in enumerate(units):
            seg = covered[offsets[k]:offsets[k + 1]]
            hit = seg[seg >= 0]
            coverage = len(hit) / len(seg) if len(seg) else 0.0
            if coverage < self.cfg.min_coverage or len(hit) == 0:
                verdicts.append(None)
                continue
            source = Counter(hit.tolist()).most_common(1)[0][0]
            source = redirect.get(source, source)
            if items[k] >= 0:
                redirect[items[k]] = source
            s = self._items[source]
            verdicts.append(Verdict(Span(s.doc_id, s.start, s.end), coverage))
        return verdicts

    def retire(self, items: list[int]) -> None:
        """Items whose text was removed stop being sources: only kept text is a first occurrence."""
        for i in items:
            if i >= 0:
                self._items[i].alive = False

    def __len__(self) -> int:
        return len(self._items)


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
