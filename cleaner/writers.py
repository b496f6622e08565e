"""Output files of a run, in a folder the run owns (`outfolder.OutputFolder`): documents.jsonl
(or one .txt per document), removed.jsonl, summary.json and the manifest.

The JSONL files grow under hidden partial names and are renamed into place when the run
completes, so a killed run never leaves a half-written file under a final name. Every
`checkpoint_every` documents they are synced and a checkpoint records their sizes, hashes and a
fingerprint of the inputs read so far, so a killed run can be resumed (`resume=True`)."""
from __future__ import annotations

import hashlib
import json
import os
import re
from typing import Any

from .compression import SUFFIXES, SegmentWriter
from .config import OutputConfig
from .model import Document, Removal, Result, restore_text
from .outfolder import (MANIFEST, NAMES_JOURNAL, OutputFolder, OutputFolderError, RunOutput, read_names_journal,
                        write_all)

DOCUMENTS = "documents.jsonl"
REMOVED = "removed.jsonl"
SUMMARY = "summary.json"
CHECKPOINT = ".checkpoint.json"
MAX_NAME_BYTES = 200  # a part of a text file's name (file systems allow 255)
MAX_PATH_BYTES = 1000  # a text file's path under the output folder
_UNSAFE = re.compile(r"[^\w.\-]+")


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _short_hash(doc_id: str) -> str:
    return hashlib.sha1(doc_id.encode("utf-8", "surrogatepass")).hexdigest()[:10]


def _cut(part: str, limit: int, doc_id: str, suffix: str = "") -> str:
    """`part` within `limit` bytes: a prefix, a short hash of the id, then `suffix`."""
    room = limit - len(suffix.encode()) - 11
    head = part.encode("utf-8")[:room].decode("utf-8", "ignore")
    return f"{head}~{_short_hash(doc_id)}{suffix}"


def text_file_name(doc_id: str) -> str:
    """A safe relative path for a document's .txt file: sub-folders kept, nothing escaping the
    output, each part at most MAX_NAME_BYTES and the whole at most MAX_PATH_BYTES (a cut name
    ends in a short hash of the id)."""
    parts = [_UNSAFE.sub("_", p).lstrip(".") or "_" for p in doc_id.replace("\\", "/").split("/")
             if p not in ("", ".", "..")] or ["_"]
    stem = parts[-1][:-4] if parts[-1].endswith(".txt") else parts[-1]
    dirs = [p if len(p.encode()) <= MAX_NAME_BYTES else _cut(p, MAX_NAME_BYTES, doc_id) for p in parts[:-1]]
    last = stem + ".txt" if len(stem.encode()) + 4 <= MAX_NAME_BYTES else _cut(stem, MAX_NAME_BYTES, doc_id, ".txt")
    name = "/".join(dirs + [last])
    if len(name.encode()) > MAX_PATH_BYTES:
        return _cut(stem, MAX_NAME_BYTES, doc_id, ".txt")
    return name


class ResumeMismatch(ValueError):
    """`--resume` on an output folder whose checkpoint belongs to another run or other inputs."""


