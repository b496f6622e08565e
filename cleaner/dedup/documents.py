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
import sys
from array import array
from dataclasses import dataclass

import numpy as np

from ..config import DocumentDedupConfig
from .index import BandTable, band_keys, choose_bands
from .minhash import MinHasher
from .store import FileStore
from .shingles import batch_word_hashes, batch_word_shingles, char_shingles, jaccard, to32

# Recall wanted at the threshold when choosing bands x rows.
_RECALL_AT_THRESHOLD = 0.999


@dataclass
class DocFingerprint:
    """What the corpus-wide stage needs of a document (the MinHash signature itself is only
    needed for its band keys, so it stays in the worker)."""

    exact: int  # 64-bit digest of the normalised word sequence
    shingles: np.ndarray  # sorted unique 48-bit shingle hashes
    keys: np.ndarray  # uint64[bands]: LSH band keys of the MinHash signature


@dataclass(frozen=True)
class DocMatch:
    item: int  # index of the earlier document in the index
    doc_id: str
    length: int  # its input text length
    exact: bool
    similarity: float


class DocumentIndex:
    """What the corpus-wide document stage keeps per document seen: its band keys (in a compact
    band table), a 64-bit digest of its words, its id, length and cluster parent; its shingle
    set goes to the store and is read back only to verify a candidate."""

    def __init__(self, cfg: DocumentDedupConfig, store=None):
        self.cfg = cfg
        self.hasher = MinHasher(cfg.num_perm, cfg.seed)
        self.bands, self.rows = choose_bands(cfg.threshold, cfg.num_perm, _RECALL_AT_THRESHOLD)
        self._store = store
        self._lsh = BandTable()
        self._exact = BandTable(cap=1)
        self._ids: list[str] = []
        self._lengths = array("q")
        self._parent = array("q")

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
        return [DocFingerprint(_digest(h), s, k) for h, s, k in zip(hashes, shingles, keys)]

    def check_and_add(self, doc_id: str, length: int, fp: DocFingerprint) -> DocMatch | None:
        """The earlier document this one duplicates (None if new). Either way it is indexed,
        so a later copy of a dropped copy still finds its cluster."""
        item = len(self._ids)
        match = self._match(fp)
        self.add(doc_id, length, fp, item if match is None else self._root(match.item))
        return match

    @property
    def store(self):
        if self._store is None:  # created on first use: workers only fingerprint
            self._store = FileStore()
        return self._store

    def check_batch(self, docs: list[tuple[str, int, DocFingerprint]]) -> list[DocMatch | None]:
        """`check_and_add` for a batch of documents at once, by band-key grouping: candidates
        from earlier batches come from the band table, candidates inside the batch from sorting
        the batch's band keys; every candidate is verified; clusters by union-find. Decides
        exactly as calling `check_and_add` on each in turn (the same buckets, capped alike)."""
        n, base = len(docs), len(self._ids)
        if n == 0:
            return []
        keys = np.stack([fp.keys for _, _, fp in docs])
        earlier = self._lsh.query_rows(keys)
        room = self._lsh.cap - self._lsh.bucket_sizes(keys.ravel()).reshape(keys.shape)
        inside: list[set[int]] = [set() for _ in range(n)]
        flat, owner = keys.ravel(), np.repeat(np.arange(n), keys.shape[1])
        order = np.lexsort((owner, flat))
        flat, owner, room = flat[order], owner[order], room.ravel()[order]
        starts = np.flatnonzero(np.concatenate([[True], flat[1:] != flat[:-1]]))
        ends = np.concatenate([starts[1:], [len(flat)]])
        for a, b in zip(starts.tolist(), ends.tolist()):
            if b - a < 2:
                continue
            members = owner[a:b].tolist()
            visible = members[:max(0, int(room[a]))]  # the batch's share of the bucket
            for r, j in enumerate(members[1:], start=1):
                inside[j].update(base + i for i in visible[:r])
        first_digest: dict[int, int] = {}
        matches: list[DocMatch | None] = []
        for j, (doc_id, length, fp) in enumerate(docs):
            match = None
            if len(fp.shingles):
                same = self._exact.query(np.array([fp.exact], dtype=np.uint64)) or (
                    [first_digest[fp.exact]] if fp.exact in first_digest else [])
                if same:
                    match = self._describe_any(same[0], docs, base, True, 1.0)
                else:
                    best = None
                    for cand in sorted(earlier[j] | inside[j]):
                        other = self.shingles(cand) if cand < base else docs[cand - base][2].shingles
                        sim = jaccard(fp.shingles, other)
                        if sim >= self.cfg.threshold and (best is None or sim > best[0]):
                            best = (sim, cand)
                    if best is not None:
                        match = self._describe_any(best[1], docs, base, False, best[0])
            first_digest.setdefault(fp.exact, base + j)
            matches.append(match)
        for j, ((doc_id, length, fp), match) in enumerate(zip(docs, matches)):
            self.add(doc_id, length, fp, base + j if match is None else self._root(match.item))
        return matches

    def _describe_any(self, item: int, docs, base: int, exact: bool, sim: float) -> DocMatch:
        """A match with an indexed document or one earlier in the batch being checked."""
        if item < base:
            return self._describe(item, exact, sim)
        doc_id, length, _ = docs[item - base]
        return DocMatch(item, doc_id, length, exact, sim)

    def add(self, doc_id: str, length: int, fp: DocFingerprint, parent: int) -> None:
        item = self._remember(doc_id, length, parent)
        self._exact.add(np.array([fp.exact], dtype=np.uint64), item)
        self._lsh.add(fp.keys, item)
        record = self.store.put(fp.shingles.tobytes(), doc_id=doc_id, length=length, parent=parent,
                                exact=_signed(fp.exact), keys=fp.keys.tobytes())
        assert record == item, "the document store is out of step with the index"

    def _remember(self, doc_id: str, length: int, parent: int) -> int:
        self._ids.append(doc_id)
        self._lengths.append(length)
        self._parent.append(parent)
        return len(self._ids) - 1

    def load(self, rows) -> None:
        """Rebuild from stored rows (item, doc_id, length, parent, exact, keys), in item order."""
        exact, keys = [], []
        for item, doc_id, length, parent, digest, band_keys_blob in rows:
            assert item == self._remember(doc_id, length, parent)
            exact.append(digest + (1 << 64) if digest < 0 else digest)
            keys.append(np.frombuffer(band_keys_blob, dtype=np.uint64))
        if keys:
            items = np.arange(len(keys), dtype=np.uint32)
            self._exact.add_many(np.array(exact, dtype=np.uint64), items)
            self._lsh.add_many(np.concatenate(keys), np.repeat(items, [len(k) for k in keys]))

    def _match(self, fp: DocFingerprint) -> DocMatch | None:
        if len(fp.shingles) == 0:
            return None
        same = self._exact.query(np.array([fp.exact], dtype=np.uint64))
        if same:
            return self._describe(same[0], True, 1.0)
        best: tuple[float, int] | None = None
        for cand in self._lsh.query(fp.keys):
            sim = jaccard(fp.shingles, self.shingles(cand))
            if sim >= self.cfg.threshold and (best is None or sim > best[0]):
                best = (sim, cand)
        return None if best is None else self._describe(best[1], False, best[0])

    def shingles(self, item: int) -> np.ndarray:
        return np.frombuffer(self.store.get(item), dtype=np.uint64)

    def _describe(self, item: int, exact: bool, sim: float) -> DocMatch:
        return DocMatch(item, self._ids[item], self._lengths[item], exact, sim)

    def _root(self, item: int) -> int:
        while self._parent[item] != item:
            self._parent[item] = self._parent[self._parent[item]]
            item = self._parent[item]
        return item

    def cluster_of(self, item: int) -> str:
        """The id of the first document of the item's cluster."""
        return self._ids[self._root(item)]

    def memory_bytes(self) -> int:
        """Memory held per document seen: band tables, ids, lengths, parents, store offsets."""
        ids = sum(sys.getsizeof(i) + 8 for i in self._ids)
        return (self._lsh.memory_bytes() + self._exact.memory_bytes() + ids + self._lengths.itemsize * len(self._lengths)
                + self._parent.itemsize * len(self._parent) + self.store.memory_bytes())

    def __len__(self) -> int:
        return len(self._ids)


def _signed(k: int) -> int:
    return k - (1 << 64) if k >= 1 << 63 else k


def _digest(hashes: np.ndarray) -> int:
    """64-bit digest of a normalised word sequence (an exact copy has the same)."""
    return int.from_bytes(hashlib.blake2b(hashes.tobytes(), digest_size=8).digest(), "little")
