"""Which copy of a duplicate document survives (`dedup.keep`, `--keep`), and documents that are
mostly a copy of one earlier document (`duplicate:mostly-copy`)."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import read_jsonl, sample_text
from test_dedup import article_paragraphs, run_docs

from cleaner import Config, run
from cleaner.cli import main
from cleaner.dedup.survivor import parse_date

PARAS = article_paragraphs()
OTHER = [p.strip() for p in sample_text("001").split("\n") if len(p.split()) > 25][:3]
UNRELATED = [p.strip() for p in sample_text("004").split("\n") if len(p.split()) > 25][:3]


def cluster_records() -> list[dict]:
    """A: an aggregator's shortened copy, first in the input; B: the publisher's full article;
    C: an exact copy of A; D: B without its first paragraph (a copy of B, not close enough to A
    on its own: the cluster holds it through B); E: another article quoting one paragraph; F:
    unrelated."""
    body = lambda paras: "\n\n".join(paras) + "\n"  # noqa: E731
    quote = "\n\n".join(OTHER[:2] + [PARAS[9]] + OTHER[2:]) + "\n"
    return [
        {"id": "A", "text": body(PARAS[:-2]), "date": "2020-01-09T10:00:00Z", "rank": 5},
        {"id": "B", "text": body(PARAS), "date": "2020-01-08T12:00:00+02:00", "rank": 1},
        {"id": "C", "text": body(PARAS[:-2]), "date": "2020-01-10", "rank": "wire"},
        {"id": "D", "text": body(PARAS[1:]), "date": "2020-01-05", "rank": 3},
        {"id": "E", "text": quote, "date": "2020-01-11", "rank": 2},
        {"id": "F", "text": body(UNRELATED), "rank": 9},
    ]


EXPECTED = {"first": "A", "longest": "B", "newest": "C", "oldest": "D", "field:rank": "B"}


def clean(tmp_path, policy: str, **settings) -> tuple[dict, dict]:
    tmp_path.mkdir(exist_ok=True)
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in cluster_records()), encoding="utf-8")
    out = tmp_path / f"out-{policy.replace(':', '-')}"
    run([str(corpus)], str(out), Config().with_overrides({"dedup.keep": policy, **settings}))
    docs = {d["id"]: d for d in read_jsonl(out / "documents.jsonl")}
    removed: dict[str, list[dict]] = {}
    for r in read_jsonl(out / "removed.jsonl"):
        removed.setdefault(r["doc_id"], []).append(r)
    return docs, removed


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("policy", list(EXPECTED))
def test_each_policy_keeps_its_survivor_and_the_others_point_at_it(tmp_path, policy, workers):
    docs, removed = clean(tmp_path, policy, **{"run.workers": workers, "run.batch_size": 1})
    survivor = EXPECTED[policy]
    cluster = {"A", "B", "C", "D"}
    assert set(docs) == {survivor, "E", "F"}
    for loser in cluster - {survivor}:
        (whole,) = removed[loser]
        assert whole["stage"] == "document-dedup" and whole["duplicate_of"]["doc_id"] == survivor
        assert whole["reason"] in ("duplicate:exact-document", "duplicate:near-document")
    # passages follow the documents that survive: the quote in E points at the survivor, and
    # the survivor itself lost nothing to its dropped copies
    quoted = [r for r in removed.get("E", []) if r["stage"] == "passage-dedup"]
    assert quoted and {r["duplicate_of"]["doc_id"] for r in quoted} == {survivor}
    assert not [r for r in removed.get(survivor, []) if r["stage"] == "passage-dedup"]


def test_a_policy_gives_the_same_output_with_any_number_of_workers(tmp_path):
    a = clean(tmp_path / "a", "newest", **{"run.workers": 1})
    b = clean(tmp_path / "b", "newest", **{"run.workers": 2, "run.batch_size": 1})
    for docs, _ in (a, b):
        for d in docs.values():
            d.pop("source")
    assert a == b


def test_documents_without_the_value_lose_and_ties_go_by_input_order(tmp_path):
    records = cluster_records()
    for r in records:
        r.pop("date", None)
    records[2]["date"] = "not a date"
    records[3]["date"] = 1578000000  # seconds since the epoch: 2020-01-02
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    for policy, survivor in (("newest", "D"), ("field:missing", "A")):
        run([str(corpus)], str(tmp_path / policy), Config().with_overrides({"dedup.keep": policy}))
        kept = {d["id"] for d in read_jsonl(tmp_path / policy / "documents.jsonl")}
        assert survivor in kept and not {"A", "B", "C", "D"} - {survivor} & kept


def test_dates_are_read_in_the_common_forms():
    assert parse_date("2020-01-08T12:00:00+02:00") == parse_date("2020-01-08T10:00:00Z")
    assert parse_date("2020-01-08") < parse_date("2020-01-08T00:00:01")
    assert parse_date("2020") == parse_date("2020-01-01")
    assert parse_date("1578000000") == parse_date(1578000000) == 1578000000.0
    assert parse_date("yesterday") is None and parse_date("") is None and parse_date(None) is None


def test_keep_flag_and_a_wrong_policy(tmp_path):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in cluster_records()), encoding="utf-8")
    ok = CliRunner().invoke(main, ["clean", str(corpus), "-o", str(tmp_path / "o"), "--keep", "longest", "-q"])
    assert ok.exit_code == 0, ok.output
    assert "B" in {d["id"] for d in read_jsonl(tmp_path / "o" / "documents.jsonl")}
    bad = CliRunner().invoke(main, ["clean", str(corpus), "-o", str(tmp_path / "p"), "--keep", "biggest"])
    assert bad.exit_code == 2 and "dedup.keep (--keep) must be one of first, longest, newest, oldest, field:NAME" in bad.output


# -- whole copies -----------------------------------------------------------------------------------
def test_a_document_mostly_copied_from_one_earlier_document_goes_whole():
    original = "\n\n".join(PARAS) + "\n"
    # an edited copy below the document threshold: paragraphs dropped, a new lede, edits
    copy = "\n\n".join(["Readers of this site get the story first, in brief."] + PARAS[0:12:2]) + "\n"
    first, second = run_docs([original, copy])
    assert not first.dropped
    assert second.dropped and len(second.removals) == 1
    whole = second.removals[0]
    assert (whole.reason, whole.stage, whole.start, whole.end) == ("duplicate:mostly-copy", "document-dedup", 0, len(copy))
    assert whole.duplicate_of.doc_id == "d0" and whole.score >= 0.6
    # with the rule off, the copy's fragments stay, as passages removed one by one
    _, kept = run_docs([original, copy], Config().with_overrides({"dedup.documents.residue": 0.0}))
    assert not kept.dropped and {r.reason for r in kept.removals} <= {"duplicate:paragraph", "duplicate:passage"}
    assert "Readers of this site" in kept.text


def test_a_document_that_quotes_less_than_the_residue_keeps_its_own_text():
    own = "\n\n".join(OTHER) + "\n\n"
    first, second = run_docs(["\n\n".join(PARAS) + "\n", own + "\n\n".join(PARAS[9:11]) + "\n"])
    assert not second.dropped and second.text.startswith(OTHER[0])
    assert {r.reason for r in second.removals} == {"duplicate:paragraph"}


def test_a_mostly_copied_document_is_no_source_for_later_ones():
    original = "\n\n".join(PARAS[:6]) + "\n"
    tail = "A closing line of its own that this copy adds, with enough words to be a passage of its own here."
    copy = original + "\n" + tail + "\n"
    third = "\n\n".join(OTHER) + "\n\n" + tail + "\n"
    a, b, c = run_docs([original, copy, third], Config().with_overrides({"dedup.documents.threshold": 0.99}))
    assert b.dropped and b.removals[0].reason == "duplicate:mostly-copy"
    assert tail in c.text  # b's own sentence was dropped with b: c's copy of it is now the first
