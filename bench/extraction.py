"""Article-body extraction benchmark: cleaner (text and HTML mode) against baselines, one run.

    python bench/extraction.py ../shared/bench/extraction/scrapinghub [--pages held-out]

The folder holds `ground-truth.json` (id -> {"articleBody", "url"}), `text/<id>.txt` (what a
text-only scraper left) and/or `html/<id>.html`. Metric (the benchmark's own, reimplemented
here): tokens are `\\w+` matches; each text is the multiset of its word 4-grams (a shorter text
is one shingle); per page tp/fp/fn are normalised to sum to 1; precision is averaged over pages
that predicted something, recall over pages with a ground truth; F1 is their harmonic mean.

`--pages held-out` scores only pages the shipped boilerplate model was not trained on (on a
folder the model has never seen, that is every page).
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cleaner  # noqa: E402
from cleaner import Cleaner, Document  # noqa: E402
from cleaner.config import Config  # noqa: E402

_TOKEN = re.compile(r"\w+")


def shingles(text: str, n: int = 4) -> Counter:
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i:i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i:i + n])


def page_counts(true: str, pred: str) -> tuple[float, float, float]:
    t, p = shingles(true), shingles(pred)
    tp = sum((t & p).values())
    fp = sum((p - t).values())
    fn = sum((t - p).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def aggregate(counts: list[tuple[float, float, float]]) -> dict[str, float]:
    def prec(tp, fp, fn):
        return 1.0 if fp == fn == 0 else tp / (tp + fp)

    def rec(tp, fp, fn):
        return 1.0 if fp == fn == 0 else tp / (tp + fn)

    precisions = [prec(*c) for c in counts if c[0] + c[1] > 0] or [0.0]
    recalls = [rec(*c) for c in counts if c[0] + c[2] > 0] or [0.0]
    p, r = statistics.mean(precisions), statistics.mean(recalls)
    return {"f1": 2 * p * r / (p + r) if p + r else 0.0, "precision": p, "recall": r}


# -- systems: each maps an input string to the predicted article body --------------------------------
_END = re.compile(r"""[.!?]["'”’)\]]*$""")


def raw(text: str) -> str:
    return text


def c4_lines(text: str) -> str:
    """C4-style line filter: keep lines of 3+ words that end in terminal punctuation."""
    return "\n".join(line for line in text.splitlines()
                     if len(line.split()) >= 3 and _END.search(line.strip()))


def justext_lines(text: str) -> str:
    import html

    import justext

    page = "<html><body>" + "".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines() if line.strip()) + "</body></html>"
    paragraphs = justext.justext(page, justext.get_stoplist("English"))
    return "\n".join(p.text for p in paragraphs if not p.is_boilerplate)


def trafilatura_alone(page: str) -> str:
    import trafilatura

    return trafilatura.extract(page, include_comments=False, deduplicate=False) or ""


_CONFIG = Config().with_overrides({"dedup.enabled": False})


def cleaner_text(text: str) -> str:
    return cleaner.clean_text(text, _CONFIG).text


def cleaner_html(page: str) -> str:
    return cleaner.clean_html(page, config=_CONFIG).text


def cleaner_corpus(pages: dict[str, str], kind: str) -> dict[str, str]:
    """cleaner over the whole folder as one run, as `cleaner clean DIR` does (site templates
    are counted across the folder's pages; duplicate removal off: extraction is scored)."""
    docs = [Document(id=k, text=v if kind == "text" else "", source=k, kind=kind,
                     html=v if kind == "html" else None) for k, v in pages.items()]
    return {r.doc.id: r.text for r in Cleaner(_CONFIG).clean_documents(docs)}


def per_page(fn):
    return lambda pages: {k: fn(v) for k, v in pages.items()}


SYSTEMS = [  # name, input kind, function from {id: input} to {id: predicted article body}
    ("raw text", "text", per_page(raw)),
    ("jusText on lines", "text", per_page(justext_lines)),
    ("C4 line filter", "text", per_page(c4_lines)),
    ("cleaner (text, one page at a time)", "text", per_page(cleaner_text)),
    ("cleaner (text, folder)", "text", lambda pages: cleaner_corpus(pages, "text")),
    ("trafilatura alone", "html", per_page(trafilatura_alone)),
    ("cleaner (html, folder)", "html", lambda pages: cleaner_corpus(pages, "html")),
]


def load(folder: Path) -> tuple[dict, dict[str, dict[str, str]]]:
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    inputs: dict[str, dict[str, str]] = {"text": {}, "html": {}}
    for kind, suffix in (("text", ".txt"), ("html", ".html")):
        for key in truth:
            path = folder / kind / (key + suffix)
            if path.exists():
                inputs[kind][key] = path.read_text(encoding="utf-8", errors="replace")
    return truth, inputs


def held_out(keys: list[str]) -> list[str]:
    """Pages the shipped boilerplate model was not fitted on."""
    from cleaner.boilerplate.model import trained_on

    seen = trained_on()
    return [k for k in keys if k not in seen]


def evaluate(folder: Path, pages: str = "all", systems=SYSTEMS) -> list[dict]:
    truth, inputs = load(folder)
    rows = []
    for name, kind, fn in systems:
        keys = sorted(inputs[kind])
        if pages == "held-out":
            keys = held_out(keys)
        if not keys:
            continue
        t = time.perf_counter()
        preds = fn({k: inputs[kind][k] for k in keys})
        seconds = time.perf_counter() - t
        scores = aggregate([page_counts(truth[k]["articleBody"], preds[k]) for k in keys])
        rows.append({"system": name, "input": kind, "pages": len(keys), **scores,
                     "pages_per_s": len(keys) / seconds, "seconds": seconds})
    base = next((r["seconds"] / r["pages"] for r in rows if r["system"] == "trafilatura alone"), None)
    for r in rows:
        r["time_vs_trafilatura"] = (r["seconds"] / r["pages"]) / base if base else None
    return rows


def print_table(rows: list[dict]) -> None:
    print("| system | input | pages | F1 | precision | recall | pages/s | time / trafilatura |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        ratio = f"{r['time_vs_trafilatura']:.2f}x" if r["time_vs_trafilatura"] else "-"
        print(f"| {r['system']} | {r['input']} | {r['pages']} | {r['f1']:.3f} | {r['precision']:.3f} | "
              f"{r['recall']:.3f} | {r['pages_per_s']:.1f} | {ratio} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path)
    ap.add_argument("--pages", choices=["all", "held-out"], default="all")
    args = ap.parse_args()
    print_table(evaluate(args.folder, args.pages))


if __name__ == "__main__":
    main()
