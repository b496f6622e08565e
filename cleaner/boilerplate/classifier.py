"""Block classifier for plain text: named rules, then a learned model, with guards that keep
prose.

Each block (paragraph, heading, list item; see `segment`) gets features; blocks that read like
article prose (long enough, ending like a sentence) are anchors. The rules use each block's
neighbours and its position relative to the anchors. Every rule names itself in the reason it
gives, so a user can tell which fired.

Rules, in the order they are applied (a block keeps the first reason it gets):
  site-template   a block repeated on several pages of the same site (see templates.py): menus,
                  footers, notices; in the page's head or tail or in a run inside it. Never prose,
                  nor a lone shared heading between the page's own blocks, nor anything on a
                  page made only of such blocks: a text that several documents share is a
                  matter for duplicate removal, which keeps the first copy
  teaser-run      among non-prose blocks, a list of teasers (texts cut off with an ellipsis, time
                  stamps, close together) with its heading: a "latest/related stories" list
  link-list       outside the main text, a run of blocks that are mostly links (Markdown link
                  lists, reference lists): navigation, "read next"
  label-link      "LABEL: Headline" blocks without a sentence end (cross-links)
  timestamp       a block that is only a date, time or "N mins ago"
  media-caption   a caption ending in a media duration ("... 2:26")
  title-variant   before the article, a short block that contains another short block plus
                  extra text (a site name glued to the title, a title printed twice), or repeats one
  author-bio      after the article: a name line followed by a paragraph about that name

  title           the page's title: it goes to the document's `title` field rather than staying
                  in the text. Only a block that stands alone (a heading, or one line with blank
                  lines around it) can be one. When the title is known (HTML metadata) it is the
                  heading near the top that matches it; otherwise a block before the article
                  that title variants repeat, else one that the first line (often the HTML
                  title, "Headline - Site") contains, else the heading (else the title-like block)
                  nearest the article.

The learned model (`model.py`) decides the other blocks only on a page: a text with furniture
around its prose (menus, link lists, teaser runs, form controls, site-template lines; see
`has_furniture`), of at least MIN_LINES_FOR_MODEL blocks, with prose to tell the article by.
Text that is prose with nothing page-like around it passes untouched. The model abstains on a
block unlike the blocks it was fitted on. A block it rejects is named by where it sits:
before-article (navigation, headers), after-article (footers, widgets, comment sections,
notices) or in-article-furniture (captions, share buttons and the like between paragraphs: only
when the model is surer, see IN_ARTICLE_MARGIN); the score is the model's probability that the
block is not article text.

Two guards end the decision. A document that holds prose never loses all of it to boilerplate:
if nothing of its prose would be left, its main text (the largest cluster of prose) stays. A
page with furniture and no prose at all (a home page, an index, a list of links) is
`not-article`: removed whole under that reason, so it can be counted, reviewed and restored.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..config import BoilerplateConfig
from .context import LineContext, menu_blocks, page_context
from .features import LineFeatures
import numpy as np

from .model import Model, line_vectors, load_model


def is_prose(f: LineFeatures, cfg: BoilerplateConfig) -> bool:
    """Article-like text: a sentence of some length, or a long line of running words."""
    if f.kind == "h" or f.ellipsis or f.timestamp or f.label:
        return False
    if f.words >= cfg.min_content_words and f.ends_sentence:
        return True
    return f.words >= 3 * cfg.min_content_words and f.title_case_share < 0.5


Verdict = tuple[str, float | None]
MIN_LINES_FOR_MODEL = 10
# Inside the main text, a block goes only when the model is this much surer than elsewhere: what
# lies between article paragraphs is mostly article (subheadings, list items); when in doubt, keep.
# (5-fold CV on the training pages: F1 0.900 without it, 0.898 with it.)
IN_ARTICLE_MARGIN = 0.15
LINK_LIST_RUN = 3  # consecutive blocks that are mostly links
NOT_ARTICLE = "boilerplate:not-article"
MIN_TEMPLATE_BLOCKS = 2  # site-template blocks (a header and a footer, a menu) that alone make a page
LONG_MENU = 8  # a menu or link list this long makes a page by itself; a shorter one is weaker evidence
_STRONG_RULES = frozenset({"boilerplate:title-variant"})
_WEAK_RULES = frozenset({"boilerplate:site-template", "boilerplate:teaser-run", "boilerplate:label-link",
                         "boilerplate:media-caption", "boilerplate:timestamp"})


@dataclass
class Page:
    """What the rules found on a page, and what the model needs: one definition, used by the
    classifier and by training (bench/train_boilerplate.py)."""

    features: list[LineFeatures]
    reasons: list[str | None]  # the named rules' verdicts
    prose: list[bool]
    context: list[LineContext]
    title: int | None
    furniture: bool  # page-like: menus, link lists, teasers, forms, site-template lines around the text
    learned: bool  # the model decides the blocks no rule decided

    def vectors(self) -> np.ndarray:
        """Stage-1 model features of each block, one a row."""
        return line_vectors(self.features, self.context, self.prose)

    def decided(self) -> np.ndarray:
        """The blocks no rule decided (the model sees only these)."""
        return np.array([r is None for r in self.reasons], dtype=bool)


def read_page(features: list[LineFeatures], cfg: BoilerplateConfig, templates: list[bool] | None = None,
              learned: bool = True, known_title: str | None = None) -> Page:
    prose = [is_prose(f, cfg) for f in features]
    context = page_context(features, prose)
    reasons, title_bases = apply_rules(features, cfg, templates, prose, context)
    if known_title:
        title = match_title(features, reasons, known_title)
    else:
        title = find_title(features, reasons, context, title_bases)
    furniture = has_furniture(features, reasons) or not learned
    learned = (learned and furniture and len(features) >= MIN_LINES_FOR_MODEL and any(c.in_main for c in context))
    return Page(features, reasons, prose, context, title, furniture, learned)


def classify_lines(features: list[LineFeatures], cfg: BoilerplateConfig, model: Model | None = None,
                   templates: list[bool] | None = None, learned: bool = True,
                   known_title: str | None = None) -> tuple[list[Verdict | None], int | None]:
    """A (reason, score) per block ("boilerplate:<rule>") or None for a kept block; and the
    index of the page's title block (None if there is none). `templates` flags the blocks that
    are site-template lines; `learned=False` is for text that trafilatura extracted from a page:
    the named rules apply (it is a page, whatever furniture is left) and the model does not
    (measured to do more harm than good there); `known_title` is the title from the page's
    metadata."""
    page = read_page(features, cfg, templates, learned, known_title)
    verdicts = decide(page, (model or load_model()) if page.learned else None)
    title = page.title
    return verdicts, title if title is not None and verdicts[title] == ("boilerplate:title", None) else None


def decide(page: Page, model: Model | None) -> list[Verdict | None]:
    """The verdicts on a read page: not-article, or the rules', the title's and the model's
    (`model` None: rules only), with the page's main text kept."""
    if not page.furniture:  # prose with nothing page-like around it passes untouched,
        out = [None] * len(page.features)  # but for a Markdown title heading
        if page.title is not None and page.features[page.title].kind == "h":
            out[page.title] = ("boilerplate:title", None)
        return out
    if not any(page.prose):
        return [(NOT_ARTICLE, None)] * len(page.features)
    out: list[Verdict | None] = [(r, None) if r else None for r in page.reasons]
    if page.title is not None:
        out[page.title] = ("boilerplate:title", None)
    if page.learned and model is not None:
        probabilities = model.probabilities(page.vectors(), page.decided(), np.array([f.words for f in page.features]),
                                            np.array(page.prose, dtype=bool))
        for i, (c, p) in enumerate(zip(page.context, probabilities.tolist())):
            if p != p or out[i] is not None:  # NaN: decided by a rule, or the model abstains
                continue
            where = "before-article" if c.before_main else "after-article" if c.after_main else "in-article-furniture"
            if p < model.threshold - (IN_ARTICLE_MARGIN if where == "in-article-furniture" else 0.0):
                out[i] = ("boilerplate:" + where, 1.0 - p)
    keep_main_text(page, out)
    return out


