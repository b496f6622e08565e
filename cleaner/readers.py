"""Inputs -> Documents: files, directories, globs and stdin; .txt, .html, JSONL, WARC; gzip and zstd.

Every input yields Documents or a `Skip` that says why it was not read; nothing is dropped
without a trace. Problems with one input (or one JSON line) never stop the others.
"""
from __future__ import annotations

import codecs
import errno
import glob
import io
import itertools
import json
import logging
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import urlsplit

from charset_normalizer import from_bytes

from . import compression
from .compression import DecompressionBomb
from .model import Document, Skip

if TYPE_CHECKING:
    from .config import InputConfig

log = logging.getLogger(__name__)

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", re.I)
_HTML_SNIFF = re.compile(r"^\s*(<!doctype html|<html|<head|<body|<!--|<div|<p[\s>])", re.I)


class InputError(ValueError):
    """An input argument names nothing that can be read, or a JSONL input lacks the text field."""


FIELD_CHECK_RECORDS = 5  # a JSONL input whose first records all lack the text field stops the run


def iter_inputs(paths: list[str], cfg: InputConfig, stdin: BinaryIO | None = None) -> Iterator[Document | Skip]:
    """Documents and skips from each input argument, in order (directories sorted). JSONL is
    streamed record by record (`max_bytes` applies to each record); other files are one
    document each (`max_bytes` applies to the file). With `limit`, reading stops after that
    many documents."""
    items = _all_inputs(paths, cfg, stdin)
    if not cfg.limit:
        yield from items
        return
    count = 0
    for item in items:
        yield item
        count += isinstance(item, Document)
        if count == cfg.limit:
            items.close()
            return


def _all_inputs(paths: list[str], cfg: InputConfig, stdin: BinaryIO | None) -> Iterator[Document | Skip]:
    for arg in paths:
        if arg == "-":
            stream = io.BufferedReader(stdin if stdin is not None else sys.stdin.buffer)
            try:
                yield from _read_stream("stdin", "stdin", "", _decompressed(stream, "", cfg), cfg)
            except DecompressionBomb as e:
                yield _skip("stdin", f"{e.codec}-bomb", str(e))
            except compression.ERRORS as e:
                yield _skip("stdin", "read-error", f"cannot decompress: {e}")
            continue
        for item in _expand(arg):
            if isinstance(item, Skip):
                yield item
                continue
            path, doc_id = item
            for read in _read_file(path, doc_id, cfg):
                if isinstance(read, Document):
                    read.path = path
                yield read


def is_input_path(s: str) -> bool:
    """Whether a string given to `cleaner.clean` names input files (else it is a text): it
    exists, is "-", or is a glob that matches; InputError for one that looks like a path (one
    word, with a "/" or a known suffix) and names nothing."""
    if s == "-" or os.path.lexists(s):
        return True
    if glob.has_magic(s) and "\n" not in s and len(s) < 4096:
        if glob.glob(s, recursive=True):
            return True
        if not any(ch.isspace() for ch in s):
            raise InputError(f"no files match {s!r}")
    one_word = len(s) < 4096 and not any(ch.isspace() for ch in s)
    if one_word and ("/" in s or os.sep in s or _by_suffix(s) is not None or s.endswith((".gz", ".zst"))):
        raise InputError(f"input {s!r} does not exist")
    return False


def check_inputs(paths: list[str], cfg: InputConfig | None = None) -> None:
    """InputError for an argument that names nothing, and (with `cfg`) for a JSONL file whose
    first records lack the text field: before a run touches its output."""
    for arg in paths:
        if arg == "-":
            continue
        items = iter(_expand(arg))
        first = next(items, None)
        if first is None:
            raise InputError(f"the input folder {arg!r} holds no files (dot-files are left out)")
        if cfg is not None:
            for item in itertools.chain([first], items):
                if not isinstance(item, Skip) and _maybe_jsonl(item[0], cfg):
                    _check_text_field(item[0], item[1], cfg)


