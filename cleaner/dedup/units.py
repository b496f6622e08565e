"""Passage units: the sentences of a document's kept blocks as hashed words (`passage_units`),
packed into one buffer to travel between processes (`pack_units`), and the form an indexed
unit is stored in (`pack_records`, `record_span`, `record_words`).

A unit is a sentence of a kept block; sentences shorter than `min_words` words are joined to
the next one in the same block (a short tail to the previous), and sentences longer than
MAX_UNIT_WORDS words are cut into pieces, so units are 8-40 words by default.
"""
from __future__ import annotations

import itertools
import struct
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..model import Block, Span
from ..segment import split_sentences
from .shingles import TextWords, ngram_hashes, range_positions, to32, unique_per_group, word_spans

MAX_UNIT_WORDS = 40
EMPTY = np.empty(0, dtype=np.uint32)


@dataclass
class Unit:
    block: int  # index into the document's blocks
    start: int
    end: int
    hashes: np.ndarray  # uint32 per word, all words, digits folded (for candidates and alignment)
    shingles: np.ndarray  # sorted unique uint32: content words and word pairs (for LSH)
    numbers: np.ndarray  # uint32 per word: the word's own hash if it has digits, else 0 (numbers must match)
    flags: np.ndarray  # uint8 per word: content word (not a stopword), has a figure (to pack the unit)
    block_start: int  # the block's own span (a paragraph mostly copied goes whole)
    block_end: int


