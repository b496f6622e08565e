"""The document index (main process): every document seen, for exact duplicates (normalised
token sequence) and near ones (MinHash LSH on shingles, every candidate verified by exact
Jaccard, and figures that must agree). Documents come in input order; one that matches an
earlier one joins its cluster (union-find), whose root is the cluster's first document.

Bands x rows are chosen from the threshold (see `index.choose_bands`): with 128 permutations
and threshold 0.8 that is 25 bands x 5 rows, which proposes a pair at Jaccard 0.8 with
probability 0.99995, at 0.6 with 0.87 and at 0.3 with 0.06; candidates below the threshold are
then rejected by the exact check (a cheap one: the shingle sets are at hand).
"""
from __future__ import annotations

import struct
from array import array
from dataclasses import dataclass

import numpy as np

from ..config import DocumentDedupConfig
from ..spill import RecordFile
from .doc_fingerprint import RECALL_AT_THRESHOLD, DocFingerprint
from .index import BandTable, choose_bands
from .shingles import SHINGLE_BITS, jaccard


@dataclass(frozen=True)
class DocMatch:
    item: int  # index of the earlier document in the index
    doc_id: str
    length: int  # its input text length
    exact: bool
    similarity: float


class DocumentIndex:
    """What the corpus-wide document stage keeps in memory per document seen: its band keys (in
    a compact band table), a 64-bit digest of its words, its length and cluster parent, about
    340 bytes with the defaults. Its id and shingle set go to the store (a temporary record
    file, or the persistent index's table) and are read back only for a candidate or a match."""

    def __init__(self, cfg: DocumentDedupConfig, store=None):
        self.cfg = cfg
        self.bands, self.rows = choose_bands(cfg.threshold, cfg.num_perm, RECALL_AT_THRESHOLD)
        self._store = store
        self._lsh = BandTable()
        self._exact = BandTable(cap=1)
        self._lengths = array("q")
        self._parent = array("q")
        self._digests = array("Q")

    def check_and_add(self, doc_id: str, length: int, fp: DocFingerprint) -> DocMatch | None:
        """The earlier document this one duplicates (None if new). Either way it is indexed,
        so a later copy of a dropped copy still finds its cluster."""
        match = self._match(fp)
        self._add_batch([(doc_id, length, fp)], [match])
        return match

    @property
    def store(self):
        if self._store is None:  # created on first use: workers only fingerprint
            self._store = RecordFile()
        return self._store

    def check_batch(self, docs: list[tuple[str, int, DocFingerprint]]) -> list[DocMatch | None]:
        """`check_and_add` for a batch of documents at once, by band-key grouping: candidates
        from earlier batches come from the band table, candidates inside the batch from sorting
        the batch's band keys; every candidate is verified; clusters by union-find. Decides
        exactly as calling `check_and_add` on each in turn (the same buckets, capped alike)."""
        n, base = len(docs), len(self)
        if n == 0:
            return []
        keys = np.stack([fp.keys for _, _, fp in docs])
        earlier, sizes = self._lsh.lookup(keys)
        room = self._lsh.cap - sizes
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
        digests = np.array([fp.exact for _, _, fp in docs], dtype=np.uint64)
        exact = self._exact.query_rows(digests.reshape(-1, 1))
        for j, (doc_id, length, fp) in enumerate(docs):
            match = None
            if len(fp.shingles):
                same = sorted(exact[j]) or ([first_digest[fp.exact]] if fp.exact in first_digest else [])
                if same:
                    match = self._describe_any(same[0], docs, base, True, 1.0)
                else:
                    best = None
                    for cand in sorted(earlier[j] | inside[j]):
                        other, figures = self.stored(cand) if cand < base else (docs[cand - base][2].shingles,
                                                                                docs[cand - base][2].numbers)
                        sim = jaccard(fp.shingles, other)
                        if sim >= self.cfg.threshold and figures_agree(fp.numbers, figures) \
                                and (best is None or sim > best[0]):
                            best = (sim, cand)
                    if best is not None:
                        match = self._describe_any(best[1], docs, base, False, best[0])
            first_digest.setdefault(fp.exact, base + j)
            matches.append(match)
        self._add_batch(docs, matches)
        return matches

    def _describe_any(self, item: int, docs, base: int, exact: bool, sim: float) -> DocMatch:
        """A match with an indexed document or one earlier in the batch being checked."""
        if item < base:
            return self._describe(item, exact, sim)
        doc_id, length, _ = docs[item - base]
        return DocMatch(item, doc_id, length, exact, sim)

    def _add_batch(self, docs: list[tuple[str, int, DocFingerprint]], matches: list[DocMatch | None]) -> None:
        """Index documents (each pointing at the cluster of its match, if any)."""
        base = len(self)
        for j, ((_, length, _), match) in enumerate(zip(docs, matches)):
            self._remember(length, base + j if match is None else self._root(match.item))
        items = np.arange(base, base + len(docs))
        self._digests.extend(fp.exact for _, _, fp in docs)
        self._exact.add_many(np.array([fp.exact for _, _, fp in docs], dtype=np.uint64), items)
        self._lsh.add_rows(np.stack([fp.keys for _, _, fp in docs]), items)
        columns = {}
        if self.store.columns:
            columns = {"doc_id": [d for d, _, _ in docs], "length": [n for _, n, _ in docs],
                       "parent": self._parent[base:].tolist(), "exact": [_signed(fp.exact) for _, _, fp in docs],
                       "keys": [fp.keys.tobytes() for _, _, fp in docs]}
        record = self.store.put_many([_pack(d, fp.shingles, fp.numbers) for d, _, fp in docs], **columns)
        assert record == base, "the document store is out of step with the index"

    def _remember(self, length: int, parent: int) -> int:
        self._lengths.append(length)
        self._parent.append(parent)
        return len(self._lengths) - 1

    def load(self, rows) -> None:
        """Rebuild from stored rows (item, length, parent, exact, keys), in item order."""
        exact, keys = [], []
        for item, length, parent, digest, band_keys_blob in rows:
            assert item == self._remember(length, parent)
            exact.append(digest + (1 << 64) if digest < 0 else digest)
            self._digests.append(exact[-1])
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
            shingles, figures = self.stored(cand)
            sim = jaccard(fp.shingles, shingles)
            if sim >= self.cfg.threshold and figures_agree(fp.numbers, figures) and (best is None or sim > best[0]):
                best = (sim, cand)
        return None if best is None else self._describe(best[1], False, best[0])

    def shingles(self, item: int) -> np.ndarray:
        return _unpack(self.store.get(item))[1]

    def stored(self, item: int) -> tuple[np.ndarray, np.ndarray]:
        """An indexed document's shingles and figures."""
        _, shingles, figures = _unpack(self.store.get(item))
        return shingles, figures

    def doc_id(self, item: int) -> str:
        return _unpack_id(self.store.get(item))

    def _describe(self, item: int, exact: bool, sim: float) -> DocMatch:
        return DocMatch(item, self.doc_id(item), self._lengths[item], exact, sim)

    def _root(self, item: int) -> int:
        while self._parent[item] != item:
            self._parent[item] = self._parent[self._parent[item]]
            item = self._parent[item]
        return item

    def compare(self, fp: DocFingerprint, item: int) -> tuple[bool, float]:
        """(exact copy, Jaccard) of a fingerprint and an indexed document."""
        if fp.exact == self._digests[item]:
            return True, 1.0
        return False, jaccard(fp.shingles, self.stored(item)[0])

    def length(self, item: int) -> int:
        return self._lengths[item]

    def root(self, item: int) -> int:
        """The first document of the item's cluster."""
        return self._root(item)

    def cluster_of(self, item: int) -> str:
        """The id of the first document of the item's cluster."""
        return self.doc_id(self._root(item))

    def close(self) -> None:
        """Release the store (a temporary one is deleted; the persistent index closes its own)."""
        if self._store is not None:
            self._store.close()

    def memory_bytes(self) -> int:
        """Memory held for the documents seen: band tables, lengths, parents."""
        return (self._lsh.memory_bytes() + self._exact.memory_bytes()
                + sum(a.itemsize * len(a) for a in (self._lengths, self._parent, self._digests)))

    def __len__(self) -> int:
        return len(self._lengths)