def _maybe_jsonl(path: str, cfg: InputConfig) -> bool:
    fmt = FORMATS[cfg.kind] if cfg.kind != "auto" else _by_suffix(path)
    return fmt is None or fmt.name == "jsonl"


def _check_text_field(path: str, doc_id: str, cfg: InputConfig) -> None:
    """Read a (possible) JSONL file up to its first document: InputError if its first records
    lack the text field (see _read_jsonl)."""
    reads = _read_file(path, doc_id, cfg)
    log.addFilter(_silent)  # what this look ahead skips, the run reads again and reports once
    try:
        for n, item in enumerate(reads):
            if isinstance(item, Document) or n > FIELD_CHECK_RECORDS:
                return
    finally:
        reads.close()
        log.removeFilter(_silent)


def _silent(record: logging.LogRecord) -> bool:
    return False


def _read_file(path: str, doc_id: str, cfg: InputConfig) -> Iterator[Document | Skip]:
    """One input file: only a regular file (a FIFO, device or socket, also behind a link, is
    skipped as `not-a-file` without being opened for reading: it could block forever)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except PermissionError as e:
        yield _skip(path, "unreadable", e.strerror or str(e))
        return
    except OSError as e:
        if e.errno == errno.ENXIO:  # a socket: there is nothing to open
            yield _skip(path, "not-a-file", "socket")
        else:
            yield _skip(path, "read-error", e.strerror or str(e))
        return
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        yield _skip(path, "not-a-file", _file_type(mode))
        return
    os.set_blocking(fd, True)
    try:
        with os.fdopen(fd, "rb") as f:
            site = os.path.dirname(doc_id)
            fmt = FORMATS[cfg.kind] if cfg.kind != "auto" else _by_suffix(path)
            if fmt is not None and fmt.reads_gzip and not path.endswith(".zst"):
                yield from fmt.read(path, doc_id, site, f, cfg)
                return
            yield from _read_stream(path, doc_id, site, _decompressed(f, path, cfg), cfg)
    except DecompressionBomb as e:
        yield _skip(path, f"{e.codec}-bomb", str(e))
    except compression.ERRORS as e:
        yield _skip(path, "read-error", f"cannot decompress: {e}")
    except OSError as e:
        yield _skip(path, "read-error", e.strerror or str(e))


def _file_type(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder")):
        if test(mode):
            return name
    return "not a regular file"


def _decompressed(f: io.BufferedReader, name: str, cfg: InputConfig) -> io.BufferedReader:
    """The stream, decompressed when its name or first bytes say gzip or zstd (bounded)."""
    codec = compression.codec_of(name, f.peek(4)[:4])
    return io.BufferedReader(compression.Bounded(f, codec, cfg.max_gzip_ratio, cfg.max_bytes)) if codec else f


def _read_stream(source: str, doc_id: str, site: str, stream: io.BufferedReader, cfg: InputConfig) -> Iterator[Document | Skip]:
    kind = cfg.kind
    if kind == "auto":
        kind = detect_kind(source, stream.peek(4096)[:4096])
        if kind not in ("jsonl", "warc") and _by_suffix(source) is None:
            stream, first = _first_line(stream, cfg.max_bytes)
            kind = "jsonl" if _json_object(first) else kind
    yield from FORMATS[kind].read(source, doc_id, site, stream, cfg)


def _first_line(stream: io.BufferedReader, limit: int) -> tuple[io.BufferedReader, bytes]:
    """The first line that is not blank, read whole (up to `limit` bytes), and a stream that
    still starts at the beginning: JSONL is told from text by parsing its first record, however
    long, not by its first 4 KB."""
    head = b""
    while not head.strip() and len(head) <= limit:
        line = stream.readline(limit + 1 - len(head))
        if not line:
            break
        head += line
    return io.BufferedReader(_Prefixed(head, stream)), head


class _Prefixed(io.RawIOBase):
    """Bytes already read from a stream, then the rest of the stream."""

    def __init__(self, head: bytes, rest: BinaryIO):
        self._head, self._rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n], self._head = self._head[:n], self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def _json_object(line: bytes) -> bool:
    enc, _ = stream_encoding(line[:4096])
    try:
        return isinstance(json.loads(line.decode(enc or "utf-8", "replace").strip("\ufeff\ufffd\x00 \t\r\n")), dict)
    except (ValueError, UnicodeDecodeError):
        return False


def _expand(arg: str) -> Iterator[tuple[str, str] | Skip]:
    """(path, id) pairs: the id is the path relative to the argument (a file's own name); a
    folder that cannot be listed is a Skip (`unreadable`)."""
    if os.path.isdir(arg):
        problems: list[OSError] = []
        for root, dirs, files in os.walk(arg, onerror=problems.append):
            yield from (_skip(e.filename or root, "unreadable", e.strerror or str(e)) for e in problems)
            problems.clear()
            linked = sorted(d for d in dirs if not d.startswith(".") and os.path.islink(os.path.join(root, d)))
            yield from (_skip(os.path.join(root, d), "not-a-file", "a link to a folder: not followed") for d in linked)
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in linked)
            for name in sorted(files):
                if not name.startswith("."):
                    path = os.path.join(root, name)
                    yield path, os.path.relpath(path, arg).replace(os.sep, "/")
        yield from (_skip(e.filename or arg, "unreadable", e.strerror or str(e)) for e in problems)
    elif os.path.exists(arg) or os.path.islink(arg):  # a file, a special file, a broken link: _read_file says
        yield arg, os.path.basename(arg)
    elif glob.has_magic(arg):
        matches = sorted(glob.glob(arg, recursive=True))
        if not matches:
            raise InputError(f"no files match {arg!r}")
        for m in matches:
            yield from _expand(m)
    else:
        raise InputError(f"input {arg!r} does not exist")


def _limited_read(f: BinaryIO, max_bytes: int) -> bytes | None:
    try:
        data = f.read(max_bytes + 1)
    except DecompressionBomb:
        raise
    except (OSError, *compression.ERRORS) as e:
        raise OSError(0, f"cannot decompress: {e}") from None
    return None if len(data) > max_bytes else data


def _skip(source: str, reason: str, detail: str = "", level: int = logging.WARNING) -> Skip:
    log.log(level, "skipped %s: %s%s", source, reason, f" ({detail})" if detail else "")
    return Skip(source, reason, detail)


def detect_kind(name: str, data: bytes) -> str:
    """The name of the input's format (FORMATS): from the file name, else from the content."""
    fmt = _by_suffix(name)
    if fmt is None:
        enc, _ = stream_encoding(data[:4096])
        head = data[:4096].decode(enc or "utf-8", "replace").lstrip("\ufeff")
        fmt = next(f for f in FORMATS.values() if f.sniff(head))
    return fmt.name


def stream_encoding(head: bytes) -> tuple[str | None, str | None]:
    """(encoding, decoding note) of a stream that is not plain UTF-8 by its first bytes: a byte
    order mark, or UTF-16/32 without one; (None, None) otherwise."""
    for bom, enc, note in _BOMS:
        if head.startswith(bom):
            return enc, note
    if wide := wide_unicode(head):
        return wide, f"detected:{wide}"
    return None, None


class _ToUtf8(io.RawIOBase):
    """A byte stream in another Unicode encoding, read as UTF-8 (JSONL is split into lines on
    its bytes: in UTF-16 a line end is two bytes, and other bytes are 0x0A too)."""

    def __init__(self, raw: BinaryIO, encoding: str):
        self._raw = raw
        self._decoder = codecs.getincrementaldecoder(encoding)("replace")
        self._pending = b""
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending and not self._done:
            chunk = self._raw.read(1 << 16)
            self._done = not chunk
            self._pending = self._decoder.decode(chunk, final=self._done).encode("utf-8", "surrogatepass")
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def _by_suffix(name: str) -> Format | None:
    base = compression.strip_suffix(name).lower()
    return next((f for f in FORMATS.values() if base.endswith(f.suffixes)), None)


def _looks_jsonl(head: str) -> bool:
    """The first line is a JSON object (when it ends within the head; a longer first line is
    parsed whole by `_read_stream`)."""
    first, *rest = head.lstrip().split("\n", 1)
    return bool(rest) and _json_object(first.encode("utf-8"))


def _read_text(source: str, doc_id: str, site: str, stream: BinaryIO, cfg: InputConfig) -> Iterator[Document | Skip]:
    return _read_bytes(source, doc_id, site, _limited_read(stream, cfg.max_bytes), cfg, "text")


def _read_html(source: str, doc_id: str, site: str, stream: BinaryIO, cfg: InputConfig) -> Iterator[Document | Skip]:
    return _read_bytes(source, doc_id, site, _limited_read(stream, cfg.max_bytes), cfg, "html")


def _read_bytes(source: str, doc_id: str, site: str, data: bytes | None, cfg: InputConfig,
                kind: str) -> Iterator[Document | Skip]:
    if data is None:
        yield _skip(source, "too-large", f"over input.max_bytes={cfg.max_bytes}")
        return
    if not data.strip():
        yield _skip(source, "empty")
        return
    if looks_binary(data):
        yield _skip(source, "binary")
        return
    text, note = decode(data, html=kind == "html")
    if not text.strip():
        yield _skip(source, "empty")
        return
    doc = Document(id=doc_id, text="" if kind == "html" else text, source=source, kind=kind, site=site,
                   html=text if kind == "html" else None)
    if note:
        doc.meta["decoding"] = note
    yield doc


def _read_warc(source: str, base_id: str, site: str, stream: BinaryIO, cfg: InputConfig) -> Iterator[Document | Skip]:
    """Response and resource records of a WARC archive (plain or gzip, per record or whole):
    HTML pages become documents (id: the record id; url, date and site from the record; charset
    from the HTTP header, else the page, else detected). Other payloads are skipped with reason
    `not-html` (logged at debug level: archives hold many); requests, metadata and warcinfo
    records carry no page and are passed over."""
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    if not stream.seekable():  # stdin, a zstd archive: fastwarc seeks, so it reads a spooled copy
        spooled = tempfile.TemporaryFile(prefix="cleaner-warc-")
        shutil.copyfileobj(stream, spooled, 1 << 20)
        spooled.seek(0)
        stream = spooled
    records = ArchiveIterator(stream, record_types=WarcRecordType.response | WarcRecordType.resource,
                              parse_http=True, auto_decode="all")
    try:
        yield from _warc_documents(source, base_id, records, cfg)
    except BaseException as e:  # fastwarc's Rust panics derive from BaseException
        if type(e).__name__ != "PanicException":
            raise
        yield _skip(source, "read-error", f"cannot read the archive: {str(e)[:200]}")


def _warc_documents(source: str, base_id: str, records, cfg: InputConfig) -> Iterator[Document | Skip]:
    empty = True
    for record in records:
        empty = False
        url = record.headers.get("WARC-Target-URI") or None
        where = f"{source}@{record.stream_pos}"
        ctype = (record.http_content_type if record.is_http else record.headers.get("Content-Type")) or ""
        if record.is_http and record.http_headers is not None and record.http_headers.status_code != 200:
            yield _skip(where, "http-status", f"{url}: HTTP {record.http_headers.status_code}", logging.DEBUG)
            continue
        if ctype.split(";")[0].strip().lower() not in _HTML_TYPES:
            yield _skip(where, "not-html", f"{url}: {ctype or 'no content type'}", logging.DEBUG)
            continue
        body = record.reader.read(cfg.max_bytes + 1)
        if len(body) > cfg.max_bytes:
            yield _skip(where, "too-large", f"{url}: record over input.max_bytes={cfg.max_bytes}")
            continue
        if not body.strip():
            yield _skip(where, "empty", url or "")
            continue
        if looks_binary(body):
            yield _skip(where, "binary", url or "")
            continue
        text, note = decode(body, html=True, declared=record.http_charset if record.is_http else None)
        rid = (record.headers.get("WARC-Record-ID") or "").strip("<>")
        doc = Document(id=rid or f"{base_id}@{record.stream_pos}", text="", source=where, url=url, kind="html",
                       site=host_of(url), html=text,
                       date=record.headers.get("WARC-Date") or None)
        if note:
            doc.meta["decoding"] = note
        yield doc
    if empty:
        yield _skip(source, "empty", "no response or resource records")


ROUTINE_SKIPS = {"not-html", "http-status"}  # what an archive normally holds besides pages: not a problem
_HTML_TYPES = {"text/html", "application/xhtml+xml", ""}


def _lines(stream: BinaryIO, limit: int) -> Iterator[tuple[int, bytes | None]]:
    """(line number, line) for each line; None for a line longer than `limit`, which is read
    through in bounded pieces rather than held in memory."""
    lineno = 0
    while True:
        raw = stream.readline(limit + 1)
        if not raw:
            return
        lineno += 1
        if len(raw) > limit and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):
                raw = stream.readline(1 << 20)
            yield lineno, None
            continue
        yield lineno, raw


