"""Temporary storage on disk, so that memory holds fingerprints and not text: the spool that
carries documents from one pass to the next, record files that indexes read back by number,
and key-partitioned records for band-key grouping. Everything here is deleted when closed.
Also the compact pickling of the records that cross processes or wait in spools."""
from __future__ import annotations

import os
import pickle
import shutil
import struct
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import zstandard

_OFFSET, _OFFSETS = struct.Struct("=q"), struct.Struct("=qq")  # a RecordFile's record ends (native int64, as numpy writes them)


class CompactPickle:
    """Pickles the numpy arrays among an object's attributes (alone or in a tuple) as raw
    bytes. Pickling a small array the numpy way costs about 13 us a round trip, several times
    its bytes' own cost, and the records between workers and the main process carry a dozen
    small arrays each (measured: 140 -> 40 us a document). Unpickled arrays are read-only."""

    def __getstate__(self) -> dict:
        state, arrays = {}, {}
        for name, value in self.__dict__.items():
            if isinstance(value, np.ndarray) or (isinstance(value, tuple) and value
                                                 and all(isinstance(v, np.ndarray) for v in value)):
                arrays[name] = _raw(value)
            else:
                state[name] = value
        return {"state": state, "arrays": arrays}

    def __setstate__(self, packed: dict) -> None:
        self.__dict__.update(packed["state"])
        for name, raw in packed["arrays"].items():
            self.__dict__[name] = _array(raw) if isinstance(raw[0], bytes) else tuple(_array(r) for r in raw)


def _raw(value):
    if isinstance(value, tuple):
        return tuple(_raw(v) for v in value)
    return value.tobytes(), value.dtype.str, value.shape


def _array(raw) -> np.ndarray:
    data, dtype, shape = raw
    return np.frombuffer(data, dtype=dtype).reshape(shape)