def keep_main_text(page: Page, out: list[Verdict | None]) -> None:
    """A document that holds prose keeps its main text when boilerplate would take all its prose."""
    prose = [i for i, p in enumerate(page.prose) if p]
    if not prose or any(out[i] is None for i in prose):
        return
    for i in prose:
        if page.context[i].in_main:
            out[i] = None


def has_furniture(features: list[LineFeatures], reasons: list[str | None]) -> bool:
    """Whether the text is a page with furniture around its text. Strong evidence: form
    controls, MIN_TEMPLATE_BLOCKS site-template blocks, a title glued to a site name or printed
    twice, two menus or link lists (a header and a footer) or one of LONG_MENU blocks. Weaker,
    as a writer's own text can have one of them (a short list, a line trailing off in an
    ellipsis, a dateline, a heading other texts share): two kinds of a short menu, a short link
    list, a site-template block, teaser runs, label links, media captions and time stamps."""
    fired = set(reasons) | ({"boilerplate:timestamp"} if any(f.timestamp for f in features) else set())
    if reasons.count("boilerplate:site-template") >= MIN_TEMPLATE_BLOCKS:
        return True
    if fired & _STRONG_RULES or len(fired & _WEAK_RULES) >= 2:
        return True
    if any(f.kind == "form" for f in features):
        return True
    menus = menu_runs(features)
    links = _runs(link_lists(features, [False] * len(features)))
    if len(menus) + len(links) >= 2 or any(b - a >= LONG_MENU for a, b in menus + links):
        return True
    kinds = len(fired & _WEAK_RULES) + bool(menus) + bool(links)
    return kinds >= 2


