"""The persistent index: `cleaner clean ... --index corpus.db` keeps in SQLite what a run kept
(documents' ids, shingle sets, band keys and clusters; passages' words, spans and band keys;
site line counts), so a later run drops what an earlier one already has. Its tables also serve
as the run's record stores (`SqliteRecords`), in place of the temporary `spill.RecordFile`.
"""
from __future__ import annotations

import fcntl
import json
import os
import sqlite3
from typing import Any

import numpy as np

# 3: documents and passages store their figures; 5: passages their words' flags, not shingles,
# and 48-bit band keys; documents their 48-bit shingles in 6 bytes (4 was a step on the way)
SCHEMA_VERSION = 5
APPLICATION_ID = 0x636C6E72  # "clnr": marks an SQLite file as a cleaner index (PRAGMA application_id)
_SQLITE_HEADER = b"SQLite format 3\x00"


class IndexBusy(RuntimeError):
    """Another run holds the index."""


class IndexMismatch(ValueError):
    """The index was built with settings that would make this run decide differently, by
    another version of cleaner, or is not a cleaner index at all (damaged, another program's)."""


def check_index_file(path: str) -> bool:
    """Whether `path` holds an index already (False: absent or empty, a new index goes there);
    IndexMismatch with a message when it is not a cleaner index of this schema."""
    try:
        with open(path, "rb") as f:
            head = f.read(100)
    except FileNotFoundError:
        return False
    except OSError as e:
        raise IndexMismatch(f"cannot read the index {path}: {e.strerror}") from None
    if not head:
        return False
    if not head.startswith(_SQLITE_HEADER) or len(head) < 100:
        raise IndexMismatch(f"{path} is not a cleaner index (not an SQLite database, or cut short): "
                            f"give another --index file")
    application_id = int.from_bytes(head[68:72], "big")
    user_version = int.from_bytes(head[60:64], "big")
    if application_id == 0 and (schema := _unmarked_schema(path)) is not None:
        if schema != SCHEMA_VERSION:  # made before indexes were marked, by another version
            raise IndexMismatch(f"index {path} was built by another version of cleaner (schema {schema}, this "
                                f"one reads {SCHEMA_VERSION}): use a new index file")
        return True  # marked when next opened for writing
    if application_id != APPLICATION_ID:
        raise IndexMismatch(f"{path} is another program's SQLite database, not a cleaner index: "
                            f"give another --index file")
    if user_version != SCHEMA_VERSION:
        raise IndexMismatch(f"index {path} was built by another version of cleaner (schema {user_version}, "
                            f"this one reads {SCHEMA_VERSION}): use a new index file")
    return True


