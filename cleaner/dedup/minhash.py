"""MinHash signatures, computed in bulk with numpy using datasketch's permutations.

A signature here is exactly what `datasketch.MinHash(num_perm, seed)` (scheme affine32) gives
after `update_batch` with the same 32-bit inputs and an identity hash function, so it can be
wrapped in a datasketch `MinHash` / `LeanMinHash` when needed. Computing it with one numpy
expression per batch instead of one `MinHash` object per set is what makes it fast.
"""
from __future__ import annotations

import numpy as np
from datasketch import MinHash

_MAX32 = np.uint32(0xFFFFFFFF)


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's finaliser, the pre-mix datasketch's affine32 scheme applies to inputs."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


class MinHasher:
    """Computes MinHash signatures of sets of 32-bit hashes."""

    def __init__(self, num_perm: int, seed: int = 1):
        a, b = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
        self.num_perm = num_perm
        self.seed = seed
        self._a = np.asarray(a, dtype=np.uint32)
        self._b = np.asarray(b, dtype=np.uint32)

    def signature(self, hashes32: np.ndarray) -> np.ndarray:
        """Signature (uint32[num_perm]) of one set; an empty set gives all-max values."""
        return self.signatures([hashes32])[0]

    def signatures(self, sets: list[np.ndarray], cells: int = 1 << 17) -> np.ndarray:
        """Signatures of many sets at once: shape (len(sets), num_perm)."""
        out = np.full((len(sets), self.num_perm), _MAX32, dtype=np.uint32)
        sizes = np.array([len(s) for s in sets], dtype=np.int64)
        nonempty = np.flatnonzero(sizes)
        if len(nonempty) == 0:
            return out
        mixed = _fmix32(np.concatenate([sets[i] for i in nonempty]).astype(np.uint32))
        starts = np.concatenate([[0], np.cumsum(sizes[nonempty])[:-1]])
        # A block of permutations at a time, each row all the values: the minima are taken along
        # rows (contiguous), and the (permutations x values) block stays in cache (`cells`
        # values, 512 KB). Measured 4-5x faster than values x all permutations.
        block = int(min(self.num_perm, max(1, cells // len(mixed))))
        with np.errstate(over="ignore"):
            for p in range(0, self.num_perm, block):
                phv = np.multiply.outer(self._a[p:p + block], mixed)
                phv += self._b[p:p + block, None]
                out[nonempty, p:p + block] = np.minimum.reduceat(phv, starts, axis=1).T
        return out

    def to_datasketch(self, signature: np.ndarray) -> MinHash:
        return MinHash(seed=self.seed, hashvalues=signature, scheme="affine32")
