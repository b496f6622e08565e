"""Site templates: lines repeated on several pages of one site."""
from __future__ import annotations

import numpy as np
from conftest import read_jsonl

from cleaner import Cleaner, Config, Document, run
from cleaner.boilerplate.templates import TemplateCounter, document_keys, line_key
from cleaner.segment import split_blocks

NAV = ["Front page", "Local news", "Opinion pages", "Sports desk"]
FOOTER = "The Valley Courier is published by Valley Media Group, an independent local publisher since 1962."
STORIES = [
    ["Bridge reopens after repairs", "The old river bridge reopened on Monday after six months of repairs to its deck and railings.",
     "Drivers had used a detour through the industrial park, which added twenty minutes to many commutes."],
    ["School adds evening classes", "The high school will offer evening classes for adults starting in September, the board said.",
     "Courses include bookkeeping, welding and conversational Spanish, and each runs for ten weeks."],
    ["Library extends hours", "The public library will stay open until nine on weekdays from next month after a rise in visitors.",
     "Staff said students preparing for exams had asked for quiet space in the evenings."],
    ["Farmers market moves", "The Saturday farmers market moves to the fairground this summer to make room for more stalls.",
     "Organisers expect about forty vendors, up from twenty-five last year, and free parking."],
]


def page(story: list[str]) -> str:
    return "\n\n".join(NAV + story + [FOOTER])


def write_site(folder, stories) -> None:
    folder.mkdir(parents=True)
    for i, s in enumerate(stories):
        (folder / f"p{i}.txt").write_text(page(s), encoding="utf-8")


def test_counter_counts_documents_not_occurrences_across_spilled_partitions():
    counter = TemplateCounter(min_pages=2, memory_bytes=40)  # spills to disk every 3 keys
    counter.add(np.array([1, 2], dtype=np.uint64))
    counter.add(np.array([2, 3], dtype=np.uint64))
    counter.add(np.array([3, 4], dtype=np.uint64))
    try:
        assert counter.templates() == frozenset({2, 3})
    finally:
        counter.close()
    text = "Same line\n\nSame line\n\nOther"
    assert len(document_keys(split_blocks(text), "site")) == 2
    assert line_key("a", "Same line") != line_key("b", "Same line")
    assert line_key("a", "Same, line!") == line_key("a", "same line")


def test_template_lines_go_from_every_page_of_the_site_including_the_first(tmp_path):
    write_site(tmp_path / "in" / "courier", STORIES)
    run([str(tmp_path / "in")], str(tmp_path / "out"), Config().with_overrides({"dedup.enabled": False}))
    docs = read_jsonl(tmp_path / "out" / "documents.jsonl")
    assert len(docs) == 4
    for d, story in zip(docs, STORIES):
        assert not any(item in d["text"] for item in NAV)
        assert story[1] in d["text"] and story[2] in d["text"]
    reasons = {r["reason"] for r in read_jsonl(tmp_path / "out" / "removed.jsonl") if r["doc_id"] == "courier/p0.txt"}
    assert "boilerplate:site-template" in reasons


def test_prose_pages_share_is_left_to_duplicate_removal_which_keeps_the_first(tmp_path):
    # The footer is a sentence: site templates are menus and short notices, not prose. Duplicate
    # removal takes it from the later pages, pointing at the first, which keeps it.
    write_site(tmp_path / "in" / "courier", STORIES)
    run([str(tmp_path / "in")], str(tmp_path / "out"), Config())
    docs = read_jsonl(tmp_path / "out" / "documents.jsonl")
    assert FOOTER in docs[0]["text"] and not any(FOOTER in d["text"] for d in docs[1:])
    later = [r for r in read_jsonl(tmp_path / "out" / "removed.jsonl") if FOOTER in r["text"]]
    assert {r["doc_id"] for r in later} == {"courier/p1.txt", "courier/p2.txt", "courier/p3.txt"}
    assert all(r["reason"].startswith("duplicate:") and r["duplicate_of"]["doc_id"] == "courier/p0.txt" for r in later)


