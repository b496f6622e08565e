"""Page-level context for each line: where the article's prose is, and how a line relates to it.

Prose lines (see `classifier.is_prose`) are grouped into clusters: runs of lines in which no
`CLUSTER_GAP` consecutive non-prose lines occur. The cluster with the most prose words is the
main text, a cluster's words counting less the lower it starts on the page (down to
1 - LATE_DISCOUNT at the bottom: a comment thread or a cookie notice after a short article is
no article). For every line the context says how far it is from the main text, how much prose is
around it, and how much of its vocabulary the main text shares (a privacy notice or a comment
thread is prose too, but about something else).
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from .features import LineFeatures

CLUSTER_GAP = 4
MENU_RUN = 4  # consecutive menu items that make a menu
LATE_DISCOUNT = 0.5
INSET_GAP = 8  # blocks between two parts of the main text
TOPIC_SHARE = 0.3
FILLER_KINDS = frozenset({"img", "hr", "meta"})


@dataclass(frozen=True, slots=True)
class LineContext:
    in_main: bool
    before_main: bool
    after_main: bool
    distance: float  # log(1 + lines to the main text), 0 inside it
    cluster_share: float  # share of the page's prose words in this line's cluster (0 outside clusters)
    near_prose: float  # log(1 + prose words within 3 lines, the line itself excluded)
    wide_prose: float  # log(1 + prose words within 10 lines, the line itself excluded)
    topic: float  # share of the line's content words used elsewhere in the main text
    repeated: bool  # the same line occurs elsewhere on the page
    position: float  # 0 at the top of the page, 1 at the bottom
    prev_prose: bool
    next_prose: bool
    short_near: float  # share of the blocks within 3 that are short and end no sentence (a menu, a list of links)
    in_menu: bool  # one of MENU_RUN or more consecutive short title-case or link blocks


def clusters(prose: list[bool], filler: list[bool] | None = None) -> list[tuple[int, int]]:
    """(first, last) block of each cluster of prose blocks. `filler` blocks (images, rules:
    blocks without words of their own) do not count in the gap between prose blocks."""
    out: list[tuple[int, int]] = []
    start = last = None
    gap = 0
    for i, p in enumerate(prose):
        if not p:
            gap += not (filler and filler[i])
            continue
        if start is not None and gap >= CLUSTER_GAP:
            out.append((start, last))
            start = None
        if start is None:
            start = i
        last, gap = i, 0
    if start is not None:
        out.append((start, last))
    return out


def menu_item(f: LineFeatures) -> bool:
    """Short, no sentence end, in title case or a link, and not a figure (a table is no menu)."""
    return (f.words <= 4 and not f.ends_sentence and f.digit_share < 0.2
            and (f.title_case_share >= 0.5 or f.link_share >= 0.5))


def menu_blocks(features: list[LineFeatures]) -> list[bool]:
    """The blocks in runs of MENU_RUN or more menu items."""
    out = [False] * len(features)
    i, n = 0, len(features)
    while i < n:
        j = i
        while j < n and menu_item(features[j]):
            j += 1
        if j - i >= MENU_RUN:
            out[i:j] = [True] * (j - i)
        i = max(j, i + 1)
    return out


def _main_cluster(features: list[LineFeatures], words: list[int], spans: list[tuple[int, int]]) -> int | None:
    """The cluster with the most prose words, a text the page repeats (a caption printed twice)
    counted once, and words counting less the lower the cluster starts (see the module doc) and
    in a cluster with time stamps between its paragraphs (a comment thread: halved from two on)."""
    seen: set[str] = set()
    distinct = []
    for f, w in zip(features, words):
        distinct.append(0 if f.alnum in seen else w)
        if w:
            seen.add(f.alnum)
    n = len(features)

    def stamps(a: int, b: int) -> int:  # posts each with its time: a comment thread, a feed
        return min(2, sum(features[i].timestamp for i in range(a, b + 1)))

    weight = [sum(distinct[a:b + 1]) * (1 - LATE_DISCOUNT * a / n) / (1 + stamps(a, b) / 2) for a, b in spans]
    return max(range(len(spans)), key=lambda k: (weight[k], -k)) if spans else None


def _continued(features: list[LineFeatures], prose: list[bool], spans: list[tuple[int, int]],
                main: int) -> tuple[int, int]:
    """The main cluster, extended over the clusters next to it that go on with its topic across
    a short inset (a related link, an advertisement): at most INSET_GAP blocks between them, and
    at least TOPIC_SHARE of their prose's content words used in the main cluster."""
    def vocabulary(a: int, b: int) -> set[str]:
        return set().union(*(features[i].content_words for i in range(a, b + 1) if prose[i]))

    lo, hi = spans[main]
    topic = vocabulary(lo, hi)

    def goes_on(k: int) -> bool:
        words = vocabulary(*spans[k])
        return bool(words) and len(words & topic) >= TOPIC_SHARE * len(words)

    k = main + 1
    while k < len(spans) and spans[k][0] - hi - 1 <= INSET_GAP and goes_on(k):
        hi = spans[k][1]
        k += 1
    k = main - 1
    while k >= 0 and lo - spans[k][1] - 1 <= INSET_GAP and goes_on(k):
        lo = spans[k][0]
        k -= 1
    return lo, hi


