"""The learned part of the block classifier, in two stages, trained by
`bench/train_boilerplate.py` and shipped as `boilerplate_model.json`.

Stage 1 scores each line from its own features and its page context. Stage 2 rescores it from
the stage-1 scores around it (its neighbours, the prose near it, and the main region those
scores outline), so that a short line inside the article (a list item, a subheading) follows the
article and a prose paragraph inside a footer follows the footer. Both stages are logistic
regressions, applied to a page's blocks as numpy arrays. `line_vectors` and `neighbour_vectors`
are the one definition of the features, used by training and by the classifier alike.
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


def line_vectors(features: list[LineFeatures], context: list[LineContext], prose: list[bool]) -> np.ndarray:
    """Stage-1 features of every block, one a row (float64: 8 bytes a feature and block)."""
    n = len(features)
    out = np.empty((n, len(LINE_FEATURES)))
    for i, (f, c, p) in enumerate(zip(features, context, prose)):
        short = f.words < 8
        out[i] = (
            math.log1p(f.words), f.ends_sentence, f.ellipsis, f.stopword_share, f.title_case_share,
            f.upper_share, f.digit_share, f.symbol_share, min(f.mean_word_length, 15.0) / 15.0, f.timestamp,
            f.label, f.separators, f.kind == "h", p, c.prev_prose,
            c.next_prose, c.near_prose, c.wide_prose, c.in_main, c.before_main,
            c.after_main, c.distance, c.cluster_share, c.topic, c.repeated, c.position,
            i == 0, p and c.in_main, short and c.in_main, c.topic * (not c.in_main),
            f.link_share, f.kind in MARKUP_KINDS, f.kind == "li", c.short_near, c.in_menu,
        )
    return out


def neighbour_vectors(logits: np.ndarray, words: np.ndarray, prose: np.ndarray) -> np.ndarray:
    """Stage-2 features of every block (one a row) from the stage-1 logits of the page."""
    logits = np.asarray(logits, dtype=np.float64)
    n = len(logits)
    weights = np.log1p(np.asarray(words, dtype=np.float64))
    lo, hi = _main_region((1.0 / (1.0 + np.exp(-logits)) - 0.5) * weights)
    padded = np.concatenate([[EDGE_LOGIT] * 2, logits, [EDGE_LOGIT] * 2])
    i = np.arange(n)
    distance = np.where(i < lo, lo - i, np.where(i > hi, i - hi, 0))
    out = np.empty((n, len(NEIGHBOUR_FEATURES)))
    out[:, 0], out[:, 1], out[:, 2], out[:, 3], out[:, 4] = logits, padded[1:n + 1], padded[3:n + 3], padded[:n], padded[4:n + 4]
    out[:, 5], out[:, 6] = _mean_around(logits, weights, 3), _mean_around(logits, weights, 10)
    out[:, 7], out[:, 8], out[:, 9] = (i >= lo) & (i <= hi), i < lo, i > hi
    out[:, 10], out[:, 11], out[:, 12] = np.log1p(distance), weights, np.asarray(prose, dtype=np.float64)
    return out


def _main_region(gain: np.ndarray) -> tuple[int, int]:
    """The run of blocks with the largest sum of gains (n, -1 when none is positive)."""
    best, best_span, run, start = 0.0, (len(gain), -1), 0.0, 0
    for i, g in enumerate(gain.tolist()):
        if run <= 0:
            run, start = 0.0, i
        run += g
        if run > best:
            best, best_span = run, (start, i)
    return best_span


def _mean_around(logits: np.ndarray, weights: np.ndarray, r: int) -> np.ndarray:
    """For each block, the weighted mean logit of the blocks within r of it (itself excluded)."""
    n = len(logits)
    cw = np.concatenate([[0.0], np.cumsum(weights)])
    cz = np.concatenate([[0.0], np.cumsum(logits * weights)])
    i = np.arange(n)
    lo, hi = np.maximum(0, i - r), np.minimum(n, i + r + 1)
    total = cw[hi] - cw[lo] - weights
    summed = cz[hi] - cz[lo] - logits * weights
    out = np.full(n, EDGE_LOGIT)
    nz = total > 1e-12
    out[nz] = summed[nz] / total[nz]
    return out


@dataclass(frozen=True)
class Logistic:
    weights: tuple[float, ...]
    bias: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]

    def logits(self, x: np.ndarray) -> np.ndarray:
        """Logits of the rows of x (element-wise products summed by numpy, not BLAS: the same
        result on every machine and thread count)."""
        z = ((x - np.asarray(self.mean)) / np.asarray(self.scale) * np.asarray(self.weights)).sum(axis=1) + self.bias
        return np.clip(z, -50.0, 50.0)

    def logit(self, x: list[float]) -> float:
        return float(self.logits(np.asarray([x], dtype=np.float64))[0])

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

    def probabilities(self, vectors: np.ndarray, decided: np.ndarray, words: np.ndarray,
                      prose: np.ndarray) -> np.ndarray:
        """Probability that each block is article text, from its stage-1 features (one a row);
        NaN for a block a rule decided (not `decided`: stage 2 sees the page without it) and for
        a block outside the training support (the model abstains: the block is kept)."""
        keep = np.flatnonzero(decided)
        out = np.full(len(decided), np.nan)
        if not len(keep):
            return out
        x = vectors[keep]
        stage2 = self.neighbours.logits(neighbour_vectors(self.lines.logits(x), np.asarray(words)[keep],
                                                          np.asarray(prose)[keep]))
        p = 1.0 / (1.0 + np.exp(-stage2))
        covered = self.covers(x)
        out[keep[covered]] = p[covered]
        return out

    def covers(self, x: np.ndarray) -> np.ndarray:
        if self.support is None or not len(x):
            return np.ones(len(x), dtype=bool)
        z = (x - np.asarray(self.lines.mean)) / np.asarray(self.lines.scale)
        return self.support.covers(z)


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
