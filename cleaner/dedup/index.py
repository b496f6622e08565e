"""LSH over MinHash signatures: banding, the bands x rows choice, and the band-key index.

LSH only proposes candidates; callers verify every candidate (exact Jaccard or alignment)
before removing anything. The index keeps band keys and item numbers, never text.
"""
from __future__ import annotations

import numpy as np

from collections import defaultdict

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


class BandTable:
    """Band key -> items, in insertion order; the first `cap` items of a key are its bucket
    (a key shared by very many items, a common short passage, stops growing: that bounds query
    cost).

    Compact: one sorted run of numpy arrays (uint64 key, uint32 item: 12 bytes an entry) plus a
    dict of recent inserts, merged into the run when it reaches an eighth of the run's size (at
    least `flush_at` entries), so each entry is moved about eight times over its life and a
    query is two vectorised binary searches plus dict lookups. The merge is stable, so items of
    a key stay in insertion order.
    """

    def __init__(self, cap: int = 64, flush_at: int = 1 << 16):
        self.cap = cap
        self._flush_at = flush_at
        self._recent: defaultdict[int, list[int]] = defaultdict(list)
        self._recent_entries = 0
        self._keys = np.empty(0, dtype=np.uint64)
        self._items = np.empty(0, dtype=np.uint32)
        self.entries = 0

    def add(self, keys: np.ndarray, item: int) -> None:
        self.add_rows(keys.reshape(1, -1), [item])

    def add_rows(self, rows: np.ndarray, items: list[int]) -> None:
        """Add each row of keys for the item at the same position."""
        keys = rows.ravel().tolist()
        for bucket, item in zip(map(self._recent.__getitem__, keys), np.repeat(items, rows.shape[1]).tolist()):
            bucket.append(item)
        self._recent_entries += len(keys)
        self.entries += len(keys)
        if self._recent_entries >= max(self._flush_at, len(self._keys) // 8):
            self.flush()

    def add_many(self, keys: np.ndarray, items: np.ndarray) -> None:
        """Bulk insert (keys[i] belongs to items[i]), in the given order, e.g. from a stored index."""
        self.flush()
        self._merge(keys.astype(np.uint64), items.astype(np.uint32))
        self.entries += len(keys)

    def flush(self) -> None:
        if not self._recent:
            return
        n = self._recent_entries
        keys = np.fromiter((k for k, b in self._recent.items() for _ in b), dtype=np.uint64, count=n)
        items = np.fromiter((i for b in self._recent.values() for i in b), dtype=np.uint32, count=n)
        self._recent, self._recent_entries = defaultdict(list), 0
        self._merge(keys, items)

    def _merge(self, keys: np.ndarray, items: np.ndarray) -> None:
        keys = np.concatenate([self._keys, keys])
        items = np.concatenate([self._items, items])
        order = np.argsort(keys, kind="stable")  # older entries first among equal keys
        self._keys, self._items = keys[order], items[order]

    def query(self, keys: np.ndarray) -> list[int]:
        """Items in the bucket of at least one of the keys, in ascending order (earliest first)."""
        return sorted(self.query_rows(keys.reshape(1, -1))[0])

    def query_rows(self, rows: np.ndarray) -> list[set[int]]:
        """`query` for each row of keys at once (one pair of binary searches for all of them)."""
        m, width = rows.shape
        flat = rows.ravel()
        found: list[set[int]] = [set() for _ in range(m)]
        taken: dict[int, int] = {}
        if len(self._keys):
            order = np.argsort(flat)  # sorted needles: binary searches walk the run in order
            lo = np.empty(len(flat), dtype=np.int64)
            hi = np.empty(len(flat), dtype=np.int64)
            lo[order] = np.searchsorted(self._keys, flat[order], "left")
            hi[order] = np.searchsorted(self._keys, flat[order], "right")
            hi = np.minimum(hi, lo + self.cap)
            for j in np.flatnonzero(hi > lo).tolist():
                found[j // width].update(self._items[lo[j]:hi[j]].tolist())
                taken[int(flat[j])] = int(hi[j] - lo[j])
        if self._recent:
            cap = self.cap
            keys = flat.tolist()
            for j, bucket in enumerate(map(self._recent.get, keys)):
                if bucket:
                    have = taken.get(keys[j], 0)
                    if have < cap:
                        found[j // width].update(bucket[:cap - have])
        return found

    def bucket_sizes(self, keys: np.ndarray) -> np.ndarray:
        """How many items each key's bucket holds now (at most `cap`)."""
        lo = np.searchsorted(self._keys, keys, "left")
        hi = np.searchsorted(self._keys, keys, "right")
        recent = np.fromiter((len(b) if b else 0 for b in map(self._recent.get, keys.tolist())), dtype=np.int64,
                             count=len(keys))
        return np.minimum(hi - lo + recent, self.cap)

    def memory_bytes(self) -> int:
        """Bytes held by the sorted run (the recent dict, at most an eighth of it, not counted)."""
        return self._keys.nbytes + self._items.nbytes
