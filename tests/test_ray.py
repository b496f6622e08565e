"""The Ray engine gives the local engine's output (tests start a local Ray instance)."""
from __future__ import annotations

import json
import random

import pytest
from conftest import SAMPLES

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


def generated_corpus(path, n=300, seed=5):
    """Articles on three sites (each with a footer), near and exact copies, copied quotes."""
    rnd = random.Random(seed)
    vocab = [w.strip(".,“”") for p in SAMPLES.glob("*.txt") for w in p.read_text(encoding="utf-8").split()]
    footers = {s: f"Site {s} News is an independent publisher of regional stories, founded in 19{60 + s} by readers."
               for s in range(3)}
    texts = []
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            site = rnd.randrange(3)
            if texts and rnd.random() < 0.25:  # a copy, lightly edited or not
                base = rnd.choice(texts).split(" ")
                body = " ".join(rnd.choice(vocab) if rnd.random() < rnd.choice([0, 0.01, 0.05]) else w for w in base)
            else:
                paras = [" ".join(rnd.choices(vocab, k=rnd.randint(15, 40))) + "." for _ in range(rnd.randint(3, 6))]
                if texts and rnd.random() < 0.2:  # a quote from an earlier article
                    source = rnd.choice(texts).split("\n\n")
                    paras.insert(1, rnd.choice(source))
                body = "\n\n".join(paras)
            texts.append(body)
            f.write(json.dumps({"id": f"g{i:04d}", "url": f"https://site{site}.example/{i}",
                                "text": body + "\n\n" + footers[site]}) + "\n")


def test_generated_corpus_same_output_as_local(tmp_path, monkeypatch):
    monkeypatch.setattr(ray_engine, "CHUNK", 8)  # several Ray datasets of 8 batches of 16 documents
    generated_corpus(tmp_path / "corpus.jsonl")
    local, on_ray = both_engines([str(tmp_path / "corpus.jsonl")], tmp_path, **{"run.batch_size": 16})
    assert on_ray == local
    removed = [json.loads(line) for line in local[1]]
    reasons = {r["reason"] for r in removed}
    assert {"duplicate:near-document", "duplicate:exact-document", "boilerplate:site-template"} <= reasons
    assert local[2]["dropped_duplicate"] > 20
