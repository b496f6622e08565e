"""Document ids made unique in input order (restore, explain and the removal log need one
document per id)."""
from __future__ import annotations

import hashlib

from .model import Document


class UniqueIds:
    """Document ids made unique in input order: a later document with an id already used gets
    `#2`, `#3`, ... (restore, explain and the removal log need one document per id). Memory: a
    64-bit key per id seen."""

    def __init__(self) -> None:
        self._seen: set[int] = set()
        self._repeats: dict[str, int] = {}

    @staticmethod
    def _key(doc_id: str) -> int:
        return int.from_bytes(hashlib.blake2b(doc_id.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")

    def make_unique(self, doc: Document, stats) -> None:
        key = self._key(doc.id)
        if key not in self._seen:
            self._seen.add(key)
            return
        original, n = doc.id, self._repeats.get(doc.id, 1)
        while True:
            n += 1
            key = self._key(f"{original}#{n}")
            if key not in self._seen:
                break
        self._repeats[original] = n
        self._seen.add(key)
        doc.id = f"{original}#{n}"
        stats.add_duplicate_id(original)
