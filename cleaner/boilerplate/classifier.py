"""Rule-based block classifier for plain text.

Each line gets features; lines that read like article prose (long enough, ending like a
sentence) are anchors. The rules then use each line's neighbours and its position relative to
the anchors. Every rule names itself in the reason it gives, so a user can tell which fired.

Rules, in the order they are applied (a line keeps the first reason it gets):
  site-template   a line repeated on several pages of the same site (see templates.py); not
                  applied to the prose of a page that it would strip of most of its prose
                  (such pages are copies of one article, a matter for duplicate removal)
  teaser-run      among non-prose lines, a list of teasers (texts cut off with an ellipsis, time
                  stamps, close together) with its heading: a "latest/related stories" list
  label-link      "LABEL: Headline" lines without a sentence end (cross-links)
  timestamp       a line that is only a date, time or "N mins ago"
  media-caption   a caption ending in a media duration ("... 2:26")
  title-variant   before the article, a short line that contains another short line plus extra
                  text (a site name glued to the title, a title printed twice), or repeats one
  author-bio      after the article: a name line followed by a paragraph about that name

  title           the page's title line: it goes to the document's `title` field rather than
                  staying in the text. When the title is known (HTML metadata) it is the
                  heading near the top that matches it; otherwise a line before the article that
                  title variants repeat, else one that the first line (often the HTML title,
                  "Headline - Site") contains, else the title-like line nearest the article.

On a page with no prose at all there is nothing to tell article from furniture by, and a document
of fewer than MIN_LINES_FOR_MODEL lines is a record, a message or a paragraph rather than a page
with furniture around an article: in both, only the named rules apply. Every other line is scored by the learned model (`model.py`) from its features and its place on
the page; a line it rejects is named by where it sits: before-article (navigation, headers),
after-article (footers, widgets, comment sections, notices) or in-article-furniture (captions,
share buttons and the like between article paragraphs). The score is the model's probability
that the line is not article text.
"""
from __future__ import annotations

from ..config import BoilerplateConfig
from .context import page_context
from .features import LineFeatures
from .model import Model, line_vector, load_model


def is_prose(f: LineFeatures, cfg: BoilerplateConfig) -> bool:
    """Article-like text: a sentence of some length, or a long line of running words."""
    if f.kind == "h" or f.ellipsis or f.timestamp or f.label:
        return False
    if f.words >= cfg.min_content_words and f.ends_sentence:
        return True
    return f.words >= 3 * cfg.min_content_words and f.title_case_share < 0.5


Verdict = tuple[str, float | None]
MIN_LINES_FOR_MODEL = 10


def classify_lines(features: list[LineFeatures], cfg: BoilerplateConfig, model: Model | None = None,
                   templates: list[bool] | None = None, learned: bool = True,
                   known_title: str | None = None) -> tuple[list[Verdict | None], int | None]:
    """A (reason, score) per line ("boilerplate:<rule>") or None for a kept line; and the index
    of the page's title line (None if there is none). `templates` flags the lines that are
    site-template lines; `learned=False` applies the named rules only (for text that trafilatura
    already extracted, where the model was measured to do more harm than good); `known_title`
    is the title from the page's metadata."""
    reasons, title_bases = apply_rules(features, cfg, templates)
    out: list[Verdict | None] = [(r, None) if r else None for r in reasons]
    prose = [is_prose(f, cfg) for f in features]
    context = page_context(features, prose)
    if known_title:
        title = match_title(features, reasons, known_title)
    else:
        title = find_title(features, reasons, context, title_bases)
    if title is not None:
        out[title] = ("boilerplate:title", None)
    if not model_applies(features, context, learned):
        return out, title
    model = model or load_model()
    vectors = [None if reasons[i] else line_vector(f, c, prose[i], i) for i, (f, c) in enumerate(zip(features, context))]
    probabilities = model.probabilities(vectors, [f.words for f in features], prose)
    for i, (c, p) in enumerate(zip(context, probabilities)):
        if reasons[i] is not None or i == title:
            continue
        if p < model.threshold:
            where = "before-article" if c.before_main else "after-article" if c.after_main else "in-article-furniture"
            out[i] = ("boilerplate:" + where, 1.0 - p)
    return out, title


def model_applies(features: list[LineFeatures], context, learned: bool = True) -> bool:
    """Whether the learned model decides on this page (see the module docstring)."""
    return learned and len(features) >= MIN_LINES_FOR_MODEL and any(c.in_main for c in context)


