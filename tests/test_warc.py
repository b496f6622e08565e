"""WARC input: archives written here record by record, as crawlers write them."""
import gzip
import json

from click.testing import CliRunner

from cleaner.cli import main

ARTICLE = ("<p>The harbour authority said on Monday that the new ferry terminal would open in the spring, "
           "after two years of delays caused by flooding and a shortage of steel.</p>"
           "<p>Local shops along the quay expect more visitors once the ferries start running again, "
           "and the town council has promised to repair the old sea wall before the summer season.</p>")


def _record(kind: str, uri: str, block: bytes, content_type: str, n: int) -> bytes:
    head = (f"WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-{n:012d}>\r\n"
            f"WARC-Date: 2024-05-0{n % 9 + 1}T10:00:00Z\r\nWARC-Target-URI: {uri}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(block)}\r\n\r\n")
    return head.encode() + block + b"\r\n\r\n"


def _http(body: bytes, content_type: str, status: str = "200 OK", extra: str = "") -> bytes:
    return (f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n{extra}Content-Length: {len(body)}\r\n\r\n"
            .encode() + body)


def _page(title: str, body: str, head: str = "") -> str:
    return f"<html><head>{head}<title>{title}</title></head><body><article><h1>{title}</h1>{body}</article></body></html>"


def _records() -> list[bytes]:
    greek = "<p>Το λιμάνι θα ανοίξει την άνοιξη, μετά από δύο χρόνια καθυστερήσεων λόγω πλημμυρών και ελλείψεων.</p>" * 3
    russian = "<p>Новый паромный терминал откроется весной после двух лет задержек из-за наводнений и нехватки стали.</p>" * 3
    return [
        _record("warcinfo", "", b"software: test\r\n", "application/warc-fields", 0),
        _record("request", "https://news.example/ferry", b"GET /ferry HTTP/1.1\r\nHost: news.example\r\n\r\n",
                "application/http; msgtype=request", 1),
        _record("response", "https://news.example/ferry",
                _http(_page("Ferry terminal to open", ARTICLE).encode(), "text/html; charset=utf-8"),
                "application/http; msgtype=response", 2),
        _record("response", "https://news.example/logo.png", _http(b"\x89PNG\r\n\x1a\n" + bytes(200), "image/png"),
                "application/http; msgtype=response", 3),
        _record("response", "https://ru.example/parom",  # charset only in the HTTP header
                _http(_page("Паром", russian).encode("cp1251"), "text/html; charset=windows-1251"),
                "application/http; msgtype=response", 4),
        _record("response", "https://gr.example/limani",  # charset only in the page
                _http(_page("Λιμάνι", greek, '<meta charset="iso-8859-7">').encode("iso-8859-7"), "text/html"),
                "application/http; msgtype=response", 5),
        _record("response", "https://news.example/gone", _http(b"<html><body>Not found</body></html>", "text/html",
                                                                 "404 Not Found"),
                "application/http; msgtype=response", 6),
        _record("response", "https://news.example/zipped",
                _http(gzip.compress(_page("Zipped", ARTICLE.replace("ferry", "tram")).encode()), "text/html",
                      extra="Content-Encoding: gzip\r\n"),
                "application/http; msgtype=response", 7),
    ]


def _clean(tmp_path, name: str, data: bytes, *args):
    (tmp_path / name).write_bytes(data)
    out = tmp_path / ("out-" + name)
    result = CliRunner().invoke(main, ["clean", str(tmp_path / name), "-o", str(out), "--workers", "1",
                                       "--no-dedup", *args])
    docs = [json.loads(line) for line in open(out / "documents.jsonl", encoding="utf-8")]
    return result, docs, json.loads((out / "summary.json").read_text())


def test_warc_pages_become_documents_with_url_date_and_charset(tmp_path):
    result, docs, summary = _clean(tmp_path, "crawl.warc", b"".join(_records()))
    assert result.exit_code == 0, result.output  # non-HTML records and a 404 are routine in an archive
    by_url = {d["url"]: d for d in docs}
    assert sorted(by_url) == ["https://gr.example/limani", "https://news.example/ferry",
                              "https://news.example/zipped", "https://ru.example/parom"]
    ferry = by_url["https://news.example/ferry"]
    assert ferry["id"] == "urn:uuid:00000000-0000-0000-0000-000000000002"
    assert ferry["meta"]["date"] == "2024-05-03T10:00:00Z"
    assert "new ferry terminal would open in the spring" in ferry["text"]
    assert "паромный терминал откроется весной" in by_url["https://ru.example/parom"]["text"]
    assert by_url["https://ru.example/parom"]["meta"]["decoding"] == "declared:windows-1251"
    assert "Το λιμάνι θα ανοίξει την άνοιξη" in by_url["https://gr.example/limani"]["text"]
    assert "new tram terminal" in by_url["https://news.example/zipped"]["text"]  # Content-Encoding: gzip
    assert summary["skipped"]["by_reason"] == {"http-status": 1, "not-html": 1}
    skipped = {s["reason"]: s["detail"] for s in summary["skipped"]["inputs"]}
    assert skipped["not-html"] == "https://news.example/logo.png: image/png"
    assert skipped["http-status"] == "https://news.example/gone: HTTP 404"


def test_gzipped_warc_reads_as_the_plain_one(tmp_path):
    records = _records()
    _, plain, _ = _clean(tmp_path, "crawl.warc", b"".join(records))
    _, zipped, _ = _clean(tmp_path, "crawl.warc.gz", b"".join(gzip.compress(r) for r in records))
    strip = lambda docs: [(d["id"], d["url"], d["text"]) for d in docs]  # noqa: E731
    assert strip(zipped) == strip(plain) and len(plain) == 4


def test_a_cut_off_gzipped_warc_keeps_the_records_before_the_cut(tmp_path):
    records = _records()
    data = b"".join(gzip.compress(r) for r in records)
    last = len(gzip.compress(records[-1]))
    result, docs, _ = _clean(tmp_path, "cut.warc.gz", data[:len(data) - last // 2])
    assert [d["url"] for d in docs][:3] == ["https://news.example/ferry", "https://ru.example/parom",
                                            "https://gr.example/limani"]


def test_a_file_that_is_not_a_warc_is_skipped_with_a_reason(tmp_path):
    result, docs, summary = _clean(tmp_path, "junk.warc", b"this is not an archive\n" * 10)
    assert docs == [] and result.exit_code == 1
    assert set(summary["skipped"]["by_reason"]) <= {"empty", "read-error"}
