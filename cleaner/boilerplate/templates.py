"""Site templates: lines that repeat on several pages of one site (menus, footers, "about us"
paragraphs) are boilerplate there, in every copy, the first included.

The site is the URL host, or the folder the file came from. A first pass records one 64-bit key
per (site, line) of each document; the keys are counted with numpy, so memory holds 8 bytes
per line seen and never the text. Lines are compared by their case-folded letters and digits.
"""
from __future__ import annotations

import hashlib

import numpy as np

from ..model import Block


def line_key(site: str, line: str) -> int:
    alnum = "".join(ch for ch in line.casefold() if ch.isalnum())
    if not alnum:
        return 0
    return int.from_bytes(hashlib.blake2b(f"{site}\x00{alnum}".encode(), digest_size=8).digest(), "little") or 1


def document_keys(text: str, blocks: list[Block], site: str) -> np.ndarray:
    """The distinct (site, line) keys of a document (0, an empty line, left out)."""
    keys = {line_key(site, text[b.content_start:b.content_end]) for b in blocks}
    keys.discard(0)
    return np.array(sorted(keys), dtype=np.uint64)


class TemplateCounter:
    """Counts, per key, the documents it occurs in; keys in `min_pages` or more are templates.
    `base` holds counts from earlier runs (a persistent index); `run_counts` is this run's part."""

    def __init__(self, min_pages: int, chunk: int = 1 << 20,
                 base: tuple[np.ndarray, np.ndarray] | None = None):
        self.min_pages = min_pages
        self._chunk = chunk
        self._pending: list[np.ndarray] = []
        self._pending_size = 0
        self._keys = np.empty(0, dtype=np.uint64)
        self._counts = np.empty(0, dtype=np.int64)
        self._base = base if base is not None else (np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64))

    def add(self, keys: np.ndarray) -> None:
        self._pending.append(keys)
        self._pending_size += len(keys)
        if self._pending_size >= self._chunk:
            self._merge()

    def _merge(self) -> None:
        if not self._pending:
            return
        keys, counts = np.unique(np.concatenate(self._pending), return_counts=True)
        all_keys = np.concatenate([self._keys, keys])
        all_counts = np.concatenate([self._counts, counts])
        self._keys, inverse = np.unique(all_keys, return_inverse=True)
        self._counts = np.bincount(inverse, weights=all_counts).astype(np.int64)
        self._pending, self._pending_size = [], 0

    def run_counts(self) -> tuple[np.ndarray, np.ndarray]:
        self._merge()
        return self._keys, self._counts

    def templates(self) -> frozenset[int]:
        self._merge()
        keys = np.concatenate([self._base[0], self._keys])
        counts = np.concatenate([self._base[1], self._counts])
        keys, inverse = np.unique(keys, return_inverse=True)
        totals = np.bincount(inverse, weights=counts)
        return frozenset(keys[totals >= self.min_pages].tolist())

    def memory_bytes(self) -> int:
        return self._keys.nbytes + self._counts.nbytes + 8 * self._pending_size


def template_flags(text: str, blocks: list[Block], site: str, templates: frozenset[int]) -> list[bool]:
    return [line_key(site, text[b.content_start:b.content_end]) in templates for b in blocks]
