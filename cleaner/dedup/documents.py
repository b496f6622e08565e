"""Document-level duplicates: exact (normalised token sequence) and near (MinHash LSH on
shingles, every candidate verified by exact Jaccard). Streaming, in input order: a document
that matches an earlier one is dropped, so the kept one is always the first of its cluster.

Bands x rows are chosen from the threshold (see `index.choose_bands`): with 128 permutations
and threshold 0.8 that is 25 bands x 5 rows, which proposes a pair at Jaccard 0.8 with
probability 0.99995, at 0.6 with 0.87 and at 0.3 with 0.06; candidates below the threshold are
then rejected by the exact check (a cheap one: the shingle sets are at hand).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from ..config import DocumentDedupConfig
from .index import BandIndex, band_keys, choose_bands
from .minhash import MinHasher
from .shingles import batch_word_hashes, batch_word_shingles, char_shingles, jaccard, to32

# Recall wanted at the threshold when choosing bands x rows.
_RECALL_AT_THRESHOLD = 0.999


@dataclass
class DocFingerprint:
    exact: bytes  # digest of the normalised word sequence
    shingles: np.ndarray  # sorted unique uint64
    signature: np.ndarray  # uint32[num_perm]
    keys: np.ndarray  # uint64[bands]: LSH band keys of the signature


@dataclass(frozen=True)
class DocMatch:
    item: int  # index of the earlier document in the index
    doc_id: str
    length: int  # its input text length
    exact: bool
    similarity: float


class DocumentIndex:
    """Fingerprints of the documents seen so far, and the union-find of their clusters."""

    def __init__(self, cfg: DocumentDedupConfig):
        self.cfg = cfg
        self.hasher = MinHasher(cfg.num_perm, cfg.seed)
        self.bands, self.rows = choose_bands(cfg.threshold, cfg.num_perm, _RECALL_AT_THRESHOLD)
        self._lsh = BandIndex()
        self._exact: dict[bytes, int] = {}
        self._docs: list[tuple[str, int]] = []  # (doc_id, text length)
        self._shingles: list[np.ndarray] = []
        self._parent: list[int] = []

    def fingerprint(self, text: str, digits: bool = True) -> DocFingerprint:
        """Pure per-document work (runs in workers)."""
        return self.fingerprints([text], digits)[0]

    def fingerprints(self, texts: list[str], digits: bool = True) -> list[DocFingerprint]:
        """Fingerprints of a batch of documents, with a fixed number of numpy calls per batch."""
        hashes = batch_word_hashes(texts, digits)
        if self.cfg.shingle == "word":
            shingles = batch_word_shingles(hashes, self.cfg.ngram)
        else:
            shingles = [char_shingles(t, self.cfg.ngram, digits) for t in texts]
        signatures = self.hasher.signatures([to32(s) for s in shingles])
        keys = band_keys(signatures, self.bands, self.rows)
        return [DocFingerprint(hashlib.blake2b(h.tobytes(), digest_size=16).digest(), s, sig, k)
                for h, s, sig, k in zip(hashes, shingles, signatures, keys)]

    def check_and_add(self, doc_id: str, length: int, fp: DocFingerprint) -> DocMatch | None:
        """The earlier document this one duplicates (None if new). Either way it is indexed,
        so a later copy of a dropped copy still finds its cluster."""
        item = len(self._docs)
        match = self._match(fp)
        self._docs.append((doc_id, length))
        self._shingles.append(fp.shingles)
        self._parent.append(item if match is None else self._root(match.item))
        self._exact.setdefault(fp.exact, item)
        self._lsh.add(fp.keys, item)
        return match

    def _match(self, fp: DocFingerprint) -> DocMatch | None:
        if len(fp.shingles) == 0:
            return None
        hit = self._exact.get(fp.exact)
        if hit is not None:
            return self._describe(hit, True, 1.0)
        best: tuple[float, int] | None = None
        for cand in self._lsh.query(fp.keys):
            sim = jaccard(fp.shingles, self._shingles[cand])
            if sim >= self.cfg.threshold and (best is None or sim > best[0]):
                best = (sim, cand)
        return None if best is None else self._describe(best[1], False, best[0])

    def _describe(self, item: int, exact: bool, sim: float) -> DocMatch:
        doc_id, length = self._docs[item]
        return DocMatch(item, doc_id, length, exact, sim)

    def _root(self, item: int) -> int:
        while self._parent[item] != item:
            self._parent[item] = self._parent[self._parent[item]]
            item = self._parent[item]
        return item

    def cluster_of(self, item: int) -> str:
        """The id of the first document of the item's cluster."""
        return self._docs[self._root(item)][0]

    def __len__(self) -> int:
        return len(self._docs)
