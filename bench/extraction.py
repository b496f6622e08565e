"""Article-body extraction benchmark: cleaner (text and HTML mode) against baselines, one run.

    python bench/extraction.py ../shared/bench/extraction/scrapinghub [--pages held-out]
    python bench/extraction.py ../shared/bench/extraction/scrapinghub --layouts [--pages all]

The folder holds `ground-truth.json` (id -> {"articleBody", "url"}), `text/<id>.txt` (what a
text-only scraper left) and/or `html/<id>.html`. Metric (the benchmark's own, reimplemented
here): tokens are `\\w+` matches; each text is the multiset of its word 4-grams (a shorter text
is one shingle); per page tp/fp/fn are normalised to sum to 1; precision is averaged over pages
that predicted something, recall over pages with a ground truth; F1 is their harmonic mean.

`--pages held-out` scores only pages the shipped boilerplate model was not trained on (on a
folder the model has never seen, that is every page).

`--layouts` renders the pages as other scrapers do (bench/layouts.py: lynx, w3m, html2text,
inscriptis, BeautifulSoup, the text/ scrape and a CRLF copy) and prints one table, layout x
(raw, C4 line filter, cleaner) F1, on the held-out pages unless `--pages all`; then the no-harm
table: the gold article bodies in the layouts clean prose comes in, and the share of their
words cleaner keeps.
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

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
_ONE_WORKER = _CONFIG.with_overrides({"run.workers": 1})  # in this process: per-page cost, no pool start-up


def cleaner_text(text: str) -> str:
    return cleaner.clean_text(text, _CONFIG).text


def cleaner_html(page: str) -> str:
    return cleaner.clean_html(page, config=_CONFIG).text


def cleaner_corpus(pages: dict[str, str], kind: str, config: Config = _CONFIG) -> dict[str, str]:
    """cleaner over the whole folder as one run, as `cleaner clean DIR` does (site templates
    are counted across the folder's pages; by default duplicate removal off: extraction is scored)."""
    docs = [Document(id=k, text=v if kind == "text" else "", source=k, kind=kind,
                     html=v if kind == "html" else None) for k, v in pages.items()]
    return {r.doc.id: r.text for r in Cleaner(config).clean_documents(docs)}


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
    ("cleaner (html, folder, 1 worker)", "html", lambda pages: cleaner_corpus(pages, "html", _ONE_WORKER)),
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


TIMED_RUNS = 3


def evaluate(folder: Path, pages: str = "all", systems=SYSTEMS) -> list[dict]:
    """Scores of each system, and its time: TIMED_RUNS runs of every system, in turns (the
    machine's load drifts: taking turns puts each system in the same spells), the fastest kept."""
    truth, inputs = load(folder)
    timed = []
    for name, kind, fn in systems:
        keys = sorted(inputs[kind])
        if pages == "held-out":
            keys = held_out(keys)
        if keys:
            timed.append([name, kind, fn, keys, None, float("inf")])
    for _ in range(TIMED_RUNS):
        for row in timed:
            _, kind, fn, keys, _, _ = row
            t = time.perf_counter()
            preds = fn({k: inputs[kind][k] for k in keys})
            row[5] = min(row[5], time.perf_counter() - t)
            row[4] = row[4] or preds
    rows = []
    for name, kind, _, keys, preds, seconds in timed:
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


# -- layouts: the same pages as other scrapers render them ---------------------------------------
LAYOUT_SYSTEMS = [  # name, function from {id: text} to {id: predicted article body}
    ("raw", per_page(raw)),
    ("C4 line filter", per_page(c4_lines)),
    ("cleaner, boilerplate only", lambda pages: cleaner_corpus(pages, "text")),
    ("cleaner", lambda pages: cleaner_corpus(pages, "text", Config())),  # the default pipeline
]


def layout_rows(folder: Path, pages: str) -> tuple[list[dict], list[str]]:
    """F1 of each system on each layout of the pages (held-out pages unless pages == "all")."""
    from layouts import render_pages

    truth, inputs = load(folder)
    keys = sorted(inputs["html"] or inputs["text"])
    if pages == "held-out":
        keys = held_out(keys)
    rendered, notes = render_pages(inputs, keys)
    rows = []
    for layout, texts in rendered.items():
        row = {"layout": layout, "pages": len(texts)}
        for name, fn in LAYOUT_SYSTEMS:
            t = time.perf_counter()
            preds = fn(texts)
            row[name] = aggregate([page_counts(truth[k]["articleBody"], preds[k]) for k in texts])["f1"]
            row[name + " s"] = time.perf_counter() - t
        rows.append(row)
    return rows, notes


def words_kept(before: str, after: str) -> tuple[int, int]:
    """(words of `before` still in `after` (as a multiset), words of `before`)."""
    a, b = Counter(_TOKEN.findall(before)), Counter(_TOKEN.findall(after))
    return sum((a & b).values()), sum(a.values())


def no_harm_rows(folder: Path, pages: str) -> list[dict]:
    """Share of the words of clean prose (the gold bodies, in several layouts) that cleaner keeps:
    with duplicate removal off (what boilerplate removal does to it) and in the default pipeline."""
    from layouts import NO_HARM

    truth, _ = load(folder)
    keys = sorted(truth)
    if pages == "held-out":
        keys = held_out(keys)
    rows = []
    for layout, fn in NO_HARM:
        texts = {k: fn(truth[k]["articleBody"], truth[k].get("url") or "") for k in keys if truth[k]["articleBody"].strip()}
        row: dict = {"layout": layout, "documents": len(texts)}
        for name, config in (("boilerplate", _CONFIG), ("pipeline", Config())):
            preds = cleaner_corpus(texts, "text", config)
            kept = total = touched = emptied = 0
            for k in texts:
                got, n = words_kept(truth[k]["articleBody"], preds[k])
                kept, total = kept + got, total + n
                touched += got < n
                emptied += not preds[k].strip()
            row[name] = {"kept": kept / max(total, 1), "touched": touched, "emptied": emptied}
        rows.append(row)
    return rows


def print_layouts(rows: list[dict], notes: list[str], no_harm: list[dict]) -> None:
    print("| layout of the input text | pages | raw | C4 line filter | cleaner, boilerplate only | cleaner |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['layout']} | {r['pages']} | {r['raw']:.3f} | {r['C4 line filter']:.3f} | "
              f"{r['cleaner, boilerplate only']:.3f} | **{r['cleaner']:.3f}** |")
    for note in notes:
        print(f"note: {note}")
    print()
    print("| clean prose (gold bodies) | documents | words kept, boilerplate only | documents touched | "
          "words kept, default pipeline | documents touched | documents emptied |")
    print("|---|---|---|---|---|---|---|")
    for r in no_harm:
        b, p = r["boilerplate"], r["pipeline"]
        print(f"| {r['layout']} | {r['documents']} | **{b['kept']:.4f}** | {b['touched']} | {p['kept']:.4f} | "
              f"{p['touched']} | {max(b['emptied'], p['emptied'])} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path)
    ap.add_argument("--pages", choices=["all", "held-out"], default=None,
                    help="default: all for the systems table, held-out for --layouts")
    ap.add_argument("--layouts", action="store_true", help="the layout table and the no-harm table")
    args = ap.parse_args()
    if args.layouts:
        pages = args.pages or "held-out"
        rows, notes = layout_rows(args.folder, pages)
        print_layouts(rows, notes, no_harm_rows(args.folder, pages))
        return
    print_table(evaluate(args.folder, args.pages or "all"))


if __name__ == "__main__":
    main()
