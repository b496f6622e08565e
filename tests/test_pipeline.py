"""The pipeline's output does not depend on how its work is split: workers, batches, buffers."""
from __future__ import annotations

import json

from conftest import generated_corpus, read_jsonl

from cleaner import Cleaner, Config, Document, run


def outputs(out) -> tuple[bytes, bytes]:
    return (out / "documents.jsonl").read_bytes(), (out / "removed.jsonl").read_bytes()


def test_same_bytes_in_memory_spilled_and_with_two_workers(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    generated_corpus(corpus, n=400)
    base = Config().with_overrides({"run.workers": 1})
    variants = {
        "memory": base,
        "spilled": base.with_overrides({"run.buffer_mb": 1, "run.batch_size": 7}),  # 1 MB: ~400k key records
        "workers": base.with_overrides({"run.buffer_mb": 1, "run.workers": 2, "run.batch_size": 16}),
    }
    for name, cfg in variants.items():
        run([str(corpus)], str(tmp_path / name), cfg)
    memory = outputs(tmp_path / "memory")
    assert outputs(tmp_path / "spilled") == memory and outputs(tmp_path / "workers") == memory
    reasons = {r["reason"] for r in read_jsonl(tmp_path / "memory" / "removed.jsonl")}
    assert {"duplicate:paragraph", "duplicate:near-document", "duplicate:exact-document",
            "boilerplate:site-template"} <= reasons
    summary = json.loads((tmp_path / "workers" / "summary.json").read_text())
    assert summary["documents"]["in"] == 400


def test_a_passage_removed_once_is_never_a_source_again():
    """Only kept text is a first occurrence: a quote removed from the second document must not
    make the third document's copy point at the second."""
    quote = "The minister said the talks would resume in the spring if both sides agreed to the terms."
    docs = [Document(id=f"d{i}", text=t, source=f"d{i}") for i, t in enumerate([
        "Budget talks stalled on Monday.\n\n" + quote,
        "A different story about harbour dredging and the cost of it.\n\n" + quote,
        "Yet another story, this one on school buses and their routes.\n\n" + quote])]
    cfg = Config().with_overrides({"boilerplate.enabled": False, "run.workers": 1})
    results = list(Cleaner(cfg).clean_documents(docs))
    assert quote in results[0].text
    for r in results[1:]:
        (removal,) = r.removals
        assert removal.duplicate_of.doc_id == "d0" and quote not in r.text


def test_clean_documents_twice_on_one_cleaner_sees_the_first_call():
    quote = "The minister said the talks would resume in the spring if both sides agreed to the terms."
    cfg = Config().with_overrides({"boilerplate.enabled": False, "run.workers": 1})
    with Cleaner(cfg) as cleaner:
        (first,) = cleaner.clean_documents([Document(id="a", text="Story one.\n\n" + quote, source="a")])
        (second,) = cleaner.clean_documents([Document(id="b", text="Story two.\n\n" + quote, source="b")])
    assert not first.removals and second.removals[0].duplicate_of.doc_id == "a"
