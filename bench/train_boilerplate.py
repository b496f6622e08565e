"""Fit the boilerplate model (cleaner/boilerplate/boilerplate_model.json) on part of a benchmark.

    python bench/train_boilerplate.py ../shared/bench/extraction/scrapinghub          # fit and save
    python bench/train_boilerplate.py ../shared/bench/extraction/scrapinghub --cv     # develop
    python bench/train_boilerplate.py ../shared/bench/extraction/scrapinghub --mode html --cv

Pages are split by a hash of their id: about half train the model, the rest are held out and
only scored at the end; `--cv` reports 5-fold cross-validation inside the training half, which
is what development decisions are made on. Each line of `text/<id>.txt` is labelled article
text when it is a line of the ground-truth body, or (4+ words) when most of its word 4-grams
are in it. Lines are weighted by their share of their page's words, as the benchmark metric
weights pages equally. Both stages are logistic regressions (L2, Newton's method) fitted on the
lines no named rule removes and that are not the title; stage 2 is fitted on out-of-fold
stage-1 scores, so it learns how far to trust stage 1 on pages stage 1 has not seen.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from extraction import aggregate, load, page_counts, shingles  # noqa: E402

from cleaner.boilerplate import classifier, model  # noqa: E402
from cleaner.boilerplate.context import page_context  # noqa: E402
from cleaner.boilerplate.features import line_features  # noqa: E402
from cleaner.boilerplate.language import language_of, stopwords  # noqa: E402
from cleaner.boilerplate.templates import TemplateCounter, document_keys, template_flags  # noqa: E402
from cleaner.config import BoilerplateConfig  # noqa: E402
from cleaner.extract import extract  # noqa: E402
from cleaner.model import Document  # noqa: E402
from cleaner.segment import split_blocks  # noqa: E402

MODEL_PATH = Path(__file__).resolve().parent.parent / "cleaner" / "boilerplate" / model.MODEL_FILE
THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)
FOLDS = 5
CFG = BoilerplateConfig()
_SPACE = re.compile(r"\s+")


def is_training_page(key: str) -> bool:
    return int(hashlib.sha1(key.encode()).hexdigest(), 16) % 2 == 0


@dataclass
class Page:
    key: str
    truth: str
    lines: list[str]
    vectors: list[list[float] | None]  # stage-1 features; None where a named rule removed the line
    title: int | None
    labels: list[int]
    weights: list[float]
    words: list[int]
    prose: list[bool]
    has_main: bool  # the model decides on this page (it has prose and enough lines)

    def decided(self) -> list[int]:
        """The lines the model decides on."""
        if not self.has_main:
            return []
        return [i for i, v in enumerate(self.vectors) if v is not None and i != self.title]


def page_input(mode: str, raw: str) -> tuple[str, list[str] | None]:
    """The text cleaning works on, and its block kinds: the scrape itself, or the HTML extracted."""
    if mode == "text":
        return raw, None
    doc = extract(Document(id="page", text=""), raw)
    return doc.text, doc.hints


def site_templates(texts: list[tuple[str, list[str] | None]]) -> frozenset[int]:
    """Template lines of a folder of pages (one site, as `cleaner clean` treats a folder)."""
    counter = TemplateCounter(CFG.site_template_min_pages)
    for text, hints in texts:
        counter.add(document_keys(text, split_blocks(text, hints), ""))
    return counter.templates()


def read_page(key: str, text: str, hints: list[str] | None, truth: str, templates: frozenset[int]) -> Page:
    """Everything training needs from one page, computed once with cleaner's own code."""
    blocks = split_blocks(text, hints)
    stops = stopwords(language_of(text))
    lines = [text[b.content_start:b.content_end] for b in blocks]
    feats = [line_features(line, stops, b.kind) for line, b in zip(lines, blocks)]
    rules, bases = classifier.apply_rules(feats, CFG, template_flags(text, blocks, "", templates))
    prose = [classifier.is_prose(f, CFG) for f in feats]
    context = page_context(feats, prose)
    truth_lines = {_SPACE.sub(" ", t).strip() for t in truth.splitlines() if t.strip()}
    truth_shingles = shingles(truth)
    total = sum(f.words for f in feats) or 1
    labels = []
    for line, f in zip(lines, feats):
        if _SPACE.sub(" ", line).strip() in truth_lines:
            labels.append(1)
        elif f.words >= 4:
            own = shingles(line)
            labels.append(int(sum(1 for s in own if s in truth_shingles) >= 0.5 * len(own)))
        else:
            labels.append(0)
    return Page(key, truth, lines,
                [None if rules[i] else model.line_vector(f, c, prose[i], i) for i, (f, c) in enumerate(zip(feats, context))],
                classifier.find_title(feats, rules, context, bases), labels,
                [max(f.words, 1) / total for f in feats], [f.words for f in feats], prose,
                classifier.model_applies(feats, context))


def fit_logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float) -> model.Logistic:
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = np.hstack([np.ones((len(x), 1)), (x - mean) / scale])
    beta = np.zeros(z.shape[1])
    reg = np.full(z.shape[1], l2)
    reg[0] = 0.0  # the bias is not penalised
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ beta, -50, 50)))
        step = np.linalg.solve((z * (w * p * (1 - p))[:, None]).T @ z + np.diag(reg), z.T @ (w * (p - y)) + reg * beta)
        beta -= step
        if np.abs(step).max() < 1e-9:
            break
    return model.Logistic(tuple(map(float, beta[1:])), float(beta[0]), tuple(map(float, mean)), tuple(map(float, scale)))