def test_a_sentence_that_records_share_is_not_a_template_and_one_copy_stays(tmp_path):
    corpus = tmp_path / "fox.jsonl"
    corpus.write_text("".join(f'{{"id": "r{i}", "text": "The quick brown fox jumps over the lazy dog."}}\n'
                              for i in range(3)), encoding="utf-8")
    run([str(corpus)], str(tmp_path / "out"), Config())
    docs = read_jsonl(tmp_path / "out" / "documents.jsonl")
    assert [d["text"] for d in docs] == ["The quick brown fox jumps over the lazy dog."]
    reasons = {r["reason"] for r in read_jsonl(tmp_path / "out" / "removed.jsonl")}
    assert reasons == {"duplicate:exact-document"}


def test_templates_are_per_site_and_can_be_switched_off(tmp_path):
    for i, s in enumerate(STORIES):  # the same footer, but each page on a site of its own
        write_site(tmp_path / "in" / f"site{i}", [s])
    run([str(tmp_path / "in")], str(tmp_path / "out"), Config().with_overrides({"dedup.enabled": False}))
    assert all(FOOTER in d["text"] for d in read_jsonl(tmp_path / "out" / "documents.jsonl"))
    off = Config().with_overrides({"dedup.enabled": False, "boilerplate.site_template_min_pages": 0})
    docs = [Document(id=f"p{i}", text=page(s), source=f"p{i}") for i, s in enumerate(STORIES)]
    assert all(FOOTER in r.text for r in Cleaner(off).clean_documents(docs))


def test_copies_of_one_article_are_not_stripped_of_their_prose():
    story = STORIES[0]
    docs = [Document(id=f"c{i}", text=page(story), source=f"c{i}", site="s") for i in range(3)]
    first, *rest = Cleaner(Config()).clean_documents(docs)
    assert story[1] in first.text and story[2] in first.text  # the first copy keeps the article
    assert all(r.dropped and r.removals[0].reason == "duplicate:exact-document" for r in rest)


def test_pass_two_reuses_the_blocks_pass_one_found(monkeypatch):
    # With site templates on, each document is segmented once (in pass 1, for its line keys);
    # pass 2 gets the same blocks, and nothing of them is left on the results.
    import cleaner.worker

    calls = []
    real = cleaner.worker.segment
    monkeypatch.setattr(cleaner.worker, "segment", lambda *a: calls.append(1) or real(*a))
    docs = [Document(id=f"p{i}", text=page(s), source=f"p{i}", site="courier") for i, s in enumerate(STORIES)]
    results = list(Cleaner(Config().with_overrides({"dedup.enabled": False})).clean_documents(docs))
    assert len(calls) == len(STORIES)
    assert all(r.doc.segmentation is None and "_segment_seconds" not in r.doc.meta for r in results)
    assert all(NAV[0] not in r.text and s[1] in r.text for r, s in zip(results, STORIES))


def test_documents_cleaned_again_after_their_text_changed_are_segmented_afresh():
    # Pass 1 leaves its packed blocks on the caller's Document (the in-process engine works on
    # it); cleaned again with another text, the blocks of the old text must not be used.
    docs = [Document(id=f"p{i}", text=page(s), source=f"p{i}", site="courier") for i, s in enumerate(STORIES)]
    list(Cleaner(Config().with_overrides({"dedup.enabled": False})).clean_documents(docs))
    off = Config().with_overrides({"boilerplate.site_template_min_pages": 0})
    for d, s in zip(docs, STORIES):
        d.text, d.meta = page(s).replace(FOOTER, STORIES[0][1] + "\n\n" + FOOTER), {}
    again = [r.removals for r in Cleaner(off).clean_documents(docs)]
    fresh = [Document(id=d.id, text=d.text, source=d.source, site="courier") for d in docs]
    assert again == [r.removals for r in Cleaner(off).clean_documents(fresh)]
    assert any(r.reason.startswith("duplicate") for removals in again for r in removals)
