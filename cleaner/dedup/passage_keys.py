"""Band keys of passages (per document, in workers): each unit's and each window's MinHash LSH
keys, and the earlier units of the same document that share a key with a window.

A unit's shingle set is its content words (stopwords of the document's language removed) plus
all its word pairs: content words alone are too few in a short quote; word pairs alone break at
every edit; the mix keeps a copied 10-word sentence with one changed word well above the LSH
threshold while two unrelated sentences share almost nothing. Queries are windows of
1..`max_window` consecutive units, so a quote that an edit split into two sentences (or merged
into one) still lines up with its source.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..config import PassageDedupConfig
from ..spill import CompactPickle
from .index import band_keys, choose_bands, sort_entries, sorted_bucket_candidates
from .minhash import MinHasher
from .units import Unit, pack_records

SAME_DOC_CAP = 16  # earlier units of the same document a band key proposes
SAME_DOC_WINDOWS = 1024  # windows grouped at a time against their document's units
_RECALL_AT_THRESHOLD = 0.9
# Band keys keep their top 48 bits: two unrelated keys then agree with a chance of 2^-48, far
# below LSH's own chance collisions (about 1e-4 a band of 4 rows for sets at Jaccard 0.1), and
# the zeroed low bytes take no room in the compressed partitions on disk.
KEY_MASK = np.uint64(((1 << 48) - 1) << 16)


@dataclass
class PassageKeys(CompactPickle):
    """What the corpus-wide stage files for a document, made ready in a worker. Window codes are
    k * max_window + w - 1 for the window of w units ending at unit k; a window is eligible when
    it has `min_words` words and some shingles (for one unit: exactly an indexable unit)."""

    indexable: np.ndarray  # bool per unit
    unit_keys: np.ndarray  # uint64 (indexable units, bands): index entries, and queries of their own
    records: bytes  # the indexable units as the store keeps them, one after the other
    record_ends: np.ndarray  # where each ends in `records`
    windows: np.ndarray  # uint64 codes of the eligible windows of 2+ units
    window_keys: np.ndarray  # uint64 (len(windows), bands): their queries
    same_doc: dict[int, list[int]] = field(default_factory=dict)  # window code -> earlier units sharing a band


class PassageFingerprinter:
    """MinHash LSH keys of units and windows (pure per-document work, batched)."""

    def __init__(self, cfg: PassageDedupConfig):
        self.cfg = cfg
        self.hasher = MinHasher(cfg.num_perm, cfg.seed)
        self.bands, self.rows = choose_bands(cfg.threshold, cfg.num_perm, _RECALL_AT_THRESHOLD)

    def keys(self, docs_units: list[list[Unit]], doc_ids: list[str]) -> list[PassageKeys]:
        """A window's signature is the element-wise minimum of its units' signatures (the
        MinHash of the union of their shingle sets)."""
        width = self.cfg.max_window
        sigs = self.hasher.signatures([u.shingles for units in docs_units for u in units])
        out, pos = [], 0
        for units, doc_id in zip(docs_units, doc_ids):
            n = len(units)
            own = sigs[pos:pos + n]
            pos += n
            windows = np.full((n, width, sigs.shape[1]), np.uint32(0xFFFFFFFF), dtype=np.uint32)
            windows[:, 0] = own
            for j in range(1, width):
                windows[j:, j] = np.minimum(windows[j - 1:-1, j - 1], own[j:])
            eligible = self._eligible(units)
            keys = (band_keys(windows[eligible], self.bands, self.rows) & KEY_MASK if n
                    else np.empty((0, self.bands), np.uint64))
            codes = np.flatnonzero(eligible.ravel())
            single = codes % width == 0
            indexable = eligible[:, 0]
            records = pack_records(doc_id, [u for u, i in zip(units, indexable) if i])
            out.append(PassageKeys(indexable, keys[single], b"".join(records), np.cumsum([len(r) for r in records]),
                                   codes[~single].astype(np.uint64), keys[~single],
                                   _same_document(codes, keys, single, width)))
        return out

    def _eligible(self, units: list[Unit]) -> np.ndarray:
        """(units, max_window) bool: the window of w units ending at unit k can be a copy."""
        width, n = self.cfg.max_window, len(units)
        counts = np.concatenate([[0], np.cumsum([len(u.hashes) for u in units])])
        some = np.concatenate([[0], np.cumsum([len(u.shingles) > 0 for u in units])])
        eligible = np.zeros((n, width), dtype=bool)
        for w in range(1, width + 1):
            k = np.arange(w - 1, n)
            eligible[k, w - 1] = (counts[k + 1] - counts[k - w + 1] >= self.cfg.min_words) & (some[k + 1] > some[k - w + 1])
        return eligible


def _same_document(codes: np.ndarray, keys: np.ndarray, single: np.ndarray, width: int) -> dict[int, list[int]]:
    """Per window, the indexable units before its first unit that share one of its band keys
    (of a key, the first SAME_DOC_CAP units; windows SAME_DOC_WINDOWS at a time: a page repeating
    one sentence thousands of times stays linear in time and bounded in memory)."""
    units = codes[single] // width
    bands = keys.shape[1]
    entry_keys, entry_units = sort_entries(keys[single].ravel(), np.repeat(units, bands))
    first = codes // width - codes % width  # the window's first unit
    same: dict[int, list[int]] = {}
    for lo in range(0, len(codes), SAME_DOC_WINDOWS):
        hi = lo + SAME_DOC_WINDOWS
        ids, found = sorted_bucket_candidates(entry_keys, entry_units, keys[lo:hi].ravel(),
                                              np.repeat(codes[lo:hi], bands), np.repeat(first[lo:hi], bands),
                                              cap=SAME_DOC_CAP)
        for code, unit in zip(ids.tolist(), found.tolist()):
            same.setdefault(code, []).append(unit)
    return same