def page_context(features: list[LineFeatures], prose: list[bool]) -> list[LineContext]:
    n = len(features)
    words = [f.words if p else 0 for f, p in zip(features, prose)]
    total = sum(words) or 1
    spans = clusters(prose, [f.kind in FILLER_KINDS or not f.words for f in features])
    weight = [sum(words[a:b + 1]) for a, b in spans]
    main = _main_cluster(features, words, spans)
    lo, hi = _continued(features, prose, spans, main) if main is not None else (n, -1)
    cluster_of = [None] * n
    for k, (a, b) in enumerate(spans):
        for i in range(a, b + 1):
            cluster_of[i] = k
    # How many main-text lines use each content word.
    usage: Counter[str] = Counter()
    for i in range(max(lo, 0), hi + 1):
        usage.update(features[i].content_words)
    prefix = [0]
    for w in words:
        prefix.append(prefix[-1] + w)

    def window(i: int, r: int) -> int:
        return prefix[min(n, i + r + 1)] - prefix[max(0, i - r)] - words[i]

    counts = Counter(f.alnum for f in features)
    short = [0]
    for f in features:
        short.append(short[-1] + (f.words <= 4 and not f.ends_sentence))

    def short_share(i: int, r: int) -> float:
        lo, hi = max(0, i - r), min(n, i + r + 1)
        return (short[hi] - short[lo] - (short[i + 1] - short[i])) / max(1, hi - lo - 1)

    menu = menu_blocks(features)
    out = []
    for i, f in enumerate(features):
        inside = lo <= i <= hi
        own = 1 if inside else 0
        cw = f.content_words
        topic = sum(1 for w in cw if usage[w] - own > 0) / len(cw) if cw else 0.0
        k = cluster_of[i]
        distance = 0 if inside else (lo - i if i < lo else i - hi)
        out.append(LineContext(
            in_main=inside,
            before_main=i < lo,
            after_main=i > hi,
            distance=math.log1p(distance),
            cluster_share=weight[k] / total if k is not None else 0.0,
            near_prose=math.log1p(window(i, 3)),
            wide_prose=math.log1p(window(i, 10)),
            topic=topic,
            repeated=counts[f.alnum] > 1 and len(f.alnum) > 0,
            position=i / (n - 1) if n > 1 else 0.0,
            prev_prose=i > 0 and prose[i - 1],
            next_prose=i + 1 < n and prose[i + 1],
            short_near=short_share(i, 3),
            in_menu=menu[i],
        ))
    return out
