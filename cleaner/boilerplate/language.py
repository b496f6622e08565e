"""Per-document language guess from stopword hits, using the stoplists jusText ships
(a trafilatura dependency): about 100 languages."""
from __future__ import annotations

from collections import Counter
from functools import lru_cache

import justext


@lru_cache(maxsize=1)
def _stoplists() -> tuple[tuple[str, ...], dict[str, tuple[int, ...]], tuple[frozenset, ...]]:
    names = tuple(sorted(justext.get_stoplists()))
    lists = tuple(frozenset(justext.get_stoplist(n)) for n in names)
    index: dict[str, list[int]] = {}
    for i, words in enumerate(lists):
        for w in words:
            index.setdefault(w, []).append(i)
    return names, {w: tuple(v) for w, v in index.items()}, lists


def detect_language(words: list[str], sample: int = 400) -> str | None:
    """The language whose stoplist covers the most of the first `sample` (lower-cased) words, or
    None when no list covers at least 10% of them (unknown language or not prose)."""
    names, index, _ = _stoplists()
    words = words[:sample]
    if not words:
        return None
    hits: Counter[int] = Counter()
    for w, n in Counter(words).items():
        for i in index.get(w, ()):
            hits[i] += n
    if not hits:
        return None
    best, count = min(hits.items(), key=lambda kv: (-kv[1], kv[0]))
    return names[best] if count >= 0.1 * len(words) else None


def stopwords(language: str | None) -> frozenset[str]:
    if language is None:
        return frozenset()
    names, _, lists = _stoplists()
    return lists[names.index(language)]


def language_of(text: str) -> str | None:
    """The language of a text (see `detect_language`)."""
    from ..dedup.shingles import words

    return detect_language(words(text[:20000], digits=False))