_ARRAY_HINT = ("; the file looks like one JSON array: cleaner reads JSON Lines, one object a line "
               "(`jq -c '.[]' FILE > FILE.jsonl` converts it)")


def _read_jsonl(source: str, base_id: str, site: str, stream: BinaryIO, cfg: InputConfig) -> Iterator[Document | Skip]:
    encoding, file_note = stream_encoding(stream.peek(4096)[:4096]) if hasattr(stream, "peek") else (None, None)
    if encoding == "utf-8-sig":
        stream.read(3)
    elif encoding is not None:
        stream = io.BufferedReader(_ToUtf8(stream, encoding))
    empty = True
    found = False  # a record with the text (or HTML) field was seen
    fieldless: list[dict] = []
    for lineno, raw in _lines(stream, cfg.max_bytes):
        where = f"{source}:{lineno}"
        if raw is None:
            empty = False
            yield _skip(where, "too-large", f"record over input.max_bytes={cfg.max_bytes}")
            continue
        if not raw.strip():
            continue
        array = empty and raw.lstrip().startswith(b"[")  # the file's first record opens an array
        empty = False
        try:
            record = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            yield _skip(where, "invalid-json", str(e) + (_ARRAY_HINT if array else ""))
            continue
        if not isinstance(record, dict):
            yield _skip(where, "invalid-record", f"expected a JSON object, got {type(record).__name__}"
                        + (_ARRAY_HINT if array else ""))
            continue
        text, html = record.get(cfg.text_field), record.get(cfg.html_field)
        if not isinstance(text, str) and not isinstance(html, str):
            if not found:  # held until a record has the field: the file may be wholly wrong
                fieldless.append((where, record))
                if len(fieldless) >= FIELD_CHECK_RECORDS:
                    raise InputError(_missing_field_message(source, [r for _, r in fieldless], cfg))
                continue
            yield _missing_field(where, cfg)
            continue
        if not found:
            found = True
            yield from (_missing_field(w, cfg) for w, _ in fieldless)
        doc = record_document(record, where, f"{base_id}:{lineno}", site, cfg)
        if isinstance(doc, Document) and file_note and "decoding" not in doc.meta:
            doc.meta["decoding"] = file_note
        yield doc
    if fieldless and not found:  # a short file, none of whose records has the field
        raise InputError(_missing_field_message(source, [r for _, r in fieldless], cfg))
    if empty:
        yield _skip(source, "empty")


