"""The persistent index: incremental runs, atomic commits, one run at a time."""
from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner
from conftest import SAMPLES, read_jsonl

from cleaner import Cleaner, Config, run
from cleaner.cli import main
from cleaner.dedup.store import IndexBusy, IndexDatabase

NO_TEMPLATES = Config().with_overrides({"boilerplate.site_template_min_pages": 0, "run.workers": 1})


def write(folder, docs: dict[str, str]):
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in docs.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def sample(name: str) -> str:
    (path,) = SAMPLES.glob(name + "_*.txt")
    return path.read_text(encoding="utf-8")


@pytest.fixture
def two_days(tmp_path):
    """Day A: the samples. Day B: copies of some, a passage repeated, and something new."""
    a = write(tmp_path / "a", {p.name: p.read_text(encoding="utf-8") for p in SAMPLES.glob("*.txt")})
    quote = ("But “they’ll have priorities too, and we would fall sort of second in that list,” "
             "he warned, in an interview that was widely shared on Monday.")
    b = write(tmp_path / "b", {
        "copy_of_002.txt": sample("002"),
        "edited_003.txt": sample("003").replace("Robertson", "Robertsen"),
        "new.txt": "Harbour dredging starts next week.\n\nThe port authority says the channel will be "
                   "dredged before the storms arrive, at a cost of four million dollars.\n\n" + quote,
    })
    return a, b


def outputs(out) -> tuple[list, list]:
    docs = sorted((d["id"], d["text"]) for d in read_jsonl(out / "documents.jsonl"))
    removed = sorted(json.dumps(r, sort_keys=True) for r in read_jsonl(out / "removed.jsonl"))
    return docs, removed


def test_a_then_b_with_one_index_equals_a_and_b_at_once(tmp_path, two_days):
    a, b = two_days
    db = str(tmp_path / "corpus.db")
    indexed = NO_TEMPLATES.with_overrides({"run.index": db})
    run([str(a)], str(tmp_path / "day1"), indexed)
    run([str(b)], str(tmp_path / "day2"), indexed)
    run([str(a), str(b)], str(tmp_path / "both"), NO_TEMPLATES)
    day1, day2, both = outputs(tmp_path / "day1"), outputs(tmp_path / "day2"), outputs(tmp_path / "both")
    assert sorted(day1[0] + day2[0]) == both[0]
    assert sorted(day1[1] + day2[1]) == both[1]
    # and day B really did drop what day A kept
    reasons = {json.loads(r)["doc_id"]: json.loads(r)["reason"] for r in day2[1]}
    assert reasons["copy_of_002.txt"] == "duplicate:exact-document"
    assert reasons["edited_003.txt"] == "duplicate:near-document"
    new = [json.loads(r) for r in day2[1] if json.loads(r)["doc_id"] == "new.txt"]
    assert [r["duplicate_of"]["doc_id"] for r in new] == ["003_9bcfc765aa3e11de.txt"]


def test_a_day_of_exact_copies_only_against_the_index(tmp_path, two_days):
    # every document of day B is dropped by the document stage, so no document of the call
    # reaches the passage index: the units loaded from the index are sources, never queries
    a, _ = two_days
    db = str(tmp_path / "corpus.db")
    indexed = NO_TEMPLATES.with_overrides({"run.index": db, "run.buffer_mb": 1})
    run([str(a)], str(tmp_path / "day1"), indexed)
    b = write(tmp_path / "copies", {"again_000.txt": sample("000"), "again_001.txt": sample("001")})
    run([str(b)], str(tmp_path / "day2"), indexed)
    docs, removed = outputs(tmp_path / "day2")
    assert docs == []
    assert sorted(json.loads(r)["reason"] for r in removed) == ["duplicate:exact-document"] * 2


def test_an_index_does_not_change_a_runs_own_output(tmp_path, two_days):
    a, _ = two_days
    run([str(a)], str(tmp_path / "plain"), NO_TEMPLATES)
    run([str(a)], str(tmp_path / "indexed"), NO_TEMPLATES.with_overrides({"run.index": str(tmp_path / "x.db")}))
    for name in ("documents.jsonl", "removed.jsonl"):
        assert (tmp_path / "plain" / name).read_bytes() == (tmp_path / "indexed" / name).read_bytes()


def test_a_run_that_stops_early_adds_nothing(tmp_path, two_days):
    a, _ = two_days
    db = str(tmp_path / "corpus.db")
    cfg = NO_TEMPLATES.with_overrides({"run.index": db})
    with Cleaner(cfg) as cleaner:
        results = cleaner.clean([str(a)])
        next(results)  # the run is abandoned after one document
    stats = IndexDatabase.open_read_only(db).stats()
    assert stats["documents"] == 0 and stats["passages"] == 0
    run([str(a)], str(tmp_path / "out"), cfg)
    stats = IndexDatabase.open_read_only(db).stats()
    assert stats["documents"] == 5 and stats["passages"] > 0


def test_one_run_at_a_time_and_same_settings(tmp_path):
    db = str(tmp_path / "corpus.db")
    holder = IndexDatabase(db, Config().index_settings())
    try:
        with pytest.raises(IndexBusy, match="in use by another cleaner run"):
            IndexDatabase(db, Config().index_settings())
        r = CliRunner().invoke(main, ["clean", str(SAMPLES), "-o", str(tmp_path / "o"), "--index", db])
        assert r.exit_code == 2 and "in use by another cleaner run" in r.output
    finally:
        holder.close()
    r = CliRunner().invoke(main, ["clean", str(SAMPLES), "-o", str(tmp_path / "o"), "--index", db,
                                  "--doc-threshold", "0.9"])
    assert r.exit_code == 2 and "built with other settings (dedup)" in r.output


