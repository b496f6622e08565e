"""Site templates: lines that repeat on several pages of one site (menus, footers, "about us"
paragraphs) are boilerplate there, in every copy, the first included.

The site is the URL host, or the folder the file came from. A first pass records one 64-bit key
per (site, line) of each document; the keys are counted with numpy, a partition at a time, so
memory never holds the text nor a count per line. Lines are compared by their case-folded
letters and digits.
"""
from __future__ import annotations

import hashlib

import numpy as np

from ..model import Block
from .features import folded_alnum
from ..spill import Partitions, loaded, top_bits_part


def line_key(site: str, line: str) -> int:
    alnum = folded_alnum(line)
    if not alnum:
        return 0
    return int.from_bytes(hashlib.blake2b(f"{site}\x00{alnum}".encode(), digest_size=8).digest(), "little") or 1


def document_keys(blocks: list[Block], site: str) -> np.ndarray:
    """The distinct (site, block) keys of a document (0, a block without words, left out)."""
    keys = {line_key(site, b.text) for b in blocks}
    keys.discard(0)
    return np.array(sorted(keys), dtype=np.uint64)


PARTS = 64


class TemplateCounter:
    """Counts, per key, the pages it occurs on; keys on `min_pages` or more are templates.
    Keys go to partitions on disk (24 bytes per line seen, memory holds a bounded buffer) and
    are counted a partition at a time (`count_lines`, in workers). Counts from earlier runs (a
    persistent index) are added with `add_base`; `count_lines` also returns this run's own part."""

    def __init__(self, min_pages: int, memory_bytes: int = 32 << 20):
        self.min_pages = min_pages
        self._lines = Partitions(3, top_bits_part(PARTS), PARTS, memory_bytes)  # key, pages, from this run

    def add(self, keys: np.ndarray) -> None:
        """One page's distinct keys."""
        self._add(keys, np.ones(len(keys), dtype=np.int64), 1)

    def add_base(self, keys: np.ndarray, pages: np.ndarray) -> None:
        self._add(keys, pages, 0)

    def _add(self, keys: np.ndarray, pages: np.ndarray, run: int) -> None:
        lines = np.empty((len(keys), 3), np.uint64)
        lines[:, 0], lines[:, 1], lines[:, 2] = keys, pages, run
        self._lines.add(lines)

    def tasks(self) -> list[tuple[np.ndarray, int]]:
        """What `count_lines` needs, one task per partition (one task when all is in memory)."""
        if not self._lines.spilled:
            return [(self._lines.all(), self.min_pages)] if self._lines.count else []
        return [(lines, self.min_pages) for p in range(PARTS) if len(lines := self._lines.part_file(p))]

    def templates(self) -> frozenset[int]:
        """All template keys, counted here (the pipeline counts the partitions in workers)."""
        return frozenset(k for task in self.tasks() for k in count_lines(*task)[0].tolist())

    def close(self) -> None:
        self._lines.close()


def count_lines(lines: np.ndarray, min_pages: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The template keys among `lines`, and this run's (keys, pages) counts (to persist)."""
    lines = loaded(lines)
    keys, inverse = np.unique(lines[:, 0], return_inverse=True)
    pages = lines[:, 1].astype(np.float64)
    totals = np.bincount(inverse, weights=pages, minlength=len(keys))
    run = np.bincount(inverse, weights=pages * lines[:, 2], minlength=len(keys))
    ran = run > 0
    return keys[totals >= min_pages], keys[ran], run[ran].astype(np.int64)


def template_flags(blocks: list[Block], site: str, templates: frozenset[int]) -> list[bool]:
    return [line_key(site, b.text) in templates for b in blocks]
