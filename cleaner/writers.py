"""Output files, written atomically: each goes to a temporary name in the output directory and
is renamed into place only when complete, so a killed run never leaves a half-written file
under a final name (and can be resumed from its last checkpoint: `OutputWriter`)."""
from __future__ import annotations

import json
import os
import re
from typing import Any

from .model import Removal, Result, restore_text

DOCUMENTS = "documents.jsonl"
REMOVED = "removed.jsonl"
SUMMARY = "summary.json"
CHECKPOINT = ".checkpoint.json"
_UNSAFE = re.compile(r"[^\w.\-]+")


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


class AtomicFile:
    """A text file that appears under its final name only on `commit()`."""

    def __init__(self, path: str):
        self.path = path
        directory = os.path.dirname(path) or "."
        os.makedirs(directory, exist_ok=True)
        # A fixed temporary name: what a killed run left there is overwritten by the next run.
        self._tmp = os.path.join(directory, "." + os.path.basename(path) + ".tmp")
        self._f = open(self._tmp, "w", encoding="utf-8", newline="\n")

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


class ResumeMismatch(ValueError):
    """`--resume` on an output folder whose checkpoint belongs to another run."""


class OutputWriter:
    """documents (JSONL or one .txt per document), removed.jsonl and summary.json in one folder.

    The JSONL files grow under hidden partial names and are renamed into place when the run
    completes. Every `checkpoint_every` documents they are flushed to disk and their sizes
    written to a checkpoint, so a killed run can be resumed (`resume=True`): the partial files
    are cut back to the checkpoint, and the documents it counts are not written again (the run
    that resumes produces them again, in the same order: `run_key` and the last document's id
    check that it is the same run)."""

    def __init__(self, out_dir: str, fmt: str = "jsonl", run_key: str = "", resume: bool = False,
                 checkpoint_every: int = 1000):
        if fmt not in ("jsonl", "text"):
            raise ValueError(f"unknown output format {fmt!r}: use jsonl or text")
        self.out_dir = out_dir
        self.fmt = fmt
        self._run_key, self._every = run_key, checkpoint_every
        os.makedirs(out_dir, exist_ok=True)
        self._checkpoint = os.path.join(out_dir, CHECKPOINT)
        state = self._load_checkpoint() if resume else None
        self.resumed = state["results"] if state else 0  # documents the checkpoint counts
        self._last_id = state["last_id"] if state else None
        self._count = 0
        self._files = {}
        for name in ([DOCUMENTS] if fmt == "jsonl" else []) + [REMOVED]:
            f = open(self._partial(name), "r+b" if state else "wb")
            if state:
                f.truncate(state["sizes"][name])
                f.seek(0, os.SEEK_END)
            self._files[name] = f
        self._names: set[str] = set()

    def _partial(self, name: str) -> str:
        return os.path.join(self.out_dir, f".{name}.partial")

    def _load_checkpoint(self) -> dict[str, Any] | None:
        try:
            with open(self._checkpoint, encoding="utf-8") as f:
                state = json.load(f)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as e:
            raise ResumeMismatch(f"cannot resume: {self._checkpoint} is unreadable ({e})") from None
        if state.get("run") != self._run_key or state.get("format") != self.fmt:
            raise ResumeMismatch(f"cannot resume: {self.out_dir} holds a run with other inputs or settings; "
                                 f"run without --resume to start over")
        return state

    def write(self, result: Result) -> None:
        self._count += 1
        if self._count <= self.resumed:  # written before the checkpoint: only check and count it
            if self.fmt == "text" and not result.dropped:
                self._text_name(result.doc.id)
            if self._count == self.resumed and result.doc.id != self._last_id:
                raise ResumeMismatch(f"cannot resume: document {self._count} is now {result.doc.id!r}, "
                                     f"was {self._last_id!r}; the inputs changed")
            return
        removed = self._files[REMOVED]
        for r in result.removals:
            removed.write((dumps(r.to_json()) + "\n").encode("utf-8"))
        if not result.dropped:
            if self.fmt == "jsonl":
                self._files[DOCUMENTS].write((dumps(result.to_json()) + "\n").encode("utf-8"))
            else:
                write_atomic(os.path.join(self.out_dir, self._text_name(result.doc.id)), result.text)
        self._last_id = result.doc.id
        if self._count % self._every == 0:
            self.checkpoint()

    def _text_name(self, doc_id: str) -> str:
        name = text_file_name(doc_id)
        while name in self._names:  # two ids that sanitise to the same name
            name = name[:-4] + "_.txt"
        self._names.add(name)
        return name

    def _sync(self) -> None:
        for f in self._files.values():
            f.flush()
            os.fsync(f.fileno())

    def checkpoint(self) -> None:
        """Make what was written so far durable, and record it."""
        self._sync()
        write_atomic(self._checkpoint, json.dumps({
            "run": self._run_key, "format": self.fmt, "results": self._count, "last_id": self._last_id,
            "sizes": {name: f.tell() for name, f in self._files.items()}}) + "\n")

    def close(self, summary: dict[str, Any]) -> None:
        self._sync()
        for name, f in self._files.items():
            f.close()
            os.replace(self._partial(name), os.path.join(self.out_dir, name))
        write_atomic(os.path.join(self.out_dir, SUMMARY), json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
        if os.path.exists(self._checkpoint):
            os.unlink(self._checkpoint)

    def abort(self) -> None:
        """Stop writing; the partial files and the last checkpoint stay, for `--resume`."""
        for f in self._files.values():
            f.close()


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


def restore_document(out_dir: str, doc_id: str) -> str:
    """A document's input text, rebuilt from a run's output: kept text plus removed spans."""
    _, kept, removals = load_document(out_dir, doc_id)
    return restore_text(kept, removals)
