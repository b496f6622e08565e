"""Scale benchmark: throughput per stage and per core, workers, memory per indexed document, and
how the cost grows with the corpus; datasketch MinHashLSH in memory in the same run.

    python bench/scale.py [--sizes 10000,100000,1000000] [--budget 600]

Corpora are generated once into --work (JSONL, about 2,000 characters a document, 10% of them
near copies of an earlier document with 2% of words changed). Each measurement runs in a fresh
process (peak memory is its own). Sizes whose projected time would overrun --budget seconds are
skipped and said to be.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))




def generate(path: Path, n: int, seed: int = 1) -> None:
    """n documents of ~330 Zipf-distributed words in sentences; 10% copies with 2% words changed."""
    rng = np.random.default_rng(seed)
    vocab = _VOCAB
    p = 1.0 / np.arange(1, len(vocab) + 1)
    p /= p.sum()
    kept: list[np.ndarray] = []
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            if kept and rng.random() < 0.1:
                words = kept[int(rng.integers(len(kept)))].copy()
                edit = rng.random(len(words)) < 0.02
                words[edit] = rng.choice(len(vocab), size=int(edit.sum()), p=p)
            else:
                words = rng.choice(len(vocab), size=int(rng.integers(250, 400)), p=p)
                if len(kept) < 20000:
                    kept.append(words)
                elif rng.random() < 0.05:
                    kept[int(rng.integers(len(kept)))] = words
            text = _render(vocab, words, rng)
            f.write(json.dumps({"id": f"d{i:07d}", "text": text}) + "\n")


def _render(vocab: list[str], words: np.ndarray, rng) -> str:
    out, sentence = [], []
    cut = rng.integers(8, 25, size=len(words) // 6 + 2)
    k = 0
    for w in words:
        sentence.append(vocab[w])
        if len(sentence) >= cut[k]:
            out.append(" ".join(sentence).capitalize() + ".")
            sentence, k = [], k + 1
    if sentence:
        out.append(" ".join(sentence).capitalize() + ".")
    paragraphs = [" ".join(out[i:i + 4]) for i in range(0, len(out), 4)]
    return "\n\n".join(paragraphs)


def _load_vocab() -> list[str]:
    truth = Path(__file__).resolve().parent.parent.parent / "shared" / "bench" / "extraction" / "scrapinghub" / "ground-truth.json"
    words: dict[str, int] = {}
    if truth.exists():
        import re

        for v in json.loads(truth.read_text(encoding="utf-8")).values():
            for w in re.findall(r"[a-z]+", v["articleBody"].lower()):
                words[w] = words.get(w, 0) + 1
    if len(words) < 1000:  # no benchmark text here: syllable words
        syll = ["ka", "lo", "mi", "ra", "te", "su", "no", "vi", "de", "pa", "re", "to", "ma", "li", "sa"]
        rnd = random.Random(0)
        return ["".join(rnd.choice(syll) for _ in range(rnd.randint(1, 4))) for _ in range(20000)]
    return [w for w, _ in sorted(words.items(), key=lambda kv: -kv[1])][:20000]


_VOCAB = _load_vocab()


# -- systems ---------------------------------------------------------------------------------------------
def vm_hwm_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def run_datasketch(path: str) -> dict:
    from datasketch import MinHash, MinHashLSH

    from cleaner.dedup.shingles import words

    t = time.perf_counter()
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    docs = dropped = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            w = words(d["text"])
            m = MinHash(num_perm=128)
            m.update_batch([" ".join(w[i:i + 5]).encode() for i in range(max(1, len(w) - 4))])
            if lsh.query(m):
                dropped += 1
            lsh.insert(d["id"], m)
            docs += 1
    return {"seconds": time.perf_counter() - t, "docs": docs, "dropped": dropped, "peak_mb": vm_hwm_mb()}


def run_cleaner(path: str, workers: int, passages: bool, boilerplate: bool, out: str) -> dict:
    from cleaner import Config
    from cleaner.pipeline import Cleaner
    from cleaner.writers import OutputWriter

    cfg = Config().with_overrides({"run.workers": workers, "dedup.passages.enabled": passages,
                                   "boilerplate.enabled": boilerplate, "boilerplate.site_template_min_pages": 0,
                                   "run.batch_size": 64})
    t = time.perf_counter()
    docs = dropped = 0
    with Cleaner(cfg) as cleaner:
        writer = OutputWriter(out)
        for r in cleaner.clean([path]):
            writer.write(r)
            docs += 1
            dropped += r.dropped
        summary = cleaner.summary()
        writer.close(summary)
        index_bytes = cleaner.doc_index.memory_bytes() if cleaner.doc_index else 0
        passage_bytes = cleaner.passage_index.memory_bytes() if cleaner.passage_index else 0
        passages = len(cleaner.passage_index) if cleaner.passage_index else 0
    return {"seconds": time.perf_counter() - t, "docs": docs, "dropped": dropped, "peak_mb": vm_hwm_mb(),
            "timings": summary["timings_seconds"], "chars": summary["characters"]["in"],
            "index_bytes": index_bytes, "passage_bytes": passage_bytes, "passages": passages}


def _child(fn, args, queue) -> None:
    queue.put(fn(*args))


def measure(fn, *args) -> dict:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    p = ctx.Process(target=_child, args=(fn, args, queue))
    p.start()
    result = queue.get()
    p.join()
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--budget", type=float, default=600, help="seconds for all measurements")
    ap.add_argument("--work", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "cleaner-scale"))
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows, per_doc = [], {}
    for n in sizes:
        path = work / f"corpus-{n}.jsonl"
        if not path.exists():
            t = time.perf_counter()
            generate(path, n)
            print(f"generated {n} documents ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.0f}s", flush=True)
        plan = [("datasketch MinHashLSH (documents)", run_datasketch, (str(path),)),
                ("cleaner documents, 1 worker", run_cleaner, (str(path), 1, False, False, str(work / "out"))),
                ("cleaner documents, 2 workers", run_cleaner, (str(path), 2, False, False, str(work / "out"))),
                ("cleaner boilerplate + documents, 1 worker", run_cleaner, (str(path), 1, False, True, str(work / "out"))),
                ("cleaner boilerplate + documents, 2 workers", run_cleaner, (str(path), 2, False, True, str(work / "out"))),
                ("cleaner full (+ passages), 1 worker", run_cleaner, (str(path), 1, True, True, str(work / "out"))),
                ("cleaner full (+ passages), 2 workers", run_cleaner, (str(path), 2, True, True, str(work / "out")))]
        for name, fn, fargs in plan:
            projected = per_doc.get(name, 0) * n
            left = args.budget - (time.perf_counter() - start)
            if projected > left:
                rows.append((n, name, None, f"skipped: about {projected:.0f}s projected, {left:.0f}s of the budget left"))
                continue
            r = measure(fn, *fargs)
            per_doc[name] = r["seconds"] / r["docs"]
            rows.append((n, name, r, ""))
            print(f"{n} {name}: {r['docs'] / r['seconds']:.0f} docs/s, peak {r['peak_mb']:.0f} MB", flush=True)
    print("\n| documents | system | docs/s | vs datasketch | peak RSS MB | index bytes/doc | notes |")
    print("|---|---|---|---|---|---|---|")
    for n, name, r, note in rows:
        if r is None:
            print(f"| {n} | {name} | - | - | - | - | {note} |")
            continue
        base = next((x for m, nm, x, _ in rows if m == n and nm.startswith("datasketch") and x), None)
        rate = r["docs"] / r["seconds"]
        ratio = f"{rate / (base['docs'] / base['seconds']):.2f}x" if base else "-"
        index = f"{r['index_bytes'] / r['docs']:.0f}" if r.get("index_bytes") else "-"
        if r.get("passage_bytes"):
            index += f" (+ passages {r['passage_bytes'] / r['docs']:.0f})"
        print(f"| {n} | {name} | {rate:.0f} | {ratio} | {r['peak_mb']:.0f} | {index} | {note} |")
    print("\nper stage, documents per second of one core (CPU seconds summed over workers):")
    for n, name, r, _ in rows:
        if r and "timings" in r:
            mb = r["chars"] / 1e6
            stages = ", ".join(f"{k} {r['docs'] / v:.0f} ({mb / v:.1f} MB/s)" for k, v in sorted(r["timings"].items()) if v > 0.01)
            print(f"  {n} {name}: {stages}")
    speedups = [(n, a, b) for n in sizes for a in ("documents", "boilerplate + documents", "full (+ passages)")
                for b in [None]]
    print("\nworkers: 2 against 1, same run")
    for n, kind, _ in speedups:
        one = next((r for m, nm, r, _ in rows if m == n and nm == f"cleaner {kind}, 1 worker" and r), None)
        two = next((r for m, nm, r, _ in rows if m == n and nm == f"cleaner {kind}, 2 workers" and r), None)
        if one and two:
            print(f"  {n} {kind}: {one['seconds'] / two['seconds']:.2f}x")


if __name__ == "__main__":
    main()