class _Partial:
    """A file that grows under a hidden name, hashed as it is written."""

    def __init__(self, folder: OutputFolder, name: str, size: int | None, digest: str | None = None, codec: str = ""):
        self.name, self._folder = name, folder
        self.hidden = f".{name}.partial" if name != NAMES_JOURNAL else name
        self._segments = SegmentWriter(codec) if codec else None  # a segment ends at each checkpoint
        if size is None:
            folder.unlink(self.hidden)
            self.fd = folder.create(self.hidden)
            self.size, self._hash = 0, hashlib.sha256()
            return
        self.fd = folder.open_existing(self.hidden)
        have = os.fstat(self.fd).st_size
        if have < size:
            os.close(self.fd)
            raise ResumeMismatch(f"cannot resume: {self.hidden} in {folder.path} is shorter ({have} bytes) than its "
                                 f"checkpoint ({size} bytes): the partial output was damaged; start over with --overwrite")
        self._hash = hashlib.sha256()
        left = size
        while left:
            chunk = os.pread(self.fd, min(left, 1 << 20), size - left)
            self._hash.update(chunk)
            left -= len(chunk)
        if digest is not None and self._hash.hexdigest() != digest:
            os.close(self.fd)
            raise ResumeMismatch(f"cannot resume: {self.hidden} in {folder.path} was changed after its checkpoint "
                                 f"(its first {size} bytes differ): start over with --overwrite")
        os.ftruncate(self.fd, size)  # what came after the checkpoint is written again
        os.lseek(self.fd, size, os.SEEK_SET)
        self.size = size

    def write(self, data: bytes) -> None:
        if self._segments is not None:
            data = self._segments.compress(data)
        self._write(data)

    def end_segment(self) -> None:
        if self._segments is not None:
            self._write(self._segments.end())

    def _write(self, data: bytes) -> None:
        self._hash.update(data)
        self.size += len(data)
        write_all(self.fd, data, os.path.join(self._folder.path, self.hidden))

    def digest(self) -> str:
        """SHA-256 of what was written so far."""
        return self._hash.copy().hexdigest()

    def sync(self) -> None:
        try:
            os.fsync(self.fd)
        except OSError as e:
            raise OSError(e.errno, e.strerror, os.path.join(self._folder.path, self.hidden)) from None

    def finish(self) -> tuple[int, str]:
        self.end_segment()
        self.sync()
        os.close(self.fd)
        return self.size, self._hash.hexdigest()


