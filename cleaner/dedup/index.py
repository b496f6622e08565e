"""LSH over MinHash signatures: banding, the bands x rows choice, and the band-key index.

LSH only proposes candidates; callers verify every candidate (exact Jaccard or alignment)
before removing anything. The index keeps band keys and item numbers, never text.
"""
from __future__ import annotations

import numpy as np

from .shingles import mix64, range_positions


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

    Compact: sorted runs of numpy arrays (uint64 key, uint32 item: 12 bytes an entry), oldest
    first. A new batch of entries becomes a run, and the youngest run is merged into the one
    before it while it is at least half its size (a binary counter, so each entry is moved
    O(log n) times) and the two are under `max_run` entries together (16M entries, 200 MB: a
    merge never needs much more memory than the table, and a table of 1M documents' band keys
    is three runs; with runs of 4M it was nine, and a query cost 10x more). See `lookup`.
    """

    def __init__(self, cap: int = 64, max_run: int = 1 << 24):
        self.cap = cap
        self._max_run = max_run
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []
        self.entries = 0
        self._seen = KeyFilter()

    def add(self, keys: np.ndarray, item: int) -> None:
        self.add_rows(keys.reshape(1, -1), [item])

    def add_rows(self, rows: np.ndarray, items: list[int]) -> None:
        """Add each row of keys for the item at the same position."""
        self.add_many(rows.ravel(), np.repeat(np.asarray(items, dtype=np.uint32), rows.shape[1]))

    def add_many(self, keys: np.ndarray, items: np.ndarray) -> None:
        """Insert keys[i] for items[i], in the given order (later than everything before)."""
        if not len(keys):
            return
        keys, items = keys.astype(np.uint64), items.astype(np.uint32)
        order = np.argsort(keys, kind="stable")
        self._runs.append((keys[order], items[order]))
        self.entries += len(keys)
        self._seen.add(keys, lambda: (k for k, _ in self._runs))
        while len(self._runs) > 1:
            (k1, i1), (k2, i2) = self._runs[-2], self._runs[-1]
            if 2 * len(k2) < len(k1) or len(k1) + len(k2) > self._max_run:
                break
            self._runs[-2:] = [_merge_runs(k1, i1, k2, i2)]

    def query(self, keys: np.ndarray) -> list[int]:
        """Items in the bucket of at least one of the keys, in ascending order (earliest first)."""
        return sorted(self.query_rows(keys.reshape(1, -1))[0])

    def query_rows(self, rows: np.ndarray) -> list[set[int]]:
        """`query` for each row of keys at once."""
        return self.lookup(rows)[0]

    def lookup(self, rows: np.ndarray) -> tuple[list[set[int]], np.ndarray]:
        """For each row of keys, the items in their buckets; and the size each key's bucket has
        now (at most `cap`, same shape as `rows`). One binary search per run for all the keys,
        sorted (each search starts where the one before ended), and a second for the hits."""
        m, width = rows.shape
        order = np.argsort(rows.ravel())
        order = order[self._seen.maybe(rows.ravel()[order])]  # most keys were never filed: no search
        flat = rows.ravel()[order]
        found: list[set[int]] = [set() for _ in range(m)]
        room = np.full(len(flat), self.cap, dtype=np.int64)
        sizes = np.zeros(len(flat), dtype=np.int64)
        for keys, items in self._runs:  # oldest first: a bucket is the first `cap` items of its key
            lo = np.searchsorted(keys, flat, "left")
            hit = np.flatnonzero(lo < len(keys))
            hit = hit[keys[lo[hit]] == flat[hit]]  # most keys are in no bucket of the run
            if not len(hit):
                continue
            end = np.searchsorted(keys, flat[hit], "right")
            sizes[hit] += end - lo[hit]
            hi = np.minimum(end, lo[hit] + room[hit])
            room[hit] -= np.maximum(hi - lo[hit], 0)
            for j, a, b in zip(order[hit].tolist(), lo[hit].tolist(), hi.tolist()):
                if b > a:
                    found[j // width].update(items[a:b].tolist())
        out = np.zeros(rows.size, dtype=np.int64)
        out[order] = np.minimum(sizes, self.cap)
        return found, out.reshape(rows.shape)

    def memory_bytes(self) -> int:
        return sum(k.nbytes + i.nbytes for k, i in self._runs) + self._seen.nbytes


class KeyFilter:
    """The top bits of every key filed, as a bitmap of `low` to `high` bits per key: a key whose
    bit is clear was never filed (no false negatives), so a lookup searches only for the few
    keys whose bit is set (about 1 in 10 of those never filed at 8-16 bits a key). Keys are well
    mixed, so their top bits are spread evenly. The bitmap doubles (rebuilt from the keys) as
    keys come, up to `max_bytes`; past that it fills up, and lets more keys through."""

    def __init__(self, bits: int = 16, low: int = 8, high: int = 16, max_bytes: int | None = None):
        self._bits, self._low, self._high = bits, low, high
        self._max_bits = (max(1 << 13, max_bytes) * 8).bit_length() - 1 if max_bytes else 64
        self._map = np.zeros(1 << (bits - 3), dtype=np.uint8)
        self._count = 0

    @property
    def nbytes(self) -> int:
        return self._map.nbytes

    def add(self, keys: np.ndarray, all_keys) -> None:
        """Mark `keys`; `all_keys()` gives every key filed (these included), to rebuild a larger map."""
        self._count += len(keys)
        if self._count * self._low <= 1 << self._bits or self._bits >= self._max_bits:
            self._mark(keys)
            return
        while self._count * self._high > 1 << self._bits and self._bits < self._max_bits:
            self._bits += 1
        self._map = np.zeros(1 << (self._bits - 3), dtype=np.uint8)
        for k in all_keys():
            self._mark(k)

    def _mark(self, keys: np.ndarray) -> None:
        top = keys.astype(np.uint64) >> np.uint64(64 - self._bits)
        np.bitwise_or.at(self._map, (top >> np.uint64(3)).astype(np.intp), np.left_shift(1, top & np.uint64(7)).astype(np.uint8))

    def maybe(self, keys: np.ndarray) -> np.ndarray:
        """Per key: False when it was never filed; True when it may have been."""
        top = keys.astype(np.uint64) >> np.uint64(64 - self._bits)
        return (self._map[(top >> np.uint64(3)).astype(np.intp)] >> (top & np.uint64(7)).astype(np.uint8)) & 1 == 1


def _merge_runs(k1: np.ndarray, i1: np.ndarray, k2: np.ndarray, i2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge two sorted runs; among equal keys the older run's entries come first."""
    at = np.searchsorted(k1, k2, "right") + np.arange(len(k2))  # where run 2's entries land
    keys = np.empty(len(k1) + len(k2), dtype=np.uint64)
    items = np.empty(len(keys), dtype=np.uint32)
    mask = np.ones(len(keys), dtype=bool)
    mask[at] = False
    keys[at], items[at] = k2, i2
    keys[mask], items[mask] = k1, i1
    return keys, items


