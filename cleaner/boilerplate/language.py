"""Per-document language guess from stopword hits, using the stoplists jusText ships
(a trafilatura dependency): about 100 languages."""
from __future__ import annotations

from collections import Counter
import math
import unicodedata
from functools import lru_cache
import re

import justext
import numpy as np

from ..dedup.shingles import range_positions
from ..model import Block


_ASCII_LETTER = re.compile("[A-Za-z]")


@lru_cache(maxsize=1)
def _stoplists() -> tuple[tuple[str, ...], dict[str, tuple[int, ...]], tuple[frozenset, ...], tuple[str, ...]]:
    names = tuple(sorted(set(justext.get_stoplists()) - {"Simple_English"}))  # English again, shorter
    lists = tuple(frozenset(justext.get_stoplist(n)) for n in names)
    index: dict[str, list[int]] = {}
    for i, words in enumerate(lists):
        for w in words:
            index.setdefault(w, []).append(i)
    scripts = tuple(script_of(sorted(words)[::max(1, len(words) // LIST_SAMPLE)]) for words in lists)
    return names, {w: tuple(v) for w, v in index.items()}, lists, scripts


def script_of(words) -> str:
    """The script most of the words are written in (the first word of its Unicode character
    names: LATIN, CYRILLIC, DEVANAGARI, CJK, ...)."""
    joined = "".join(words)
    if joined.isascii():  # the common case, at C speed: Latin letters or none
        return "LATIN" if _ASCII_LETTER.search(joined) else ""
    counts: Counter[str] = Counter()
    for w, n in (words if isinstance(words, Counter) else Counter(words)).items():
        ch = w[0] if w[:1].isalpha() else next((c for c in w if c.isalpha()), None)
        if ch is not None:
            counts[_script(ch)] += n
    return min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0] if counts else ""


@lru_cache(maxsize=1 << 16)
def _script(ch: str) -> str:
    return unicodedata.name(ch, "UNKNOWN").split()[0]


SAMPLE_WORDS = 400
LIST_SAMPLE = 200  # words of a stoplist, spread over it, that tell its script


@lru_cache(maxsize=64)
def _lists_of_script(script: str) -> tuple[dict[str, int], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The stoplists written in `script`: word -> row; which of them hold each row's word
    (columns[starts[row]:starts[row + 1]]); their numbers among all lists; the log of their
    lengths."""
    _, index, lists, scripts = _stoplists()
    ids = np.array([i for i, s in enumerate(scripts) if s == script], dtype=np.int64)
    column = {int(i): c for c, i in enumerate(ids)}
    rows: dict[str, int] = {}
    starts, columns = [0], []
    for w, held in index.items():
        cols = [column[i] for i in held if i in column]
        if cols:
            rows[w] = len(rows)
            columns += cols
            starts.append(len(columns))
    logs = np.array([math.log(len(lists[i])) for i in ids], dtype=np.float64)
    return rows, np.array(starts, dtype=np.int64), np.array(columns, dtype=np.int64), ids, logs


def detect_language(words: list[str], sample: int = SAMPLE_WORDS) -> str | None:
    """The language whose stoplist covers the most of the first `sample` (lower-cased) words,
    among the languages written in the words' script (some stoplists carry words of other
    languages: Marathi's has English ones); None when no list covers at least 10% of them
    (unknown language or not prose)."""
    names = _stoplists()[0]
    words = words[:sample]
    if not words:
        return None
    counted = Counter(words)
    rows, starts, columns, ids, logs = _lists_of_script(script_of(counted))
    found = [(row, n) for w, n in counted.items() if (row := rows.get(w)) is not None]
    if not found or not len(ids):
        return None
    at, n = (np.array(v, dtype=np.int64) for v in zip(*found))
    lengths = starts[at + 1] - starts[at]
    cells = range_positions(starts[at], lengths)
    hits = np.bincount(columns[cells], weights=np.repeat(n, lengths), minlength=len(ids))  # (exact sums)
    # A long list matches more words by its size alone (Finnish's has 6,813, with English ones).
    score = np.where(hits > 0, hits / logs, -1.0)
    best = int(np.argmax(score))  # the first of equals: the lowest list number, as ids are sorted
    return names[ids[best]] if hits[best] > 0 and hits[best] >= 0.1 * len(words) else None


def stopwords(language: str | None) -> frozenset[str]:
    if language is None:
        return frozenset()
    names, _, lists, _ = _stoplists()
    return lists[names.index(language)]


def language_of(blocks: list[Block]) -> str | None:
    """The language of a text (see `detect_language`), from the words of its longest blocks:
    a page's first words are often a menu, which says little about its language."""
    from ..dedup.shingles import words

    sample: list[str] = []
    for b in sorted(blocks, key=lambda b: (-len(b.text), b.index)):
        sample += words(b.text, digits=False)
        if len(sample) >= SAMPLE_WORDS:
            break
    return detect_language(sample, SAMPLE_WORDS)
