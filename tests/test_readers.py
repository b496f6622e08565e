"""Reading inputs, including the bad ones: each is skipped or noted with a reason, never fatal."""
from __future__ import annotations

import gzip
import io
import json

import pytest

from cleaner.config import InputConfig
from cleaner.model import Document, Skip
from cleaner.readers import InputError, decode, detect_kind, iter_inputs, looks_binary


def read(paths, **kw):
    return list(iter_inputs([str(p) for p in paths], InputConfig(**kw)))


def test_directory_ids_are_relative_paths_in_sorted_order(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x.txt").write_text("Second file.")
    (tmp_path / "a.txt").write_text("First file.")
    (tmp_path / ".hidden").write_text("not read")
    items = read([tmp_path])
    assert [d.id for d in items] == ["a.txt", "b/x.txt"]
    assert [d.site for d in items] == ["", "b"]
    assert read([tmp_path / "b" / "x.txt"])[0].id == "x.txt"


def test_missing_input_is_an_input_error(tmp_path):
    with pytest.raises(InputError):
        read([tmp_path / "nope.txt"])
    with pytest.raises(InputError):
        read([str(tmp_path / "*.none")])


def test_glob(tmp_path):
    for n in ("1.txt", "2.txt", "3.html"):
        (tmp_path / n).write_text("<p>Some text here.</p>" if n.endswith("html") else "Some text.")
    assert [d.id for d in read([str(tmp_path / "*.txt")])] == ["1.txt", "2.txt"]


def test_empty_binary_and_oversized_files_are_skipped(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_bytes(b"  \n\n ")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 2)
    (tmp_path / "big.txt").write_text("x" * 2000)
    (tmp_path / "ok.txt").write_text("Fine text.")
    items = read([tmp_path], max_bytes=1000)
    reasons = {i.source.rsplit("/", 1)[-1]: i.reason for i in items if isinstance(i, Skip)}
    assert reasons == {"empty.txt": "empty", "blank.txt": "empty", "image.png": "binary", "big.txt": "too-large"}
    assert [d.id for d in items if isinstance(d, Document)] == ["ok.txt"]


def test_legacy_encoding_is_detected_and_noted(tmp_path):
    (tmp_path / "latin.txt").write_bytes("Le café était fermé à Québec, dit-il. Économie déçue.".encode("cp1252"))
    (doc,) = read([tmp_path])
    assert "café était fermé à Québec" in doc.text
    assert doc.meta["decoding"].startswith("detected:")


def test_undecodable_bytes_are_replaced_and_noted():
    text, note = decode(b"abc \xff\xfe\xfa def " * 3 + b"\xc3")
    assert "abc" in text and note is not None


def test_html_charset_declared_in_meta_is_used():
    page = '<html><head><meta charset="windows-1251"></head><body><p>Привет мир</p></body></html>'.encode("cp1251")
    text, note = decode(page, html=True)
    assert "Привет мир" in text and note == "declared:windows-1251"


def test_jsonl_broken_lines_reported_with_line_numbers_and_rest_read(tmp_path):
    lines = [json.dumps({"id": "r1", "text": "One.", "url": "https://news.example.org/a"}), "{not json",
             json.dumps(["a", "list"]), json.dumps({"id": "r4", "body": "no text field"}),
             json.dumps({"html": "<p>Page two.</p>"}), "", json.dumps({"id": 7, "text": "Seven. \ud800"})]
    (tmp_path / "recs.jsonl").write_text("\n".join(lines), encoding="utf-8")
    items = read([tmp_path / "recs.jsonl"])
    skips = [(i.source.rsplit("/", 1)[-1], i.reason) for i in items if isinstance(i, Skip)]
    assert skips == [("recs.jsonl:2", "invalid-json"), ("recs.jsonl:3", "invalid-record"),
                     ("recs.jsonl:4", "missing-field")]
    docs = [i for i in items if isinstance(i, Document)]
    assert [d.id for d in docs] == ["r1", "recs.jsonl:5", "7"]
    assert docs[0].url == "https://news.example.org/a" and docs[0].site == "news.example.org"
    assert docs[1].kind == "html" and docs[1].html == "<p>Page two.</p>"
    assert docs[2].meta["decoding"] == "lone-surrogates-replaced"


def test_jsonl_custom_text_field(tmp_path):
    (tmp_path / "r.jsonl").write_text(json.dumps({"body": "Custom field text."}) + "\n")
    (doc,) = read([tmp_path / "r.jsonl"], text_field="body")
    assert doc.text == "Custom field text."


def test_gzip_inputs_and_broken_gzip(tmp_path):
    (tmp_path / "a.txt.gz").write_bytes(gzip.compress("Compressed text.".encode()))
    (tmp_path / "b.jsonl.gz").write_bytes(gzip.compress(json.dumps({"text": "Compressed record."}).encode()))
    (tmp_path / "c.txt.gz").write_bytes(b"not gzip at all")
    items = read([tmp_path])
    assert [i.text for i in items if isinstance(i, Document)] == ["Compressed text.", "Compressed record."]
    (bad,) = [i for i in items if isinstance(i, Skip)]
    assert bad.reason == "read-error" and "decompress" in bad.detail


def test_stdin_and_forced_kind():
    docs = list(iter_inputs(["-"], InputConfig(), stdin=io.BytesIO(b"From standard input.")))
    assert docs[0].id == "stdin" and docs[0].text == "From standard input."
    docs = list(iter_inputs(["-"], InputConfig(kind="html"), stdin=io.BytesIO(b"<p>Tagged text.</p>")))
    assert docs[0].kind == "html"


def test_kind_detection():
    assert detect_kind("page.HTM", b"") == "html"
    assert detect_kind("x.jsonl.gz", b"") == "jsonl"
    assert detect_kind("noext", b"<!DOCTYPE html><html>") == "html"
    assert detect_kind("noext", b'{"text": "a"}\n') == "jsonl"
    assert detect_kind("noext", b"plain words") == "text"
    assert not looks_binary("Ünïcödé text\n".encode("utf-16"))


def test_jsonl_streams_past_max_bytes_and_skips_an_oversized_record(tmp_path):
    records = [json.dumps({"id": f"r{i}", "text": f"Record number {i} with some words."}) for i in range(200)]
    records[50] = json.dumps({"id": "huge", "text": "x" * 5000})
    (tmp_path / "big.jsonl").write_text("\n".join(records) + "\n")
    items = read([tmp_path / "big.jsonl"], max_bytes=1000)  # the file is far over 1000 bytes
    docs = [i for i in items if isinstance(i, Document)]
    (skip,) = [i for i in items if isinstance(i, Skip)]
    assert len(docs) == 199 and skip.reason == "too-large" and skip.source.endswith("big.jsonl:51")
    assert docs[50].id == "r51"


def test_corrupt_gzip_midway_keeps_what_was_read(tmp_path):
    import random

    rnd = random.Random(0)  # text that does not compress to nothing, so the cut falls deep in the stream
    lines = [json.dumps({"text": " ".join(rnd.choice("abcdefghij") * 5 for _ in range(40))}) for _ in range(3000)]
    data = gzip.compress(("\n".join(lines) + "\n").encode())
    (tmp_path / "cut.jsonl.gz").write_bytes(data[: len(data) // 2])
    items = read([tmp_path / "cut.jsonl.gz"])
    docs = [i for i in items if isinstance(i, Document)]
    assert 100 < len(docs) < 3000 and isinstance(items[-1], Skip) and items[-1].reason == "read-error"
