from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def sample_text(prefix: str) -> str:
    (path,) = SAMPLES.glob(prefix + "_*.txt")
    return path.read_text(encoding="utf-8")


def read_jsonl(path: str | os.PathLike) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.fixture(scope="session")
def samples_run(tmp_path_factory):
    """The main job on samples/, run once: (out dir, documents by id, removals by doc id)."""
    from cleaner import run

    out = tmp_path_factory.mktemp("samples_out")
    run([str(SAMPLES)], str(out))
    docs = {d["id"]: d for d in read_jsonl(out / "documents.jsonl")}
    removals: dict[str, list[dict]] = {}
    for r in read_jsonl(out / "removed.jsonl"):
        removals.setdefault(r["doc_id"], []).append(r)
    return out, docs, removals


def generated_corpus(path, n=300, seed=5):
    """Articles on three sites (each with a two-line footer), near and exact copies, copied quotes."""
    rnd = random.Random(seed)
    vocab = [w.strip(".,“”") for p in SAMPLES.glob("*.txt") for w in p.read_text(encoding="utf-8").split()]
    footers = {s: f"Site {s} News · Regional stories since 19{60 + s}\n\nContact · Advertise · Jobs" for s in range(3)}
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
