"""Nothing lost, nothing hangs: the output folder is owned by its run, text-format names are safe,
special files are never read, workers die with their run, errors say what happened."""
from __future__ import annotations

import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest
from click.testing import CliRunner
from conftest import generated_corpus, read_jsonl

import cleaner
from cleaner.cli import main
from cleaner.outfolder import OutputFolder

TEXT = "One paragraph of text that is long enough to be kept as it is, and then a little more of it.\n"


def clean(*args):
    return CliRunner().invoke(main, ["clean", *map(str, args), "--workers", "1"])


BODIES = ["The ferry to the island runs twice a day in winter and every hour from May to September.",
          "A new bakery opened on the corner of the market square, selling rye bread and honey cakes."]


def inputs(tmp_path, n=2):
    src = tmp_path / "in"
    src.mkdir(exist_ok=True)
    for i in range(n):
        (src / f"p{i}.txt").write_text(BODIES[i] + "\n")
    return src


# -- the output folder is owned ---------------------------------------------------------------------
def test_output_that_is_inside_or_holds_an_input_is_refused(tmp_path):
    src = inputs(tmp_path)
    for out in (src, src / "out", tmp_path):
        r = clean(src, "-o", out, "--format", "text")
        assert r.exit_code == 2 and "input" in r.output and "Usage" not in r.output, r.output
    assert sorted(os.listdir(src)) == ["p0.txt", "p1.txt"]  # nothing written over or beside the inputs


def test_a_second_run_into_a_used_folder_needs_overwrite_which_removes_only_the_runs_files(tmp_path):
    src = inputs(tmp_path)
    out = tmp_path / "out"
    assert clean(src, "-o", out).exit_code == 0
    r = clean(src, "-o", out)
    assert r.exit_code == 2 and "--overwrite" in r.output
    r = clean(src, "-o", out, "--format", "text", "--overwrite")
    assert r.exit_code == 0, r.output
    assert sorted(os.listdir(out)) == ["manifest.json", "p0.txt", "p1.txt", "removed.jsonl", "summary.json"]
    assert cleaner.restore(str(out), "p0.txt") == BODIES[0] + "\n"  # from the .txt: the stale documents.jsonl is gone