def record_document(record: dict, where: str, default_id: str, site: str, cfg: InputConfig) -> Document | Skip:
    """A record (a JSONL line, or a dict given to `cleaner.clean`) as a Document: its text (or
    HTML) field, id, url, title, date, and its other fields; a Skip when it has no text."""
    text, html = record.get(cfg.text_field), record.get(cfg.html_field)
    if not isinstance(text, str) and not isinstance(html, str):
        return _missing_field(where, cfg)
    body, note = fix_surrogates(text if isinstance(text, str) else html)
    if not body.strip():
        return _skip(where, "empty")
    rid = record.get(cfg.id_field)
    doc_id = str(rid) if isinstance(rid, (str, int)) and not isinstance(rid, bool) else default_id
    url = record.get(cfg.url_field) if isinstance(record.get(cfg.url_field), str) else None
    kind = "text" if isinstance(text, str) else "html"
    doc = Document(id=doc_id, text=body if kind == "text" else "", source=where, url=url, kind=kind,
                   site=host_of(url) or ("" if url else site), html=body if kind == "html" else None)
    title = record.get("title")
    if isinstance(title, str):
        doc.title = title
    date = record.get(cfg.date_field)
    if isinstance(date, str) or isinstance(date, (int, float)) and not isinstance(date, bool):
        doc.date = str(date)
    doc.fields = {k: v for k, v in record.items() if k not in (cfg.text_field, cfg.html_field)}
    if note:
        doc.meta["decoding"] = note
    return doc