def menu_runs(features: list[LineFeatures]) -> list[tuple[int, int]]:
    """(first, end) of the menus: runs of MENU_RUN or more short title-case or link blocks, but
    not a list the text introduces ("... were these:") or holds (a paragraph right before and
    right after it): a list of names, trees or ingredients in an essay is no menu."""
    def prose(i: int) -> bool:
        return 0 <= i < len(features) and features[i].words >= 10 and features[i].ends_sentence

    out = []
    for a, b in _runs([i for i, m in enumerate(menu_blocks(features)) if m]):
        introduced = a > 0 and features[a - 1].ends_colon
        held = prose(a - 1) and prose(b)  # a paragraph right before and right after it
        if not (introduced or held):
            out.append((a, b))
    return out


def _runs(indices: list[int]) -> list[tuple[int, int]]:
    """Runs of consecutive indices, as (first, last + 1)."""
    out: list[tuple[int, int]] = []
    for i in indices:
        if out and out[-1][1] == i:
            out[-1] = (out[-1][0], i + 1)
        else:
            out.append((i, i + 1))
    return out


def link_lists(features: list[LineFeatures], prose: list[bool]) -> list[int]:
    """The blocks of runs of LINK_LIST_RUN or more blocks that are mostly link text."""
    out: list[int] = []
    run: list[int] = []
    for i, f in enumerate(features + [None]):
        if f is not None and f.link_share >= 0.5 and not prose[i]:
            run.append(i)
            continue
        if len(run) >= LINK_LIST_RUN:
            out += run
        run = []
    return out


def match_title(features: list[LineFeatures], reasons: list[str | None], title: str) -> int | None:
    """The first of the top lines that repeats a known title (or the title without a site name)."""
    wanted = "".join(ch for ch in title.casefold() if ch.isalnum())
    if len(wanted) < 8:
        return None
    for i, f in enumerate(features[:5]):
        if reasons[i] is None and f.alone and f.alnum and (f.alnum == wanted or (len(f.alnum) >= 12 and f.alnum in wanted)):
            return i
    return None


def _title_like(f: LineFeatures) -> bool:
    return (f.alone and f.kind in ("p", "h") and 3 <= f.words <= 30
            and not (f.ends_sentence or f.timestamp or f.label or f.separators))


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
    headings = [i for i in candidates if features[i].kind == "h"]
    return (headings or candidates)[-1]


def apply_rules(features: list[LineFeatures], cfg: BoilerplateConfig, templates: list[bool] | None,
                prose: list[bool], context: list[LineContext]) -> tuple[list[str | None], set[int]]:
    """The named rules only: a reason per block (None where no rule fired), and the blocks that
    title variants repeat (title evidence)."""
    reasons: list[str | None] = [None] * len(features)

    def mark(i: int, rule: str) -> None:
        if reasons[i] is None:
            reasons[i] = "boilerplate:" + rule

    if templates:
        for i in site_template_blocks(features, templates, prose):
            mark(i, "site-template")

    for i in link_lists(features, prose):
        if not context[i].in_main:
            mark(i, "link-list")
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


def site_template_blocks(features: list[LineFeatures], templates: list[bool], prose: list[bool]) -> list[int]:
    """The template-flagged blocks that are furniture (menus, footers, notices): in the page's
    head or tail (around its own text), or in a run of template blocks inside it. Spared: prose
    (a text several documents share is a matter for duplicate removal, which keeps the first
    copy), and a lone shared block between the page's own blocks (a heading that a folder of
    essays shares is structure). A page made only of template blocks is a copy: left to
    duplicate removal too."""
    own = [i for i, (t, f) in enumerate(zip(templates, features)) if not t and f.words]
    if not own:
        return []
    first, last = own[0], own[-1]
    n = len(features)
    out = []
    for i, t in enumerate(templates):
        if not t or prose[i]:
            continue
        inside = first < i < last
        in_run = (i > 0 and templates[i - 1]) or (i + 1 < n and templates[i + 1])
        if not inside or in_run:
            out.append(i)
    return out


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