def test_a_folder_holding_other_files_is_refused(tmp_path):
    src = inputs(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.md").write_text("mine")
    for extra in ([], ["--overwrite"]):
        r = clean(src, "-o", out, *extra)
        assert r.exit_code == 2 and "not empty" in r.output
    assert os.listdir(out) == ["notes.md"]


def test_links_planted_in_the_output_folder_are_never_followed(tmp_path):
    src = inputs(tmp_path)
    out = tmp_path / "out"
    assert clean(src, "-o", out).exit_code == 0
    victim, elsewhere = tmp_path / "victim", tmp_path / "elsewhere"
    victim.write_text("precious")
    elsewhere.mkdir()
    os.symlink("../victim", out / ".removed.jsonl.partial")
    os.symlink("../elsewhere", out / "etc")
    for args in ([], ["--overwrite"], ["--format", "text", "--overwrite"]):
        r = clean(src, "-o", out, *args)
        assert r.exit_code == 2, r.output
    assert victim.read_text() == "precious" and os.listdir(elsewhere) == []
    linked = tmp_path / "linked-out"
    os.symlink(tmp_path / "real-out", linked)
    assert clean(src, "-o", linked).exit_code == 2


def test_two_runs_into_one_folder_at_once(tmp_path):
    src = inputs(tmp_path)
    holder = OutputFolder(str(tmp_path / "out"), "another run", "jsonl")
    try:
        r = clean(src, "-o", tmp_path / "out")
        assert r.exit_code == 2 and "another cleaner run is writing" in r.output
    finally:
        holder.close()


def test_restore_refuses_files_changed_after_the_run(tmp_path):
    src = inputs(tmp_path)
    out = tmp_path / "out"
    assert clean(src, "-o", out).exit_code == 0
    docs = (out / "documents.jsonl").read_text().replace("ferry", "barge")
    (out / "documents.jsonl").write_text(docs)
    r = CliRunner().invoke(main, ["restore", str(out), "p0.txt"])
    assert r.exit_code == 2 and "does not match the run's manifest" in r.output
    shutil.rmtree(out)
    out.mkdir()
    (out / "removed.jsonl").write_text("")
    r = CliRunner().invoke(main, ["explain", str(out), "p0.txt"])
    assert r.exit_code == 2 and "not a cleaner output folder" in r.output


# -- text-format names ------------------------------------------------------------------------------
def test_text_names_are_bounded_distinct_and_followed_by_restore(tmp_path):
    ids = ["x" * 10_000, "標" * 90, "a", "a.txt/b", "", ".", "..", "dup", "dup", "dup"]
    corpus = tmp_path / "recs.jsonl"
    corpus.write_text("".join(json.dumps({"id": i, "text": f"Record {k}. " + TEXT}) + "\n" for k, i in enumerate(ids)))
    out = tmp_path / "out"
    r = clean(corpus, "-o", out, "--format", "text", "--no-dedup")
    assert r.exit_code == 0, r.output
    assert "duplicate ids: 2 documents" in r.output
    manifest = json.loads((out / "manifest.json").read_text())
    names = manifest["documents"]
    assert len(set(names.values())) == len(ids)
    assert all(len(part.encode()) <= 200 for name in names.values() for part in name.split("/"))
    unique = ids[:7] + ["dup", "dup#2", "dup#3"]
    assert sorted(names) == sorted(unique)
    for k, doc_id in enumerate(unique):
        assert cleaner.restore(str(out), doc_id) == f"Record {k}. " + TEXT
    summary = json.loads((out / "summary.json").read_text())
    assert summary["duplicate_ids"] == {"documents": 2, "ids": {"dup": 3}}


def test_text_output_keeps_an_input_folder_s_subfolders(tmp_path):
    src = tmp_path / "nest"
    (src / "sub" / "deeper").mkdir(parents=True)
    (src / "top.txt").write_text(BODIES[0] + "\n")
    (src / "sub" / "deeper" / "inner.txt").write_text(BODIES[1] + "\n")
    out = tmp_path / "out"
    r = clean(src, "-o", out, "--format", "text")
    assert r.exit_code == 0, r.output
    assert (out / "sub" / "deeper" / "inner.txt").read_text() == BODIES[1] + "\n"
    assert cleaner.restore(str(out), "sub/deeper/inner.txt") == BODIES[1] + "\n"
    assert clean(src, "-o", out, "--format", "text", "--overwrite").exit_code == 0


def test_a_manifest_naming_files_outside_the_folder_is_refused_before_anything_is_removed(tmp_path):
    src = inputs(tmp_path)
    out = tmp_path / "out"
    assert clean(src, "-o", out).exit_code == 0
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("mine")
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["files"]["../victim/keep.txt"] = {"bytes": 4, "sha256": "0" * 64}
    (out / "manifest.json").write_text(json.dumps(manifest))
    r = clean(src, "-o", out, "--overwrite")
    assert r.exit_code == 2 and "outside its folder" in r.output, r.output
    assert (victim / "keep.txt").read_text() == "mine"
    assert (out / "documents.jsonl").exists()  # nothing of the earlier run was removed either


def test_overwrite_checks_for_foreign_files_before_removing_the_earlier_run(tmp_path):
    src = inputs(tmp_path)
    out = tmp_path / "out"
    assert clean(src, "-o", out).exit_code == 0
    before = sorted(os.listdir(out))
    (out / "notes.txt").write_text("mine")
    r = clean(src, "-o", out, "--overwrite")
    assert r.exit_code == 2 and "notes.txt" in r.output
    assert sorted(os.listdir(out)) == sorted(before + ["notes.txt"])
    assert cleaner.restore(str(out), "p0.txt") == BODIES[0] + "\n"


def test_a_refused_run_leaves_the_output_folder_as_it_was(tmp_path):
    import sqlite3

    src = inputs(tmp_path)
    foreign = tmp_path / "other.db"
    with sqlite3.connect(foreign) as db:
        db.execute("create table notes (x)")
    out = tmp_path / "out"
    for args in ([src, tmp_path / "missing"], [src, "--index", foreign]):
        r = clean(*args, "-o", out)
        assert r.exit_code == 2, r.output
        assert not out.exists()
    assert clean(src, "-o", out).exit_code == 0  # no --overwrite or --resume needed


def test_an_output_or_index_of_the_wrong_kind_gets_a_message_not_the_usage(tmp_path):
    src = inputs(tmp_path)
    (tmp_path / "afile").write_text("mine")
    (tmp_path / "adir").mkdir()
    for args in (["-o", tmp_path / "afile"], ["-o", tmp_path / "out", "--index", tmp_path / "adir"]):
        r = clean(src, *args)
        assert r.exit_code == 2 and "Usage" not in r.output and "Error" in r.output, r.output
    assert (tmp_path / "afile").read_text() == "mine"


def test_a_run_folder_given_through_a_symbolic_link_is_refused_with_where_it_points(tmp_path):
    src = inputs(tmp_path)
    assert clean(src, "-o", tmp_path / "out").exit_code == 0
    os.symlink(tmp_path / "out", tmp_path / "link")
    for args in (["clean", str(src), "-o", str(tmp_path / "link"), "--overwrite"], ["report", str(tmp_path / "link")],
                 ["explain", str(tmp_path / "link"), "x"], ["restore", str(tmp_path / "link"), "x"]):
        r = CliRunner().invoke(main, args)
        assert r.exit_code == 2 and "is a symbolic link (to " in r.output and "give the folder itself" in r.output, r.output
    assert not (tmp_path / "out" / "report.html").exists()


def test_restore_does_not_block_on_a_fifo_put_in_place_of_a_file(tmp_path):
    src = inputs(tmp_path)
    out = tmp_path / "out"
    assert clean(src, "-o", out, "--format", "text").exit_code == 0
    (out / "p0.txt").unlink()
    os.mkfifo(out / "p0.txt")
    r = CliRunner().invoke(main, ["restore", str(out), "p0.txt"])
    assert r.exit_code == 2 and "not a regular file" in r.output, r.output


# -- inputs -------------------------------------------------------------------------------------------
def test_special_files_are_skipped_not_read(tmp_path):
    src = inputs(tmp_path)
    import socket

    os.mkfifo(src / "pipe.txt")
    os.symlink("/dev/zero", src / "x.jsonl")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(src / "s.txt"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "far.txt").write_text(BODIES[0] + "\n")
    os.symlink(elsewhere, src / "linked")
    try:
        proc = subprocess.run([sys.executable, "-m", "cleaner", "clean", str(src), "-o", str(tmp_path / "out"),
                               "--workers", "1"], capture_output=True, text=True, timeout=120)
    finally:
        sock.close()
    assert proc.returncode == 1, proc.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["skipped"]["by_reason"] == {"not-a-file": 4}
    assert "a link to a folder: not followed" in proc.stderr and "socket" in proc.stderr
    assert summary["documents"]["out"] == 2


def _as_nobody(cmd: list[str]) -> list[str]:
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd] if os.geteuid() == 0 else cmd


