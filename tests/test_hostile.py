"""A corpus of hostile inputs, generated here, cleaned in one run next to good documents: each
case ends with a recorded reason (a skip or a removal), and the good documents come out exactly
as they do in a run without the bad ones. Duplicate removal is off: the cases share a paragraph."""
import gzip
import json
import os
import zlib

import pytest

from cleaner import Config, run

PARA = ("The council met on Tuesday evening to discuss the new budget for the coming year, "
        "and several members raised questions about the cost of road repairs.")
GOOD = {f"good{i}.txt": f"Report number {i} from the regional desk.\n\n{PARA.replace('Tuesday', day)}\n\n"
        f"A second paragraph of this report explains what happened next, in {day.lower()}'s words.\n"
        for i, day in enumerate(["Monday", "Wednesday", "Friday"])}
HUGE_LINE = 200 * 1024 * 1024
QUIET = Config().with_overrides({"run.workers": 1, "dedup.enabled": False})  # the cases share words: no dedup


def _gzip_bomb(path, expanded: int, head: bytes = b"") -> None:
    """A .gz whose content is `head` and then `expanded` bytes of spaces (about 1000x smaller)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b" " * (1 << 20)
    with open(path, "wb") as f:
        f.write(comp.compress(head))
        for _ in range(expanded // len(chunk)):
            f.write(comp.compress(chunk))
        f.write(comp.flush())


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    src = root / "in"
    src.mkdir()
    for name, text in GOOD.items():
        (src / name).write_text(text, encoding="utf-8")
    (src / "binary.txt").write_bytes(bytes(range(256)) * 64)
    (src / "zero.txt").write_bytes(b"")
    (src / "cp1251.txt").write_bytes(("Совет собрался во вторник вечером, чтобы обсудить новый бюджет на "
                                      "следующий год, и несколько членов задали вопросы о расходах.\n").encode("cp1251"))
    (src / "invalid-utf8.txt").write_bytes(b"Caf\xc3\xa9 au lait costs \xff\xfe\xfd four euros at the station "
                                           b"kiosk near the river, every morning of the week.\n")
    with open(src / "huge-line.txt", "wb") as f:  # one 200 MB line
        f.write(b"x" * HUGE_LINE)
    (src / "nested.html").write_text("<html><body>" + "<div>" * 50000 + f"<p>{PARA}</p>" + "</div>" * 50000
                                     + "</body></html>")
    (src / "truncated.html").write_text(f"<html><head><title>T</title></head><body><article><p>{PARA}</p>"
                                        "<p>The meeting ended late, and the vote was put off until the next sess")
    (src / "entity-bomb.html").write_text(
        '<?xml version="1.0"?><!DOCTYPE b [<!ENTITY a "aaaaaaaaaa">' + "".join(
            f'<!ENTITY a{i} "{("&a;" if i == 0 else f"&a{i - 1};") * 10}">' for i in range(8))
        + f']><html><body><p>{PARA.replace("council", "committee")}</p><p>&a7;</p></body></html>')
    (src / "rtl.txt").write_text("Headline in English, then Arabic: مرحبا بالعالم، هذا نص طويل بما فيه الكفاية للاختبار.\n"
                                 "עברית: שלום עולם, זהו טקסט לבדיקה של כיוון הכתיבה.\n"
                                 "\u202eoverride\u202c mixed 中文文本 and English words in one line.\n", encoding="utf-8")
    records = [
        json.dumps({"id": "rec-ok", "text": PARA.replace("council", "board")}),
        '{"id": "rec-broken", "text": "no closing brace"',
        json.dumps({"id": "rec-int", "text": 12345}),
        json.dumps({"id": ["a", "list"], "text": PARA.replace("council", "senate")}),
        json.dumps([1, 2, 3]),
        json.dumps({"id": "rec-nul", "text": "Before\u0000\u0000after: " + PARA.replace("council", "panel")}),
        '{"id": "rec-raw-nul", "text": "raw \x00 byte"}',
        json.dumps({"id": "rec-rtl", "text": "שלום " + PARA.replace("council", "assembly")}, ensure_ascii=False),
    ]
    (src / "records.jsonl").write_text("\n".join(records) + "\n", encoding="utf-8")
    with open(src / "huge-record.jsonl", "wb") as f:  # a 200 MB JSON line, then a good one
        f.write(b'{"id": "huge", "text": "' + b"y" * HUGE_LINE + b'"}\n')
        f.write(json.dumps({"id": "after-huge", "text": PARA.replace("council", "jury")}).encode() + b"\n")
    _gzip_bomb(src / "bomb.jsonl.gz", 1 << 30,
               head=json.dumps({"id": "before-bomb", "text": PARA.replace("council", "court")}).encode() + b"\n")
    out = root / "out"
    summary = run([str(src)], str(out), QUIET)
    docs = {d["id"]: d for d in map(json.loads, open(out / "documents.jsonl", encoding="utf-8"))}
    removed = [json.loads(line) for line in open(out / "removed.jsonl", encoding="utf-8")]
    skips = {s["source"]: s for s in summary["skipped"]["inputs"]}
    return {"src": src, "summary": summary, "docs": docs, "removed": removed, "skips": skips, "root": root}


def _skip(hostile, name):
    return next(s for source, s in hostile["skips"].items() if source.endswith(name))


@pytest.mark.parametrize("name, reason", [
    ("binary.txt", "binary"),
    ("zero.txt", "empty"),
    ("huge-line.txt", "too-large"),
    ("records.jsonl:2", "invalid-json"),
    ("records.jsonl:3", "missing-field"),
    ("records.jsonl:5", "invalid-record"),
    ("records.jsonl:7", "invalid-json"),
    ("huge-record.jsonl:1", "too-large"),
    ("bomb.jsonl.gz", "gzip-bomb"),
])
def test_bad_input_is_skipped_with_its_reason(hostile, name, reason):
    assert _skip(hostile, name)["reason"] == reason


def test_legacy_and_invalid_encodings_are_decoded_and_noted(hostile):
    docs = hostile["docs"]
    assert docs["cp1251.txt"]["meta"]["decoding"] == "detected:cp1251"
    assert "Совет собрался во вторник" in docs["cp1251.txt"]["text"]
    assert docs["invalid-utf8.txt"]["meta"]["decoding"]  # how it was decoded is on record
    assert "au lait costs" in docs["invalid-utf8.txt"]["text"]


def test_malformed_html_is_cleaned_or_skipped_with_a_reason(hostile):
    docs = hostile["docs"]
    assert "The meeting ended late" in docs["truncated.html"]["text"]
    bomb = docs["entity-bomb.html"]["text"]
    assert "committee met on Tuesday" in bomb and len(bomb) < 1000  # the entities are not expanded
    nested = docs.get("nested.html") or _skip(hostile, "nested.html")
    assert "text" in nested or nested["reason"] == "no-text"  # past the parser's depth limit: said so


def test_nul_bytes_in_records_are_removed_with_a_reason_and_restorable(hostile):
    doc = hostile["docs"]["rec-nul"]
    assert "\x00" not in doc["text"] and doc["text"].startswith("Beforeafter")
    nul = [r for r in hostile["removed"] if r["doc_id"] == "rec-nul"]
    assert [(r["reason"], r["text"]) for r in nul] == [("control-characters", "\x00\x00")]
    assert hostile["summary"]["removals"]["input"]["control-characters"]["count"] == 1


def test_wrong_field_types_fall_back_to_a_line_id(hostile):
    assert any(d["text"].startswith("The senate met") for i, d in hostile["docs"].items() if i.endswith(":4"))


def test_right_to_left_and_mixed_scripts_pass_through(hostile):
    rtl = hostile["docs"]["rtl.txt"]["text"]
    assert "مرحبا بالعالم" in rtl and "שלום עולם" in rtl and "\u202eoverride\u202c" in rtl and "中文文本" in rtl
    assert hostile["docs"]["rec-rtl"]["text"].startswith("שלום The assembly")


def test_records_around_bad_ones_are_read(hostile):
    docs = hostile["docs"]
    assert {"rec-ok", "after-huge", "before-bomb"} <= set(docs)


def test_good_documents_come_out_as_without_the_bad_ones(hostile, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for name, text in GOOD.items():
        (src / name).write_text(text, encoding="utf-8")
    run([str(src)], str(tmp_path / "out"), QUIET)
    alone = {d["id"]: d["text"] for d in map(json.loads, open(tmp_path / "out" / "documents.jsonl"))}
    assert alone and all(hostile["docs"][i]["text"] == text for i, text in alone.items())


def test_a_document_over_the_time_limit_is_stopped_and_the_run_goes_on(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    # under input.max_lines (20,000), so it is cleaned, and slow to clean
    (src / "a-slow.txt").write_text("\n".join(f"{PARA} Line {i} of a very long page." for i in range(19000)))
    (src / "b-fine.txt").write_text(GOOD["good0.txt"])
    cfg = Config().with_overrides({"run.workers": 1, "input.max_seconds": 2.0})
    summary = run([str(src)], str(tmp_path / "out"), cfg)
    assert summary["skipped"]["by_reason"] == {"timeout": 1}
    assert summary["skipped"]["inputs"][0]["source"].endswith("a-slow.txt")
    assert [json.loads(line)["id"] for line in open(tmp_path / "out" / "documents.jsonl")] == ["b-fine.txt"]


def test_gzip_bomb_alone_is_stopped_early(tmp_path):
    bomb = tmp_path / "page.txt.gz"
    _gzip_bomb(bomb, 1 << 30)
    assert os.path.getsize(bomb) < 2 << 20
    summary = run([str(bomb)], str(tmp_path / "out"), Config().with_overrides({"run.workers": 1}))
    assert summary["skipped"]["by_reason"] == {"gzip-bomb": 1}


def test_a_gzip_file_that_is_not_a_bomb_is_read(tmp_path):
    path = tmp_path / "page.txt.gz"
    path.write_bytes(gzip.compress(GOOD["good1.txt"].encode()))
    summary = run([str(path)], str(tmp_path / "out"), Config().with_overrides({"run.workers": 1}))
    assert summary["documents"]["out"] == 1


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the swallowed one
def test_a_time_limit_whose_first_signal_is_swallowed_still_stops_the_work():
    # Python swallows an exception raised inside __del__ (or a garbage collector callback):
    # a one-shot timer would then never stop the document.
    import time as clock

    from cleaner.worker import DocumentTimeout, time_limit

    class SlowToCollect:
        def __del__(self):
            clock.sleep(0.4)  # the first alarm goes off in here and is lost

    start = clock.monotonic()
    with pytest.raises(DocumentTimeout):
        with time_limit(0.2):
            item = SlowToCollect()
            del item
            while clock.monotonic() - start < 5:
                pass
    assert clock.monotonic() - start < 2
    clock.sleep(0.6)  # and no alarm is left to go off afterwards