class Spool:
    """Objects parked on disk in order, read back in the same order (reading may start while
    writing goes on: the reader keeps its own position). Each is pickled and compressed with
    zstd at its fastest level (a parked document's text and units take about a third less
    room, for about 40 us a document)."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="cleaner-spool-")
        self._compress = zstandard.ZstdCompressor(level=1).compress
        self.count = 0

    def write(self, obj: Any) -> None:
        data = self._compress(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))
        self._file.write(len(data).to_bytes(8, "little"))
        self._file.write(data)
        self.count += 1

    def read(self) -> Iterator[Any]:
        """The objects written so far, in order."""
        self._file.flush()
        fd, pos = self._file.fileno(), 0
        decompress = zstandard.ZstdDecompressor().decompress
        for _ in range(self.count):
            size = int.from_bytes(os.pread(fd, 8, pos), "little")
            yield pickle.loads(decompress(os.pread(fd, size, pos + 8)))
            pos += 8 + size

    def close(self) -> None:
        self._file.close()


class RecordFile:
    """Byte records appended to a temporary file and read back by number. Offsets live in a
    second file, so memory holds nothing per record. Columns (see `SqliteRecords`) are not
    kept: a temporary index needs none."""

    columns: tuple[str, ...] = ()

    def __init__(self) -> None:
        self._data = tempfile.TemporaryFile(prefix="cleaner-records-")
        self._ends = tempfile.TemporaryFile(prefix="cleaner-offsets-")
        self._size = 0
        self._count = 0

    def put(self, data: bytes, **columns: Any) -> int:
        return self.put_many([data])

    def put_many(self, records: list[bytes], **columns: Any) -> int:
        """Append records; returns the number of the first."""
        first = self._count
        ends = self._size + np.cumsum([len(r) for r in records], dtype=np.int64)
        os.pwrite(self._data.fileno(), b"".join(records), self._size)
        os.pwrite(self._ends.fileno(), ends.tobytes(), 8 * self._count)
        self._size = int(ends[-1]) if len(records) else self._size
        self._count += len(records)
        return first

    def get(self, record: int) -> bytes:
        """One record: its offsets in one read, then its bytes (alignment reads each of a
        document's candidates this way: a few microseconds less than `get_run` a read)."""
        if record == 0:
            start, end = 0, _OFFSET.unpack(os.pread(self._ends.fileno(), 8, 0))[0]
        else:
            start, end = _OFFSETS.unpack(os.pread(self._ends.fileno(), 16, 8 * (record - 1)))
        return os.pread(self._data.fileno(), end - start, start)

    def get_run(self, first: int, count: int) -> list[bytes]:
        """Records first .. first + count - 1: two reads, whatever the count."""
        at = 8 * max(first - 1, 0)
        ends = np.frombuffer(os.pread(self._ends.fileno(), 8 * (first + count) - at, at), dtype=np.int64).tolist()
        if first == 0:
            ends.insert(0, 0)
        data = os.pread(self._data.fileno(), ends[-1] - ends[0], ends[0])
        return [data[a - ends[0]:b - ends[0]] for a, b in zip(ends, ends[1:])]

    def retire(self, records: list[int]) -> None:
        """Nothing to record: liveness is kept by the index."""

    def __len__(self) -> int:
        return self._count

    def close(self) -> None:
        self._data.close()
        self._ends.close()


def top_bits_part(parts: int, column: int = 0) -> Callable[[np.ndarray], np.ndarray]:
    """Partition by the top bits of a well-mixed 64-bit key (`parts` a power of two)."""
    shift = np.uint64(64 - (parts.bit_length() - 1))
    return lambda records: records[:, column] >> shift if parts > 1 else np.zeros(len(records), np.uint64)


class Partitions:
    """Records (rows of `columns` uint64 values) split into `parts` partitions by
    `part_of(records)`, each partition in the order its records were added. Held in a buffer of
    `memory_bytes`, then spilled to one temporary file per partition (compressed, see
    `PartFile`), so a partition can be loaded (and grouped) on its own. The buffer and the
    scratch space of a spill are allocated once: fresh large arrays cost a page fault per 4 KB,
    which measured more than the sorting."""

    def __init__(self, columns: int, part_of: Callable[[np.ndarray], np.ndarray], parts: int,
                 memory_bytes: int = 32 << 20):
        assert parts <= 1 << 16
        self.columns = columns
        self.parts = parts
        self._part_of = part_of
        self._rows = max(1, memory_bytes // (8 * columns))
        self._buffer: np.ndarray | None = None
        self._scratch: np.ndarray | None = None
        self._n = 0
        self._dir: str | None = None
        self.count = 0

    @property
    def spilled(self) -> bool:
        return self._dir is not None

    def add(self, records: np.ndarray) -> None:
        n = len(records)
        if not n:
            return
        assert records.dtype == np.uint64 and records.shape[1] == self.columns
        self.count += n
        if self._n + n > self._rows:
            self._spill()
        if n > self._rows:  # (a buffer's worth at a time: a spill's scratch space stays the buffer's size)
            for start in range(0, n, self._rows):
                self._write(records[start:start + self._rows])
            return
        if self._buffer is None:
            self._buffer = np.empty((self._rows, self.columns), np.uint64)
        self._buffer[self._n:self._n + n] = records
        self._n += n

    def spill(self) -> None:
        """Move what is buffered to the partition files."""
        self._spill()

    def _spill(self) -> None:
        if self._n:
            self._write(self._buffer[:self._n])
            self._n = 0

    def _write(self, records: np.ndarray) -> None:
        part = self._part_of(records).astype(np.uint16)  # small integers: a stable sort is a radix sort
        order = np.argsort(part, kind="stable")
        bounds = np.searchsorted(part[order], np.arange(self.parts + 1)).tolist()
        if self._scratch is None:
            self._scratch = np.empty((self._rows, self.columns), np.uint64)
        grouped = np.take(records, order, axis=0, out=self._scratch[:len(records)])
        compress = zstandard.ZstdCompressor(level=1).compress
        for p in range(self.parts):
            if bounds[p + 1] > bounds[p]:
                rows = grouped[bounds[p]:bounds[p + 1]]
                data = compress(_byte_planes(rows))
                frame = memoryview(np.array([len(rows), len(data)], np.uint64).tobytes() + data)
                fd = os.open(os.path.join(self._folder(), str(p)), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
                try:
                    while frame:
                        frame = frame[os.write(fd, frame):]
                finally:
                    os.close(fd)

    def all(self) -> np.ndarray:
        """Every record, when nothing was spilled (in the order added; valid until the next add)."""
        assert not self.spilled, "spilled partitions are read one at a time"
        return self._buffer[:self._n] if self._buffer is not None else np.empty((0, self.columns), np.uint64)

    def column(self, c: int, rows: int = 1 << 20) -> Iterator[np.ndarray]:
        """Column c of every record, a chunk at a time (the partition files, then the buffer)."""
        if self._dir is not None:
            for p in range(self.parts):
                for chunk in row_chunks(PartFile(os.path.join(self._dir, str(p)), self.columns), rows):
                    yield chunk[:, c]
        if self._n:
            yield self._buffer[:self._n, c]

    def part(self, p: int) -> np.ndarray:
        """The records of partition p, in the order added."""
        if self.parts == 1 and not self.spilled:
            return self.all()
        return self.part_file(p).load()

    def part_file(self, p: int) -> "PartFile":
        """Partition p on disk, to be loaded where it is grouped (a worker reads it itself)."""
        self._spill()
        return PartFile(os.path.join(self._folder(), str(p)), self.columns)  # (nothing added: an empty folder)

    def _folder(self) -> str:
        if self._dir is None:
            self._dir = tempfile.mkdtemp(prefix="cleaner-parts-")
        return self._dir

    def close(self) -> None:
        self._buffer = self._scratch = None
        self._n = 0
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None


class PartFile:
    """A spilled partition, by name: shipping the name to a worker costs nothing, shipping the
    records costs more than grouping them (measured in bench/scale.py). On disk, a frame per
    spill: its row count, its size, and its rows as zstd-compressed byte planes."""

    def __init__(self, path: str, columns: int):
        self.path, self.columns = path, columns

    def __len__(self) -> int:
        if not os.path.exists(self.path):
            return 0
        with open(self.path, "rb") as f:
            return sum(rows for _, rows, _ in _frame_headers(f.fileno()))

    def frames(self) -> Iterator[np.ndarray]:
        """The records, a spill's frame at a time, in the order added."""
        if not os.path.exists(self.path):
            return
        decompress = zstandard.ZstdDecompressor().decompress
        with open(self.path, "rb") as f:
            for pos, rows, size in _frame_headers(f.fileno()):
                yield _from_byte_planes(decompress(os.pread(f.fileno(), size, pos)), rows, self.columns)

    def load(self) -> np.ndarray:
        out = np.empty((len(self), self.columns), np.uint64)  # (filled frame by frame: one copy in memory)
        at = 0
        for frame in self.frames():
            out[at:at + len(frame)] = frame
            at += len(frame)
        return out


def _frame_headers(fd: int) -> Iterator[tuple[int, int, int]]:
    """(offset of its data, rows, data size) of each frame of a partition file."""
    pos, end = 0, os.fstat(fd).st_size
    while pos < end:
        rows, size = np.frombuffer(os.pread(fd, 16, pos), np.uint64).tolist()
        yield pos + 16, rows, size
        pos += 16 + size


def _byte_planes(rows: np.ndarray) -> np.ndarray:
    """The rows' bytes by position (every row's first byte, then every row's second, ...): the
    high bytes of item numbers and the top bits a partition's keys share become runs that zstd
    compresses (band-key entries take half the room)."""
    data = rows.view(np.uint8).reshape(len(rows), -1)
    planes = np.empty((data.shape[1], len(rows)), np.uint8)
    for j in range(data.shape[1]):  # (a plane at a time: several times faster than numpy's transpose copy)
        planes[j] = data[:, j]
    return planes


def _from_byte_planes(data: bytes, rows: int, columns: int) -> np.ndarray:
    planes = np.frombuffer(data, np.uint8).reshape(-1, rows)
    out = np.empty((rows, 8 * columns), np.uint8)
    for j in range(len(planes)):
        out[:, j] = planes[j]
    return out.view(np.uint64)


def row_chunks(records: "np.ndarray | PartFile", rows: int) -> Iterator[np.ndarray]:
    """The records (an array, or a partition on disk read a frame at a time) at most `rows` at a time."""
    for frame in records.frames() if isinstance(records, PartFile) else [records]:
        for start in range(0, len(frame), rows):
            yield frame[start:start + rows]


def loaded(value):
    """`value` with every PartFile in it (in lists and tuples) read: for a worker that cannot
    see this machine's disk (a Ray cluster)."""
    if isinstance(value, PartFile):
        return value.load()
    if isinstance(value, (list, tuple)):
        return type(value)(loaded(v) for v in value)
    return value