def test_site_line_counts_carry_over_and_stats(tmp_path):
    footer = "Valley Courier · Contact · Advertise\n\n© 1962-2024 Valley Media Group"
    story = "The council met on Monday and voted {} to the new budget for the river park and the library."
    db = str(tmp_path / "corpus.db")
    cfg = Config().with_overrides({"run.index": db, "run.workers": 1, "dedup.passages.enabled": False})
    write(tmp_path / "d1" / "courier", {f"p{i}.txt": story.format(w) + "\n\n" + footer for i, w in enumerate(["yes", "no"])})
    write(tmp_path / "d2" / "courier", {"p2.txt": story.format("again") + "\n\n" + footer})
    run([str(tmp_path / "d1")], str(tmp_path / "o1"), cfg)
    assert all(footer in d["text"] for d in read_jsonl(tmp_path / "o1" / "documents.jsonl"))  # 2 pages: not yet
    run([str(tmp_path / "d2")], str(tmp_path / "o2"), cfg)
    (third,) = read_jsonl(tmp_path / "o2" / "documents.jsonl")
    assert third["text"].strip() == story.format("again")  # the third page of the site: template lines now
    r = CliRunner().invoke(main, ["index", "stats", db])
    stats = json.loads(r.output)
    assert r.exit_code == 0 and stats["documents"] == 3 and stats["site_template_lines"] >= 1


def test_a_damaged_or_foreign_index_gets_a_message_and_stays_untouched(tmp_path):
    import sqlite3

    foreign = tmp_path / "theirs.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL)")
    conn.commit()
    conn.close()
    good = tmp_path / "good.db"
    assert CliRunner().invoke(main, ["clean", str(SAMPLES), "-o", str(tmp_path / "o0"), "--index", str(good)]).exit_code == 0
    data = good.read_bytes()
    truncated = tmp_path / "cut.db"
    truncated.write_bytes(data[:len(data) // 3])
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    older = tmp_path / "older.db"  # made by a version whose records this one would misread
    older.write_bytes(data)
    conn = sqlite3.connect(older)
    conn.execute("PRAGMA user_version = 4")
    conn.commit()
    conn.close()
    for k, (path, says) in enumerate([(foreign, "another program's"), (truncated, "damaged"), (garbage, "not a cleaner index"),
                                      (older, "another version of cleaner (schema 4")]):
        before = path.read_bytes()
        r = CliRunner().invoke(main, ["clean", str(SAMPLES), "-o", str(tmp_path / f"o{k + 1}"), "--index", str(path)])
        assert r.exit_code == 2 and says in r.output and "Traceback" not in r.output, r.output
        assert path.read_bytes() == before
        r = CliRunner().invoke(main, ["index", "stats", str(path)])
        assert r.exit_code == 2 and "Traceback" not in r.output, r.output
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    r = CliRunner().invoke(main, ["clean", str(SAMPLES), "-o", str(tmp_path / "o9"), "--index", str(empty)])
    assert r.exit_code == 0, r.output  # an empty file is a new index


def test_the_same_index_through_a_link_is_locked_too(tmp_path):
    db = tmp_path / "corpus.db"
    link = tmp_path / "link.db"
    os.symlink(db, link)
    holder = IndexDatabase(str(db), Config().index_settings())
    hard = tmp_path / "hard.db"
    os.link(db, hard)  # another name for the same file
    try:
        for other in (link, hard):
            with pytest.raises(IndexBusy):
                IndexDatabase(str(other), Config().index_settings())
    finally:
        holder.close()
    IndexDatabase(str(hard), Config().index_settings()).close()  # free again once the run ends


def test_an_index_in_a_missing_folder_is_refused_with_a_message(tmp_path):
    r = CliRunner().invoke(main, ["clean", str(SAMPLES), "-o", str(tmp_path / "out"),
                                  "--index", str(tmp_path / "nope" / "x.db")])
    assert r.exit_code == 2 and "cannot use index" in r.output and "Traceback" not in r.output, r.output


def test_index_stats_after_a_killed_run_reads_without_writing(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    from conftest import generated_corpus

    corpus = tmp_path / "corpus.jsonl"
    generated_corpus(corpus, n=1500)
    db = tmp_path / "corpus.db"
    assert CliRunner().invoke(main, ["clean", str(SAMPLES), "-o", str(tmp_path / "first"), "--index", str(db)]).exit_code == 0
    cfg = tmp_path / "cfg.toml"
    cfg.write_text("[run]\ncheckpoint_every = 5\nworkers = 1\n")
    proc = subprocess.Popen([sys.executable, "-m", "cleaner", "clean", str(corpus), "-o", str(tmp_path / "out"),
                             "--index", str(db), "--config", str(cfg), "--quiet"])
    journal = tmp_path / "corpus.db-journal"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None and not (journal.exists() and journal.stat().st_size):
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert journal.exists() and journal.stat().st_size, "the killed run left no journal"
    before = db.read_bytes(), journal.read_bytes()
    r = CliRunner().invoke(main, ["index", "stats", str(db)])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["documents"] == 5  # what the first, complete run added
    assert (db.read_bytes(), journal.read_bytes()) == before
