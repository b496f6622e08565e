"""The output folder, owned by one run.

A run refuses a folder that is, holds or lies inside one of its inputs, and a folder that holds
anything but an earlier cleaner run (which it replaces only with `overwrite`, removing exactly
the files that run's manifest lists). It takes a lock on the folder for the run, and creates
every file itself (`O_EXCL | O_NOFOLLOW` under the folder's descriptor), so a symbolic link
planted inside the folder is never followed. A manifest (`manifest.json`) names the run and
every file it wrote, with sizes and SHA-256 hashes (and, for text output, the file of each
document); `restore` and `explain` read only files the manifest vouches for.
"""
from __future__ import annotations

import fcntl
import glob
import hashlib
import json
import os
import stat
import time
import uuid
from typing import Any

from .compression import decompressed

MANIFEST = "manifest.json"
LOCK = ".cleaner.lock"
NAMES_JOURNAL = ".documents.names"  # text output: (id, file name) of each file, written before the file
MANIFEST_KIND = "cleaner-output"
MANIFEST_VERSION = 1
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_READ_CHUNK = 1 << 20


class OutputFolderError(Exception):
    """The output folder cannot be used as asked (a message the user can act on)."""


def check_apart(out_dir: str, inputs: list[str], what: str = "the output folder", other: str = "-o") -> None:
    """Refuse an output (folder, or `what`) that is, contains or lies inside one of the inputs."""
    out = os.path.realpath(out_dir)
    for arg in inputs:
        if arg == "-":
            continue
        paths = glob.glob(arg, recursive=True) if glob.has_magic(arg) else [arg]
        for path in paths or [arg.split("*", 1)[0] or "."]:
            real = os.path.realpath(path)
            if real == out:
                raise OutputFolderError(f"{what} {out_dir} is an input ({arg}): choose another {other}")
            if _within(out, real):
                raise OutputFolderError(f"{what} {out_dir} lies inside the input {arg}: "
                                        f"its files would be read as input; choose a folder outside it")
            if _within(real, out):
                raise OutputFolderError(f"{what} {out_dir} holds the input {path}: choose another {other}")


def _within(path: str, folder: str) -> bool:
    return path != folder and os.path.commonpath([path, folder]) == folder


def sha256_file(fd: int) -> tuple[int, str]:
    """(size, hex SHA-256) of an open file, read from its start."""
    h, size = hashlib.sha256(), 0
    os.lseek(fd, 0, os.SEEK_SET)
    while chunk := os.read(fd, _READ_CHUNK):
        h.update(chunk)
        size += len(chunk)
    return size, h.hexdigest()


def write_all(fd: int, data: bytes, path: str) -> None:
    """All of `data` to `fd` (a write can take less than it is given); an error names `path`."""
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view):]
    except OSError as e:
        raise OSError(e.errno, e.strerror, path) from None


def check_name(name: str, folder: str) -> None:
    """A file name of the run must stay inside its folder: relative, no empty, `.` or `..` part
    (a manifest or names journal that says otherwise was not written by cleaner)."""
    if not name or "\0" in name or any(part in ("", ".", "..") for part in name.split("/")):
        raise OutputFolderError(f"the run in {folder} lists a file outside its folder ({name!r}): "
                                f"its manifest was not written by cleaner; choose another folder")