class OutputWriter:
    """Writes a run's results into its output folder (see the module docstring). On resume, the
    partial files are cut back to the checkpoint and the documents it counts are not written
    again: the resuming run produces them again, in the same order, and their fingerprint (the
    documents' ids, sources and texts, and the size and time of each input file) must match the
    killed run's, else `ResumeMismatch`."""

    def __init__(self, folder: OutputFolder, fmt: str = "jsonl", run_key: str = "", resume: bool = False,
                 checkpoint_every: int = 1000, output: OutputConfig | None = None):
        if fmt not in ("jsonl", "text"):
            raise ValueError(f"unknown output format {fmt!r}: use jsonl or text")
        self.folder, self.fmt = folder, fmt
        self._output = output or OutputConfig()
        folder.manifest["fields"] = {"id": self._output.id_field, "text": self._output.text_field}
        codec = self._output.compress if fmt == "jsonl" else ""
        folder.manifest["compress"] = codec
        self._run_key, self._every = run_key, checkpoint_every
        state = self._load_checkpoint() if resume else None
        self.resumed = state["results"] if state else 0  # documents the checkpoint counts
        self._state = state
        self._count = 0
        self._fingerprint = hashlib.sha256()
        self._seen_files: set[str] = set()
        names = ([DOCUMENTS] if fmt == "jsonl" else [NAMES_JOURNAL]) + [REMOVED]
        self._files = {name: _Partial(folder, output_name(name, codec), state["sizes"][name] if state else None,
                                      state.get("hashes", {}).get(name) if state else None,
                                      codec if name != NAMES_JOURNAL else "") for name in names}
        for f in self._files.values():
            folder.record(f.hidden, 0, "")
        folder.record(CHECKPOINT, 0, "")
        self._names: dict[str, str] = {}  # text output: id -> file name
        self._used_files: set[str] = set()
        self._used_dirs: set[str] = set()
        folder.save_manifest()

    def _load_checkpoint(self) -> dict[str, Any] | None:
        try:
            data = self.folder.read_file(CHECKPOINT)
        except FileNotFoundError:
            return None
        try:
            state = json.loads(data)
            state["sizes"], state["results"]  # noqa: B018 (shape check)
        except (ValueError, KeyError, TypeError):
            raise ResumeMismatch(f"cannot resume: {CHECKPOINT} in {self.folder.path} is damaged; "
                                 f"start over with --overwrite") from None
        if state.get("run") != self._run_key or state.get("format") != self.fmt:
            raise ResumeMismatch(f"cannot resume: {self.folder.path} holds a run with other inputs or settings; "
                                 f"start over with --overwrite")
        return state

    def write(self, result: Result) -> None:
        self._count += 1
        self._fingerprint_add(result.doc)
        if self._count <= self.resumed:  # written before the checkpoint: only check and count it
            if self.fmt == "text" and not result.dropped:
                self.folder.record_existing(self._text_name(result.doc.id))
            if self._count == self.resumed:
                self._check_resumed(result)
            return
        removed = self._files[REMOVED]
        for r in result.removals:
            removed.write((dumps(r.to_json()) + "\n").encode("utf-8"))
        if not result.dropped:
            if self.fmt == "jsonl":
                out = self._output
                record = result.to_json(out.text_field, out.id_field, out.drop_fields)
                self._files[DOCUMENTS].write((dumps(record) + "\n").encode("utf-8"))
            else:
                name = self._text_name(result.doc.id)
                self._files[NAMES_JOURNAL].write((dumps([result.doc.id, name]) + "\n").encode("utf-8"))
                self.folder.write_atomic(name, result.text.encode("utf-8", "surrogatepass"))
        if self._count % self._every == 0:
            self.checkpoint(result.doc.id)

    def _fingerprint_add(self, doc: Document) -> None:
        """The documents read so far and the input files they came from (size, modification time)."""
        if doc.path and doc.path not in self._seen_files:
            self._seen_files.add(doc.path)
            try:
                st = os.stat(doc.path)
                self._fingerprint.update(dumps([doc.path, st.st_size, st.st_mtime_ns]).encode("utf-8", "surrogatepass"))
            except OSError:
                self._fingerprint.update(dumps([doc.path, None]).encode("utf-8", "surrogatepass"))
        self._fingerprint.update(dumps([doc.id, doc.source]).encode("utf-8", "surrogatepass"))
        self._fingerprint.update(hashlib.sha256(doc.text.encode("utf-8", "surrogatepass")).digest())

    def _check_resumed(self, result: Result) -> None:
        state = self._state
        if result.doc.id != state.get("last_id"):
            raise ResumeMismatch(f"cannot resume: document {self._count} is now {result.doc.id!r}, "
                                 f"was {state.get('last_id')!r}; the inputs changed: start over with --overwrite")
        if state.get("fingerprint") != self._fingerprint.hexdigest():
            raise ResumeMismatch("cannot resume: the inputs read before the checkpoint changed since the killed run "
                                 "(a record's text, or a file's size or time): start over with --overwrite")

    def _text_name(self, doc_id: str) -> str:
        """The document's .txt file: its own name, or, when that clashes with another document's
        file or folder, the name with a short hash of the id."""
        name = text_file_name(doc_id)
        flat, k = name[:-4].replace("/", "_"), 1
        while self._clashes(name):  # flat, in the output folder itself: no folder on the way can clash
            name = _cut(flat, MAX_NAME_BYTES, doc_id if k == 1 else f"{doc_id}#{k}", ".txt")
            k += 1
        parts = name.split("/")
        self._used_dirs.update("/".join(parts[:i]) for i in range(1, len(parts)))
        self._used_files.add(name)
        self._names[doc_id] = name
        return name

    def _clashes(self, name: str) -> bool:
        parts = name.split("/")
        return (name in self._used_files or name in self._used_dirs or name in (MANIFEST, DOCUMENTS, REMOVED, SUMMARY)
                or any("/".join(parts[:i]) in self._used_files for i in range(1, len(parts))))

    def checkpoint(self, last_id: str | None = None) -> None:
        """Make what was written so far durable, and record it."""
        for f in self._files.values():
            f.end_segment()
            f.sync()
        self.folder.write_atomic(CHECKPOINT, (json.dumps({
            "run": self._run_key, "format": self.fmt, "results": self._count, "last_id": last_id,
            "fingerprint": self._fingerprint.hexdigest(),
            "sizes": {name: f.size for name, f in self._files.items()},
            "hashes": {name: f.digest() for name, f in self._files.items()}}) + "\n").encode("utf-8"), record=False)

    def close(self, summary: dict[str, Any]) -> None:
        folder = self.folder
        for name, f in self._files.items():
            size, digest = f.finish()
            folder.manifest["files"].pop(f.hidden, None)
            if name == NAMES_JOURNAL:
                folder.unlink(NAMES_JOURNAL)
                continue
            folder.replace(f.hidden, f.name)
            folder.record(f.name, size, digest)
        if self.fmt == "text":
            folder.manifest["documents"] = self._names
        folder.write_atomic(SUMMARY, (json.dumps(summary, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
        folder.unlink(CHECKPOINT)
        folder.manifest["files"].pop(CHECKPOINT, None)
        folder.save_manifest("complete")

    def abort(self) -> None:
        """Stop writing; the partial files and the last checkpoint stay, for `--resume`."""
        for f in self._files.values():
            try:
                os.close(f.fd)
            except OSError:
                pass


class NotInOutput(LookupError):
    """The output folder has no such document."""


def load_document(out_dir: str, doc_id: str) -> tuple[dict[str, Any] | None, str, list[Removal]]:
    """A document as a run wrote it: its record (None when it was dropped whole), its kept text,
    and its removals in text order. Only files the run's manifest vouches for are read."""
    with RunOutput(out_dir) as out:
        removals = sorted((Removal.from_json(d) for d in read_records(out, REMOVED) if d.get("doc_id") == doc_id),
                          key=lambda r: r.start)
        record, kept = None, ""
        if out.fmt == "jsonl":
            names = out.manifest.get("fields", {})
            id_field, text_field = names.get("id", "id"), names.get("text", "text")
            for d in read_records(out, DOCUMENTS):
                if record is None and d.get(id_field) == doc_id:
                    record, kept = d, d[text_field]
        elif (name := out.text_name(doc_id)) is not None:
            kept = out.read(name).decode("utf-8", "surrogatepass")
            record = {"id": doc_id}
    if record is None and not removals:
        raise NotInOutput(f"no document {doc_id!r} in {out_dir}")
    return record, kept, removals


def resolve_id(out_dir: str, given: str) -> str:
    """The document id `given` names: itself, else the one id of the run that starts with it
    (NotInOutput when none or several do)."""
    with RunOutput(out_dir) as out:
        ids = {d.get("doc_id") for d in read_records(out, REMOVED)}
        if out.fmt == "jsonl":
            id_field = out.manifest.get("fields", {}).get("id", "id")
            ids |= {d.get(id_field) for d in read_records(out, DOCUMENTS)}
        else:
            ids |= set(out.manifest.get("documents", {}))
    if given in ids:
        return given
    matches = sorted(i for i in ids if isinstance(i, str) and i.startswith(given))
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NotInOutput(f"no document {given!r} in {out_dir}")
    shown = ", ".join(matches[:5]) + (", ..." if len(matches) > 5 else "")
    raise NotInOutput(f"{given!r} starts {len(matches)} document ids in {out_dir} ({shown}): give more of it")


def output_name(name: str, codec: str) -> str:
    """The file a run writes for `name` (documents.jsonl.gz with gzip)."""
    return name + SUFFIXES[codec] if codec else name


def read_records(out: RunOutput, name: str):
    """The JSON records of a JSONL file of the run (all read, so the file's hash is checked)."""
    codec = out.manifest.get("compress") or ""
    for line in out.lines(output_name(name, codec), codec):
        if line.strip():
            yield json.loads(line)


def restore_document(out_dir: str, doc_id: str) -> str:
    """A document's input text, rebuilt from a run's output: kept text plus removed spans."""
    _, kept, removals = load_document(out_dir, doc_id)
    return restore_text(kept, removals)


__all__ = ["CHECKPOINT", "DOCUMENTS", "REMOVED", "SUMMARY", "NotInOutput", "OutputFolderError", "OutputWriter",
           "ResumeMismatch", "load_document", "read_records", "resolve_id", "restore_document", "text_file_name", "read_names_journal"]