def _stack(pages: list[Page], features) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    xs, ys, ws = [], [], []
    for p in pages:
        rows = features(p)
        for i in p.decided():
            xs.append(rows[i])
            ys.append(p.labels[i])
            ws.append(p.weights[i])
    return np.array(xs), np.array(ys, dtype=float), np.array(ws)


def fit_lines(pages: list[Page], l2: float) -> model.Logistic:
    return fit_logistic(*_stack(pages, lambda p: p.vectors), l2)


def neighbour_rows(p: Page, stage1: model.Logistic) -> list[list[float] | None]:
    """Stage-2 features of a page's lines (None where a rule removed the line), as the model computes them."""
    keep = [i for i, v in enumerate(p.vectors) if v is not None]
    rows: list[list[float] | None] = [None] * len(p.vectors)
    vectors = model.neighbour_vectors([stage1.logit(p.vectors[i]) for i in keep],
                                      [p.words[i] for i in keep], [p.prose[i] for i in keep])
    for i, v in zip(keep, vectors):
        rows[i] = v
    return rows


def fit(pages: list[Page], l2: float) -> model.Model:
    out_of_fold: dict[str, list] = {}
    for k in range(FOLDS):
        stage1 = fit_lines([p for i, p in enumerate(pages) if i % FOLDS != k], l2)
        for p in pages[k::FOLDS]:
            out_of_fold[p.key] = neighbour_rows(p, stage1)
    stage2 = fit_logistic(*_stack(pages, lambda p: out_of_fold[p.key]), l2)
    m = model.Model(fit_lines(pages, l2), stage2, 0.5, frozenset(p.key for p in pages))
    return with_threshold(m, max(THRESHOLDS, key=lambda t: (score(pages, with_threshold(m, t))["f1"], -abs(t - 0.5))))


def with_threshold(m: model.Model, t: float) -> model.Model:
    return model.Model(m.lines, m.neighbours, t, m.trained_on)


def predict(p: Page, m: model.Model) -> str:
    """The text the boilerplate stage keeps (same decisions as the classifier, from cached features)."""
    probs = m.probabilities(p.vectors, p.words, p.prose)
    no_main = not p.has_main
    keep = [v is not None and i != p.title and (no_main or probs[i] >= m.threshold) for i, v in enumerate(p.vectors)]
    return "\n".join(line for line, k in zip(p.lines, keep) if k)


def score(pages: list[Page], m: model.Model) -> dict[str, float]:
    return aggregate([page_counts(p.truth, predict(p, m)) for p in pages])


def cross_validate(pages: list[Page], l2: float) -> dict[str, float]:
    """Every training page predicted by a model fitted on the other folds."""
    counts = []
    for k in range(FOLDS):
        m = fit([p for i, p in enumerate(pages) if i % FOLDS != k], l2)
        counts += [page_counts(p.truth, predict(p, m)) for p in pages[k::FOLDS]]
    return aggregate(counts)


def save(m: model.Model, mode: str, metrics: dict) -> None:
    MODEL_PATH.write_text(json.dumps({
        "about": f"two-stage logistic regression for cleaner's block classifier, {mode} mode; see bench/train_boilerplate.py",
        "line_features": list(model.LINE_FEATURES),
        "neighbour_features": list(model.NEIGHBOUR_FEATURES),
        "lines": m.lines.to_json(),
        "neighbours": m.neighbours.to_json(),
        "threshold": m.threshold,
        "trained_on": sorted(m.trained_on),
        "metrics": metrics,
    }, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path)
    ap.add_argument("--l2", type=float, default=1.0)
    ap.add_argument("--mode", choices=["text", "html"], default="text",
                    help="text: fit on text/ (scrapes); html: cross-validate on html/ after trafilatura "
                         "extraction (measured to lose to the named rules alone, so not shipped)")
    ap.add_argument("--cv", action="store_true", help="only report 5-fold cross-validation on the training pages")
    args = ap.parse_args()
    truth, inputs = load(args.folder)
    keys = sorted(inputs[args.mode])
    prepared = {k: page_input(args.mode, inputs[args.mode][k]) for k in keys}
    train_keys = [k for k in keys if is_training_page(k)]
    held_keys = [k for k in keys if not is_training_page(k)]
    # Template lines are counted within each half, as a run over that half's folder would.
    train_templates = site_templates([prepared[k] for k in train_keys])
    held_templates = site_templates([prepared[k] for k in held_keys])
    train = [read_page(k, *prepared[k], truth[k]["articleBody"], train_templates) for k in train_keys]
    held = [read_page(k, *prepared[k], truth[k]["articleBody"], held_templates) for k in held_keys]
    if args.cv or args.mode == "html":
        r = cross_validate(train, args.l2)
        print(f"5-fold CV on {len(train)} training pages: F1 {r['f1']:.3f} (P {r['precision']:.3f}, R {r['recall']:.3f})")
        return
    m = fit(train, args.l2)
    tr, ho = score(train, m), score(held, m)
    save(m, args.mode, {"train_pages": len(train), "train_f1": round(tr["f1"], 4),
             "held_out_pages": len(held), "held_out_f1": round(ho["f1"], 4)})
    print(f"threshold {m.threshold}: train F1 {tr['f1']:.3f}; held-out F1 {ho['f1']:.3f} "
          f"(P {ho['precision']:.3f}, R {ho['recall']:.3f}) on {len(held)} pages")
    for stage, names, lr in (("lines", model.LINE_FEATURES, m.lines), ("neighbours", model.NEIGHBOUR_FEATURES, m.neighbours)):
        print(stage + ": " + ", ".join(f"{n} {w:+.2f}" for n, w in sorted(zip(names, lr.weights), key=lambda t: -abs(t[1]))[:10]))


if __name__ == "__main__":
    main()