def _signed(k: int) -> int:
    return k - (1 << 64) if k >= 1 << 63 else k


_ID_LENGTH = struct.Struct("<q")

def figures_agree(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether the figures of two near-identical documents allow one to be a copy of the other:
    one's figures are all among the other's (a trimmed or extended copy), never a figure changed
    (box scores, market reports, results and forecasts differ only in their numbers)."""
    if not len(a) or not len(b):
        return True
    return len(np.intersect1d(a, b, assume_unique=True)) == min(len(a), len(b))


_SHINGLE_BYTES = SHINGLE_BITS // 8


def _pack(doc_id: str, shingles: np.ndarray, figures: np.ndarray) -> bytes:
    """A stored document: its id (padded to 8 bytes), its shingle set (48-bit hashes, 6 bytes
    each: the top 2 of 8 are always 0), its figures."""
    ident = doc_id.encode("utf-8", "surrogatepass")
    assert not (shingles >> np.uint64(SHINGLE_BITS)).any(), "document shingles are 48-bit hashes"
    low = shingles.astype("<u8").view(np.uint8).reshape(-1, 8)[:, :_SHINGLE_BYTES]
    return (_ID_LENGTH.pack(len(ident)) + ident + b"\0" * (-len(ident) % 8) + _ID_LENGTH.pack(len(shingles))
            + low.tobytes() + figures.astype(np.uint32).tobytes())


def _unpack_id(data: bytes) -> str:
    (n,) = _ID_LENGTH.unpack_from(data)
    return data[_ID_LENGTH.size:_ID_LENGTH.size + n].decode("utf-8", "surrogatepass")


def _unpack(data: bytes) -> tuple[str, np.ndarray, np.ndarray]:
    (n,) = _ID_LENGTH.unpack_from(data)
    start = _ID_LENGTH.size + n + (-n % 8)
    (count,) = _ID_LENGTH.unpack_from(data, start)
    wide = np.zeros((count, 8), dtype=np.uint8)
    wide[:, :_SHINGLE_BYTES] = np.frombuffer(data, dtype=np.uint8, offset=start + 8,
                                             count=_SHINGLE_BYTES * count).reshape(count, _SHINGLE_BYTES)
    shingles = wide.view("<u8").ravel().astype(np.uint64, copy=False)
    figures = np.frombuffer(data, dtype=np.uint32, offset=start + 8 + _SHINGLE_BYTES * count)
    return _unpack_id(data), shingles, figures


