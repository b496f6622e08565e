"""Document fingerprints (per document, in workers): what the corpus-wide document stage needs
of a document, its normalised-word digest, shingle set, LSH band keys, figures and length."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from ..config import DocumentDedupConfig
from ..spill import CompactPickle
from .index import band_keys, choose_bands
from .minhash import MinHasher
from .shingles import batch_word_hashes, batch_word_hashes_both, batch_word_shingles, char_shingles, to32, unique_per_group

# Recall wanted at the threshold when choosing bands x rows.
RECALL_AT_THRESHOLD = 0.999


@dataclass
class DocFingerprint(CompactPickle):
    """What the corpus-wide stage needs of a document (the MinHash signature itself is only
    needed for its band keys, so it stays in the worker)."""

    exact: int  # 64-bit digest of the normalised word sequence, figures as written
    shingles: np.ndarray  # sorted unique 48-bit shingle hashes (digits folded)
    keys: np.ndarray  # uint64[bands]: LSH band keys of the MinHash signature
    numbers: np.ndarray  # sorted unique uint32 hashes of the words with digits, as written
    words: int = 0  # words after boilerplate removal (the `longest` survivor policy)


class DocumentFingerprinter:
    """Pure per-document work, batched."""

    def __init__(self, cfg: DocumentDedupConfig):
        self.cfg = cfg
        self.hasher = MinHasher(cfg.num_perm, cfg.seed)
        self.bands, self.rows = choose_bands(cfg.threshold, cfg.num_perm, RECALL_AT_THRESHOLD)

    def fingerprint(self, text: str, digits: bool = True) -> DocFingerprint:
        return self.fingerprints([text], digits)[0]

    def fingerprints(self, texts: list[str], digits: bool = True) -> list[DocFingerprint]:
        """Fingerprints of a batch of documents, with a fixed number of numpy calls per batch."""
        hashes, written = batch_word_hashes_both(texts) if digits else (batch_word_hashes(texts, False),) * 2
        figures = _figure_sets(hashes, written)
        if self.cfg.shingle == "word":
            shingles = batch_word_shingles(hashes, self.cfg.ngram)
        else:
            shingles = [char_shingles(t, self.cfg.ngram, digits) for t in texts]
        signatures = self.hasher.signatures([to32(s) for s in shingles])
        keys = band_keys(signatures, self.bands, self.rows)
        return [DocFingerprint(_digest(np.concatenate([h, w])), s, k, f, len(h))
                for h, w, f, s, k in zip(hashes, written, figures, shingles, keys)]


def _digest(hashes: np.ndarray) -> int:
    """64-bit digest of a normalised word sequence (an exact copy has the same)."""
    return int.from_bytes(hashlib.blake2b(hashes.tobytes(), digest_size=8).digest(), "little")


def _figure_sets(folded: list[np.ndarray], written: list[np.ndarray]) -> list[np.ndarray]:
    """Per document, the sorted unique hashes (odd: never 0) of its words with digits as
    written, made unique for the whole batch by one sort of (document << 32 | hash)."""
    lengths = np.array([len(h) for h in folded], dtype=np.int64)
    if not lengths.sum():
        return [np.empty(0, dtype=np.uint32) for _ in folded]
    h, w = np.concatenate(folded), np.concatenate(written)
    doc = np.repeat(np.arange(len(folded), dtype=np.uint64), lengths)
    at = h != w  # folding changed the word: it has digits
    return unique_per_group(doc[at], w[at] | np.uint32(1), len(folded), 32, np.uint32)
