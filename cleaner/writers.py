"""Output files, written atomically: each goes to a temporary name in the output directory and
is renamed into place only when complete, so a killed run never leaves a half-written file
under a final name."""
from __future__ import annotations

import json
import os
import re
import tempfile
from typing import Any

from .model import Removal, Result

DOCUMENTS = "documents.jsonl"
REMOVED = "removed.jsonl"
SUMMARY = "summary.json"
_UNSAFE = re.compile(r"[^\w.\-]+")


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


class AtomicFile:
    """A text file that appears under its final name only on `commit()`."""

    def __init__(self, path: str):
        self.path = path
        directory = os.path.dirname(path) or "."
        os.makedirs(directory, exist_ok=True)
        fd, self._tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", dir=directory)
        self._f = os.fdopen(fd, "w", encoding="utf-8", newline="\n")

    def write(self, s: str) -> None:
        self._f.write(s)

    def commit(self) -> None:
        self._f.flush()
        os.fsync(self._f.fileno())
        self._f.close()
        os.replace(self._tmp, self.path)

    def abort(self) -> None:
        self._f.close()
        if os.path.exists(self._tmp):
            os.unlink(self._tmp)


def write_atomic(path: str, text: str) -> None:
    f = AtomicFile(path)
    try:
        f.write(text)
        f.commit()
    except BaseException:
        f.abort()
        raise


def text_file_name(doc_id: str) -> str:
    """A safe relative path for a document's .txt file (sub-folders kept, no escaping the output)."""
    parts = [_UNSAFE.sub("_", p) for p in doc_id.replace("\\", "/").split("/") if p not in ("", ".", "..")]
    name = "/".join(p.lstrip(".") or "_" for p in parts) or "_"
    return name if name.endswith(".txt") else name + ".txt"


class OutputWriter:
    """documents (JSONL or one .txt per document), removed.jsonl and summary.json in one folder."""

    def __init__(self, out_dir: str, fmt: str = "jsonl"):
        if fmt not in ("jsonl", "text"):
            raise ValueError(f"unknown output format {fmt!r}: use jsonl or text")
        self.out_dir = out_dir
        self.fmt = fmt
        os.makedirs(out_dir, exist_ok=True)
        self._docs = AtomicFile(os.path.join(out_dir, DOCUMENTS)) if fmt == "jsonl" else None
        self._removed = AtomicFile(os.path.join(out_dir, REMOVED))
        self._names: set[str] = set()

    def write(self, result: Result) -> None:
        for r in result.removals:
            self._removed.write(dumps(r.to_json()) + "\n")
        if result.dropped:
            return
        if self._docs is not None:
            self._docs.write(dumps(result.to_json()) + "\n")
        else:
            name = text_file_name(result.doc.id)
            while name in self._names:  # two ids that sanitise to the same name
                name = name[:-4] + "_.txt"
            self._names.add(name)
            write_atomic(os.path.join(self.out_dir, name), result.text)

    def close(self, summary: dict[str, Any]) -> None:
        if self._docs is not None:
            self._docs.commit()
        self._removed.commit()
        write_atomic(os.path.join(self.out_dir, SUMMARY), json.dumps(summary, ensure_ascii=False, indent=2) + "\n")

    def abort(self) -> None:
        for f in (self._docs, self._removed):
            if f is not None:
                f.abort()


def read_jsonl(path: str) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_removals(out_dir: str) -> list[Removal]:
    return [Removal.from_json(d) for d in read_jsonl(os.path.join(out_dir, REMOVED))]


class NotInOutput(LookupError):
    """The output folder has no such document."""


def load_document(out_dir: str, doc_id: str) -> tuple[dict[str, Any] | None, str, list[Removal]]:
    """A document as a run wrote it: its record (None when it was dropped whole or written as
    .txt), its kept text, and its removals in text order."""
    if not os.path.exists(os.path.join(out_dir, REMOVED)):
        raise NotInOutput(f"{out_dir} is not a cleaner output folder (no {REMOVED})")
    removals = sorted((r for r in read_removals(out_dir) if r.doc_id == doc_id), key=lambda r: r.start)
    record, kept = None, ""
    docs = os.path.join(out_dir, DOCUMENTS)
    if os.path.exists(docs):
        with open(docs, encoding="utf-8") as f:
            for line in f:
                d = json.loads(line)
                if d["id"] == doc_id:
                    record, kept = d, d["text"]
                    break
    else:
        path = os.path.join(out_dir, text_file_name(doc_id))
        if os.path.exists(path):
            with open(path, encoding="utf-8", newline="") as f:
                kept = f.read()
            record = {"id": doc_id}
    if record is None and not removals:
        raise NotInOutput(f"no document {doc_id!r} in {out_dir}")
    return record, kept, removals