def _unmarked_schema(path: str) -> int | None:
    """The schema of a cleaner index made before indexes were marked (None: not one)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'settings'").fetchone()
        finally:
            conn.close()
        schema = json.loads(row[0]).get("schema") if row is not None else None
        return schema if isinstance(schema, int) else None
    except (sqlite3.DatabaseError, ValueError, AttributeError):
        return None


def damaged(path: str, e: sqlite3.DatabaseError) -> IndexMismatch:
    return IndexMismatch(f"index {path} is damaged ({e}): restore it from a copy or start a new index file")


class SqliteRecords:
    """One table of an index database as a store: `put` inserts the record and its columns."""

    def __init__(self, db: "IndexDatabase", table: str, blob: str, columns: tuple[str, ...]):
        self._db, self._table, self._blob, self.columns = db, table, blob, columns
        self._count = db.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        names = ", ".join(("item", blob) + columns)
        self._insert = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * (2 + len(columns)))})"

    def put(self, data: bytes, **columns: Any) -> int:
        return self.put_many([data], **{c: [v] for c, v in columns.items()})

    def put_many(self, records: list[bytes], **columns: list) -> int:
        """Insert records with their columns (a list per column); returns the first's number."""
        first = self._count
        rows = zip(range(first, first + len(records)), records, *(columns[c] for c in self.columns))
        self._db.conn.executemany(self._insert, rows)
        self._count += len(records)
        return first

    def get(self, record: int) -> bytes:
        return self._db.conn.execute(f"SELECT {self._blob} FROM {self._table} WHERE item = ?", (record,)).fetchone()[0]

    def get_run(self, first: int, count: int) -> list[bytes]:
        """Records first .. first + count - 1, in order."""
        rows = self._db.conn.execute(f"SELECT {self._blob} FROM {self._table} WHERE item >= ? AND item < ? ORDER BY item",
                                     (first, first + count)).fetchall()
        return [r[0] for r in rows]

    def retire(self, records: list[int]) -> None:
        self._db.conn.executemany(f"UPDATE {self._table} SET alive = 0 WHERE item = ?", [(r,) for r in records])

    def __len__(self) -> int:
        return self._count

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
        # The lock goes by the file's real path (the same index reached through a symbolic link
        # is locked too), and then by the file itself (a hard link shares its inode).
        try:
            self._lock = open(os.path.realpath(path) + ".lock", "a+")
        except OSError as e:
            raise IndexMismatch(f"cannot use index {path}: {e.strerror} (its folder must exist and be "
                                f"writable)") from None
        self._file_lock: int | None = None
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise IndexBusy(f"index {path} is in use by another cleaner run; wait for it to finish") from None
        try:
            check_index_file(path)
            self.conn = sqlite3.connect(path, isolation_level=None)
            self._file_lock = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            try:
                fcntl.flock(self._file_lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise IndexBusy(f"index {path} is in use by another cleaner run (through another name); "
                                f"wait for it to finish") from None
            self.conn.execute("PRAGMA synchronous = NORMAL")
            if self.conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:  # new, or unmarked
                self.conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self._create()
            self._check(settings)
            self.conn.execute("BEGIN")
            self.documents = SqliteRecords(self, "documents", "shingles", ("doc_id", "length", "parent", "exact", "keys"))
            self.passages = SqliteRecords(self, "passages", "payload",
                                          ("doc_seq", "doc_id", "unit", "start", "end", "alive", "keys"))
        except sqlite3.DatabaseError as e:
            self.close()
            raise damaged(path, e) from None
        except BaseException:
            self.close()
            raise

    @classmethod
    def open_read_only(cls, path: str) -> "IndexDatabase":
        """For reading stats: no lock, no transaction, no settings check, nothing written. After a
        killed run the index has a hot journal, which only a writer may roll back: then a copy of
        both is read (rolled back in a temporary folder), so the index is as a new run finds it."""
        if not check_index_file(path):
            raise IndexMismatch(f"{path} is empty: no index yet")
        db = cls.__new__(cls)
        db.path = path
        db._lock = None
        db._copy = None
        source = path
        if os.path.exists(path + "-journal") and os.path.getsize(path + "-journal") > 0:
            import shutil
            import tempfile

            db._copy = tempfile.mkdtemp(prefix="cleaner-index-")
            source = os.path.join(db._copy, "index.db")
            shutil.copyfile(path, source)
            shutil.copyfile(path + "-journal", source + "-journal")
            sqlite3.connect(source).execute("SELECT COUNT(*) FROM meta").fetchone()  # rolls the journal back
        try:
            db.conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
            db.conn.execute("SELECT COUNT(*) FROM meta").fetchone()
        except sqlite3.DatabaseError as e:
            db.close()
            raise damaged(path, e) from None
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
        return self.conn.execute("SELECT item, length, parent, exact, keys FROM documents ORDER BY item")

    def passage_rows(self):
        return self.conn.execute("SELECT item, alive, keys FROM passages ORDER BY item")

    def template_counts(self, chunk: int = 1 << 16):
        """(keys, pages) arrays of the site line counts so far, a chunk at a time."""
        cursor = self.conn.execute("SELECT key, pages FROM templates")
        while rows := cursor.fetchmany(chunk):
            keys = np.array([k for k, _ in rows], dtype=np.int64).view(np.uint64)
            yield keys, np.array([p for _, p in rows], dtype=np.int64)

    def next_seq(self) -> int:
        """The sequence number the next document gets (documents are numbered across runs)."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'next_seq'").fetchone()
        return int(row[0]) if row else 0

    # -- ending a run ------------------------------------------------------------------------------
    def add_template_counts(self, keys: np.ndarray, counts: np.ndarray) -> None:
        self.conn.executemany(
            "INSERT INTO templates VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET pages = pages + excluded.pages",
            zip(keys.astype(np.uint64).view(np.int64).tolist(), counts.tolist()))

    def commit(self, next_seq: int) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta VALUES ('next_seq', ?)", (str(next_seq),))
        self.conn.execute("COMMIT")

    def close(self) -> None:
        """Roll back what was not committed, release the locks (also after a failed open)."""
        conn = getattr(self, "conn", None)
        if conn is not None:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            conn.close()
            self.conn = None
        if getattr(self, "_file_lock", None) is not None:
            os.close(self._file_lock)
            self._file_lock = None
        if self._lock is not None:
            self._lock.close()
        if getattr(self, "_copy", None):
            import shutil

            shutil.rmtree(self._copy, ignore_errors=True)

    def stats(self) -> dict[str, Any]:
        try:
            return self._stats()
        except sqlite3.DatabaseError as e:
            raise damaged(self.path, e) from None

    def _stats(self) -> dict[str, Any]:
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
