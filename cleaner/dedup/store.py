"""Where the indexes keep what is only needed to verify a candidate (shingle sets, passage word
hashes): on disk, read back by record number, so memory holds band keys and small arrays only.

`FileStore` is a temporary append-only file (a run without an index file). `IndexDatabase`
keeps the same records, and what it takes to rebuild the in-memory indexes (ids, band keys,
clusters, site line counts), in SQLite: `cleaner clean ... --index corpus.db`.
"""
from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import tempfile
from array import array
from typing import Any

import numpy as np

SCHEMA_VERSION = 1


class FileStore:
    """Records appended to a temporary file; 8 bytes of memory per record (its offset).
    Columns other than the record itself are not kept (a temporary index needs none)."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="cleaner-store-")
        self._offsets = array("q", [0])

    def put(self, data: bytes, **columns: Any) -> int:
        self._file.seek(self._offsets[-1])
        self._file.write(data)
        self._offsets.append(self._offsets[-1] + len(data))
        return len(self._offsets) - 2

    def get(self, record: int) -> bytes:
        start, end = self._offsets[record], self._offsets[record + 1]
        self._file.seek(start)
        return self._file.read(end - start)

    def retire(self, records: list[int]) -> None:
        """Nothing to record: liveness is kept in memory."""

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def memory_bytes(self) -> int:
        return self._offsets.itemsize * len(self._offsets)

    def close(self) -> None:
        self._file.close()


class IndexBusy(RuntimeError):
    """Another run holds the index."""


class IndexMismatch(ValueError):
    """The index was built with settings that would make this run decide differently."""


class SqliteRecords:
    """One table of an index database as a store: `put` inserts the record and its columns."""

    def __init__(self, db: "IndexDatabase", table: str, blob: str, columns: tuple[str, ...]):
        self._db, self._table, self._blob, self._columns = db, table, blob, columns
        self._count = db.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        names = ", ".join(("item", blob) + columns)
        self._insert = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * (2 + len(columns)))})"

    def put(self, data: bytes, **columns: Any) -> int:
        record = self._count
        self._db.conn.execute(self._insert, (record, data, *(columns[c] for c in self._columns)))
        self._count += 1
        return record

    def get(self, record: int) -> bytes:
        return self._db.conn.execute(f"SELECT {self._blob} FROM {self._table} WHERE item = ?", (record,)).fetchone()[0]

    def retire(self, records: list[int]) -> None:
        self._db.conn.executemany(f"UPDATE {self._table} SET alive = 0 WHERE item = ?", [(r,) for r in records])

    def __len__(self) -> int:
        return self._count

    def memory_bytes(self) -> int:
        return 0

    def close(self) -> None:
        """The database closes them all."""


class IndexDatabase:
    """A persistent index: what earlier runs kept, so a later run drops what they already have.

    One run at a time (an exclusive lock on `<path>.lock`; a second run fails at once with a
    clear message). A run's additions are written in one transaction committed when the run
    ends, so a run that is killed leaves the index as it was.
    """

    def __init__(self, path: str, settings: dict[str, Any]):
        self.path = path
        self._lock = open(path + ".lock", "a+")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise IndexBusy(f"index {path} is in use by another cleaner run; wait for it to finish") from None
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA synchronous = NORMAL")
        self._create()
        self._check(settings)
        self.conn.execute("BEGIN")
        self.documents = SqliteRecords(self, "documents", "shingles", ("doc_id", "length", "parent", "exact", "keys"))
        self.passages = SqliteRecords(self, "passages", "payload",
                                      ("doc_seq", "doc_id", "unit", "start", "end", "alive", "keys"))

    @classmethod
    def open_read_only(cls, path: str) -> "IndexDatabase":
        """For reading stats: no lock, no transaction, no settings check."""
        db = cls.__new__(cls)
        db.path = path
        db._lock = None
        db.conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        return db

    def _create(self) -> None:
        self.conn.executescript("""
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS documents (item INTEGER PRIMARY KEY, doc_id TEXT NOT NULL,
                length INTEGER NOT NULL, parent INTEGER NOT NULL, exact INTEGER NOT NULL,
                keys BLOB NOT NULL, shingles BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS passages (item INTEGER PRIMARY KEY, doc_seq INTEGER NOT NULL,
                doc_id TEXT NOT NULL, unit INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
                alive INTEGER NOT NULL, keys BLOB NOT NULL, payload BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS templates (key INTEGER PRIMARY KEY, pages INTEGER NOT NULL);
        """)

    def _check(self, settings: dict[str, Any]) -> None:
        wanted = json.dumps({"schema": SCHEMA_VERSION, **settings}, sort_keys=True)
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'settings'").fetchone()
        if row is None:
            self.conn.execute("INSERT INTO meta VALUES ('settings', ?)", (wanted,))
            return
        if row[0] != wanted:
            stored, current = json.loads(row[0]), json.loads(wanted)
            differ = sorted(k for k in set(stored) | set(current) if stored.get(k) != current.get(k))
            raise IndexMismatch(f"index {self.path} was built with other settings ({', '.join(differ)}); "
                                f"use the same settings or a new index file")

    # -- loading into memory ----------------------------------------------------------------------
    def document_rows(self):
        return self.conn.execute("SELECT item, doc_id, length, parent, exact, keys FROM documents ORDER BY item")

    def passage_rows(self):
        return self.conn.execute('SELECT item, doc_seq, doc_id, unit, start, "end", alive, keys FROM passages ORDER BY item')

    def template_counts(self) -> tuple[np.ndarray, np.ndarray]:
        rows = self.conn.execute("SELECT key, pages FROM templates ORDER BY key").fetchall()
        keys = np.array([_unsigned(k) for k, _ in rows], dtype=np.uint64)
        return keys, np.array([p for _, p in rows], dtype=np.int64)

    def next_seq(self) -> int:
        """The sequence number the next document gets (documents are numbered across runs)."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'next_seq'").fetchone()
        return int(row[0]) if row else 0

    # -- ending a run ------------------------------------------------------------------------------
    def add_template_counts(self, keys: np.ndarray, counts: np.ndarray) -> None:
        self.conn.executemany(
            "INSERT INTO templates VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET pages = pages + excluded.pages",
            [(_signed(int(k)), int(c)) for k, c in zip(keys.tolist(), counts.tolist())])

    def commit(self, next_seq: int) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta VALUES ('next_seq', ?)", (str(next_seq),))
        self.conn.execute("COMMIT")

    def close(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
        self.conn.close()
        if self._lock is not None:
            self._lock.close()

    def stats(self) -> dict[str, Any]:
        q = lambda sql: self.conn.execute(sql).fetchone()[0]  # noqa: E731
        settings = json.loads(q("SELECT value FROM meta WHERE key = 'settings'"))
        return {
            "path": self.path,
            "bytes": os.path.getsize(self.path),
            "documents": q("SELECT COUNT(*) FROM documents"),
            "documents_kept": q("SELECT COUNT(*) FROM documents WHERE parent = item"),
            "passages": q("SELECT COUNT(*) FROM passages"),
            "passages_alive": q("SELECT COUNT(*) FROM passages WHERE alive = 1"),
            "site_lines_counted": q("SELECT COUNT(*) FROM templates"),
            "site_template_lines": q(f"SELECT COUNT(*) FROM templates WHERE pages >= {int(settings.get('site_template_min_pages') or 0) or 1 << 62}"),
            "settings": settings,
        }


def _signed(k: int) -> int:
    """SQLite integers are signed 64-bit: store uint64 keys by their two's complement."""
    return k - (1 << 64) if k >= 1 << 63 else k


def _unsigned(k: int) -> int:
    return k + (1 << 64) if k < 0 else k