class OutputFolder:
    """The folder a run writes to (see the module docstring). `names` are paths relative to
    the folder, with "/" between parts."""

    def __init__(self, path: str, run_key: str, fmt: str, resume: bool = False, overwrite: bool = False):
        self.path = path
        if os.path.islink(path):
            raise _link_error(path)
        if os.path.exists(path) and not os.path.isdir(path):
            raise OutputFolderError(f"the output {path} exists and is not a folder")
        self.created = not os.path.exists(path)
        try:
            os.makedirs(path, exist_ok=True)
        except OSError as e:
            raise OutputFolderError(f"cannot create the output folder {path}: {e.strerror}") from None
        self._open_locked()
        try:
            self._take(run_key, fmt, resume, overwrite)
        except BaseException:
            self.close()
            raise

    @classmethod
    def add_file(cls, path: str, name: str, data: bytes) -> None:
        """Add a file (a report) to the completed run in `path`, under its lock, and list it in
        the run's manifest (so `--overwrite` takes it away with the run)."""
        folder = cls.__new__(cls)
        folder.path, folder.created = path, False
        folder._open_locked()
        try:
            folder.manifest = read_manifest(folder.fd, path)
            if folder.manifest.get("status") != "complete":
                raise OutputFolderError(f"{path} holds a run that did not complete: continue it with --resume")
            folder.write_atomic(name, data)
            folder.save_manifest("complete")
        finally:
            folder.close()

    def _take(self, run_key: str, fmt: str, resume: bool, overwrite: bool) -> None:
        """Check that the folder may be written by this run (see the module docstring)."""
        path = self.path
        earlier = read_manifest(self.fd, path, required=False)
        entries = set(os.listdir(self.fd)) - {LOCK}
        if resume and earlier is not None:
            if earlier.get("run_key") != run_key:
                raise OutputFolderError(f"cannot resume: {path} holds a run with other inputs or settings; "
                                        f"start over with --overwrite")
            if earlier.get("status") == "complete":
                raise OutputFolderError(f"cannot resume: the run in {path} completed; run again with --overwrite")
        elif entries:  # (--resume on an empty folder starts afresh: there is nothing to continue)
            if earlier is None:
                raise OutputFolderError(f"the output folder {path} is not empty and holds no cleaner run: "
                                        f"choose an empty or new folder")
            if not overwrite:
                what = "a killed run (continue it with --resume)" if earlier.get("status") != "complete" else "an earlier run"
                raise OutputFolderError(f"the output folder {path} holds {what}; use --overwrite to replace it")
            names = self._run_names(earlier)
            foreign = sorted(set(entries) - {n.split("/")[0] for n in names} - {LOCK, MANIFEST})
            if foreign:  # checked before anything is removed
                raise OutputFolderError(f"the output folder {path} holds files that are not the earlier run's "
                                        f"({', '.join(foreign[:3])}): choose an empty or new folder")
            self._remove_run(names)
            left = sorted(set(os.listdir(self.fd)) - {LOCK})
            if left:
                raise OutputFolderError(f"the output folder {path} holds files that are not the earlier run's "
                                        f"({', '.join(left[:3])}): choose an empty or new folder")
        self.manifest: dict[str, Any] = {
            "kind": MANIFEST_KIND, "version": MANIFEST_VERSION, "run_id": uuid.uuid4().hex, "run_key": run_key,
            "format": fmt, "status": "running", "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "files": {},
        }

    # -- ownership ---------------------------------------------------------------------------------
    def _open_locked(self) -> None:
        self.fd = _open_folder(self.path)
        try:
            self._lock_fd = self._lock()
        except BaseException:
            os.close(self.fd)
            raise

    def _lock(self) -> int:
        fd = os.open(LOCK, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644, dir_fd=self.fd)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise OutputFolderError(f"another cleaner run is writing to {self.path}; wait for it or choose "
                                    f"another folder") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        return fd

    def _run_names(self, earlier: dict[str, Any]) -> list[str]:
        """The files an earlier run's manifest lists (and, for a killed run of text output, the
        document files its names journal lists); a name that leaves the folder refuses it."""
        names = list(earlier.get("files", {})) + list(earlier.get("documents", {}).values())
        if NAMES_JOURNAL in earlier.get("files", {}):
            names += [name for _, name in read_names_journal(self)]
        for name in names:
            check_name(name, self.path)
        return names

    def _remove_run(self, names: list[str]) -> None:
        """Remove exactly the files the earlier run lists (`_run_names`) and its manifest, then
        the folders they were in."""
        for name in names + [MANIFEST]:
            self.unlink(name)
        folders = {"/".join(n.split("/")[:k]) for n in names for k in range(1, n.count("/") + 1)}
        for d in sorted(folders, key=lambda d: -d.count("/")):
            try:
                os.rmdir(d, dir_fd=self.fd)
            except OSError:
                pass  # not empty: something else is in it, reported by the caller

    def close(self) -> None:
        self.unlink(LOCK)
        os.close(self._lock_fd)  # releases the lock
        os.close(self.fd)

    def discard(self) -> None:
        """Take back what this run wrote (a run refused after it began leaves the folder as it
        found it), then close; the folder goes too if this run created it."""
        self._remove_run(list(self.manifest["files"]))
        self.close()
        if self.created:
            try:
                os.rmdir(self.path)
            except OSError:
                pass  # something else was put in it meanwhile: left

    # -- files -----------------------------------------------------------------------------------
    def _parent(self, name: str, create: bool) -> tuple[int, str, bool]:
        """(descriptor of the folder holding `name`, its last part, whether the descriptor must be
        closed); folders on the way are created when `create`, never followed when links. A
        missing folder on the way is FileNotFoundError when not `create`."""
        check_name(name, self.path)
        *dirs, last = name.split("/")
        if not dirs:
            return self.fd, last, False
        fd, so_far = self.fd, []
        try:
            for part in dirs:
                so_far.append(part)
                if create:
                    try:
                        os.mkdir(part, 0o755, dir_fd=fd)
                    except FileExistsError:
                        pass
                child = os.open(part, _DIR_FLAGS, dir_fd=fd)
                if fd != self.fd:
                    os.close(fd)
                fd = child
        except FileNotFoundError:
            if fd != self.fd:
                os.close(fd)
            if not create:
                raise
            raise OutputFolderError(f"cannot use {os.path.join(self.path, *so_far)}: it disappeared") from None
        except OSError as e:
            if fd != self.fd:
                os.close(fd)
            raise OutputFolderError(f"cannot use {os.path.join(self.path, *so_far)}: "
                                    f"{e.strerror} (a link or a file where a folder is needed)") from None
        return fd, last, True

    def create(self, name: str) -> int:
        """A new file of the run, opened for writing: never an existing file, never through a link."""
        fd, last, close = self._parent(name, create=True)
        try:
            return os.open(last, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644, dir_fd=fd)
        except FileExistsError:
            raise OutputFolderError(f"{os.path.join(self.path, name)} appeared while the run was writing "
                                    f"(another program writes to the output folder)") from None
        finally:
            if close:
                os.close(fd)

    def open_existing(self, name: str) -> int:
        """A file of the run being resumed, opened for reading and writing; it must be a regular file."""
        fd = os.open(name, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=self.fd)
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise OutputFolderError(f"{os.path.join(self.path, name)} is not a regular file")
        return fd

    def read_file(self, name: str) -> bytes:
        """A regular file of the run (FileNotFoundError if there is none), never through a link."""
        fd, last, close = self._parent(name, create=False)
        try:
            f = os.open(last, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
        except OSError as e:
            if isinstance(e, FileNotFoundError):
                raise
            raise OutputFolderError(f"cannot read {os.path.join(self.path, name)}: {e.strerror}") from None
        finally:
            if close:
                os.close(fd)
        with os.fdopen(f, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise OutputFolderError(f"{os.path.join(self.path, name)} is not a regular file")
            return fh.read()

    def record_existing(self, name: str) -> None:
        """Put a file an earlier (killed) attempt of this run wrote into the manifest."""
        data = self.read_file(name)
        self.record(name, len(data), hashlib.sha256(data).hexdigest())

    def unlink(self, name: str) -> None:
        try:
            fd, last, close = self._parent(name, create=False)
        except FileNotFoundError:
            return  # its folder is not there: neither is the file
        try:
            os.unlink(last, dir_fd=fd)  # removes a link itself, never what it points to
        except FileNotFoundError:
            pass
        finally:
            if close:
                os.close(fd)

    def replace(self, src: str, dst: str) -> None:
        os.replace(src, dst, src_dir_fd=self.fd, dst_dir_fd=self.fd)

    def write_atomic(self, name: str, data: bytes, record: bool = True) -> None:
        """`name` appears complete or not at all (a temporary file, synced, renamed into place)."""
        *dirs, last = name.split("/")
        tmp = "/".join(dirs + [f".{last}.tmp"])
        self.unlink(tmp)  # what a killed run of this output left
        fd = self.create(tmp)
        try:
            write_all(fd, data, os.path.join(self.path, name))
            os.fsync(fd)
        except OSError as e:
            raise OSError(e.errno, e.strerror, os.path.join(self.path, name)) from None
        finally:
            os.close(fd)
        if dirs:
            parent, _, close = self._parent(name, create=False)
            try:
                os.replace(f".{last}.tmp", last, src_dir_fd=parent, dst_dir_fd=parent)
            finally:
                if close:
                    os.close(parent)
        else:
            self.replace(tmp, name)
        if record:
            self.record(name, len(data), hashlib.sha256(data).hexdigest())

    def record(self, name: str, size: int, digest: str) -> None:
        self.manifest["files"][name] = {"bytes": size, "sha256": digest}

    def save_manifest(self, status: str = "running") -> None:
        self.manifest["status"] = status
        data = (json.dumps(self.manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")
        self.write_atomic(MANIFEST, data, record=False)


def read_names_journal(folder: "OutputFolder") -> list[tuple[str, str]]:
    """The (id, file name) pairs a (killed) run of text output recorded before writing each file."""
    try:
        fd = os.open(NAMES_JOURNAL, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=folder.fd)
    except FileNotFoundError:
        return []
    out = []
    with os.fdopen(fd, "rb") as f:
        for line in f:
            try:
                doc_id, name = json.loads(line)
            except (ValueError, TypeError):
                continue  # a line cut by the kill
            if isinstance(name, str) and name and not name.startswith("/") and ".." not in name.split("/"):
                out.append((doc_id, name))
    return out


def read_manifest(dir_fd: int, path: str, required: bool = True) -> dict[str, Any] | None:
    """The manifest of the run in a folder (None if there is none and it is not `required`)."""
    try:
        fd = os.open(MANIFEST, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
    except FileNotFoundError:
        if required:
            raise OutputFolderError(f"{path} is not a cleaner output folder (no {MANIFEST})") from None
        return None
    except OSError as e:
        raise OutputFolderError(f"cannot read {os.path.join(path, MANIFEST)}: {e.strerror}") from None
    try:
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise OutputFolderError(f"{os.path.join(path, MANIFEST)} is not a regular file")
            manifest = json.loads(f.read())
    except (ValueError, UnicodeDecodeError):
        raise OutputFolderError(f"{os.path.join(path, MANIFEST)} is damaged: not a cleaner manifest") from None
    if not isinstance(manifest, dict) or manifest.get("kind") != MANIFEST_KIND:
        raise OutputFolderError(f"{os.path.join(path, MANIFEST)} is not a cleaner manifest")
    return manifest


def _link_error(path: str) -> OutputFolderError:
    return OutputFolderError(f"the output folder {path} is a symbolic link (to {os.readlink(path)}); cleaner does not "
                             f"follow links for its output: give the folder itself")


def _open_folder(path: str) -> int:
    """A descriptor of the output folder itself, never of where a symbolic link points."""
    try:
        return os.open(path, _DIR_FLAGS)
    except OSError as e:
        if os.path.islink(path):
            raise _link_error(path) from None
        raise OutputFolderError(f"cannot open the output folder {path}: {e.strerror}") from None


class RunOutput:
    """A completed run's output folder, read through its manifest: only the files the manifest
    lists, only with the size and hash it records."""

    def __init__(self, path: str):
        self.path = path
        self.fd = _open_folder(path)
        self.manifest = read_manifest(self.fd, path)
        if self.manifest.get("status") != "complete":
            raise OutputFolderError(f"{path} holds a run that did not complete: continue it with --resume")

    def close(self) -> None:
        os.close(self.fd)

    def __enter__(self) -> "RunOutput":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def fmt(self) -> str:
        return self.manifest.get("format", "jsonl")

    def text_name(self, doc_id: str) -> str | None:
        return self.manifest.get("documents", {}).get(doc_id)

    def has(self, name: str) -> bool:
        return name in self.manifest.get("files", {})

    def lines(self, name: str, codec: str = ""):
        """The lines of a file of the run (decompressed from `codec`), streamed; at the end, the
        file is checked against the manifest (OutputFolderError if it was changed or replaced
        after the run)."""
        chunks = self._chunks(name)
        rest = b""
        for chunk in decompressed(chunks, codec) if codec else chunks:
            *whole, rest = (rest + chunk).split(b"\n")
            yield from whole
        if rest:
            yield rest

    def _chunks(self, name: str):
        fd = self._open(name)
        h, size = hashlib.sha256(), 0
        try:
            while chunk := os.read(fd, _READ_CHUNK):
                h.update(chunk)
                size += len(chunk)
                yield chunk
        finally:
            os.close(fd)
        self._check(name, size, h.hexdigest())

    def read(self, name: str) -> bytes:
        fd = self._open(name)
        try:
            data = b"".join(iter(lambda: os.read(fd, _READ_CHUNK), b""))
        finally:
            os.close(fd)
        self._check(name, len(data), hashlib.sha256(data).hexdigest())
        return data

    def _open(self, name: str) -> int:
        if not self.has(name):
            if self.manifest.get("dry_run"):
                raise OutputFolderError(f"{self.path} is a dry run (--dry-run): it holds report.html and summary.json, "
                                        f"not {name}; clean without --dry-run to write it")
            raise OutputFolderError(f"{name} is not a file of the run in {self.path}")
        check_name(name, self.path)
        *dirs, last = name.split("/")
        fd = self.fd
        try:
            for part in dirs:
                child = os.open(part, _DIR_FLAGS, dir_fd=fd)
                if fd != self.fd:
                    os.close(fd)
                fd = child
            # never blocks on a FIFO put in its place; only a regular file is read
            f = os.open(last, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=fd)
            if not stat.S_ISREG(os.fstat(f).st_mode):
                os.close(f)
                raise OutputFolderError(f"{os.path.join(self.path, name)} is not a regular file: not reading it")
            os.set_blocking(f, True)
            return f
        except OSError as e:
            raise OutputFolderError(f"cannot read {os.path.join(self.path, name)}: {e.strerror}") from None
        finally:
            if fd != self.fd:
                os.close(fd)

    def _check(self, name: str, size: int, digest: str) -> None:
        want = self.manifest["files"][name]
        if want.get("bytes") != size or want.get("sha256") != digest:
            raise OutputFolderError(f"{os.path.join(self.path, name)} does not match the run's manifest "
                                    f"(changed or replaced after the run): not restoring from it")