@pytest.mark.skipif(os.geteuid() == 0 and not shutil.which("setpriv"), reason="root without setpriv cannot be denied")
def test_unreadable_folders_and_files_are_skipped_with_a_reason():
    base = tempfile.mkdtemp(prefix="cleaner-unreadable-")  # reachable by the unprivileged user
    try:
        os.chmod(base, 0o755)
        src = pathlib.Path(base) / "in"
        inputs(pathlib.Path(base))
        (src / "closed").mkdir()
        (src / "closed" / "q.txt").write_text(TEXT)
        (src / "locked.txt").write_text(TEXT)
        os.chmod(src / "closed", 0)
        os.chmod(src / "locked.txt", 0)
        out = pathlib.Path(base) / "out"
        out.mkdir(mode=0o777)
        os.chmod(out, 0o777)
        proc = subprocess.run(_as_nobody([sys.executable, "-m", "cleaner", "clean", str(src), "-o", str(out),
                                          "--workers", "1"]), capture_output=True, text=True, timeout=120,
                              env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
        assert proc.returncode == 1, proc.stderr
        summary = json.loads((out / "summary.json").read_text())
        assert summary["skipped"]["by_reason"] == {"unreadable": 2}
        assert summary["documents"]["out"] == 2
    finally:
        os.chmod(pathlib.Path(base) / "in" / "closed", 0o755)
        shutil.rmtree(base)


def test_byte_order_marks_and_utf16_without_one(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "bom.txt").write_bytes(b"\xef\xbb\xbf" + BODIES[0].encode())
    (src / "wide.txt").write_bytes(BODIES[1].encode("utf-16-le"))
    out = tmp_path / "out"
    assert clean(src, "-o", out).exit_code == 0
    docs = {d["id"]: d for d in read_jsonl(out / "documents.jsonl")}
    assert docs["bom.txt"]["meta"]["decoding"] == "bom:utf-8" and docs["bom.txt"]["text"] == BODIES[0]
    assert docs["wide.txt"]["meta"]["decoding"] == "detected:utf-16-le" and docs["wide.txt"]["text"] == BODIES[1]


@pytest.mark.parametrize("encoding, prefix, note", [
    ("utf-16-le", b"", "detected:utf-16-le"), ("utf-16", b"", "bom:utf-16"), ("utf-32", b"", "bom:utf-32"),
    ("utf-8", b"\xef\xbb\xbf", "bom:utf-8")])
def test_jsonl_in_other_unicode_encodings_keeps_every_record(tmp_path, encoding, prefix, note):
    records = [{"id": f"r{i}", "text": f"Record {i} ✓ " + BODIES[i % 2]} for i in range(3)]
    data = prefix + "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode(encoding)
    for name in ("recs.jsonl", "-"):
        out = tmp_path / f"out-{name}"
        if name == "-":
            r = CliRunner().invoke(main, ["clean", "-", "-o", str(out), "--workers", "1", "--no-dedup"], input=data)
        else:
            (tmp_path / name).write_bytes(data)
            r = clean(tmp_path / name, "-o", out, "--no-dedup")
        assert r.exit_code == 0, r.output
        docs = read_jsonl(out / "documents.jsonl")
        assert [d["text"] for d in docs] == [x["text"] for x in records]
        assert {d["meta"]["decoding"] for d in docs} == {note}


# -- processes and messages --------------------------------------------------------------------------
def _session_processes(sid: int) -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] not in (b"Z", b"X"):
            found.append(int(pid))
    return found