def host_of(url: object) -> str:
    """The host of a URL ("" for none, and for a URL that does not parse: "http://[oops")."""
    if not isinstance(url, str):
        return ""
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def _missing_field(where: str, cfg: InputConfig) -> Skip:
    return _skip(where, "missing-field", f"no string {cfg.text_field!r} or {cfg.html_field!r} field")


def _missing_field_message(source: str, records: list[dict], cfg: InputConfig) -> str:
    """Why a JSONL input stops: its first records lack the text field; the fields they hold,
    and the one most likely meant (the one holding the longest strings)."""
    lengths: dict[str, int] = {}
    for record in records:
        for key, value in record.items():
            lengths[key] = max(lengths.get(key, 0), len(value) if isinstance(value, str) else 0)
    names = ", ".join(sorted(lengths)) or "none"
    held = [r[cfg.text_field] for r in records if cfg.text_field in r and not isinstance(r[cfg.text_field], str)]
    if held:
        return (f"{source}: the {cfg.text_field!r} field holds a {type(held[0]).__name__}, not a string; "
                f"fields found: {names}")
    guess = max(lengths, key=lambda k: (lengths[k], k), default=None)
    hint = f" (--text-field {guess}?)" if guess and lengths[guess] else ""
    return (f"{source}: none of the first {len(records)} records has a string {cfg.text_field!r} "
            f"or {cfg.html_field!r} field; fields found: {names}{hint}")


