"""Temporary storage: spools, record files, partitions on disk, compact pickling."""
from __future__ import annotations

import pickle

import numpy as np

from cleaner.dedup.doc_fingerprint import DocFingerprint
from conftest import SAMPLES
from cleaner.spill import Partitions, RecordFile, Spool, loaded, top_bits_part


def records(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([rng.integers(0, 2**63, n).astype(np.uint64) * np.uint64(2), np.arange(n, dtype=np.uint64)], axis=1)


def test_partitions_keep_each_partition_in_order_across_spills():
    data = records(5000)
    parts = Partitions(2, top_bits_part(16), 16, memory_bytes=16 * 300)  # spills every 300 records
    for start in range(0, len(data), 77):
        parts.add(data[start:start + 77])
    parts.add(data[:0])
    assert parts.spilled and parts.count == len(data)
    part_of = (data[:, 0] >> np.uint64(60)).astype(int)
    for p in range(16):
        assert np.array_equal(parts.part(p), data[part_of == p])  # second column: order kept
        assert len(parts.part_file(p)) == (part_of == p).sum()
    file = parts.part_file(3)
    assert np.array_equal(loaded([(file, 1)])[0][0], data[part_of == 3])
    parts.close()


def test_spilled_partitions_are_compressed_and_read_back_frame_by_frame():
    # Band-key entries: a random key and an item number that fits in a few bytes. On disk they
    # take about half their 16 bytes; reading in chunks crosses the frames of several spills.
    import os

    from cleaner.spill import row_chunks

    data = records(20000, seed=2)
    parts = Partitions(2, top_bits_part(4), 4, memory_bytes=16 * 3000)
    for start in range(0, len(data), 500):
        parts.add(data[start:start + 500])
    parts.spill()
    on_disk = sum(os.path.getsize(parts.part_file(p).path) for p in range(4))
    assert on_disk < 0.65 * data.nbytes
    part_of = (data[:, 0] >> np.uint64(62)).astype(int)
    for p in range(4):
        chunks = list(row_chunks(parts.part_file(p), 1000))
        assert max(len(c) for c in chunks) <= 1000 and len(chunks) > 5
        assert np.array_equal(np.concatenate(chunks), data[part_of == p])
    parts.close()


def test_partitions_in_memory_and_a_record_larger_than_the_buffer():
    data = records(1000, seed=1)
    small = Partitions(2, top_bits_part(1), 1)
    small.add(data)
    assert not small.spilled and np.array_equal(small.all(), data) and np.array_equal(small.part(0), data)
    tiny = Partitions(2, top_bits_part(4), 4, memory_bytes=160)  # 10 records: the add goes straight to disk
    tiny.add(data[:5])
    tiny.add(data)
    together = np.concatenate([data[:5], data])
    part_of = (together[:, 0] >> np.uint64(62)).astype(int)
    for p in range(4):
        assert np.array_equal(tiny.part(p), together[part_of == p])
    assert len(tiny._scratch) == 10  # written a buffer's worth at a time: the scratch space stays 160 bytes
    tiny.close()


def test_spool_reads_back_in_order_while_writing_goes_on():
    spool = Spool()
    for i in range(100):
        spool.write({"n": i, "text": "x" * i})
    reader = spool.read()
    assert next(reader) == {"n": 0, "text": ""}
    spool.write("late")  # written after reading started: not part of this read
    rest = list(reader)
    assert [r["n"] for r in rest] == list(range(1, 100))
    assert list(spool.read())[-1] == "late"
    spool.close()


def test_spool_holds_documents_compressed():
    import pickle

    docs = [{"id": p.name, "text": p.read_text(encoding="utf-8")} for p in sorted(SAMPLES.glob("*.txt"))]
    assert len(docs) >= 3
    spool = Spool()
    for d in docs:
        spool.write(d)
    on_disk = spool._file.seek(0, 2)
    assert on_disk < 0.6 * sum(len(pickle.dumps(d)) for d in docs)
    assert list(spool.read()) == docs
    spool.close()


def test_record_file_gives_back_each_record_by_number():
    store = RecordFile()
    assert store.put(b"first") == 0
    assert store.put_many([b"", b"third", memoryview(b"fourth")]) == 1
    assert [store.get(i) for i in range(4)] == [b"first", b"", b"third", b"fourth"] and len(store) == 4
    assert store.get_run(0, 4) == [b"first", b"", b"third", b"fourth"]  # a run of records: two reads
    assert store.get_run(1, 2) == [b"", b"third"] and store.get_run(3, 1) == [b"fourth"] and store.get_run(2, 0) == []
    store.close()


def test_compact_pickle_round_trips_arrays():
    fp = DocFingerprint(12345, np.arange(7, dtype=np.uint64), np.arange(6, dtype=np.uint64).reshape(2, 3),
                        np.arange(3, dtype=np.uint32))
    back = pickle.loads(pickle.dumps(fp))
    assert back.exact == 12345 and np.array_equal(back.shingles, fp.shingles) and back.keys.shape == (2, 3)
    assert back.keys.dtype == np.uint64 and np.array_equal(back.keys, fp.keys)


def test_a_partition_of_records_never_added_is_empty_on_disk_too():
    # Grouping asks for partition files of entries and queries alike: a call whose units spilled
    # but that filed no window query (the key filter dropped them all) reads empty query files.
    queries = Partitions(2, top_bits_part(4), 4)
    for p in range(4):
        part = queries.part_file(p)
        assert len(part) == 0 and loaded(part).shape == (0, 2)
    assert [len(c) for c in queries.column(0)] == []
    queries.close()
