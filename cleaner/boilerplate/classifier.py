"""Rule-based block classifier for plain text.

Each line gets features; lines that read like article prose (long enough, ending like a
sentence) are anchors. The rules then use each line's neighbours and its position relative to
the anchors. Every rule names itself in the reason it gives, so a user can tell which fired.

Rules, in the order they are applied (a line keeps the first reason it gets):
  teaser-run      a run of non-prose lines holding several teaser signals (text cut off with an
                  ellipsis, or time stamps): a "latest/related stories" list
  label-link      "LABEL: Headline" lines without a sentence end (cross-links)
  timestamp       a line that is only a date, time or "N mins ago"
  media-caption   a caption ending in a media duration ("... 2:26")
  title-variant   before the article, a short line that contains another short line plus extra
                  text (a site name glued to the title, a title printed twice), or repeats one
  author-bio      after the article: a name line followed by a paragraph about that name
  after-article   lines after the last prose line that do not end like a sentence (widget
                  headings, footers, signatures); a short closing sentence stays
"""
from __future__ import annotations

from ..config import BoilerplateConfig
from .features import LineFeatures


def is_prose(f: LineFeatures, cfg: BoilerplateConfig) -> bool:
    """Article-like text: a sentence of some length, or a long line of running words."""
    if f.kind == "h" or f.ellipsis or f.timestamp or f.label:
        return False
    if f.words >= cfg.min_content_words and f.ends_sentence:
        return True
    return f.words >= 3 * cfg.min_content_words and f.title_case_share < 0.5


def classify_lines(features: list[LineFeatures], cfg: BoilerplateConfig) -> list[str | None]:
    """A reason per line ("boilerplate:<rule>"), or None for a line that is kept."""
    reasons: list[str | None] = [None] * len(features)
    prose = [is_prose(f, cfg) for f in features]

    def mark(i: int, rule: str) -> None:
        if reasons[i] is None:
            reasons[i] = "boilerplate:" + rule

    _teaser_runs(features, prose, cfg, mark)
    for i, f in enumerate(features):
        if f.label:
            mark(i, "label-link")
        elif f.timestamp:
            mark(i, "timestamp")
        elif f.media_duration:
            mark(i, "media-caption")
    anchors = [i for i in range(len(features)) if prose[i] and reasons[i] is None]
    if not anchors:
        return reasons
    _title_variants(features, range(anchors[0]), mark)
    _author_bio(features, prose, reasons, mark)
    anchors = [i for i in anchors if reasons[i] is None]
    if anchors:
        for i in range(anchors[-1] + 1, len(features)):
            if not prose[i] and not features[i].ends_sentence:
                mark(i, "after-article")
    return reasons


def _teaser_runs(features, prose, cfg, mark) -> None:
    i, n = 0, len(features)
    while i < n:
        if prose[i]:
            i += 1
            continue
        j = i
        while j < n and not prose[j]:
            j += 1
        signals = sum(f.ellipsis or f.timestamp for f in features[i:j])
        if signals >= cfg.min_teaser_signals:
            for k in range(i, j):
                mark(k, "teaser-run")
        i = j


def _title_variants(features, head: range, mark) -> None:
    """In the lines before the article: drop a line that is another line plus extra text
    (site name glued on, title doubled), and a later exact repeat of a line."""
    lines = [(i, features[i]) for i in head if features[i].words >= 3 and not features[i].ends_sentence]
    for i, a in lines:
        for j, b in lines:
            if i == j or len(b.alnum) < 12 or b.alnum not in a.alnum:
                continue
            extra = len(a.alnum) - len(b.alnum)
            if (extra == 0 and i > j) or 0 < extra <= len(b.alnum):
                mark(i, "title-variant")
                break


def _author_bio(features, prose, reasons, mark) -> None:
    """A short name line followed by a paragraph that starts by naming it, with no prose after."""
    live = [i for i in range(len(features)) if prose[i] and reasons[i] is None]
    if len(live) < 2:
        return
    last = live[-1]
    name = last - 1
    if name < 0 or reasons[name] is not None:
        return
    f = features[name]
    if not (2 <= f.words <= 6 and not f.ends_sentence and f.title_case_share >= 0.5 and len(f.alnum) >= 6):
        return
    if f.alnum in features[last].alnum[: len(f.alnum) + 40]:
        mark(name, "author-bio")
        mark(last, "author-bio")
