"""LSH over MinHash signatures: banding, the bands x rows choice, and the band-key index.

LSH only proposes candidates; callers verify every candidate (exact Jaccard or alignment)
before removing anything. The index keeps band keys and item numbers, never text.
"""
from __future__ import annotations

import numpy as np

from .shingles import mix64


def candidate_probability(similarity: float, bands: int, rows: int) -> float:
    """The LSH S-curve: chance two sets with this Jaccard similarity share at least one band."""
    return 1.0 - (1.0 - similarity ** rows) ** bands


def choose_bands(threshold: float, num_perm: int, recall: float) -> tuple[int, int]:
    """The most selective bands x rows (largest rows) that still gives `recall` at `threshold`.

    More rows per band means fewer false candidates below the threshold; the recall floor keeps
    pairs at the threshold (and, the S-curve being monotone, above it) from being missed.
    """
    best = (num_perm, 1)
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        if bands < 1:
            break
        if candidate_probability(threshold, bands, rows) >= recall:
            best = (bands, rows)
    return best


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """64-bit key per band: shape (n, bands). Keys of different bands never mix."""
    sig = np.atleast_2d(signatures)[:, : bands * rows].astype(np.uint64)
    sig = sig.reshape(len(sig), bands, rows)
    with np.errstate(over="ignore"):
        h = np.arange(1, bands + 1, dtype=np.uint64)[None, :] * np.uint64(0x9E3779B97F4A7C15)
        h = np.broadcast_to(h, sig.shape[:2]).copy()
        for r in range(rows):
            h = mix64(h ^ sig[:, :, r])
    return h


class BandIndex:
    """Band key -> item numbers, in insertion order. Buckets are capped: a key shared by very
    many items (a common short passage) stops growing, which bounds query cost."""

    def __init__(self, bucket_cap: int = 64):
        self._buckets: dict[int, list[int]] = {}
        self._cap = bucket_cap

    def add(self, keys: np.ndarray, item: int) -> None:
        buckets, cap = self._buckets, self._cap
        for k in keys.tolist():
            bucket = buckets.get(k)
            if bucket is None:
                buckets[k] = [item]
            elif len(bucket) < cap:
                bucket.append(item)

    def query(self, keys: np.ndarray) -> list[int]:
        """Items sharing at least one key, in ascending order (earliest first)."""
        hits = [b for b in map(self._buckets.get, keys.tolist()) if b]
        if not hits:
            return []
        if len(hits) == 1:
            return list(hits[0])
        return sorted(set().union(*hits))

    def __len__(self) -> int:
        return len(self._buckets)
