from __future__ import annotations

import json
import os
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
