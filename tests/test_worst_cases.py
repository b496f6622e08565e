"""Worst cases stay linear: a page repeating one sentence, keyword stuffing, a document of a
million tiny lines. Behaviour is checked here; time and memory are measured by
bench/worst_cases.py (no timed asserts in tests)."""
from __future__ import annotations

import cleaner
from cleaner.config import Config
from cleaner.dedup import align
from cleaner.dedup.passage_keys import SAME_DOC_CAP, PassageFingerprinter
from cleaner.dedup.units import pack_units, passage_units

SENTENCE = "The council met on Tuesday to discuss the budget for road repairs and the new ferry terminal."


def _units_and_keys(text: str):
    from cleaner.segment import split_blocks

    cfg = Config().dedup.passages
    units = passage_units(text, split_blocks(text), frozenset(), cfg.min_words)
    return units, PassageFingerprinter(cfg).keys([units], ["d"])[0]


def test_a_page_repeating_one_sentence_keeps_the_first_and_bounds_the_candidates():
    text = " ".join([SENTENCE] * 2000) + "\n"
    units, keys = _units_and_keys(text)
    assert max(len(v) for v in keys.same_doc.values()) <= SAME_DOC_CAP * keys.unit_keys.shape[1]
    r = cleaner.clean_text(text, Config())
    assert r.text.startswith(SENTENCE) and r.text.count("ferry terminal") < 10
    assert cleaner.restore_text(r.text, r.removals) == text


def test_each_distinct_pair_of_word_sequences_is_aligned_once(monkeypatch):
    text = "\n\n".join([SENTENCE] * 300) + "\n"
    units, keys = _units_and_keys(text)
    calls = []
    real = align.aligned_runs
    monkeypatch.setattr(align, "aligned_runs", lambda *a: calls.append(1) or real(*a))
    windows = [(code, [-2 - j for j in same]) for code, same in sorted(keys.same_doc.items())]
    found = align.align_windows(pack_units(units), windows, {}, Config().dedup.passages)
    assert found and len(calls) <= 3 * 3  # a window of 1, 2 or 3 sentences against a sentence: few distinct pairs


def test_keyword_stuffing_is_cleaned_without_blowing_up():
    text = ("casino " * 200_000).strip() + "\n"
    r = cleaner.clean_text(text, Config())
    assert cleaner.restore_text(r.text, r.removals) == text
    assert len(r.text) < len(text) / 10  # the repeats go as duplicates of the first passage


def test_a_document_past_max_lines_is_kept_as_it_is_and_noted(tmp_path):
    src = tmp_path / "lines.txt"
    text = "a\n" * 2000
    src.write_text(text)
    summary = cleaner.run([str(src)], str(tmp_path / "out"), Config().with_overrides({"input.max_lines": 1000}))
    assert summary["notes"]["blocks:not-cleaned"] == 1
    assert cleaner.restore(str(tmp_path / "out"), "lines.txt") == text
    (doc,) = [d for d in map(__import__("json").loads, (tmp_path / "out" / "documents.jsonl").read_text().splitlines())]
    assert doc["text"] == text and doc["meta"]["blocks"].startswith("not cleaned: 2000 lines")


def test_passages_that_take_too_long_to_index_leave_the_text_as_it_is(monkeypatch):
    import time

    real = PassageFingerprinter.keys

    def slow(self, docs_units, doc_ids):
        if any("ferry" in d for d in doc_ids):
            time.sleep(3)
        return real(self, docs_units, doc_ids)

    monkeypatch.setattr(PassageFingerprinter, "keys", slow)
    texts = {"ferry": "\n\n".join([SENTENCE] * 3) + "\n", "other": "A short note about rivers and their bridges.\n"}
    docs = [cleaner.Document(id=k, text=v, source=k) for k, v in texts.items()]
    config = Config().with_overrides({"input.max_seconds": 1.0, "run.workers": 1})
    results = {r.doc.id: r for r in cleaner.Cleaner(config).clean_documents(docs)}
    assert results["ferry"].doc.meta["passage_dedup"] == "timeout"
    assert results["ferry"].text == texts["ferry"]  # its repeats stay: when in doubt, keep
    assert results["other"].text == texts["other"] and "passage_dedup" not in results["other"].doc.meta


def test_the_blocks_left_for_passage_dedup_are_those_no_removal_covers():
    # found in one walk, not by testing every removal against every block
    import random

    from cleaner.model import Removal
    from cleaner.segment import split_blocks
    from cleaner.worker import _uncovered

    rnd = random.Random(5)
    for _ in range(200):
        text = "".join(rnd.choice(["A line of text.\n", "\n", "Two\nlines here.\n\n", "- item\n"]) for _ in range(30))
        blocks = split_blocks(text)
        removals, k = [], 0
        while k < len(blocks):  # runs of whole blocks, as the boilerplate stage removes them
            n = rnd.randint(1, 3)
            if rnd.random() < 0.4:
                removals.append(Removal("d", blocks[k].start, blocks[min(k + n, len(blocks)) - 1].end, "", "b", "r"))
            k += n
        brute = [b for b in blocks if not any(r.start <= b.content_start and b.content_end <= r.end for r in removals)]
        assert _uncovered(blocks, removals) == brute


def test_a_batch_too_slow_to_unpack_for_alignment_is_unpacked_document_by_document(monkeypatch):
    # The words of a batch's align tasks are unpacked at once, under the batch's time limit (the
    # sum of its documents'); past it, each document unpacks its own under its own limit, so a
    # slow batch costs no document its passage dedup.
    import time

    import cleaner.worker as worker

    real = worker.unpack_tasks
    calls = []

    def slow_once(tasks):
        calls.append(len(tasks))
        if len(calls) == 1:
            time.sleep(1.5 * len(tasks))  # past the batch's limit: 1 s a document
        return real(tasks)

    monkeypatch.setattr(worker, "unpack_tasks", slow_once)  # the batch's
    monkeypatch.setattr(align, "unpack_tasks", slow_once)  # each document's (align_windows)
    quote = SENTENCE + " " + SENTENCE.replace("the", "a", 1)
    texts = {"first": quote + "\n\nA paragraph of its own about the weather on the coast today.\n",
             "second": "Another start about the markets in town this week.\n\n" + quote + "\n"}
    docs = [cleaner.Document(id=k, text=v, source=k) for k, v in texts.items()]
    config = Config().with_overrides({"input.max_seconds": 1.0, "run.workers": 1})
    results = {r.doc.id: r for r in cleaner.Cleaner(config).clean_documents(docs)}
    assert calls[0] >= 1 and len(calls) == 1 + calls[0]  # the batch, then each of its documents
    assert "passage_dedup" not in results["second"].doc.meta
    assert any(r.reason.startswith("duplicate:") and r.duplicate_of.doc_id == "first" for r in results["second"].removals)
