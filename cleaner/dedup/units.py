"""Passage units: the sentences of a document's kept blocks as hashed words (`passage_units`),
packed into one buffer to travel between processes (`pack_units`), and the form an indexed
unit is stored in (`pack_records`, `unpack_record`).

A unit is a sentence of a kept block; sentences shorter than `min_words` words are joined to
the next one in the same block (a short tail to the previous), and sentences longer than
MAX_UNIT_WORDS words are cut into pieces, so units are 8-40 words by default.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

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


def passage_units(text: str, blocks: list[Block], stopwords: frozenset[str], min_words: int,
                  digits: bool = True) -> list[Unit]:
    """The units of the given (kept) blocks, in text order."""
    groups: list[tuple[int, list[tuple[int, int, int, int]]]] = []  # (block, pieces: start, end, word range)
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
        groups += [(b.index, g) for g in _join_short(pieces, min_words)]
    ranges = np.array([p[2:] for _, g in groups for p in g], dtype=np.int64).reshape(-1, 2)
    at = range_positions(ranges[:, 0], ranges[:, 1] - ranges[:, 0])
    hashes, numbers, content = table.arrays(stopwords)
    all_hashes, all_numbers = hashes[at], numbers[at]
    counts = np.array([sum(j - i for _, _, i, j in g) for _, g in groups], dtype=np.int64)
    shingles = _unit_shingles(all_hashes, content[at], counts)
    units, pos = [], 0
    for (block, g), n, sh in zip(groups, counts.tolist(), shingles):
        units.append(Unit(block, g[0][0], g[-1][1], all_hashes[pos:pos + n], sh, all_numbers[pos:pos + n]))
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
        return np.empty((0, 5), dtype=np.int64), EMPTY, EMPTY, EMPTY
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
    """Stored units: span, document id (padded to 4 bytes), word hashes and shingles."""
    ident = doc_id.encode("utf-8")
    ident += b"\0" * (-len(ident) % 4)
    return [_HEADER.pack(u.start, u.end, len(u.hashes), len(ident)) + ident + u.hashes.tobytes() + u.numbers.tobytes()
            + u.shingles.tobytes() for u in units]


def unpack_record(data: bytes) -> tuple[Span, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """A stored unit: (span, (word hashes, shingles, number hashes))."""
    start, end, n, id_len = _HEADER.unpack_from(data)
    pos = _HEADER.size
    doc_id = data[pos:pos + id_len].rstrip(b"\0").decode("utf-8")
    values = np.frombuffer(data, dtype=np.uint32, offset=pos + id_len)
    return Span(doc_id, start, end), (values[:n], values[2 * n:], values[n:2 * n])

