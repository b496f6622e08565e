"""Scale benchmark: throughput per stage and per core, workers, peak memory, memory per indexed
document, and how the cost grows with the corpus; datasketch MinHashLSH (in memory) and
datatrove's MinHash pipeline (signatures, buckets, clusters, filter on disk) in the same run.

    python bench/scale.py [--sizes 10000,100000,1000000] [--limit 600] [--datatrove-python PY] [--jobs documents,full]
                          [--repeat N]

Corpora are generated once into --work: JSONL, about 1,800 characters a document, 10% of them
copies of an earlier document with 2% of words changed (their ids are kept, to score recall).
Each measurement runs in a fresh process (its peak memory is its own; a pool's workers are
reported apart). A measurement whose projected time is over --limit seconds is skipped and said
to be. datatrove runs from the Python given by --datatrove-python (an environment with
`pip install 'datatrove[processing]' orjson spacy`), else from this one if it has datatrove.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
TRUTH = HERE.parent.parent / "shared" / "bench" / "extraction" / "scrapinghub" / "ground-truth.json"
THRESHOLD = 0.8


# -- corpus ------------------------------------------------------------------------------------
def _vocabulary() -> list[str]:
    words: dict[str, int] = {}
    if TRUTH.exists():
        for v in json.loads(TRUTH.read_text(encoding="utf-8")).values():
            for w in re.findall(r"[a-z]+", v["articleBody"].lower()):
                words[w] = words.get(w, 0) + 1
    if len(words) < 1000:  # no benchmark text here: syllable words
        print(f"warning: no ground truth at {TRUTH}: the corpus's words are synthetic syllables", file=sys.stderr)
        syll = ["ka", "lo", "mi", "ra", "te", "su", "no", "vi", "de", "pa", "re", "to", "ma", "li", "sa"]
        rnd = random.Random(0)
        return ["".join(rnd.choice(syll) for _ in range(rnd.randint(1, 4))) for _ in range(20000)]
    return [w for w, _ in sorted(words.items(), key=lambda kv: -kv[1])][:20000]


def generate(path: Path, n: int, seed: int = 1) -> None:
    """n documents of 250-400 Zipf-distributed words in sentences and paragraphs; 10% are copies
    of an earlier document with 2% of words changed. Writes path, and path.copies: each copy's id
    and its exact Jaccard similarity (word 5-grams) to the document it copies."""
    vocab = _vocabulary()
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, len(vocab) + 1)
    p /= p.sum()
    kept: list[np.ndarray] = []
    copies = []
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            if kept and rng.random() < 0.1:
                source = kept[int(rng.integers(len(kept)))]
                words = source.copy()
                edit = rng.random(len(words)) < 0.02
                words[edit] = rng.choice(len(vocab), size=int(edit.sum()), p=p)
                copies.append(f"d{i:07d} {_jaccard5(source, words):.4f}")
            else:
                words = rng.choice(len(vocab), size=int(rng.integers(250, 400)), p=p)
                if len(kept) < 20000:
                    kept.append(words)
                elif rng.random() < 0.05:
                    kept[int(rng.integers(len(kept)))] = words
            f.write(json.dumps({"id": f"d{i:07d}", "text": _render(vocab, words, rng)}) + "\n")
    path.with_suffix(".copies").write_text("\n".join(copies) + "\n")


def _jaccard5(a: np.ndarray, b: np.ndarray) -> float:
    sa = {tuple(a[i:i + 5]) for i in range(len(a) - 4)}
    sb = {tuple(b[i:i + 5]) for i in range(len(b) - 4)}
    return len(sa & sb) / len(sa | sb)


def _render(vocab: list[str], words: np.ndarray, rng) -> str:
    out, sentence, cut, k = [], [], rng.integers(8, 25, size=len(words) // 6 + 2), 0
    for w in words:
        sentence.append(vocab[w])
        if len(sentence) >= cut[k]:
            out.append(" ".join(sentence).capitalize() + ".")
            sentence, k = [], k + 1
    if sentence:
        out.append(" ".join(sentence).capitalize() + ".")
    return "\n\n".join(" ".join(out[i:i + 4]) for i in range(0, len(out), 4))


def split(path: Path, parts: int) -> Path:
    """The corpus as `parts` JSONL files (datatrove runs a task per file)."""
    folder = path.with_suffix(f".{parts}parts")
    if not folder.exists():
        folder.mkdir()
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        size = -(-len(lines) // parts)
        for k in range(parts):
            (folder / f"part{k}.jsonl").write_text("".join(lines[k * size:(k + 1) * size]), encoding="utf-8")
    return folder


# -- systems (each runs in a fresh process) -------------------------------------------------------
def peak_mb() -> float:
    """This process's peak resident memory (VmHWM)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def children_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def run_datasketch(path: str, workers: int, work: str) -> dict:
    """datasketch as documented: a MinHash per document (update_batch of its word 5-grams) and a
    MinHashLSH at threshold 0.8; a document is a duplicate when the LSH returns anything."""
    from datasketch import MinHash, MinHashLSH

    from cleaner.dedup.shingles import words

    t = time.perf_counter()
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=128)
    dropped, docs, chars = [], 0, 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            w = words(d["text"])
            m = MinHash(num_perm=128)
            m.update_batch([" ".join(w[i:i + 5]).encode() for i in range(max(1, len(w) - 4))])
            if lsh.query(m):
                dropped.append(d["id"])
            lsh.insert(d["id"], m)
            docs += 1
            chars += len(d["text"])
    return {"seconds": time.perf_counter() - t, "docs": docs, "chars": chars, "dropped": dropped,
            "peak_mb": peak_mb(), "workers_peak_mb": 0.0}