# Byte order marks, longest first (UTF-32's starts like UTF-16's), with the decoding note.
_BOMS = ((b"\xff\xfe\x00\x00", "utf-32", "bom:utf-32"), (b"\x00\x00\xfe\xff", "utf-32", "bom:utf-32"),
         (b"\xef\xbb\xbf", "utf-8-sig", "bom:utf-8"), (b"\xff\xfe", "utf-16", "bom:utf-16"),
         (b"\xfe\xff", "utf-16", "bom:utf-16"))
_WIDE_SAMPLE = 1 << 16


def wide_unicode(data: bytes) -> str | None:
    """UTF-32 or UTF-16 without a byte order mark: the encoding (utf-32-le, ...) in which the
    start of the data decodes cleanly into printable text, or None."""
    if b"\x00" not in data[:4096]:
        return None
    for enc, unit in (("utf-32-le", 4), ("utf-32-be", 4), ("utf-16-le", 2), ("utf-16-be", 2)):
        sample = data[:_WIDE_SAMPLE - _WIDE_SAMPLE % unit]
        sample = sample[:len(sample) - len(sample) % unit]
        try:
            text = sample.decode(enc)
        except UnicodeDecodeError:
            continue
        if text and sum(ch.isprintable() or ch in "\n\r\t" for ch in text) >= 0.98 * len(text):
            return enc
    return None


