"""Crash safety: a run killed mid-way and resumed writes what an uninterrupted run writes."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from cleaner.cli import main
from conftest import generated_corpus

OUTPUTS = ("documents.jsonl", "removed.jsonl")


def _cleaner(*args) -> list[str]:
    return [sys.executable, "-m", "cleaner", "clean", *args]


def _summary(out) -> dict:
    summary = json.loads((out / "summary.json").read_text())
    summary.pop("timings_seconds")
    summary.pop("seconds")
    return summary


def _kill_after_checkpoint(args: list[str], out, results: int) -> None:
    """Start a run, SIGKILL it once a checkpoint holds `results` documents; the run must not
    have finished."""
    proc = subprocess.Popen(_cleaner(*args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    checkpoint = out / ".checkpoint.json"
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if json.loads(checkpoint.read_text())["results"] >= results:
                    break
            except (FileNotFoundError, ValueError):
                pass
            time.sleep(0.002)
        assert proc.poll() is None, "the run ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert not (out / "documents.jsonl").exists()  # nothing under a final name


@pytest.mark.parametrize("extra", [[], ["--no-passages"], ["--no-passages", "--compress", "gzip"]],
                         ids=["full", "no-passages", "gzip"])
def test_killed_run_resumed_equals_an_uninterrupted_run(tmp_path, extra):
    suffix = ".gz" if "--compress" in extra else ""  # a gzip member per checkpoint: resumed, the file stays whole
    corpus = tmp_path / "corpus.jsonl"
    generated_corpus(corpus, n=1500)
    config = tmp_path / "cfg.toml"
    config.write_text("[run]\ncheckpoint_every = 5\nworkers = 1\n")
    base = [str(corpus), "--config", str(config), "--quiet", *extra]
    subprocess.run(_cleaner(*base, "-o", str(tmp_path / "whole")), check=True)
    out = tmp_path / "resumed"
    _kill_after_checkpoint([*base, "-o", str(out)], out, results=100)
    written = json.loads((out / ".checkpoint.json").read_text())["results"]
    assert 100 <= written < 1500
    subprocess.run(_cleaner(*base, "-o", str(out), "--resume"), check=True)
    for name in OUTPUTS:
        assert (out / (name + suffix)).read_bytes() == (tmp_path / "whole" / (name + suffix)).read_bytes()
    assert _summary(out) == _summary(tmp_path / "whole")
    assert sorted(os.listdir(out)) == ["documents.jsonl" + suffix, "manifest.json", "removed.jsonl" + suffix,
                                       "summary.json"]
    if suffix:
        import gzip

        lines = gzip.decompress((out / "documents.jsonl.gz").read_bytes()).decode().splitlines()
        assert len(lines) == _summary(out)["documents"]["out"]


def test_resume_refuses_another_run_and_starts_fresh_without_a_checkpoint(tmp_path):
    src = tmp_path / "a.txt"
    src.write_text("One paragraph of text that is long enough to be kept as it is, and then some more.\n")
    other = tmp_path / "b.txt"
    other.write_text("Another paragraph of text, long enough to be kept as it is, about something else.\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["clean", str(other), "-o", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, ["clean", str(src), "-o", str(out), "--resume", "--workers", "1"])
    assert result.exit_code == 2 and "other inputs or settings" in result.output and "Usage" not in result.output
    out2 = tmp_path / "out2"  # nothing to continue: --resume starts afresh
    result = CliRunner().invoke(main, ["clean", str(src), "-o", str(out2), "--resume", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert len((out2 / "documents.jsonl").read_text().splitlines()) == 1


def _killed_run(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    generated_corpus(corpus, n=600)
    config = tmp_path / "cfg.toml"
    config.write_text("[run]\ncheckpoint_every = 5\nworkers = 1\n")
    base = [str(corpus), "--config", str(config), "--quiet", "--no-passages"]
    out = tmp_path / "out"
    _kill_after_checkpoint([*base, "-o", str(out)], out, results=50)
    return corpus, base, out


def test_resume_refuses_when_records_before_the_checkpoint_changed(tmp_path):
    corpus, base, out = _killed_run(tmp_path)
    lines = corpus.read_text().splitlines(keepends=True)
    record = json.loads(lines[2])
    record["text"] = record["text"].replace(" ", "  ", 1)  # same id, other text
    lines[2] = json.dumps(record) + "\n"
    corpus.write_text("".join(lines))
    r = subprocess.run(_cleaner(*base, "-o", str(out), "--resume"), capture_output=True, text=True)
    assert r.returncode == 2 and "changed since the killed run" in r.stderr and "Usage" not in r.stderr


def test_resume_refuses_a_partial_file_cut_short(tmp_path):
    _, base, out = _killed_run(tmp_path)
    partial = out / ".documents.jsonl.partial"
    with open(partial, "r+b") as f:
        f.truncate(os.path.getsize(partial) // 3)
    r = subprocess.run(_cleaner(*base, "-o", str(out), "--resume"), capture_output=True, text=True)
    assert r.returncode == 2 and "shorter" in r.stderr
    assert b"\x00" not in partial.read_bytes()  # never padded


def test_resume_refuses_a_partial_file_changed_in_place(tmp_path):
    _, base, out = _killed_run(tmp_path)
    partial = out / ".documents.jsonl.partial"
    data = bytearray(partial.read_bytes())
    at = data.index(b'"text":"') + 8
    data[at:at + 5] = b"XXXXX"  # same length, other text
    partial.write_bytes(bytes(data))
    r = subprocess.run(_cleaner(*base, "-o", str(out), "--resume"), capture_output=True, text=True)
    assert r.returncode == 2 and "changed after its checkpoint" in r.stderr, r.stderr