def run_datatrove(path: str, workers: int, work: str, python: str) -> dict:
    """datatrove's MinHash deduplication, its four stages on local disk, as its examples run it
    (64-bit hashes, 5-grams, 14 buckets x 8 hashes), with `workers` processes."""
    folder = split(Path(path), workers)
    out = Path(work) / "datatrove"
    shutil.rmtree(out, ignore_errors=True)
    t = time.perf_counter()
    subprocess.run([python, __file__, "--datatrove-stages", str(folder), str(out), str(workers)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - t
    kept = set()
    import gzip

    for f in (out / "out").glob("*"):
        with gzip.open(f, "rt", encoding="utf-8") as fh:
            kept.update(json.loads(line)["id"] for line in fh)
    docs, chars, dropped = 0, 0, []
    with open(path, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            docs += 1
            chars += len(d["text"])
            if d["id"] not in kept:
                dropped.append(d["id"])
    return {"seconds": seconds, "docs": docs, "chars": chars, "dropped": dropped, "peak_mb": children_peak_mb(),
            "workers_peak_mb": 0.0}


def datatrove_stages(folder: str, out: str, workers: int) -> None:
    """Runs in datatrove's environment (no cleaner import)."""
    from datatrove.executor.local import LocalPipelineExecutor
    from datatrove.pipeline.dedup import MinhashDedupSignature
    from datatrove.pipeline.dedup.minhash import (MinhashConfig, MinhashDedupBuckets, MinhashDedupCluster,
                                                  MinhashDedupFilter)
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers.jsonl import JsonlWriter
    from datatrove.utils.hashing import HashConfig

    cfg = MinhashConfig(hash_config=HashConfig(precision=64), n_grams=5, num_buckets=14, hashes_per_bucket=8)
    files = len(list(Path(folder).glob("*.jsonl")))
    steps = [([JsonlReader(folder), MinhashDedupSignature(output_folder=f"{out}/sigs", config=cfg)], files),
             ([MinhashDedupBuckets(input_folder=f"{out}/sigs", output_folder=f"{out}/buckets", config=cfg)],
              cfg.num_buckets),
             ([MinhashDedupCluster(input_folder=f"{out}/buckets", output_folder=f"{out}/remove", config=cfg)], 1),
             ([JsonlReader(folder), MinhashDedupFilter(input_folder=f"{out}/remove"), JsonlWriter(f"{out}/out")], files)]
    for k, (pipeline, tasks) in enumerate(steps):
        LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=min(workers, tasks),
                              logging_dir=f"{out}/logs{k}").run()


def run_cleaner(path: str, workers: int, work: str, full: bool) -> dict:
    """cleaner on the corpus, writing its outputs as the CLI does: document dedup only, or the
    full pipeline (boilerplate, documents, passages; site templates off: the pages have no site)."""
    from cleaner import Config
    from cleaner.pipeline import Cleaner
    from cleaner.outfolder import OutputFolder
    from cleaner.writers import OutputWriter

    cfg = Config().with_overrides({"run.workers": workers, "dedup.passages.enabled": full,
                                   "boilerplate.enabled": full, "boilerplate.site_template_min_pages": 0,
                                   "run.batch_size": 64})
    scratch = os.path.join(work, "tmp")  # the run's temporary files, measured while it runs
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch)
    os.environ["TMPDIR"] = tempfile.tempdir = scratch
    disk, workers_memory = PeakSampler(lambda: temp_bytes(scratch)), PeakSampler(largest_descendant_mb)
    t = time.perf_counter()
    dropped, docs = [], 0
    with Cleaner(cfg) as cleaner:
        folder = OutputFolder(os.path.join(work, "out"), "scale", "jsonl", overwrite=True)
        writer = OutputWriter(folder)
        for r in cleaner.clean([path]):
            writer.write(r)
            docs += 1
            if r.dropped:
                dropped.append(r.doc.id)
        summary = cleaner.summary()
        writer.close(summary)
        folder.close()
        doc_bytes = cleaner.documents.index.memory_bytes()
        passage_bytes = cleaner.passages.index.memory_bytes() if cleaner.passages else 0
        passages = len(cleaner.passages.index) if cleaner.passages else 0
    seconds = time.perf_counter() - t
    disk.stop()
    workers_memory.stop()
    return {"seconds": seconds, "docs": docs, "chars": summary["characters"]["in"], "temp_bytes": disk.peak,
            "dropped": dropped, "peak_mb": peak_mb(), "workers_peak_mb": workers_memory.peak,
            "timings": summary["timings_seconds"], "doc_index_bytes": doc_bytes, "passage_index_bytes": passage_bytes,
            "passages": passages}


class PeakSampler:
    """The peak of `measure()`, sampled in a thread, and once more at the end: every 50 ms at
    first, then less often, down to once a second from 30 s on (a sample holds the GIL for a few
    milliseconds: at 5 a second, py-spy found the disk sampler in 8% of the main process's
    samples, all threads, on a 100k run; once a second alone missed the peak of a 2-second run)."""

    def __init__(self, measure):
        self.measure, self.peak = measure, 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        start = time.perf_counter()
        while not self._done.wait(min(1.0, 0.05 + (time.perf_counter() - start) / 30)):
            self.peak = max(self.peak, self.measure())

    def stop(self) -> None:
        self._done.set()
        self._thread.join()
        self.peak = max(self.peak, self.measure())


def temp_bytes(folder: str) -> int:
    """Allocated bytes of the temporary files in a folder: the files in it, and the anonymous
    ones this process holds open there."""
    total = 0
    for root, _, files in os.walk(folder):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_blocks * 512
            except OSError:
                pass
    # Spools and record files are anonymous (unlinked at creation): found through this
    # process's open descriptors.
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
            if target.startswith(folder) and target.endswith("(deleted)"):
                total += os.stat(f"/proc/self/fd/{fd}").st_blocks * 512
        except OSError:
            pass
    return total


def largest_descendant_mb() -> float:
    """The largest peak resident memory (VmHWM) among this process's descendants alive now: the
    pool's workers are the forkserver's children, which getrusage(RUSAGE_CHILDREN) never sees."""
    parent = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                parent[int(pid)] = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            pass
    me, peak = os.getpid(), 0.0
    for pid in parent:
        up = parent.get(pid)
        for _ in range(32):  # (a bounded walk: a pid reused while /proc was read could make a cycle)
            if up in (None, 0, 1, me):
                break
            up = parent.get(up)
        if up == me:
            try:
                with open(f"/proc/{pid}/status") as f:
                    peak = max([peak] + [int(line.split()[1]) / 1024 for line in f if line.startswith("VmHWM:")])
            except OSError:
                pass
    return peak


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


# -- report ------------------------------------------------------------------------------------
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--limit", type=float, default=600, help="skip a measurement projected to take longer (seconds)")
    ap.add_argument("--work", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "cleaner-scale"))
    ap.add_argument("--datatrove-python", default="", help="a Python with datatrove installed")
    ap.add_argument("--jobs", default="documents,full", help="documents (with the baselines), full, or both")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each measurement, in turns; the fastest is reported")
    ap.add_argument("--datatrove-stages", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.datatrove_stages:
        folder, out, workers = args.datatrove_stages
        datatrove_stages(folder, out, int(workers))
        return
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    dt_python = args.datatrove_python or (sys.executable if _has_datatrove() else "")
    systems = [("datasketch MinHashLSH, in memory", "documents", 1, run_datasketch, ()),
               ("datatrove MinHash, 4 stages on disk", "documents", 2, run_datatrove, (dt_python,)),
               ("cleaner", "documents", 1, run_cleaner, (False,)),  # document dedup only, as the baselines
               ("cleaner", "documents", 2, run_cleaner, (False,)),
               ("cleaner", "full", 1, run_cleaner, (True,)),
               ("cleaner", "full", 2, run_cleaner, (True,))]
    rows, per_doc = [], {}
    for n in [int(s) for s in args.sizes.split(",")]:
        path = work / f"corpus-{n}.jsonl"
        if not path.exists() or not path.with_suffix(".copies").exists():
            t = time.perf_counter()
            generate(path, n)
            print(f"generated {n} documents ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.0f}s",
                  flush=True)
        similarity = {i: float(j) for i, j in (line.split() for line in path.with_suffix(".copies").read_text().splitlines())}
        truth = {i for i, j in similarity.items() if j >= THRESHOLD}
        best: dict = {}  # the fastest of --repeat runs, taken in turns (the machine's load drifts)
        for _ in range(args.repeat):
            for name, job, workers, fn, extra in systems:
                if job not in args.jobs.split(","):
                    continue
                key = (name, job, workers)
                if fn is run_datatrove and not dt_python:
                    best[key] = "skipped: datatrove not installed (see --datatrove-python)"
                    continue
                projected = per_doc.get(key, 0.0) * n  # from a smaller size or an earlier turn
                if isinstance(best.get(key), str) or projected > args.limit:
                    best.setdefault(key, f"skipped: about {projected:.0f}s projected (over --limit {args.limit:.0f}s)")
                    continue
                r = measure(fn, str(path), workers, str(work), *extra)
                per_doc[key] = r["seconds"] / r["docs"]
                print(f"{n} {name} {job} x{workers}: {r['docs'] / r['seconds']:.0f} docs/s, peak {r['peak_mb']:.0f} MB",
                      flush=True)
                if key not in best or r["seconds"] < best[key]["seconds"]:
                    best[key] = r
        for key, r in best.items():
            if isinstance(r, str):
                rows.append((n, key, None, r))
                continue
            dropped = set(r.pop("dropped"))
            r["recall"] = len(dropped & truth) / max(1, len(truth))
            r["below"] = len((dropped - truth) & set(similarity))
            r["false_drops"] = len(dropped - set(similarity))
            rows.append((n, key, r, ""))
    report(rows)


def _has_datatrove() -> bool:
    try:
        import datatrove  # noqa: F401
    except ImportError:
        return False
    return True


def report(rows: list) -> None:
    def base(n):
        return next((r for m, k, r, _ in rows if m == n and k[0].startswith("datasketch") and r), None)

    print(f"\ncopies at Jaccard >= {THRESHOLD}: share found; copies below it dropped; other documents dropped")
    print("\n| documents | system | job | workers | docs/s | MB/s | vs datasketch | copies >= 0.8 found | below 0.8 "
          "| others | peak RSS MB (largest worker) | index bytes/doc in memory | temporary disk KB/doc |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n, (name, job, workers), r, note in rows:
        if r is None:
            print(f"| {n:,} | {name} | {job} | {workers} | - | - | - | - | - | - | - | - | {note} |")
            continue
        rate, b = r["docs"] / r["seconds"], base(n)
        ratio = f"{rate / (b['docs'] / b['seconds']):.2f}x" if b else "-"
        index = "-"
        if "doc_index_bytes" in r:
            index = f"{(r['doc_index_bytes'] + r['passage_index_bytes']) / r['docs']:.0f}"
            if r["passages"]:
                index += f" ({r['passage_index_bytes'] / r['docs']:.0f} of it for {r['passages'] / r['docs']:.0f} passages)"
        workers_mb = f" ({r['workers_peak_mb']:.0f})" if r["workers_peak_mb"] else ""
        temp = f"{r['temp_bytes'] / r['docs'] / 1024:.1f}" if "temp_bytes" in r else "-"
        print(f"| {n:,} | {name} | {job} | {workers} | {rate:,.0f} | {r['chars'] / 1e6 / r['seconds']:.2f} | {ratio} "
              f"| {r['recall']:.3f} | {r['below']} | {r['false_drops']} | {r['peak_mb']:.0f}{workers_mb} | {index} "
              f"| {temp} |")

    print("\nworkers: 2 against 1, same run")
    for n in sorted({m for m, _, _, _ in rows}):
        for job in ("documents", "full"):
            one = next((r for m, k, r, _ in rows if m == n and k == ("cleaner", job, 1) and r), None)
            two = next((r for m, k, r, _ in rows if m == n and k == ("cleaner", job, 2) and r), None)
            if one and two:
                print(f"  {n:,} cleaner {job}: {one['seconds'] / two['seconds']:.2f}x")

    print("\nper stage, documents (MB) per second of one core (CPU seconds summed over the processes):")
    for n, (name, job, workers), r, _ in rows:
        if r and "timings" in r:
            mb = r["chars"] / 1e6
            stages = ", ".join(f"{k} {r['docs'] / v:,.0f} ({mb / v:.1f})" for k, v in sorted(r["timings"].items())
                               if v > 0.01)
            print(f"  {n:,} cleaner {job} x{workers}: {stages}")

    print("\nhow the cost grows (against the smallest size measured, same system):")
    keys = []
    for _, k, _, _ in rows:
        if k not in keys:
            keys.append(k)
    for k in keys:
        done = [(n, r) for n, kk, r, _ in rows if kk == k and r]
        if len(done) < 2:
            continue
        n0, r0 = done[0]
        parts = []
        for n, r in done[1:]:
            time_ratio = (r["seconds"] / r["docs"]) / (r0["seconds"] / r0["docs"])
            growth = (r["peak_mb"] - r0["peak_mb"]) * 2**20 / (n - n0)
            parts.append(f"{n:,}: time per document {time_ratio:.2f}x, peak RSS +{growth:,.0f} bytes a document")
        print(f"  {k[0]} {k[1]} x{k[2]} (from {n0:,}): " + "; ".join(parts))


if __name__ == "__main__":
    main()
