"""End-to-end checks on the seed scrapes. Every expectation here was written from reading the
files in samples/: which lines are article text and which are site furniture."""
from __future__ import annotations

import re

from conftest import sample_text

ID = {
    "000": "000_63e86eb324c80cd1.txt",
    "001": "001_5d014eac7c6fb822.txt",
    "002": "002_b69451258af3ce0b.txt",
    "003": "003_9bcfc765aa3e11de.txt",
    "004": "004_1d46aff1becb8dc3.txt",
}


def paragraphs_between(text: str, first: str, last: str) -> list[str]:
    """The non-blank lines from the one starting with `first` to the one starting with `last`."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    i = next(k for k, line in enumerate(lines) if line.startswith(first))
    j = next(k for k, line in enumerate(lines) if line.startswith(last))
    return lines[i:j + 1]


def kept(samples_run, key: str) -> str:
    return samples_run[1][ID[key]]["text"]


def title(samples_run, key: str) -> str:
    return samples_run[1][ID[key]]["title"]


def test_all_five_documents_are_kept(samples_run):
    _, docs, _ = samples_run
    assert sorted(docs) == sorted(ID.values())


def test_000_article_kept_sidebars_and_glued_title_gone(samples_run):
    text = kept(samples_run, "000")
    for p in paragraphs_between(sample_text("000"), "The Mayor of Montreal is revealed", "He said: “The Iranian government"):
        assert p in text
    # The title appears once: in the title field, not (again) in the text.
    assert title(samples_run, "000") == "Mayor of Montreal secret visit to Iran draws criticism"
    assert "Mayor of Montreal secret visit" not in text
    assert "Iran Human RightsMayor" not in text  # site name glued to the title
    for furniture in ("Latest news", "Must read", "You might also like", "Recommended to you",
                      "Hezbollah unmasked", "Frustration of Iran’s Middle Class"):
        assert furniture not in text
    assert not [line for line in text.splitlines() if line.rstrip().endswith(("...", "…"))]


def test_001_article_kept_bio_and_recent_posts_gone(samples_run):
    text = kept(samples_run, "001")
    for p in paragraphs_between(sample_text("001"), "Iranian Foreign Ministry Spokesman announced", "The current Canadian government"):
        assert p in text
    assert title(samples_run, "001") == "Major Change Expected in Iran-Canada Bilateral Ties: Spokesman"
    assert "Major Change Expected" not in text
    assert "Editorial Staff" not in text  # author box: name line and bio
    assert "Recent Posts" not in text
    assert not re.search(r"^\d+ (mins?|hours?) ago$", text, re.M)  # "19 mins ago" stamps
    assert "Urmia Lake" not in text and "British troops may be deployed" not in text


def test_002_doubled_title_appears_once_and_article_kept(samples_run):
    text = kept(samples_run, "002")
    assert title(samples_run, "002") == "Canada Confirms Talks to Renew Iran Ties"
    assert "Canada Confirms Talks" not in text
    for p in paragraphs_between(sample_text("002"), "The Liberal government of Canadian", "“I would say it"):
        assert p.strip("\u00a0 ") in text


def test_004_statement_with_nothing_page_like_around_it_passes_untouched(samples_run):
    # A statement: a heading line, the text, a signature. No menu, no teasers, no site lines:
    # nothing says the first line is a page's title rather than the statement's own first line.
    assert kept(samples_run, "004") == sample_text("004")
    assert title(samples_run, "004") is None
    assert not samples_run[2].get(ID["004"])


def test_003_furniture_gone_article_kept(samples_run):
    text = kept(samples_run, "003")
    assert "Comments Off on" not in text
    assert "READ MORE:" not in text
    assert title(samples_run, "003") == "Iran-Canada Relations"
    assert "Iran-Canada Relations" not in text
    # The first article's own headline is not doubled; it may go (headlines are not body text).
    assert text.count("Plane crash investigation could be Canada’s chance") <= 1
    # The CBC article up to the interview, every paragraph.
    for p in paragraphs_between(sample_text("003"), "A former federal minister says", "“And if you want to play"):
        if p.endswith(("2:26", "6:14")):  # video captions with their running time
            continue
        assert p in text, p
    # The later articles on the page, including the last sentence of the page.
    for p in paragraphs_between(sample_text("003"), "The Canadian government signalled its determination",
                                "Colin Robertson, a former Canadian diplomat who is now"):
        assert p in text, p
    assert text.rstrip().endswith("That same report said ISIS is now resurgent.")
    # The headline printed again after the paragraph it ends is there once.
    assert text.count("United Nations Secretary-General pleads for de-escalation") == 1


def _dup_removals(samples_run, key):
    return [r for r in samples_run[2][ID[key]] if r["stage"] == "passage-dedup"]


def test_003_interview_repeats_of_article_quotes_point_at_the_article(samples_run):
    source = sample_text("003")
    article_end = source.index("Canada has closed its embassy in Iran effective immediately")
    interview_start = source.index("MG: John Baird was")
    dups = _dup_removals(samples_run, "003")
    # Interview passage -> words of the article quote it repeats (with the interview's edits).
    expected = {
        "And we would fall short of second in that list": "we would fall sort of second in that list",
        "one of the key roles of an embassy is to act as a coordinator": "act as a co-ordinator for Canadian interests",
        "we’ve got significant Canadian interests because a number of Canadians": "we’ve got significant Canadian interests",
        "And if you want to play, you have to be there.": "And if you want to play, you have to be there.",
    }
    for copy, original in expected.items():
        found = [r for r in dups if copy in r["text"]]
        assert found, f"interview passage not removed: {copy}"
        r = found[0]
        assert r["start"] > interview_start
        dup = r["duplicate_of"]
        assert dup["doc_id"] == ID["003"]
        assert dup["end"] <= article_end, "duplicate_of must point into the article, before the transcript"
        assert original in source[dup["start"]:dup["end"]]
    # The interview keeps its own words around the removed quote.
    text = kept(samples_run, "003")
    assert "COLIN ROBERTSON: Yes, I think so. I have no doubt that our friends and allies will be helpful." in text
    assert "So again, you can send a team there" in text
    assert "fall short of second" not in text


def test_removal_log_fields_and_offsets(samples_run):
    _, _, removals = samples_run
    for doc_id, rs in removals.items():
        text = sample_text(doc_id[:3])
        for r in rs:
            assert set(r) == {"doc_id", "start", "end", "text", "stage", "reason", "duplicate_of", "score"}
            assert text[r["start"]:r["end"]] == r["text"]
            assert r["reason"].startswith(("boilerplate:", "duplicate:"))
            assert (r["duplicate_of"] is not None) == r["reason"].startswith("duplicate:")


def test_summary_counts(samples_run):
    import json

    summary = json.loads((samples_run[0] / "summary.json").read_text())
    assert summary["documents"] == {"in": 5, "out": 5, "dropped_duplicate": 0, "dropped_empty": 0,
                                    "dropped_not_article": 0, "skipped": 0}
    assert summary["not_article"] == []
    total_in = sum(len(sample_text(k)) for k in ID)
    assert summary["characters"]["in"] == total_in
    assert summary["characters"]["out"] == sum(len(d["text"]) for d in samples_run[1].values())
    assert "boilerplate:teaser-run" in summary["removals"]["boilerplate"]
    assert "duplicate:passage" in summary["removals"]["passage-dedup"]
    assert set(summary["timings_seconds"]) >= {"read", "boilerplate", "fingerprint-documents", "fingerprint-passages",
                                               "passage-units", "document-dedup", "passage-index", "passage-group",
                                               "passage-align", "passage-decide", "write"}