def passage_units(text: str, blocks: list[Block], stopwords: frozenset[str], min_words: int,
                  digits: bool = True) -> list[Unit]:
    """The units of the given (kept) blocks, in text order."""
    groups: list[tuple[Block, list[tuple[int, int, int, int]]]] = []  # (block, pieces: start, end, word range)
    table = TextWords(text, digits)
    for b in blocks:
        pieces: list[tuple[int, int, int, int]] = []
        for s, e in split_sentences(text, b.content_start, b.content_end):
            i, j = table.span(s, e)
            if j - i <= MAX_UNIT_WORDS:
                pieces.append((s, e, i, j))
                continue
            spans = word_spans(text, s, e)  # cut at word boundaries of the original text
            size = -(-len(spans) // -(-len(spans) // MAX_UNIT_WORDS))
            for k in range(0, len(spans), size):
                ps = s if k == 0 else spans[k][0]
                pe = e if k + size >= len(spans) else spans[k + size - 1][1]
                pieces.append((ps, pe, *table.span(ps, pe)))
        groups += [(b, g) for g in _join_short(pieces, min_words)]
    ranges = np.array([p[2:] for _, g in groups for p in g], dtype=np.int64).reshape(-1, 2)
    at = range_positions(ranges[:, 0], ranges[:, 1] - ranges[:, 0])
    hashes, numbers, content = table.arrays(stopwords)
    all_hashes, all_numbers = hashes[at], numbers[at]
    counts = np.array([sum(j - i for _, _, i, j in g) for _, g in groups], dtype=np.int64)
    all_content = content[at]
    shingles = _unit_shingles(all_hashes, all_content, counts)
    flags = all_content.astype(np.uint8) | ((all_numbers != 0).astype(np.uint8) << 1)
    units, pos = [], 0
    for (block, g), n, sh in zip(groups, counts.tolist(), shingles):
        units.append(Unit(block.index, g[0][0], g[-1][1], all_hashes[pos:pos + n], sh, all_numbers[pos:pos + n],
                          flags[pos:pos + n], block.start, block.end))
        pos += n
    return units


def _unit_shingles(hashes: np.ndarray, content: np.ndarray, counts: np.ndarray) -> list[np.ndarray]:
    """Each unit's shingle set, its content words and its word pairs (sorted unique), for all
    the units of a document at once: pairs are hashed over the whole word sequence and those
    across a unit boundary dropped, then one sort of (unit << 32 | shingle) makes them unique
    per unit."""
    if not len(counts):
        return []
    unit = np.repeat(np.arange(len(counts), dtype=np.uint64), counts)
    groups, values = [unit[content]], [hashes[content]]
    if len(hashes) >= 2:
        inside = unit[:-1] == unit[1:]
        groups.append(unit[:-1][inside])
        values.append(to32(ngram_hashes(hashes, 2))[inside])
    return unique_per_group(np.concatenate(groups), np.concatenate(values), len(counts), 32, np.uint32)


# Packed units and stored records hold per word its hash and a flags byte (content word, has a
# figure), and the figures' hashes; the shingles are rebuilt from these (`_unit_shingles`, the
# function that made them): they would take more room than the words.
_CONTENT, _FIGURE = 1, 2
_SPAN_COLUMNS = 6  # a packed unit's header row (`unit_spans`)


def _word_columns(units: list[Unit]) -> tuple[bytes, bytes, bytes, np.ndarray, np.ndarray]:
    """The words of units one after the other: hashes, the figures' hashes, flags; and where each
    unit starts in words and in figures."""
    numbers = np.concatenate([u.numbers for u in units])
    figure = numbers != 0
    words = np.zeros(len(units) + 1, dtype=np.int64)
    np.cumsum(np.fromiter((len(u.hashes) for u in units), np.int64, len(units)), out=words[1:])
    figures = np.zeros(len(numbers) + 1, dtype=np.int64)
    np.cumsum(figure, out=figures[1:])
    return (np.concatenate([u.hashes for u in units]).tobytes(), numbers[figure].tobytes(),
            np.concatenate([u.flags for u in units]).tobytes(), words, figures[words])


def _columns_at(data: bytes, at: int, words: int) -> tuple[bytes, bytes, bytes]:
    """The (hashes, figures' hashes, flags) columns of `words` words packed from `at` to the end of `data`."""
    return data[at:at + 4 * words], data[at + 4 * words:len(data) - words], data[len(data) - words:]


def _words(columns: list[tuple[bytes, bytes, bytes]], counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, list]:
    """(word hashes, number hashes, each unit's shingles) of units of `counts` words whose
    `_columns_at` are `columns` (one after the other), all at once."""
    hashes, figures, flags = (b"".join(c) for c in zip(*columns)) if columns else (b"", b"", b"")
    flag = np.frombuffer(flags, dtype=np.uint8)
    numbers = np.zeros(len(flag), dtype=np.uint32)
    numbers[(flag & _FIGURE) != 0] = np.frombuffer(figures, dtype=np.uint32)
    words = np.frombuffer(hashes, dtype=np.uint32)
    return words, numbers, _unit_shingles(words, (flag & _CONTENT) != 0, counts)


def pack_units(units: list[Unit], stored: np.ndarray | None = None) -> bytes:
    """Units as one buffer (they travel from a worker through the main process and a spool to
    the worker that aligns them; the main process reads only their spans). The words of the
    `stored` units (bool per unit) are left out: the passage store holds them (`pack_records`),
    and `with_indexed` puts them back for a document that has candidates."""
    if not units:
        return b""
    spans = np.array([(u.block, u.start, u.end, len(u.hashes), u.block_start, u.block_end) for u in units],
                     dtype=np.int64)
    own = units if stored is None else [u for u, s in zip(units, stored.tolist()) if not s]
    return b"".join([np.int64(len(units)).tobytes(), spans.tobytes(), *(_word_columns(own)[:3] if own else ())])


class UnitSpan(NamedTuple):
    """A unit as the passage decisions see it: where it and its block are, and how many words it has."""

    block: int
    start: int
    end: int
    words: int
    block_start: int
    block_end: int


def packed_spans(packed: bytes) -> list[UnitSpan]:
    """The packed units' `UnitSpan`s, read from the header alone (their words may be in the store)."""
    return [UnitSpan(*row) for row in unit_spans(packed).tolist()]


def unit_spans(packed: bytes) -> np.ndarray:
    """(block, start, end, words, block start, block end) per unit."""
    if not packed:
        return np.empty((0, _SPAN_COLUMNS), dtype=np.int64)
    n = int(np.frombuffer(packed, dtype=np.int64, count=1)[0])
    return np.frombuffer(packed, dtype=np.int64, count=_SPAN_COLUMNS * n, offset=8).reshape(n, _SPAN_COLUMNS)


def batch_unit_arrays(packed: list[bytes]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Per document: (spans: `unit_spans` and each unit's shingle count; all word hashes; all
    shingles; all number hashes), for many documents unpacked at once (a numpy call costs
    microseconds, whatever its size)."""
    spans = [unit_spans(p) for p in packed]
    words = [int(s[:, 3].sum()) for s in spans]
    columns = [_columns_at(p, 8 + s.nbytes, w) if len(s) else (b"", b"", b"") for p, s, w in zip(packed, spans, words)]
    counts = np.concatenate([s[:, 3] for s in spans]) if spans else np.empty(0, np.int64)
    hashes, numbers, shingles = _words(columns, counts)
    shingle_counts = np.array([len(x) for x in shingles], dtype=np.int64)
    out, w, u = [], 0, 0
    for s, n in zip(spans, words):
        k = len(s)
        own = shingles[u:u + k]
        out.append((np.column_stack([s, shingle_counts[u:u + k]]), hashes[w:w + n],
                    np.concatenate(own) if own else EMPTY, numbers[w:w + n]))
        w, u = w + n, u + k
    return out


def _per_unit(columns: tuple[bytes, bytes, bytes], counts: np.ndarray) -> list[tuple[bytes, bytes, bytes]]:
    """(hashes, figures' hashes, flags) columns of units of `counts` words, one after the other,
    cut into each unit's own."""
    hashes, figures, flags = columns
    w = np.concatenate([[0], np.cumsum(counts)]).tolist()
    f = np.concatenate([[0], np.cumsum((np.frombuffer(flags, np.uint8) & _FIGURE) != 0)])[w].tolist()
    return [(hashes[4 * w[k]:4 * w[k + 1]], figures[4 * f[k]:4 * f[k + 1]], flags[w[k]:w[k + 1]])
            for k in range(len(counts))]


def with_indexed(stripped: bytes, indexed: np.ndarray, records: list[bytes]) -> bytes:
    """The packed units whole, from those packed without the `indexed` units' words (`pack_units`
    with `stored`) and those units' stored records (in unit order)."""
    if not stripped or not indexed.any():
        return stripped
    spans = unit_spans(stripped)
    head = 8 + spans.nbytes
    counts = spans[:, 3]
    own = iter(_per_unit(_columns_at(stripped, head, int(counts[~indexed].sum())), counts[~indexed]))
    stored = iter(_record_columns(r)[0] for r in records)
    units = [next(stored) if i else next(own) for i in indexed.tolist()]
    return b"".join([stripped[:head], *(b"".join(c) for c in zip(*units))])


def _join_short(pieces: list[tuple[int, int, int, int]], min_words: int) -> list[list]:
    """Group consecutive pieces so each group has at least `min_words` words where possible."""
    groups: list[list] = []
    current: list = []
    count = 0
    for p in pieces:
        current.append(p)
        count += p[3] - p[2]
        if count >= min_words:
            groups.append(current)
            current, count = [], 0
    if current:
        if groups:
            groups[-1].extend(current)
        else:
            groups.append(current)
    return groups



_HEADER = struct.Struct("<qqii")  # start, end, words, doc id bytes


def pack_records(doc_id: str, units: list[Unit]) -> list[bytes]:
    """Stored units: span, document id, and words (as `pack_units` has them)."""
    if not units:
        return []
    ident = doc_id.encode("utf-8", "surrogatepass")  # (a JSON id may hold a lone surrogate)
    hashes, figures, flags, w, f = _word_columns(units)
    return [b"".join([_HEADER.pack(u.start, u.end, len(u.hashes), len(ident)), ident, hashes[4 * w[k]:4 * w[k + 1]],
                      figures[4 * f[k]:4 * f[k + 1]], flags[w[k]:w[k + 1]]]) for k, u in enumerate(units)]


def _record_columns(data: bytes) -> tuple[tuple[bytes, bytes, bytes], int]:
    """A stored unit's (hashes, figures' hashes, flags) columns, and its words."""
    _, _, n, id_len = _HEADER.unpack_from(data)
    return _columns_at(data, _HEADER.size + id_len, n), n


def record_span(data: bytes) -> Span:
    """A stored unit's span."""
    start, end, _, id_len = _HEADER.unpack_from(data)
    return Span(data[_HEADER.size:_HEADER.size + id_len].decode("utf-8", "surrogatepass"), start, end)


def record_words(records: list[bytes]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Stored units' (word hashes, shingles, number hashes), all unpacked at once."""
    if not records:
        return []
    columns, counts = [], []
    for data in records:
        unit_columns, n = _record_columns(data)
        columns.append(unit_columns)
        counts.append(n)
    words, numbers, shingles = _words(columns, np.array(counts, dtype=np.int64))
    ends = list(itertools.accumulate(counts))
    return [(words[e - n:e], unit_shingles, numbers[e - n:e]) for n, e, unit_shingles in zip(counts, ends, shingles)]
