"""The learned part of the block classifier, in two stages, trained by
`bench/train_boilerplate.py` and shipped as `boilerplate_model.json`.

Stage 1 scores each line from its own features and its page context. Stage 2 rescores it from
the stage-1 scores around it (its neighbours, the prose near it, and the main region those
scores outline), so that a short line inside the article (a list item, a subheading) follows the
article and a prose paragraph inside a footer follows the footer. Both stages are logistic
regressions; inference is plain Python. `line_vector` and `neighbour_vectors` are the one
definition of the features, used by training and by the classifier alike.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from .context import LineContext
from .features import LineFeatures

MODEL_FILE = "boilerplate_model.json"
EDGE_LOGIT = -4.0  # stage-1 score of the (missing) lines beyond the page's ends
MARKUP_KINDS = frozenset({"img", "form", "hr", "meta"})  # blocks a layout adds, not text of the page

LINE_FEATURES = (
    "log_words", "ends_sentence", "ellipsis", "stopword_share", "title_case_share", "upper_share",
    "digit_share", "symbol_share", "mean_word_length", "timestamp", "label", "separators", "heading",
    "prose", "prev_prose", "next_prose", "near_prose", "wide_prose", "in_main", "before_main",
    "after_main", "distance", "cluster_share", "topic", "repeated", "position", "first_line",
    "prose_in_main", "short_in_main", "topic_outside", "link_share", "markup", "list_item", "short_near", "in_menu",
)
NEIGHBOUR_FEATURES = (
    "logit", "prev_logit", "next_logit", "prev2_logit", "next2_logit", "near_logit", "wide_logit",
    "in_region", "before_region", "after_region", "region_distance", "log_words", "prose",
)


def line_vector(f: LineFeatures, c: LineContext, prose: bool, index: int) -> list[float]:
    short = f.words < 8
    return [
        math.log1p(f.words), float(f.ends_sentence), float(f.ellipsis), f.stopword_share, f.title_case_share,
        f.upper_share, f.digit_share, f.symbol_share, min(f.mean_word_length, 15.0) / 15.0, float(f.timestamp),
        float(f.label), float(f.separators), float(f.kind == "h"), float(prose), float(c.prev_prose),
        float(c.next_prose), c.near_prose, c.wide_prose, float(c.in_main), float(c.before_main),
        float(c.after_main), c.distance, c.cluster_share, c.topic, float(c.repeated), c.position,
        float(index == 0), float(prose and c.in_main), float(short and c.in_main), c.topic * (not c.in_main),
        f.link_share, float(f.kind in MARKUP_KINDS), float(f.kind == "li"), c.short_near, float(c.in_menu),
    ]


def neighbour_vectors(logits: list[float], words: list[int], prose: list[bool]) -> list[list[float]]:
    """Stage-2 features of every line from the stage-1 logits of the page."""
    n = len(logits)
    weights = [math.log1p(w) for w in words]
    # The main region: the run of lines with the largest sum of (score - 0.5) x log(words).
    best, best_span, run, start = 0.0, (n, -1), 0.0, 0
    for i, (z, w) in enumerate(zip(logits, weights)):
        if run <= 0:
            run, start = 0.0, i
        run += (1.0 / (1.0 + math.exp(-z)) - 0.5) * w
        if run > best:
            best, best_span = run, (start, i)
    lo, hi = best_span

    def at(i: int) -> float:
        return logits[i] if 0 <= i < n else EDGE_LOGIT

    def mean_around(i: int, r: int) -> float:
        idx = [k for k in range(max(0, i - r), min(n, i + r + 1)) if k != i]
        total = sum(weights[k] for k in idx)
        return sum(logits[k] * weights[k] for k in idx) / total if total else EDGE_LOGIT

    out = []
    for i in range(n):
        distance = 0 if lo <= i <= hi else (lo - i if i < lo else i - hi)
        out.append([logits[i], at(i - 1), at(i + 1), at(i - 2), at(i + 2), mean_around(i, 3), mean_around(i, 10),
                    float(lo <= i <= hi), float(i < lo), float(i > hi), math.log1p(distance), weights[i],
                    float(prose[i])])
    return out


@dataclass(frozen=True)
class Logistic:
    weights: tuple[float, ...]
    bias: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]

    def logit(self, x: list[float]) -> float:
        z = self.bias
        for xi, m, s, w in zip(x, self.mean, self.scale, self.weights):
            z += w * (xi - m) / s
        return max(-50.0, min(50.0, z))

    def to_json(self) -> dict:
        return {"weights": [round(v, 6) for v in self.weights], "bias": round(self.bias, 6),
                "mean": [round(v, 6) for v in self.mean], "scale": [round(v, 6) for v in self.scale]}


@dataclass(frozen=True)
class Support:
    """Where the training blocks lie in stage-1 feature space: the inverse covariance of their
    standardised vectors, and the squared Mahalanobis distance that `coverage` of them are
    within. A block further out is unlike anything the model was fitted on."""

    inverse: tuple[tuple[float, ...], ...]
    limit: float

    def covers(self, z: np.ndarray) -> np.ndarray:
        """For standardised vectors (one a row), whether each lies within the training support."""
        inverse = np.asarray(self.inverse)
        return np.einsum("ij,jk,ik->i", z, inverse, z) <= self.limit

    def to_json(self) -> dict:
        return {"inverse": [[round(v, 6) for v in row] for row in self.inverse], "limit": round(self.limit, 4)}


@dataclass(frozen=True)
class Model:
    lines: Logistic
    neighbours: Logistic
    threshold: float
    trained_on: frozenset[str]
    support: Support | None = None

    def probabilities(self, line_vectors: list[list[float] | None], words: list[int], prose: list[bool]) -> list[float | None]:
        """Probability that each block is article text; None for a block a rule removed (given
        as a None vector: stage 2 sees the page without it) and for a block outside the
        training support (the model abstains: the block is kept)."""
        keep = [i for i, x in enumerate(line_vectors) if x is not None]
        logits = [self.lines.logit(line_vectors[i]) for i in keep]
        out: list[float | None] = [None] * len(line_vectors)
        vectors = neighbour_vectors(logits, [words[i] for i in keep], [prose[i] for i in keep])
        covered = self.covers([line_vectors[i] for i in keep])
        for i, v, inside in zip(keep, vectors, covered):
            if inside:
                out[i] = 1.0 / (1.0 + math.exp(-self.neighbours.logit(v)))
        return out

    def covers(self, vectors: list[list[float]]) -> list[bool]:
        if self.support is None or not vectors:
            return [True] * len(vectors)
        z = (np.asarray(vectors) - np.asarray(self.lines.mean)) / np.asarray(self.lines.scale)
        return self.support.covers(z).tolist()


@lru_cache(maxsize=1)
def load_model() -> Model:
    """The shipped model; static data, loaded once."""
    name = MODEL_FILE
    data = json.loads(resources.files(__package__).joinpath(name).read_text(encoding="utf-8"))
    if tuple(data["line_features"]) != LINE_FEATURES or tuple(data["neighbour_features"]) != NEIGHBOUR_FEATURES:
        raise RuntimeError(f"{name} was trained on other features; retrain with bench/train_boilerplate.py")
    support = Support(tuple(map(tuple, data["support"]["inverse"])), data["support"]["limit"]) if "support" in data else None
    return Model(Logistic(**data["lines"]), Logistic(**data["neighbours"]), data["threshold"],
                 frozenset(data["trained_on"]), support)


def trained_on() -> frozenset[str]:
    """Ids of the benchmark pages the shipped model was fitted on."""
    return load_model().trained_on