def match_title(features: list[LineFeatures], reasons: list[str | None], title: str) -> int | None:
    """The first of the top lines that repeats a known title (or the title without a site name)."""
    wanted = "".join(ch for ch in title.casefold() if ch.isalnum())
    if len(wanted) < 8:
        return None
    for i, f in enumerate(features[:5]):
        if reasons[i] is None and f.alnum and (f.alnum == wanted or (len(f.alnum) >= 12 and f.alnum in wanted)):
            return i
    return None


def _title_like(f: LineFeatures) -> bool:
    return 3 <= f.words <= 30 and not (f.ends_sentence or f.timestamp or f.label or f.separators)


def find_title(features: list[LineFeatures], reasons: list[str | None], context, bases: set[int]) -> int | None:
    """The page's title line among the lines before the main text (see the module docstring)."""
    candidates = [i for i, c in enumerate(context) if c.before_main and reasons[i] is None and _title_like(features[i])]
    if not candidates:
        return None
    repeated = [i for i in candidates if i in bases]
    if repeated:
        return repeated[0]
    first = features[0].alnum
    inside_first = [i for i in candidates if i > 0 and len(features[i].alnum) >= 12 and features[i].alnum in first]
    if inside_first:
        return inside_first[-1]
    return candidates[0] if candidates[0] == 0 else candidates[-1]


def apply_rules(features: list[LineFeatures], cfg: BoilerplateConfig,
                templates: list[bool] | None = None) -> tuple[list[str | None], set[int]]:
    """The named rules only: a reason per line (None where no rule fired), and the lines that
    title variants repeat (title evidence)."""
    reasons: list[str | None] = [None] * len(features)
    prose = [is_prose(f, cfg) for f in features]

    def mark(i: int, rule: str) -> None:
        if reasons[i] is None:
            reasons[i] = "boilerplate:" + rule

    if templates:
        prose_words = sum(f.words for f, p in zip(features, prose) if p)
        template_prose = sum(f.words for f, p, t in zip(features, prose, templates) if p and t)
        spare_prose = template_prose > 0.5 * prose_words
        for i, t in enumerate(templates):
            if t and not (spare_prose and prose[i]):
                mark(i, "site-template")

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
        return reasons, set()
    bases = _title_variants(features, range(anchors[0]), mark)
    _author_bio(features, prose, reasons, mark)
    return reasons, bases


def _teaser_runs(features, prose, cfg, mark) -> None:
    """Inside a run of non-prose lines, a list of teasers: teaser signals (a text cut off by an
    ellipsis, a time stamp) at most 3 lines apart, with at least `min_teaser_signals` ellipses
    or one signal more than that in all. The list goes from two lines before its first signal
    (the section heading and first headline) to the line after its last one."""
    i, n = 0, len(features)
    while i < n:
        if prose[i]:
            i += 1
            continue
        j = i
        while j < n and not prose[j]:
            j += 1
        signals = [k for k in range(i, j) if features[k].ellipsis or features[k].timestamp]
        start = 0
        while start < len(signals):
            end = start
            while end + 1 < len(signals) and signals[end + 1] - signals[end] <= 3:
                end += 1
            group = signals[start:end + 1]
            ellipses = sum(features[k].ellipsis for k in group)
            if ellipses >= cfg.min_teaser_signals or len(group) > cfg.min_teaser_signals:
                for k in range(max(i, group[0] - 2), min(j, group[-1] + 2)):
                    mark(k, "teaser-run")
            start = end + 1
        i = j


def _title_variants(features, head: range, mark) -> set[int]:
    """In the lines before the article: drop a line that is another line plus extra text
    (site name glued on, title doubled), and a later exact repeat of a line. Returns the lines
    that were repeated (the titles)."""
    lines = [(i, features[i]) for i in head if features[i].words >= 3 and not features[i].ends_sentence]
    bases: set[int] = set()
    for i, a in lines:
        for j, b in lines:
            if i == j or len(b.alnum) < 12 or b.alnum not in a.alnum:
                continue
            extra = len(a.alnum) - len(b.alnum)
            if (extra == 0 and i > j) or 0 < extra <= len(b.alnum):
                mark(i, "title-variant")
                bases.add(j)
                break
    return bases


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
