"""Alignment of windows with their candidate sources (in workers) and the verdicts drawn from
it (in the main process, in input order).

Each candidate is checked cheaply (the shingle sets must overlap by 40% of the smaller one);
the MAX_SOURCES that overlap most are aligned word by word (rapidfuzz, all words), each
distinct pair of word sequences once per document. Aligned runs of 3+ words from one source
that add up to `min_words` words count as copied, and every figure in the copied stretch must
be matched by the same figure (and the texts must not go on with other figures on both sides); this containment test tolerates changed words and punctuation.

What goes: a unit whose words are at least `min_coverage` copied is a duplicate; a paragraph
whose words are at least `paragraph_share` duplicate goes whole, otherwise only its duplicate
units go. Very short lines ("Thank you.") never form a unit of `min_words` words, so they are
never duplicates. Only kept text is ever a source.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from rapidfuzz.distance import Indel

from ..config import PassageDedupConfig
from ..model import Removal, Span
from ..segment import removal_spans
from .shingles import sorted_unique
from .units import UnitSpan, batch_unit_arrays, record_words

STAGE = "passage-dedup"
MIN_ALIGNED_RUN = 3
MAX_SOURCES = 8  # candidates a window is aligned with: those sharing the most shingles with it


def shared_shingles(windows: list[np.ndarray], sources: list[list[np.ndarray]]) -> np.ndarray:
    """For each window (its shingles, sorted and unique) and each of its sources (their shingles,
    unique), in that order: how many shingles the two share when that is enough to be worth
    aligning (40% of the smaller set), else 0. All at once: every source's shingles, keyed by
    their window, are looked up in the windows' (window << 32 | shingle), sorted as they come (a
    call per pair cost more, with up to 64 chance candidates a window in a large corpus)."""
    flat = [x for found in sources for x in found]
    window_sizes = np.fromiter(map(len, windows), np.int64, len(windows))
    if not flat or not window_sizes.sum():
        return np.zeros(len(flat), dtype=np.int64)
    keys = np.concatenate(windows).astype(np.uint64)
    keys |= np.repeat(np.arange(len(windows), dtype=np.uint64), window_sizes) << np.uint64(32)
    source_sizes = np.fromiter(map(len, flat), np.int64, len(flat))
    window_of = np.repeat(np.arange(len(windows)), [len(found) for found in sources])
    wanted = np.concatenate(flat).astype(np.uint64)
    wanted |= np.repeat(window_of.astype(np.uint64), source_sizes) << np.uint64(32)
    hit = keys[np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)] == wanted
    inter = np.bincount(np.repeat(np.arange(len(flat)), source_sizes)[hit], minlength=len(flat))
    return np.where((inter > 0) & (inter >= 0.4 * np.minimum(window_sizes[window_of], source_sizes)), inter, 0)


def aligned_runs(window: np.ndarray, hashes: np.ndarray, min_words: int, window_numbers: np.ndarray,
                 numbers: np.ndarray) -> list[tuple[int, int]]:
    """(position in the window, length) of the runs of words copied from the source (an
    alignment of the two word sequences: rapidfuzz's Indel, in C++, linear memory per pair),
    or [] when the runs of MIN_ALIGNED_RUN words or more add up to fewer than `min_words`, or
    when a figure in the stretch the runs cover is not matched by the same figure, or the
    texts go on (or start) past the stretch with other figures on both sides (digits are
    folded to find candidates, so "57" and "77" align; but a box score or a bond yield with
    other numbers is not a copy, nor a police log's next arrest with its own bail: the numbers
    are the facts; a figure one side adds, "a G7 country" quoted as "G7 country G20", is an
    edit)."""
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
        if (window_numbers[a0:a1][~mine[a0:a1]].any() or numbers[b0:b1][~theirs[b0:b1]].any()
                or _other_figures(window_numbers[:a0], numbers[:b0])
                or _other_figures(window_numbers[a1:], numbers[b1:])):
            return []
    return [(m.a, m.size) for m in blocks]


def _other_figures(mine: np.ndarray, theirs: np.ndarray) -> bool:
    """Whether two stretches left outside an alignment both hold figures, neither side's all
    among the other's (a figure one side adds is an edit; one in place of another is not)."""
    a, b = mine[mine != 0], theirs[theirs != 0]
    return bool(len(a) and len(b)) and not (np.isin(a, b).all() or np.isin(b, a).all())


Alignment = tuple[int, int, list[tuple[int, int]]]  # window code, source, runs


AlignTask = tuple[bytes, list[tuple[int, list[int]]], dict[int, bytes]]  # units, windows, payloads


def align_windows(units: bytes, windows: list[tuple[int, list[int]]], payloads: dict[int, bytes],
                  cfg: PassageDedupConfig) -> list[Alignment]:
    """Align each window with its candidate sources (pure: runs in workers).

    `units` are the document's units (`pack_units`); `windows` lists, by window code, the
    sources: an earlier unit (item >= 0, its stored record in `payloads`) or unit j of this
    document (-2 - j). A window is aligned with at most MAX_SOURCES of its candidates, those
    sharing the most shingles with it, and a pair of word sequences seen before in the document
    is not aligned again (a page repeating one sentence a thousand times costs one alignment).
    Returns the alignments that count, in window order, then source order."""
    return align_unpacked(*unpack_tasks([(units, windows, payloads)])[0], cfg)


def unpack_tasks(tasks: list[AlignTask]) -> list[tuple]:
    """The tasks of a batch with their units and their sources' words unpacked, all at once."""
    records = {item: data for _, _, payloads in tasks for item, data in payloads.items()}
    words = dict(zip(records, record_words(list(records.values()))))
    return [(arrays, windows, {item: words[item] for item in payloads})
            for arrays, (_, windows, payloads) in zip(batch_unit_arrays([t[0] for t in tasks]), tasks)]


def align_unpacked(arrays: tuple, windows: list[tuple[int, list[int]]], sources_words: dict[int, tuple],
                   cfg: PassageDedupConfig) -> list[Alignment]:
    """`align_windows` of a task of `unpack_tasks`."""
    width = cfg.max_window
    spans, hashes, shingles, numbers = arrays
    h = np.concatenate([[0], np.cumsum(spans[:, 3])])
    s = np.concatenate([[0], np.cumsum(spans[:, -1])])  # (the shingle counts)
    seen: dict[tuple[bytes, ...], list[tuple[int, int]]] = {}
    planned = []  # per window: its words, figures and shingles, and its sources' (words, shingles, figures)
    for code, sources in windows:
        k, w = code // width, code % width + 1
        lo = k - w + 1
        own = shingles[s[lo]:s[k + 1]]
        found = []
        for source in sources:
            if source >= 0:
                found.append(sources_words[source])
            else:
                j = -2 - source
                found.append((hashes[h[j]:h[j + 1]], shingles[s[j]:s[j + 1]], numbers[h[j]:h[j + 1]]))
        planned.append((hashes[h[lo]:h[k + 1]], numbers[h[lo]:h[k + 1]], own if w == 1 else sorted_unique(own), found))
    shared = shared_shingles([p[2] for p in planned], [[source[1] for source in p[3]] for p in planned]).tolist()
    out: list[Alignment] = []
    at = 0
    for (code, sources), (window, window_numbers, _, found) in zip(windows, planned):
        scored = [(-shared[at + rank], rank, source, source_hashes, source_numbers)
                  for rank, (source, (source_hashes, _, source_numbers)) in enumerate(zip(sources, found))
                  if shared[at + rank]]
        at += len(sources)
        best = sorted(sorted(scored, key=lambda t: t[:2])[:MAX_SOURCES], key=lambda t: t[1])  # in source order
        window_key = window.tobytes() + window_numbers.tobytes()
        for _, _, source, source_hashes, source_numbers in best:
            key = (window_key, source_hashes.tobytes(), source_numbers.tobytes())
            if key not in seen:
                seen[key] = aligned_runs(window, source_hashes, cfg.min_words, window_numbers, source_numbers)
            if seen[key]:
                out.append((code, source, seen[key]))
    return out


@dataclass(frozen=True)
class Verdict:
    source: Span  # the earlier passage this unit copies
    coverage: float  # share of the unit's words aligned to earlier text


def passage_verdicts(doc_id: str, units: list[UnitSpan], alignments: list[Alignment], cfg: PassageDedupConfig,
                     alive: Callable[[int], bool], span_of: Callable[[int], Span]) -> list[Verdict | None]:
    """A verdict per unit (None: not a copy). Words are credited to the first source that
    aligns with them, among units still kept (`alive`) and earlier units of this document."""
    width = cfg.max_window
    offsets = np.concatenate([[0], np.cumsum([u.words for u in units])]).astype(np.int64)
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



def passage_removals(doc_id: str, text: str, units: list[UnitSpan], verdicts: list[Verdict | None],
                     cfg: PassageDedupConfig) -> tuple[list[Removal], set[int]]:
    """Removals for duplicate units (whole paragraphs when mostly duplicate), and the indices of
    all units whose text is removed."""
    by_block: dict[int, list[int]] = {}
    for k, u in enumerate(units):
        by_block.setdefault(u.block, []).append(k)
    removals: list[Removal] = []
    removed_units: set[int] = set()
    for ks in by_block.values():
        dup = [verdicts[k] is not None for k in ks]
        if not any(dup):
            continue
        words = sum(units[k].words for k in ks)
        dup_words = sum(units[k].words for k, d in zip(ks, dup) if d)
        lo, hi = units[ks[0]].block_start, units[ks[0]].block_end  # the paragraph
        # A paragraph goes whole when it is mostly a copy, but never with the originals it holds
        # (a paragraph repeating its own first sentence keeps that sentence).
        inside = any(v is not None and v.source.doc_id == doc_id and lo <= v.source.start < hi
                     for v in (verdicts[k] for k in ks))
        if words and dup_words / words >= cfg.paragraph_share and not inside:
            sources = [verdicts[k] for k in ks if verdicts[k] is not None]
            removals.append(Removal(doc_id, lo, hi, text[lo:hi], STAGE, "duplicate:paragraph", _merge_sources(sources),
                                    dup_words / words))
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
