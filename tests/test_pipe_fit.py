"""Fitting the user's pipeline (issue 15): JSONL told by parsing its first record, a wrong text
field stopping the run with the fields found, records' own fields passed through, renamed
output fields, and `-o -` writing to stdout."""
from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner
from conftest import read_jsonl

from cleaner.cli import main

BODY = ("The council voted on Tuesday to expand the river park after a long public consultation that drew "
        "hundreds of residents to the town hall. ")


def invoke(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


TOPICS = ["the ferry timetable", "a new school", "the winter market", "road repairs", "the library hours",
          "a bridge closure", "the harbour festival", "bus fares"]


def records(n: int, field: str = "text", long: bool = False) -> str:
    """JSONL records with their own fields, each on its own topic; `long`: the first record is
    over 4 KB."""
    out = []
    for i in range(n):
        topic = TOPICS[i % len(TOPICS)]
        text = (f"Record {i} opens here. " + BODY * (60 if long and i == 0 else 1)
                + f"Residents then asked about {topic}, and officials promised an answer on {topic} soon, "
                  f"since {topic} matters to every family in the valley this year.")
        out.append(json.dumps({"id": f"r{i}", field: text, "lang": "en", "crawl_date": f"2024-01-{i + 1:02d}",
                               "meta": {"feed": "city"}, "source": f"feed-{i}"}))
    return "\n".join(out) + "\n"


def test_jsonl_with_a_long_first_record_and_no_suffix_is_read_as_records(tmp_path):
    corpus = tmp_path / "corpus"  # no .jsonl name
    corpus.write_text(records(3, long=True))
    r = invoke("clean", corpus, "-o", tmp_path / "out", "--no-dedup")
    assert r.exit_code == 0, r.output
    assert [d["id"] for d in read_jsonl(tmp_path / "out" / "documents.jsonl")] == ["r0", "r1", "r2"]
    r = invoke("clean", "-", "-o", tmp_path / "piped", "--no-dedup", input=records(3, long=True))
    assert r.exit_code == 0, r.output
    assert [d["id"] for d in read_jsonl(tmp_path / "piped" / "documents.jsonl")] == ["r0", "r1", "r2"]


def test_a_text_file_whose_first_line_is_not_json_stays_text(tmp_path):
    page = tmp_path / "page"
    page.write_text("{not json at all} but a line of text\n\n" + BODY + "\n")
    r = invoke("clean", page, "-o", tmp_path / "out", "--no-dedup")
    assert r.exit_code == 0, r.output
    (doc,) = read_jsonl(tmp_path / "out" / "documents.jsonl")
    assert doc["meta"]["kind"] == "text"


def test_a_wrong_text_field_stops_the_run_naming_the_fields_found(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(records(3000, field="content"))
    r = invoke("clean", corpus, "-o", tmp_path / "out")
    assert r.exit_code == 2
    assert "fields found: content, crawl_date, id, lang, meta, source" in r.stderr
    assert "--text-field content?" in r.stderr
    assert len(r.stderr.splitlines()) < 5  # no line per record
    assert not (tmp_path / "out").exists()  # a refused run leaves nothing behind
    r = invoke("clean", corpus, "-o", tmp_path / "out", "--text-field", "content", "--no-dedup", "-q")
    assert r.exit_code == 0, r.output
    assert len(read_jsonl(tmp_path / "out" / "documents.jsonl")) == 3000


def test_a_few_records_without_the_field_among_good_ones_are_skipped_and_reported(tmp_path):
    lines = records(4).splitlines()
    lines.insert(2, json.dumps({"id": "odd", "body": "no text field here"}))
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("\n".join(lines) + "\n")
    r = invoke("clean", corpus, "-o", tmp_path / "out", "--no-dedup")
    assert r.exit_code == 1
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["skipped"]["by_reason"] == {"missing-field": 1}


def test_record_fields_pass_through_and_output_names_can_change(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(records(2, field="content"))
    out = tmp_path / "out"
    r = invoke("clean", corpus, "-o", out, "--text-field", "content", "--no-dedup",
               "--output-text-field", "body", "--output-id-field", "doc_id", "--drop-fields", "crawl_date")
    assert r.exit_code == 0, r.output
    first = read_jsonl(out / "documents.jsonl")[0]
    assert first["doc_id"] == "r0" and first["body"].startswith("Record 0 opens here.")
    assert first["lang"] == "en" and "crawl_date" not in first and "content" not in first and "text" not in first
    assert first["source"] == "feed-0"  # the record's own field wins; cleaner's goes under meta
    assert first["meta"]["source"].endswith("corpus.jsonl:1")
    assert first["meta"]["input_fields"] == {"meta": {"feed": "city"}} and first["meta"]["kind"] == "text"
    # explain and restore find documents under the renamed fields
    r = invoke("restore", out, "r1")
    assert r.exit_code == 0 and r.output.startswith("Record 1 opens here.")
    assert invoke("explain", out, "r0").exit_code == 0


def test_defaults_keep_every_field_and_name_text_and_id_as_before(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(records(1))
    assert invoke("clean", corpus, "-o", tmp_path / "out", "--no-dedup", "-q").exit_code == 0
    (doc,) = read_jsonl(tmp_path / "out" / "documents.jsonl")
    assert set(doc) == {"id", "text", "lang", "crawl_date", "meta", "source", "url", "title"}


def test_output_to_stdout_with_the_removal_log_in_a_file(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(records(3) + records(1).replace('"r0"', '"copy"'))
    log = tmp_path / "removed.jsonl"
    r = invoke("clean", corpus, "-o", "-", "--removed", log)
    assert r.exit_code == 0, r.stderr
    docs = [json.loads(line) for line in r.stdout.splitlines()]
    assert [d["id"] for d in docs] == ["r0", "r1", "r2"]
    assert "documents: 4 in, 3 out" in r.stderr
    removed = [json.loads(line) for line in log.read_text().splitlines()]
    assert any(x["doc_id"] == "copy" and x["reason"].startswith("duplicate:") for x in removed)
    assert invoke("clean", corpus, "-o", "-", "--removed", log).exit_code == 2  # never overwritten
    assert invoke("clean", corpus, "-o", "-", "--removed", corpus).exit_code == 2  # nor an input
    assert not (tmp_path / "-").exists()
    assert invoke("clean", corpus, "-o", tmp_path / "out", "--removed", log).exit_code == 2
    assert invoke("clean", corpus, "-o", "-", "--format", "text").exit_code == 2


def test_a_page_piped_through(tmp_path):
    page = ("<html><head><title>River park to grow</title></head><body><nav><a href='/'>Home</a></nav>"
            f"<article><h1>River park to grow</h1><p>{BODY * 3}</p><p>{BODY}</p></article></body></html>")
    cmd = f"{sys.executable} -m cleaner clean - -o - | {sys.executable} -c " \
          "\"import sys, json; print(json.loads(sys.stdin.readline())['text'][:40])\""
    done = subprocess.run(cmd, shell=True, input=page, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == BODY[:40].strip()
    assert "documents: 1 in, 1 out" in done.stderr


def test_explain_takes_an_id_prefix_and_keeps_its_marks_in_a_pipe(tmp_path):
    from conftest import SAMPLES

    out = tmp_path / "out"
    assert invoke("clean", SAMPLES, "-o", out, "-q").exit_code == 0
    plain = invoke("explain", out, "003")  # CliRunner's stdout is no terminal: a pipe
    assert plain.exit_code == 0, plain.output
    assert plain.output.startswith("003_9bcfc765aa3e11de.txt:") and "[-" in plain.output and "\x1b[" not in plain.output
    coloured = invoke("explain", out, "003", "--color")
    assert "\x1b[" in coloured.output and "[-" in coloured.output  # colours forced, marks kept
    ambiguous = invoke("explain", out, "00")
    assert ambiguous.exit_code == 2 and "starts 5 document ids" in ambiguous.stderr
    assert invoke("explain", out, "zzz").exit_code == 2
    assert invoke("restore", out, "003").output == (SAMPLES / "003_9bcfc765aa3e11de.txt").read_text(encoding="utf-8")


def test_limit_cleans_only_the_first_documents(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(records(8))
    r = invoke("clean", corpus, "-o", "-", "--limit", "3")
    assert r.exit_code == 0, r.stderr
    assert [json.loads(line)["id"] for line in r.stdout.splitlines()] == ["r0", "r1", "r2"]
    assert "documents: 3 in" in r.stderr
    assert invoke("clean", corpus, "-o", "-", "--limit", "-1").exit_code == 2


def test_zstd_and_gzip_inputs_by_suffix_and_by_magic_bytes(tmp_path):
    import gzip

    import zstandard

    data = records(3).encode()
    (tmp_path / "a.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(data))
    (tmp_path / "b-no-suffix").write_bytes(gzip.compress(data.replace(b'"r', b'"g')))
    r = invoke("clean", tmp_path / "a.jsonl.zst", tmp_path / "b-no-suffix", "-o", "-", "--no-dedup")
    assert r.exit_code == 0, r.stderr
    assert [json.loads(line)["id"] for line in r.stdout.splitlines()] == ["r0", "r1", "r2", "g0", "g1", "g2"]
    piped = invoke("clean", "-", "-o", "-", "--no-dedup", input=zstandard.ZstdCompressor().compress(data))
    assert [json.loads(line)["id"] for line in piped.stdout.splitlines()] == ["r0", "r1", "r2"]


def test_a_zstd_bomb_is_stopped_early(tmp_path):
    import zstandard

    bomb = tmp_path / "bomb.jsonl.zst"
    with open(bomb, "wb") as f, zstandard.ZstdCompressor(level=3).stream_writer(f) as w:
        w.write(b'{"text": "')
        for _ in range(256):
            w.write(b"a" * (1 << 20))  # 256 MB of one letter, a few hundred KB compressed
        w.write(b'"}\n')
    assert bomb.stat().st_size < 2 << 20
    r = invoke("clean", bomb, "-o", tmp_path / "out")
    assert r.exit_code == 1
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["skipped"]["by_reason"] == {"zstd-bomb": 1}


def test_compressed_outputs_hold_what_plain_ones_do(tmp_path):
    import gzip

    import zstandard

    from conftest import SAMPLES

    plain, gz, zst = tmp_path / "plain", tmp_path / "gz", tmp_path / "zst"
    assert invoke("clean", SAMPLES, "-o", plain, "-q").exit_code == 0
    assert invoke("clean", SAMPLES, "-o", gz, "-q", "--compress", "gzip").exit_code == 0
    assert invoke("clean", SAMPLES, "-o", zst, "-q", "--compress", "zstd").exit_code == 0
    for name in ("documents.jsonl", "removed.jsonl"):
        want = (plain / name).read_bytes()
        assert gzip.decompress((gz / (name + ".gz")).read_bytes()) == want
        reader = zstandard.ZstdDecompressor().stream_reader(open(zst / (name + ".zst"), "rb"), read_across_frames=True)
        assert reader.read() == want
        assert not (gz / name).exists()
    assert invoke("explain", zst, "003").output == invoke("explain", plain, "003").output
    assert invoke("restore", gz, "003").output == (SAMPLES / "003_9bcfc765aa3e11de.txt").read_text(encoding="utf-8")
    assert invoke("clean", SAMPLES, "-o", tmp_path / "t", "--format", "text", "--compress", "gzip").exit_code == 2


def test_the_summary_says_how_long_the_run_took_and_an_empty_folder_is_refused(tmp_path):
    from conftest import SAMPLES

    r = invoke("clean", SAMPLES, "-o", tmp_path / "out")
    assert r.exit_code == 0 and "time: " in r.stderr and " documents/s)" in r.stderr
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["seconds"] > 0
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / ".hidden").write_text("not read")
    r = invoke("clean", empty, "-o", tmp_path / "out2")
    assert r.exit_code == 2 and "holds no files" in r.stderr and not (tmp_path / "out2").exists()


# -- found by trying it as a user and an attacker would ------------------------------------------
EXAMPLES = __import__("pathlib").Path(__file__).resolve().parent.parent / "docs" / "examples"


def test_a_warc_on_stdin_and_a_zstd_warc_are_read(tmp_path):
    import gzip

    import zstandard

    plain = gzip.decompress((EXAMPLES / "crawl.warc.gz").read_bytes())
    for data in (plain, (EXAMPLES / "crawl.warc.gz").read_bytes(), zstandard.ZstdCompressor().compress(plain)):
        r = invoke("clean", "-", "-o", "-", "--no-dedup", input=data)
        assert r.exit_code == 0, r.stderr[-500:]
        assert len(r.stdout.splitlines()) == 3


def test_a_url_that_does_not_parse_does_not_stop_the_run(tmp_path):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(json.dumps({"id": "v6", "text": BODY, "url": "http://[oops/page"}) + "\n"
                      + json.dumps({"id": "n", "text": BODY + " More.", "url": 123}) + "\n")
    assert invoke("clean", corpus, "-o", tmp_path / "out", "--no-dedup", "-q").exit_code == 0
    assert invoke("report", tmp_path / "out").exit_code == 0


def test_a_refused_input_never_costs_the_earlier_run(tmp_path):
    good, wrong = tmp_path / "good.jsonl", tmp_path / "wrong.jsonl"
    good.write_text(records(2))
    wrong.write_text(records(2, field="content"))  # fewer than 5 records, none with the field: refused too
    out = tmp_path / "out"
    assert invoke("clean", good, "-o", out, "-q").exit_code == 0
    before = sorted(p.name for p in out.iterdir())
    r = invoke("clean", good, wrong, "-o", out, "--overwrite")
    assert r.exit_code == 2 and "fields found" in r.stderr
    assert sorted(p.name for p in out.iterdir()) == before
    r = invoke("clean", good, wrong, "-o", "-", "--removed", tmp_path / "log.jsonl")
    assert r.exit_code == 2 and r.stdout == "" and not (tmp_path / "log.jsonl").exists()
    assert invoke("clean", good, "-o", "-", "--removed", "-").exit_code == 2


def test_a_truncated_zstd_input_is_a_read_error(tmp_path):
    import zstandard

    data = zstandard.ZstdCompressor().compress((BODY * 3000).encode())
    (tmp_path / "cut.txt.zst").write_bytes(data[: len(data) * 4 // 5])
    r = invoke("clean", tmp_path / "cut.txt.zst", "-o", tmp_path / "out")
    assert r.exit_code == 1 and "read-error" in r.stderr and "cut short" in r.stderr


def test_record_fields_never_overwrite_each_other(tmp_path):
    corpus = tmp_path / "posts.jsonl"
    corpus.write_text(json.dumps({"post_id": "p0", "body": BODY, "id": "legacy-0", "text": "summary 0",
                                  "score": 7}) + "\n")
    out = tmp_path / "out"
    assert invoke("clean", corpus, "-o", out, "--text-field", "body", "--id-field", "post_id", "-q").exit_code == 0
    (doc,) = read_jsonl(out / "documents.jsonl")
    assert doc["id"] == "p0" and doc["text"] == BODY and doc["score"] == 7
    assert doc["meta"]["input_fields"] == {"id": "legacy-0", "text": "summary 0"}


def test_a_first_line_in_braces_that_is_not_json_keeps_the_text(tmp_path):
    note = tmp_path / "note"
    note.write_text("{curly braces} in a note {really}\n\n" + BODY + "\n")
    r = invoke("clean", note, "-o", "-", "--no-dedup")
    assert r.exit_code == 0 and "curly braces" in json.loads(r.stdout)["text"]


def test_dry_run_into_a_folder_it_may_not_use_is_refused_before_the_work(tmp_path):
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(records(3))
    r = invoke("clean", corpus, "-o", busy, "--dry-run")
    assert r.exit_code == 2 and "not empty" in r.stderr and "documents:" not in r.stderr


def test_explain_shows_control_characters_as_escapes(tmp_path):
    page = tmp_path / "esc.txt"
    page.write_text(BODY + "\n\n" + BODY.replace("council", "coun\x1b[2Jcil") + "\n")
    out = tmp_path / "out"
    assert invoke("clean", page, "-o", out, "-q").exit_code == 0
    shown = invoke("explain", out, "esc").output
    assert "\x1b" not in shown and "\\x1b" in shown


def test_library_takes_path_objects_and_refuses_an_unmatched_glob(tmp_path):
    import cleaner

    (tmp_path / "a.txt").write_text(BODY)
    assert [r.id for r in cleaner.clean(tmp_path / "a.txt")] == ["a.txt"]
    assert [r.id for r in cleaner.clean([tmp_path / "a.txt"])] == ["a.txt"]
    with __import__("pytest").raises(cleaner.readers.InputError, match="no files match"):
        list(cleaner.clean([str(tmp_path / "*.nomatch")]))
    with __import__("pytest").raises(TypeError, match="not a int"):
        list(cleaner.clean(42))
