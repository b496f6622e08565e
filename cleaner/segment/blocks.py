"""Lines -> blocks: a paragraph, a heading, a list item, a table row, a code block, whatever the
layout (see layout.py) the scraper left the text in.

Consecutive lines form one block when the layout says they belong together: a hard-wrapped
line that was full runs on into the next one at the same text column (or a paragraph's
indented first line into lines at the margin); Markdown paragraphs run on until a blank line,
a marker or a hard break; in raw DOM text an inline element cut onto its own line runs on
(white space at the cut, or a line that starts in lower case or with punctuation; see
`_inline_cut`). A marker
(bullet, number, heading, quote, table row, rule) always starts a block. Blocks partition the
whole text: block i runs from the start of its first line to the start of the next block, so
removing a block also removes the blank space after it and restore stays exact.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..model import Block
from .layout import LINES, Layout, detect_layout
from .lines import Line, first_word_width, set_markers, split_lines
from .markup import is_form_line, is_image_line, plain_text

_SPACE = re.compile(r"\s+")
_FENCE = re.compile(r"(?:```|~~~)")
_CONTINUING_PUNCT = frozenset(",.;:!?)]}’”'\"%…-–—")
_KIND_OF_MARKER = {"heading": "h", "bullet": "li", "number": "li", "table": "tr", "quote": "q", "rule": "hr",
                   "fence": "code", "": "p"}
WRAP_SLACK = 3
FRONT_MATTER_LINES = 200
_YAML_LINE = re.compile(r"\s*(?:[\w-]+\s*:|-\s)")
_CLOSED_KINDS = frozenset({"h", "hr", "img", "form", "meta"})  # one line each
_HEADER_LINKS = re.compile(r"#[a-z]+(?:\s|$)")


@dataclass(frozen=True)
class Segmentation:
    layout: Layout
    blocks: list[Block]


@dataclass
class _Open:
    first: int  # line indices
    last: int
    kind: str
    text_col: int
    closed: bool = False


def segment(text: str, hints: list[str] | None = None) -> Segmentation:
    """The text's layout and its blocks. `hints` (from HTML extraction) gives a kind per
    non-blank line; such text has one block a line."""
    lines = split_lines(text)
    layout = LINES if hints is not None else detect_layout(text, lines)
    set_markers(text, lines, layout.markdown, layout.browser)
    groups = _group(text, lines, layout) if hints is None else _one_a_line(lines, hints)
    return Segmentation(layout, _blocks(text, lines, groups, layout))


def split_blocks(text: str, hints: list[str] | None = None) -> list[Block]:
    return segment(text, hints).blocks


def _one_a_line(lines: list[Line], hints: list[str]) -> list[_Open]:
    nonblank = [i for i, ln in enumerate(lines) if not ln.blank]
    return [_Open(i, i, hints[k] if k < len(hints) else "p", lines[i].text_col) for k, i in enumerate(nonblank)]


def _fences(text: str, lines: list[Line], layout: Layout) -> dict[int, int]:
    """Opening fence line -> its closing line: a bare fence of the same kind (``` or ~~~); an
    unclosed fence is not a fence."""
    if not layout.markdown:
        return {}
    pairs: dict[int, int] = {}
    opened: tuple[int, str] | None = None
    for i, ln in enumerate(lines):
        if ln.marker != "fence":
            continue
        fence = text[ln.content_start:ln.content_start + 3]
        if opened is None:
            opened = (i, fence)
        elif fence == opened[1] and not text[ln.content_start:ln.content_end].strip("`~ "):
            pairs[opened[0]] = i
            opened = None
    return pairs


def _front_matter(text: str, lines: list[Line]) -> int | None:
    """The closing line of a YAML front matter block at the top of the text ("---", lines of
    "key: value", "---" or "..."), or None."""
    if not lines or text[lines[0].content_start:lines[0].content_end] != "---" or lines[0].indent:
        return None
    for i, ln in enumerate(lines[1:FRONT_MATTER_LINES], start=1):
        if text[ln.content_start:ln.content_end] in ("---", "...") and not ln.indent:
            inner = [x for x in lines[1:i] if not x.blank]
            keyed = sum(bool(_YAML_LINE.match(text, x.start, x.content_end)) for x in inner)
            return i if inner and keyed >= 0.5 * len(inner) else None
    return None


def _group(text: str, lines: list[Line], layout: Layout) -> list[_Open]:
    fences = _fences(text, lines, layout)
    groups: list[_Open] = []
    cur: _Open | None = None
    prev: Line | None = None
    i, n = 0, len(lines)
    if (end := _front_matter(text, lines)) is not None:  # metadata, not text: one block of its own
        cur = _Open(0, end, "meta", 0, closed=True)
        groups.append(cur)
        prev, i = lines[end], end + 1
    while i < n:
        ln = lines[i]
        if ln.blank:
            i += 1
            continue
        if i in fences:  # a code block: every line to the closing fence, blank ones included
            cur = _Open(i, fences[i], "code", ln.indent, closed=True)
            groups.append(cur)
            prev = lines[fences[i]]
            i = fences[i] + 1
            continue
        kind = _kind(text, ln, layout)
        adjacent = prev is not None and prev.next_start == ln.start
        if cur is not None and adjacent and _attaches(text, cur, ln, kind):
            cur.last = i
            if cur.kind == "p" and cur.first == i - 1 and ln.marker == "rule":
                cur.kind = "h"  # a setext heading: a line underlined with === or ---
            cur.closed = cur.closed or ln.marker == "rule"
        elif cur is not None and adjacent and _wrapped_heading(text, cur, prev, ln, kind, layout):
            cur.last = i
        elif cur is not None and adjacent and not cur.closed and _runs_on(text, cur, prev, ln, kind, layout):
            if cur.first == cur.last and ln.indent < prev.indent and cur.kind == "p":
                cur.text_col = ln.indent  # a paragraph whose first line is indented
            cur.last = i
        else:
            cur = _Open(i, i, kind, ln.text_col, closed=kind in _CLOSED_KINDS)
            groups.append(cur)
        prev = ln
        i += 1
    return groups


def _kind(text: str, ln: Line, layout: Layout) -> str:
    kind = _KIND_OF_MARKER[ln.marker]
    if kind in ("p", "li") and (layout.browser or layout.markdown or layout.width):
        content = text[ln.content_start:ln.content_end]
        if is_image_line(content, layout.browser or bool(layout.width)):  # a text browser's dump
            return "img"
        if layout.browser and is_form_line(content):
            return "form"
        if layout.browser and ln.marker == "" and _HEADER_LINKS.match(content):
            return "meta"  # lynx's line for the page's <link> elements: "#alternate Feed ..."
    return kind


def _attaches(text: str, cur: _Open, ln: Line, kind: str) -> bool:
    """A line that is part of the block above it without being text: a setext underline under
    a one-line paragraph, a Markdown table's separator row."""
    if kind == "hr":
        return cur.kind == "p" and cur.first == cur.last and not cur.closed
    if kind == "tr" and cur.kind == "tr":
        return not any(ch.isalnum() for ch in text[ln.content_start:ln.content_end])
    return False


def _runs_on(text: str, cur: _Open, a: Line, b: Line, kind: str, layout: Layout) -> bool:
    """Whether line b continues the block whose last line is a."""
    if kind != "p":
        if kind == "q" and cur.kind == "q":
            return True
        # In wrapped text a full line can push a "-" or "*" that was a dash into a new line.
        return kind == "li" and bool(layout.width) and cur.kind == "p" and b.indent == cur.text_col and \
            b.marker == "bullet" and _full(text, a, b, layout.width)
    if cur.kind in ("p", "li", "q") and _inline_cut(text, a, b, layout):
        return True
    if layout.markdown:
        hard_break = text[a.content_end:a.next_start].startswith("  ") or text[a.content_end - 1] == "\\"
        return cur.kind in ("p", "li", "q") and not hard_break
    if layout.width:
        column = b.indent == cur.text_col or (cur.first == cur.last and cur.kind == "p" and b.indent < a.indent)
        if column and _full(text, a, b, layout.width):
            return True
    return False


def _wrapped_heading(text: str, cur: _Open, a: Line, b: Line, kind: str, layout: Layout) -> bool:
    """A one-line (ATX) heading that a wrapper cut: b goes on with it (html2text wraps headings)."""
    return (cur.kind == "h" and cur.first == cur.last and a.marker == "heading" and kind == "p"
            and bool(layout.width) and _full(text, a, b, layout.width))


def _inline_cut(text: str, a: Line, b: Line, layout: Layout) -> bool:
    """Line b goes on with a's sentence where an inline element was cut onto a line of its own
    (as DOM text and some converters leave it): b runs on in lower case or with punctuation,
    after a line ending in white space or with one space of its own; in DOM text, either sign
    suffices."""
    first = text[b.content_start]
    runs_on = first.islower() or first in _CONTINUING_PUNCT
    if b.indent > 1:
        return False
    if a.trailing_space and layout.cut_spaces and (layout.dom or runs_on):
        return True
    return runs_on and (b.indent == 1 or layout.dom)


def _full(text: str, a: Line, b: Line, width: int) -> bool:
    """Line a was cut by the wrapper: b's first word would not have fitted after it (within
    WRAP_SLACK columns: lynx counts a curly quote's bytes, not its one column)."""
    return a.width + 1 + first_word_width(text, b) > width - WRAP_SLACK


def _blocks(text: str, lines: list[Line], groups: list[_Open], layout: Layout) -> list[Block]:
    blocks = []
    one_a_line = not (layout.width or layout.markdown or layout.dom)
    for k, g in enumerate(groups):
        first, last = lines[g.first], lines[g.last]
        start = 0 if k == 0 else first.start
        end = lines[groups[k + 1].first].start if k + 1 < len(groups) else len(text)
        members = [ln for ln in lines[g.first:g.last + 1] if not ln.blank]
        if g.kind == "code":
            pieces = [text[ln.content_start:ln.content_end] for ln in members[1:-1]]
        else:
            pieces = [text[ln.text_start:ln.content_end] for ln in members if ln.marker != "rule"]
        plain, links = plain_text(pieces, layout.markdown, layout.browser)
        if g.kind == "img" and not plain:
            plain = _SPACE.sub(" ", text[first.content_start:first.content_end]).strip("[]! ")
        # Stands alone: a heading, or one line with blank lines (or the text's ends) around it.
        alone = g.kind == "h" or g.first == g.last and (one_a_line or (
            (k == 0 or lines[groups[k - 1].last].next_start != first.start) and
            (k + 1 == len(groups) or last.next_start != lines[groups[k + 1].first].start)))
        blocks.append(Block(k, start, end, first.content_start, last.content_end, g.kind, plain, links, alone))
    return blocks


def pack_segmentation(text: str, seg: Segmentation) -> tuple:
    """A segmentation of `text` in a compact form to carry between passes (pickling the Block
    objects costs several times more, and doubles a spooled document: a block's words are
    nearly always the text between its content offsets, and are then left out)."""
    offsets = np.array([(b.start, b.end, b.content_start, b.content_end) for b in seg.blocks], dtype=np.int64)
    words = [None if b.text == text[b.content_start:b.content_end] else b.text for b in seg.blocks]
    return (text, seg.layout, offsets.reshape(-1, 4), [b.kind for b in seg.blocks], words,
            [b.link_share for b in seg.blocks], bytes(b.alone for b in seg.blocks))


def unpack_segmentation(text: str, packed: tuple) -> Segmentation | None:
    """The segmentation packed, or None when it was packed for another text (a Document whose
    text was changed after pass 1). The text is packed too: pickled with its document, it is
    one object, stored once."""
    packed_text, layout, offsets, kinds, words, links, alone = packed
    if packed_text is not text and packed_text != text:
        return None
    return Segmentation(layout, [Block(k, s, e, cs, ce, kind, text[cs:ce] if w is None else w, link, bool(a))
                                 for k, ((s, e, cs, ce), kind, w, link, a)
                                 in enumerate(zip(offsets.tolist(), kinds, words, links, alone))])
