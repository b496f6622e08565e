"""What `cleaner report` costs on a large run: a synthetic run output of N documents with 4
removals each (written by cleaner's own OutputWriter), then the report built from it; prints the
seconds to build it, as a ratio to reading the removal log once (the floor: the report reads it
twice), the page's size, and, with Chromium installed, the seconds Chromium takes to load it.

    python bench/report.py [--documents 250000]     # 1,000,000 removals
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cleaner.model import Document, Removal, Result, Span  # noqa: E402
from cleaner.outfolder import OutputFolder, RunOutput  # noqa: E402
from cleaner.review import build_report  # noqa: E402
from cleaner.writers import REMOVED, OutputWriter, read_records  # noqa: E402

REASONS = ["boilerplate:teaser-run", "boilerplate:title", "boilerplate:after-article", "duplicate:passage"]
WORDS = "the council voted on tuesday to expand river park after long public consultation residents".split()


def synthetic_run(out: str, documents: int) -> None:
    rnd = random.Random(1)
    folder = OutputFolder(out, "bench", "jsonl")
    writer = OutputWriter(folder, "jsonl", "bench", checkpoint_every=100_000)
    for i in range(documents):
        paragraphs = [" ".join(rnd.choices(WORDS, k=40)) + "." for _ in range(8)]
        text = "\n\n".join(paragraphs) + "\n"
        doc = Document(id=f"site{i % 50}/doc{i}.txt", text=text, source=f"doc{i}.txt", url=f"https://site{i % 50}.example/{i}")
        removals, pos = [], 0
        for k, reason in enumerate(REASONS):
            start = text.index(paragraphs[2 * k], pos)
            end = start + len(paragraphs[2 * k])
            source = Span(f"site0/doc{max(0, i - 1)}.txt", 0, 50) if reason.startswith("duplicate") else None
            removals.append(Removal(doc.id, start, end, text[start:end], "x", reason, source, 0.9))
            pos = end
        kept = "".join(text[a:b] for a, b in zip([0] + [r.end for r in removals], [r.start for r in removals] + [len(text)]))
        writer.write(Result(doc, kept, removals))
    summary = {"documents": {"in": documents, "out": documents}, "characters": {"in": 0, "out": 0}, "removals": {}}
    writer.close(summary)
    folder.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--documents", type=int, default=250_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out")
        t = time.perf_counter()
        synthetic_run(out, args.documents)
        print(f"synthetic run: {args.documents:,} documents, {4 * args.documents:,} removals, "
              f"{time.perf_counter() - t:.1f} s to write")
        t = time.perf_counter()
        with RunOutput(out) as run:
            n = sum(1 for _ in read_records(run, REMOVED))
        base = time.perf_counter() - t
        t = time.perf_counter()
        page = build_report(out)
        built = time.perf_counter() - t
        print(f"reading the removal log once ({n:,} records): {base:.1f} s")
        print(f"building the report: {built:.1f} s ({built / base:.2f}x one read of the log); "
              f"page {len(page.encode()) / 1e6:.2f} MB")
        chromium = shutil.which("chromium")
        if chromium:
            path = Path(tmp) / "report.html"
            path.write_text(page, encoding="utf-8")
            t = time.perf_counter()
            subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", path.as_uri()],
                           capture_output=True, timeout=300)
            print(f"Chromium loads and lays it out in {time.perf_counter() - t:.1f} s (headless, from start)")
        else:
            print("Chromium not installed: load time not measured")
        print(json.dumps({"documents": args.documents, "removals": n, "build_s": round(built, 2),
                          "read_once_s": round(base, 2), "page_mb": round(len(page.encode()) / 1e6, 2)}))


if __name__ == "__main__":
    main()
