"""Per-document language guess from stopword hits, using the stoplists jusText ships
(a trafilatura dependency): about 100 languages."""
from __future__ import annotations

from collections import Counter
import math
import unicodedata
from functools import lru_cache

import justext

from ..model import Block


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
    counts: Counter[str] = Counter()
    for w in words:
        ch = w[0] if w[:1].isalpha() else next((c for c in w if c.isalpha()), None)
        if ch is not None:
            counts[_script(ch)] += 1
    return min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0] if counts else ""


@lru_cache(maxsize=1 << 16)
def _script(ch: str) -> str:
    return unicodedata.name(ch, "UNKNOWN").split()[0]


SAMPLE_WORDS = 400
LIST_SAMPLE = 200  # words of a stoplist, spread over it, that tell its script


@lru_cache(maxsize=64)
def _index_of_script(script: str) -> dict[str, tuple[int, ...]]:
    """Word -> the stoplists written in `script` that hold it."""
    _, index, _, scripts = _stoplists()
    out = {w: tuple(i for i in ids if scripts[i] == script) for w, ids in index.items()}
    return {w: ids for w, ids in out.items() if ids}


def detect_language(words: list[str], sample: int = SAMPLE_WORDS) -> str | None:
    """The language whose stoplist covers the most of the first `sample` (lower-cased) words,
    among the languages written in the words' script (some stoplists carry words of other
    languages: Marathi's has English ones); None when no list covers at least 10% of them
    (unknown language or not prose)."""
    names, _, lists, _ = _stoplists()
    words = words[:sample]
    if not words:
        return None
    lists_of = _index_of_script(script_of(words))
    hits: Counter[int] = Counter()
    for w, n in Counter(words).items():
        for i in lists_of.get(w, ()):
            hits[i] += n
    if not hits:
        return None
    # A long list matches more words by its size alone (Finnish's has 6,813, with English ones).
    best = min(hits, key=lambda i: (-hits[i] / math.log(len(lists[i])), i))
    return names[best] if hits[best] >= 0.1 * len(words) else None


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
