from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import SAMPLES, read_jsonl

from cleaner.cli import main


def invoke(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


def test_help_on_every_command_has_an_example():
    for args in ([], ["clean"], ["explain"]):
        r = invoke(*args, "--help")
        assert r.exit_code == 0 and "Example" in r.output


def test_clean_samples_jsonl(tmp_path):
    r = invoke("clean", SAMPLES, "-o", tmp_path)
    assert r.exit_code == 0, r.output
    assert "documents: 5 in, 5 out" in r.stderr
    docs = read_jsonl(tmp_path / "documents.jsonl")
    assert [d["id"] for d in docs] == sorted(p.name for p in SAMPLES.glob("*.txt"))
    assert set(docs[0]) == {"id", "source", "url", "title", "text", "meta"}
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["documents"]["out"] == 5


def test_format_text_writes_one_file_per_document(tmp_path):
    jsonl, text = tmp_path / "j", tmp_path / "t"
    assert invoke("clean", SAMPLES, "-o", jsonl, "-q").exit_code == 0
    assert invoke("clean", SAMPLES, "-o", text, "--format", "text", "-q").exit_code == 0
    for d in read_jsonl(jsonl / "documents.jsonl"):
        assert (text / d["id"]).read_text(encoding="utf-8") == d["text"]
    assert (text / "removed.jsonl").read_bytes() == (jsonl / "removed.jsonl").read_bytes()


def test_a_broken_record_before_the_first_document_is_reported_once_and_an_array_gets_a_hint(tmp_path):
    # the text-field check reads ahead to the first document; the run reports what it skips
    (tmp_path / "recs.jsonl").write_text('{broken\n{"text": "A fine record of text that is long enough to keep."}\n')
    (tmp_path / "array.json").write_text('[{"text": "One record."},\n {"text": "Another record."}]\n')
    r = invoke("clean", tmp_path / "recs.jsonl", tmp_path / "array.json", "-o", tmp_path / "out")
    assert r.exit_code == 1
    assert r.stderr.count("recs.jsonl:1: invalid-json") == 1, r.stderr
    assert r.stderr.count("array.json:1: invalid-json") == 1 and "looks like one JSON array" in r.stderr
    assert "jq -c '.[]'" in r.stderr and r.stderr.count("looks like one JSON array") == 1


def test_skipped_inputs_give_exit_code_1_and_are_reported(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "good.txt").write_text("A perfectly ordinary paragraph of text that is long enough to be kept.")
    (src / "bad.bin").write_bytes(b"\x00\x01\x02" * 100)
    (src / "recs.jsonl").write_text('{"text": "Fine record."}\n{broken\n')
    r = invoke("clean", src, "-o", tmp_path / "out")
    assert r.exit_code == 1
    assert "bad.bin: binary" in r.stderr and "recs.jsonl:2: invalid-json" in r.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["skipped"]["by_reason"] == {"binary": 1, "invalid-json": 1}
    assert summary["documents"]["in"] == 2


@pytest.mark.parametrize("args, message", [
    (["clean", "no/such/dir", "-o", "OUT"], "does not exist"),
    (["clean", SAMPLES, "-o", "OUT", "--format", "xml"], "Invalid value for '--format'"),
    (["clean", SAMPLES, "-o", "OUT", "--doc-threshold", "2"], "dedup.documents.threshold (--doc-threshold) must be in (0, 1]"),
    (["clean", SAMPLES], "Missing option '-o'"),
])
def test_usage_errors_exit_2(tmp_path, args, message):
    args = [str(tmp_path / "out") if a == "OUT" else a for a in args]
    r = invoke(*args)
    assert r.exit_code == 2 and message in r.output


def test_config_file_and_flag_precedence(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[dedup.documents]\nthreshold = 0.95\n[boilerplate]\nenabled = false\n")
    r = invoke("clean", SAMPLES, "-o", tmp_path / "o", "--config", cfg, "--doc-threshold", "0.9", "-q")
    assert r.exit_code == 0
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["config"]["dedup"]["documents"]["threshold"] == 0.9
    assert "boilerplate" not in summary["removals"]
    cfg.write_text("[dedup]\nbogus = 1\n")
    r = invoke("clean", SAMPLES, "-o", tmp_path / "o2", "--config", cfg)
    assert r.exit_code == 2 and "unknown key 'bogus' in [dedup]" in r.output


def test_no_dedup_and_no_boilerplate(tmp_path):
    assert invoke("clean", SAMPLES, "-o", tmp_path, "--no-dedup", "--no-boilerplate", "-q").exit_code == 0
    assert read_jsonl(tmp_path / "removed.jsonl") == []
    for d in read_jsonl(tmp_path / "documents.jsonl"):
        assert d["text"] == (SAMPLES / d["id"]).read_text(encoding="utf-8")


def test_stdin_jsonl(tmp_path):
    records = "\n".join(json.dumps({"id": f"r{i}", "body": t}) for i, t in enumerate(
        ["The first record is about a bridge that was closed for a week of repairs.",
         "The first record is about a bridge that was closed for a week of repairs."]))
    r = invoke("clean", "-", "--kind", "jsonl", "--text-field", "body", "-o", tmp_path, "-q", input=records)
    assert r.exit_code == 0, r.output
    assert [d["id"] for d in read_jsonl(tmp_path / "documents.jsonl")] == ["r0"]
    (dup,) = read_jsonl(tmp_path / "removed.jsonl")
    assert dup["reason"] == "duplicate:exact-document" and dup["duplicate_of"]["doc_id"] == "r0"


def _outputs(out):
    summary = json.loads((out / "summary.json").read_text())
    summary.pop("timings_seconds")
    summary.pop("seconds")
    summary["config"]["run"].pop("workers")
    assert summary["documents"]["in"] == 5
    return (out / "documents.jsonl").read_bytes(), (out / "removed.jsonl").read_bytes(), summary


def test_output_is_byte_identical_across_runs_and_worker_counts(tmp_path):
    small_batches = tmp_path / "batches.toml"  # several batches, so two workers really run a pool
    small_batches.write_text("[run]\nbatch_size = 2\n")
    runs = []
    for name, workers in (("a", 1), ("b", 1), ("c", 2)):
        r = invoke("clean", SAMPLES, "-o", tmp_path / name, "--workers", workers, "--config", small_batches, "-q")
        assert r.exit_code == 0, r.output
        runs.append(_outputs(tmp_path / name))
    assert runs[0] == runs[1] == runs[2]


def test_python_dash_m():
    r = subprocess.run([sys.executable, "-m", "cleaner", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "cleaner clean samples/ -o out/" in r.stdout


def test_explain_marks_removals_with_reasons(tmp_path):
    assert invoke("clean", SAMPLES, "-o", tmp_path, "-q").exit_code == 0
    r = invoke("explain", tmp_path, "003_9bcfc765aa3e11de.txt", "--no-color")
    assert r.exit_code == 0
    assert "[-READ MORE: How Trump settled on the airstrike that killed Soleimani-]{boilerplate:label-link}" in r.output
    assert "{duplicate:passage of 003_9bcfc765aa3e11de.txt:2718-2810" in r.output
    assert "A former federal minister says Canada should work together" in r.output  # kept text shown too
    only = invoke("explain", tmp_path, "003_9bcfc765aa3e11de.txt", "--removed-only", "--no-color")
    assert "A former federal minister says" not in only.output and "READ MORE" in only.output
    missing = invoke("explain", tmp_path, "nope.txt")
    assert missing.exit_code == 2 and "no document 'nope.txt'" in missing.output


def test_progress_on_a_terminal_and_quiet_otherwise(tmp_path):
    import os
    import pty

    main_fd, child_fd = pty.openpty()
    proc = subprocess.run([sys.executable, "-m", "cleaner", "clean", str(SAMPLES), "-o", str(tmp_path / "tty")],
                          stderr=child_fd, stdout=subprocess.DEVNULL, timeout=300)
    os.close(child_fd)
    shown = b""
    while True:
        try:
            chunk = os.read(main_fd, 65536)
        except OSError:  # the terminal closed
            break
        if not chunk:
            break
        shown += chunk
    os.close(main_fd)
    text = shown.decode("utf-8", "replace")
    assert proc.returncode == 0
    for stage in ("read:", "prepare:", "group:", "decide:"):
        assert stage in text
    assert "5/5 documents" in text and "MB/s" in text and "removals" in text
    r = invoke("clean", SAMPLES, "-o", tmp_path / "pipe")  # stderr is not a terminal
    assert r.exit_code == 0 and "MB/s" not in r.output and "documents: 5 in" in r.output


def test_progress_counts_documents_and_removals():
    from cleaner.report import Progress

    class Stream:
        text = ""

        def write(self, s):
            self.text += s

        def flush(self):
            pass

    now = [0.0]
    stream = Stream()
    progress = Progress(stream, every=0.5, clock=lambda: now[0])
    progress.stage("prepare", 4)
    for _ in range(3):
        now[0] += 0.3
        progress.advance(1, 1_000_000)
    progress.advance(removals=7)
    progress.done()
    last = stream.text.split("\r")[-1]
    assert "prepare: 3/4 documents" in last and "7 removals" in last and "MB/s" in last and last.endswith("\n")
    assert last.startswith("\x1b[K[0:00] prepare") and "0:00 left" in last  # elapsed, and what is left
    now[0] += 120
    progress.stage("decide", 10)
    now[0] += 60
    progress.advance(2)
    assert stream.text.split("\r")[-1].startswith("\x1b[K[3:00] decide: 2/10 documents") and "4:00 left" in stream.text
