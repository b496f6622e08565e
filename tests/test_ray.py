"""The Ray engine gives the local engine's output (tests start a local Ray instance)."""
from __future__ import annotations

import json

import pytest
from conftest import SAMPLES, generated_corpus

ray = pytest.importorskip("ray", reason="the ray extra is not installed: pip install 'cleaner[ray]'")

from cleaner import Config, run  # noqa: E402
from cleaner import ray_engine  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def outputs(out) -> tuple[list[str], list[str], dict]:
    lines = lambda name: sorted((out / name).read_text(encoding="utf-8").splitlines())  # noqa: E731
    summary = json.loads((out / "summary.json").read_text())
    return lines("documents.jsonl"), lines("removed.jsonl"), summary["documents"]


def both_engines(inputs: list[str], tmp_path, **settings):
    local = Config().with_overrides({"run.workers": 1, **settings})
    run(inputs, str(tmp_path / "local"), local)
    run(inputs, str(tmp_path / "ray"), local.with_overrides({"run.engine": "ray", "run.workers": 2}))
    return outputs(tmp_path / "local"), outputs(tmp_path / "ray")


def test_samples_same_output_as_local(tmp_path):
    local, on_ray = both_engines([str(SAMPLES)], tmp_path)
    assert on_ray == local
    assert any('"duplicate:passage"' in line for line in local[1])


def test_generated_corpus_same_output_as_local(tmp_path, monkeypatch):
    monkeypatch.setattr(ray_engine, "CHUNK", 8)  # several Ray datasets of 8 batches of 16 documents
    generated_corpus(tmp_path / "corpus.jsonl")
    local, on_ray = both_engines([str(tmp_path / "corpus.jsonl")], tmp_path, **{"run.batch_size": 16})
    assert on_ray == local
    removed = [json.loads(line) for line in local[1]]
    reasons = {r["reason"] for r in removed}
    assert {"duplicate:near-document", "duplicate:exact-document", "boilerplate:site-template"} <= reasons
    assert local[2]["dropped_duplicate"] > 20


def test_survivor_policies_on_ray(tmp_path):
    """Each policy keeps its survivor on Ray too (the local engine's output for one of them is
    compared byte for byte; the policies themselves are pinned in test_survivors.py)."""
    from test_survivors import EXPECTED, cluster_records

    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in cluster_records()), encoding="utf-8")
    local, on_ray = both_engines([str(corpus)], tmp_path, **{"dedup.keep": "field:rank", "run.batch_size": 1})
    assert on_ray == local
    for policy in ("first", "longest", "newest"):
        out = tmp_path / policy
        run([str(corpus)], str(out), Config().with_overrides({"dedup.keep": policy, "run.engine": "ray",
                                                               "run.workers": 2, "run.batch_size": 1}))
        docs, removed, _ = outputs(out)
        survivor = EXPECTED[policy]
        assert {json.loads(line)["id"] for line in docs} & {"A", "B", "C", "D"} == {survivor}
        pointers = {json.loads(line)["duplicate_of"]["doc_id"] for line in removed
                    if json.loads(line)["stage"] == "document-dedup"}
        assert pointers == {survivor}