def looks_binary(data: bytes) -> bool:
    """NUL bytes or many control characters near the start, and neither a UTF-16/32 byte order
    mark nor UTF-16/32 text without one."""
    head = data[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")) or wide_unicode(data):
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls > 0.05 * len(head)


def decode(data: bytes, html: bool = False, declared: str | None = None) -> tuple[str, str | None]:
    """Text and a note on how it was decoded (None for clean UTF-8). `declared`: a charset from
    outside the bytes (an HTTP header), tried first."""
    if declared and codecs_lookup(declared) not in (None, "utf-8"):
        if found := _decoded(data, declared, "declared"):
            return found
    encoding, note = stream_encoding(data)
    if encoding is not None:
        return data.decode(encoding, "replace"), note
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    meta = _META_CHARSET.search(data[:4096]) if html else None
    if meta and (found := _decoded(data, meta.group(1).decode("ascii"), "declared")):
        return found
    encoding = detect_encoding(data[:65536])
    if encoding is not None and (found := _decoded(data, encoding, "detected")):
        return found
    return data.decode("utf-8", "replace"), "utf-8-with-replacement"


def _decoded(data: bytes, encoding: str, how: str) -> tuple[str, str] | None:
    """The bytes decoded strictly with `encoding` and a note ("declared:cp1251"), or None."""
    try:
        return data.decode(encoding), f"{how}:{encoding.lower()}"
    except (LookupError, UnicodeDecodeError):
        return None


# The legacy encodings most used on the web, preferred when the detector finds them about as
# plausible as its first choice (short texts often fit several code pages equally well).
_COMMON_ENCODINGS = ("cp1252", "cp1251", "shift_jis", "gb18030", "euc_kr", "big5", "cp1250", "iso8859_2",
                     "cp1256", "cp1253", "cp1254", "cp1255", "cp874", "koi8_r")


def detect_encoding(data: bytes) -> str | None:
    """charset_normalizer's choice, with near-ties broken in favour of common web encodings."""
    matches = list(from_bytes(data))
    matches = [m for m in matches if m.encoding not in ("utf_8", "ascii")]
    if not matches:
        return None
    best = min(m.chaos for m in matches)
    close = {m.encoding for m in matches if m.chaos <= best + 0.02}
    for enc in _COMMON_ENCODINGS:
        if enc in close:
            return enc
    return min(matches, key=lambda m: m.chaos).encoding


def codecs_lookup(name: str) -> str | None:
    """The codec's canonical name, or None for an unknown charset."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def fix_surrogates(text: str) -> tuple[str, str | None]:
    """Lone surrogates (from JSON escapes) cannot be written as UTF-8: replace them, with a note."""
    try:
        text.encode("utf-8")
        return text, None
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8"), "lone-surrogates-replaced"


@dataclass(frozen=True)
class Format:
    """An input format: how it is recognised (file suffixes, else the first 4 KB of content)
    and read (source, doc id, site, binary stream, InputConfig -> Documents and Skips)."""

    name: str
    suffixes: tuple[str, ...]
    sniff: Callable[[str], bool]
    read: Callable[..., Iterator[Document | Skip]]
    reads_gzip: bool = False  # given the file as it is (fastwarc reads gzip members itself)


# In sniffing order; a file that nothing else claims is text.
FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("warc", (".warc", ".arc"), lambda head: head.startswith("WARC/"), _read_warc, reads_gzip=True),
    Format("html", (".html", ".htm", ".xhtml", ".shtml"), lambda head: bool(_HTML_SNIFF.match(head)), _read_html),
    Format("jsonl", (".jsonl", ".ndjson", ".json"), _looks_jsonl, _read_jsonl),
    Format("text", (".txt", ".text", ".md"), lambda head: True, _read_text),
)}
KINDS = ("auto", *FORMATS)  # what input.kind and --kind accept
