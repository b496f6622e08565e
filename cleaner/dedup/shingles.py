"""Normalisation, tokens and shingles: the one place that decides when two texts are "the same".

Tokens are `\\w+` runs, each normalised on its own (NFKC, case folded, digits to 0) so that
token offsets stay exact offsets into the original text. Each token is hashed once (CRC32, stable
across processes and runs); n-gram shingles are combined from the token hashes with numpy.
"""
from __future__ import annotations

import re
import unicodedata
import zlib
from dataclasses import dataclass

import numpy as np

_WORD = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)
_MUL = np.uint64(0x9E3779B97F4A7C15)


def normalize_token(token: str, digits: bool = True) -> str:
    if token.isascii():
        t = token.lower()
    else:
        t = unicodedata.normalize("NFKC", token).casefold()
    return _DIGIT.sub("0", t) if digits else t


@dataclass
class Tokens:
    """The tokens of a text span: normalised words, their hashes and their offsets."""

    words: list[str]
    hashes: np.ndarray  # uint32, one per token
    starts: np.ndarray  # int64 offsets into the text
    ends: np.ndarray

    def __len__(self) -> int:
        return len(self.words)


def tokenize(text: str, start: int = 0, end: int | None = None, digits: bool = True) -> Tokens:
    end = len(text) if end is None else end
    words, starts, ends = [], [], []
    for m in _WORD.finditer(text, start, end):
        words.append(normalize_token(m.group(), digits))
        starts.append(m.start())
        ends.append(m.end())
    return Tokens(words, hash_words(words), np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64))


def hash_words(words: list[str]) -> np.ndarray:
    cache: dict[str, int] = {}
    out = np.empty(len(words), dtype=np.uint32)
    for i, w in enumerate(words):
        h = cache.get(w)
        if h is None:
            h = cache[w] = zlib.crc32(w.encode("utf-8"))
        out[i] = h
    return out


def mix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser: spreads structured 64-bit values over the whole range."""
    x = x.astype(np.uint64, copy=True)
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


def ngram_hashes(values: np.ndarray, n: int) -> np.ndarray:
    """64-bit hashes of every n-gram of a sequence of 32-bit values (one hash if it is shorter)."""
    v = values.astype(np.uint64)
    if len(v) == 0:
        return np.empty(0, dtype=np.uint64)
    n = min(n, len(v))
    count = len(v) - n + 1
    with np.errstate(over="ignore"):
        h = np.full(count, np.uint64(n), dtype=np.uint64)
        for k in range(n):
            h = (h * _MUL) ^ v[k:k + count]
    return mix64(h)


def word_shingles(tokens: Tokens, n: int) -> np.ndarray:
    """Sorted unique 64-bit hashes of the word n-grams."""
    return np.unique(ngram_hashes(tokens.hashes, n))


def char_shingles(tokens: Tokens, n: int) -> np.ndarray:
    """Sorted unique 64-bit hashes of the character n-grams of the normalised text."""
    joined = " ".join(tokens.words)
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    return np.unique(ngram_hashes(codes, n))


def to32(hashes64: np.ndarray) -> np.ndarray:
    """Fold 64-bit shingle hashes to the 32-bit inputs MinHash (affine32) takes."""
    h = hashes64.astype(np.uint64)
    return ((h ^ (h >> np.uint64(32))) & np.uint64(0xFFFFFFFF)).astype(np.uint32)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Exact Jaccard similarity of two sorted unique hash arrays."""
    if len(a) == 0 and len(b) == 0:
        return 1.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)