def bucket_candidates(keys: np.ndarray, items: np.ndarray, query_keys: np.ndarray, query_ids: np.ndarray,
                      query_before: np.ndarray, cap: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Band-key grouping: for each query, the items filed under its key (the first `cap` of
    them in item order, all when `cap` is None) that are below its `query_before`. Returns
    unique (query id, item) pairs, sorted. Ids and items must fit in int64."""
    return sorted_bucket_candidates(*sort_entries(keys, items), query_keys, query_ids, query_before, cap)


def sort_entries(keys: np.ndarray, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Entries by key, then item: what `sorted_bucket_candidates` searches."""
    order = np.argsort(keys)  # (introsort: 4x faster than a stable sort on random keys)
    keys = keys[order]
    same = keys[1:] == keys[:-1]
    if same.any():  # equal keys (few) in item order, then in the order given, as lexsort orders them
        tied = np.zeros(len(keys), dtype=bool)
        tied[1:] = same
        tied[:-1] |= same
        at = np.flatnonzero(tied)
        run = np.cumsum(np.concatenate([[True], ~same]))[at]
        order[at] = order[at][np.lexsort((order[at], items[order[at]], run))]
    return keys, items[order].astype(np.int64)


def sorted_bucket_candidates(keys: np.ndarray, items: np.ndarray, query_keys: np.ndarray, query_ids: np.ndarray,
                             query_before: np.ndarray, cap: int | None) -> tuple[np.ndarray, np.ndarray]:
    """`bucket_candidates` on entries already sorted by `sort_entries` (sorted once, searched
    by several chunks of queries)."""
    query_ids = query_ids.astype(np.int64)
    by_key = np.argsort(query_keys)  # sorted needles: the binary searches walk the keys in order
    lo = np.searchsorted(keys, query_keys[by_key], "left")
    found = lo < len(keys)
    found[found] = keys[lo[found]] == query_keys[by_key][found]
    hit, lo = by_key[found], lo[found]  # most queries find nothing: the rest is on the hits
    hi = np.searchsorted(keys, query_keys[hit], "right")
    if cap is not None:
        hi = np.minimum(hi, lo + cap)
    counts = hi - lo
    owner = np.repeat(hit, counts)
    pos = range_positions(lo, counts)
    found = items[pos]
    keep = found < np.asarray(query_before, dtype=np.int64)[owner]
    ids, found = query_ids[owner[keep]], found[keep]
    order = np.lexsort((found, ids))
    ids, found = ids[order], found[order]
    new = np.ones(len(ids), dtype=bool)
    new[1:] = (ids[1:] != ids[:-1]) | (found[1:] != found[:-1])
    return ids[new], found[new]