def _start_and_wait_for_workers(tmp_path, n=6000):
    corpus = tmp_path / "corpus.jsonl"
    generated_corpus(corpus, n=n)
    proc = subprocess.Popen([sys.executable, "-m", "cleaner", "clean", str(corpus), "-o", str(tmp_path / "out"),
                             "--workers", "2", "--quiet"], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(_session_processes(proc.pid)) < 4 and proc.poll() is None:
        time.sleep(0.1)
    assert proc.poll() is None and len(_session_processes(proc.pid)) >= 4, "the run did not start its workers"
    return proc


def test_no_process_of_a_run_outlives_a_sigkill_of_the_main_process(tmp_path):
    proc = _start_and_wait_for_workers(tmp_path)
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _session_processes(proc.pid):
        time.sleep(0.1)
    assert _session_processes(proc.pid) == []


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["SIGTERM", "SIGINT"])
def test_a_stopped_run_cleans_up_and_says_how_to_continue(tmp_path, sig, code):
    proc = _start_and_wait_for_workers(tmp_path)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code and "--resume" in err.decode()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _session_processes(proc.pid):
        time.sleep(0.1)
    assert _session_processes(proc.pid) == []


def _small_disk(path) -> bool:
    os.makedirs(path)
    cmd = ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(path)]
    return os.geteuid() == 0 and subprocess.run(cmd, capture_output=True).returncode == 0


def test_a_full_disk_gets_its_own_message_and_exit_code_1(tmp_path):
    disk = tmp_path / "disk"
    if not _small_disk(disk):
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        corpus = tmp_path / "corpus.jsonl"
        generated_corpus(corpus, n=300)
        r = clean(corpus, "-o", disk / "out")
        assert r.exit_code == 1 and "the disk is full" in r.output and "Usage" not in r.output, r.output
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_a_stop_lost_in_a_destructor_is_raised_at_the_next_document():
    # Python drops an exception raised inside __del__ (or a gc callback): a Ctrl-C that lands
    # there must still stop the run, at its next document
    from cleaner import clean, stop

    class Lost:
        def __del__(self):
            stop.ask(KeyboardInterrupt)

    try:
        Lost()  # dropped at once: its KeyboardInterrupt is printed and ignored by Python
        with pytest.raises(KeyboardInterrupt):
            list(clean(["A first text of a few words.", "A second text of a few words."]))
    finally:
        stop.reset()
    assert len(list(clean(["A first text of a few words."]))) == 1


def test_temporary_files_are_removed_after_a_run_and_after_a_failure_while_grouping(tmp_path, monkeypatch):
    # Tiny spill buffers and grouping tasks put the band keys and the candidate pairs on disk in
    # many tasks; a worker failing on its second grouping task leaves pairs already spilled:
    # they must go with the run
    from cleaner.dedup import passage_index, passages
    from cleaner.spill import Partitions
    from cleaner.worker import Worker

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    tiny = lambda columns, part_of, parts, memory_bytes=0: Partitions(columns, part_of, parts, 256)  # noqa: E731
    monkeypatch.setattr(passages, "Partitions", tiny)
    monkeypatch.setattr(passage_index, "Partitions", tiny)
    tasks = passage_index.PassageIndex.group_tasks
    monkeypatch.setattr(passage_index.PassageIndex, "group_tasks", lambda self: tasks(self, rows=256))
    corpus = tmp_path / "corpus.jsonl"
    generated_corpus(corpus, n=120)
    config = cleaner.Config().with_overrides({"run.workers": 1})
    cleaner.run([str(corpus)], str(tmp_path / "out"), config)
    assert (tmp_path / "out" / "documents.jsonl").stat().st_size
    assert not list(scratch.iterdir())

    group, calls = Worker.group, []

    def failing_group(self, task):
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError("a worker failed")
        return group(self, task)

    monkeypatch.setattr(Worker, "group", failing_group)
    with pytest.raises(RuntimeError, match="a worker failed"):
        cleaner.run([str(corpus)], str(tmp_path / "out2"), config)
    assert len(calls) == 2 and not list(scratch.iterdir())
