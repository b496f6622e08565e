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
from .index import KeyFilter, band_keys, choose_bands, sort_entries, sorted_bucket_candidates
from .minhash import MinHasher
from .units import Unit, pack_records

SAME_DOC_CAP = 16  # earlier units of the same document a band key proposes
SAME_DOC_WINDOWS = 1024  # windows (their keys that may match) searched at a time against their documents' units
MAX_BATCH_DOCS = 1 << 16  # documents keyed at once (their numbers fit in a key's free low 16 bits)
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
        MinHash of the union of their shingle sets). All the documents' units at once: numpy
        calls cost microseconds whatever their size, and a document has a few dozen units."""
        out: list[PassageKeys] = []
        for lo in range(0, len(docs_units), MAX_BATCH_DOCS):
            out += self._batch_keys(docs_units[lo:lo + MAX_BATCH_DOCS], doc_ids[lo:lo + MAX_BATCH_DOCS])
        return out

    def _batch_keys(self, docs_units: list[list[Unit]], doc_ids: list[str]) -> list[PassageKeys]:
        width = self.cfg.max_window
        units = [u for us in docs_units for u in us]
        sizes = np.array([len(us) for us in docs_units], dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(sizes)])
        sigs = self.hasher.signatures([u.shingles for u in units])
        # Windows over the batch's units one after the other; those reaching into the previous
        # document are not eligible.
        windows = np.full((len(units), width, sigs.shape[1]), np.uint32(0xFFFFFFFF), dtype=np.uint32)
        windows[:, 0] = sigs
        for j in range(1, width):
            windows[j:, j] = np.minimum(windows[j - 1:-1, j - 1], sigs[j:])
        eligible = self._eligible(units, starts)
        keys = (band_keys(windows[eligible], self.bands, self.rows) & KEY_MASK if len(units)
                else np.empty((0, self.bands), np.uint64))
        flat = np.flatnonzero(eligible.ravel())  # by document, then unit, then width
        doc = np.repeat(np.arange(len(docs_units)), sizes)[flat // width]
        codes = flat - starts[doc] * width  # the document's own window codes
        single = codes % width == 0
        same = _same_document(codes, doc, keys, single, width, len(docs_units))
        bounds = np.searchsorted(doc, np.arange(len(docs_units) + 1))
        out = []
        for d, (units_of, doc_id) in enumerate(zip(docs_units, doc_ids)):
            a, b = bounds[d], bounds[d + 1]
            own, one = codes[a:b], single[a:b]
            indexable = eligible[starts[d]:starts[d + 1], 0]
            records = pack_records(doc_id, [u for u, i in zip(units_of, indexable) if i])
            out.append(PassageKeys(indexable, keys[a:b][one], b"".join(records), np.cumsum([len(r) for r in records]),
                                   own[~one].astype(np.uint64), keys[a:b][~one], same[d]))
        return out

    def _eligible(self, units: list[Unit], starts: np.ndarray) -> np.ndarray:
        """(units, max_window) bool: the window of w units ending at unit k (of the documents
        whose units start at `starts`) can be a copy."""
        width, n = self.cfg.max_window, len(units)
        counts = np.concatenate([[0], np.cumsum([len(u.hashes) for u in units])])
        some = np.concatenate([[0], np.cumsum([len(u.shingles) > 0 for u in units])])
        local = np.arange(n) - np.repeat(starts[:-1], np.diff(starts))  # the unit's number in its document
        eligible = np.zeros((n, width), dtype=bool)
        for w in range(1, width + 1):
            k = np.flatnonzero(local >= w - 1)
            eligible[k, w - 1] = (counts[k + 1] - counts[k - w + 1] >= self.cfg.min_words) & (some[k + 1] > some[k - w + 1])
        return eligible


def _same_document(codes: np.ndarray, doc: np.ndarray, keys: np.ndarray, single: np.ndarray, width: int,
                   docs: int) -> list[dict[int, list[int]]]:
    """Per document of a batch (`doc`: each window's), per window, the indexable units before its
    first unit that share one of its band keys (of a key, the first SAME_DOC_CAP units; windows
    SAME_DOC_WINDOWS at a time: a page repeating one sentence thousands of times stays linear in
    time and bounded in memory). The document's number goes in the keys' free low bits, so a
    key matches only in its own document."""
    keys = keys | doc.astype(np.uint64)[:, None]
    units = codes[single] // width
    bands = keys.shape[1]
    entry_keys, entry_units = sort_entries(keys[single].ravel(), np.repeat(units, bands))
    first = codes // width - codes % width  # the window's first unit
    # Most window keys are no unit's: a bitmap of the units' keys leaves them out before the search.
    seen = KeyFilter(bits=max(16, (16 * len(entry_keys)).bit_length()))
    seen.add(entry_keys, lambda: [entry_keys])
    query_keys = keys.ravel()
    queries = np.flatnonzero(seen.maybe(query_keys))
    rows = queries // bands
    same: list[dict[int, list[int]]] = [{} for _ in range(docs)]
    for lo in range(0, len(queries), SAME_DOC_WINDOWS * bands):
        at, row = queries[lo:lo + SAME_DOC_WINDOWS * bands], rows[lo:lo + SAME_DOC_WINDOWS * bands]
        ids, found = sorted_bucket_candidates(entry_keys, entry_units, query_keys[at], row, first[row],
                                              cap=SAME_DOC_CAP)
        for r, unit in zip(ids.tolist(), found.tolist()):
            same[doc[r]].setdefault(int(codes[r]), []).append(unit)
    return same
