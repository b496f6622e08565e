"""Which layout a text is in, detected from the text alone (never from a file name).

The traits are independent and a text can have several (html2text writes wrapped Markdown,
lynx writes wrapped text-browser dumps):
  width     lines are hard-wrapped at this many columns: many lines end close under one width,
            and most lines that run on into the next are full (the next line's first word would
            not have fitted), as a greedy wrapper leaves them;
  markdown  headings, fences, tables, links or images in Markdown syntax;
  browser   a text browser's marks: (BUTTON), [IMG], form fields drawn with underscores, lines
            that are only a bracketed image file name;
  dom       raw DOM text (BeautifulSoup's get_text): runs of blank lines between elements, and
            inline elements cut onto lines of their own.
The name given in `meta.layout` is the most specific trait: markdown, text-browser, dom, wrapped,
else lines (one block a line).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .lines import Line, first_word_width
from .markup import is_image_line

_MD_LINE = re.compile(r"#{1,6}\s+\S|```|~~~|\|?\s*:?-{3,}:?\s*\|")  # at the margin: lynx indents # bullets
_MD_INLINE = re.compile(r"!?\[[^\]\n]{1,500}\]\([^)\s]{1,2000}\)|\*\*\S[^*\n]{0,200}\*\*")
_SETEXT = re.compile(r" {0,3}(?:=+|-+)\s*$")
_BROWSER = re.compile(r"\(BUTTON\)|\[(?:IMG|INLINE|LINK|EMBED|OBJECT|FIGURE|BUTTON Input)\]|_{12,}")
_ENDS = re.compile(r"[.!?…。！？]")
_COLUMNS = re.compile(r"\S {3,}\S")

WALL = 12  # columns under the wrap width within which a wrapped line ends
MIN_WRAPPED_PAIRS = 2
MIN_WIDTH, MAX_WIDTH = 30, 250
SAMPLE_LINES = 5000  # lines looked at for the Markdown and browser traits


@dataclass(frozen=True)
class Layout:
    name: str
    width: int | None = None
    markdown: bool = False
    browser: bool = False
    dom: bool = False
    cut_spaces: bool = True  # a line's trailing white space can mark an inline cut


LINES = Layout("lines")


def detect_layout(text: str, lines: list[Line]) -> Layout:
    nonblank = [ln for ln in lines if not ln.blank]
    if not nonblank:
        return LINES
    sample = nonblank[:SAMPLE_LINES]
    md = sum(1 for ln in sample if _MD_LINE.match(text, ln.start, ln.content_end))
    md += sum(1 for a, b in zip(sample, sample[1:])
              if b.start == a.next_start and _SETEXT.match(text, b.start, b.content_end) and not _SETEXT.match(text, a.start, a.content_end))
    inline = sum(1 for ln in sample if _MD_INLINE.search(text, ln.content_start, ln.content_end))
    markdown = md >= 2 or (md >= 1 and inline >= 1) or inline >= max(3, len(sample) // 20)
    browser_marks = sum(1 for ln in sample if _BROWSER.search(text, ln.content_start, ln.content_end)
                        or is_image_line(text[ln.content_start:ln.content_end]))
    browser = browser_marks >= 2
    run = blank_runs = 0
    for ln in lines:
        if ln.blank:
            run += 1
            continue
        blank_runs += run >= 3
        run = 0
    # White space at the end of a line marks an inline cut, unless (nearly) every line has it.
    cut_spaces = sum(ln.trailing_space for ln in nonblank) <= 0.9 * len(nonblank)
    cuts = sum(1 for a, b in zip(lines, lines[1:]) if not a.blank and not b.blank and
               ((cut_spaces and a.trailing_space) or (b.indent == 1 and b.content_start == b.start + 1)))
    dom = blank_runs >= max(3, len(nonblank) // 20) or cuts >= max(5, 0.3 * len(nonblank))
    width = wrap_width(text, lines)
    name = ("markdown" if markdown else "text-browser" if browser else "dom" if dom
            else "wrapped" if width else "lines")
    return Layout(name, width, markdown, browser, dom, cut_spaces)


def wrap_width(text: str, lines: list[Line]) -> int | None:
    """The width the text is hard-wrapped at, or None.

    A greedy wrapper leaves a line that runs on into the next full: the next line's first word
    would not have fitted after it, and the cut is mostly mid-sentence (a list of teasers cut at
    a fixed length ends each line with an ellipsis instead). Each such pair of lines votes for
    the widths it is consistent with; the width with most votes, few lines past it and many
    lines ending close under it, is the wall."""
    widths = [ln.width for ln in lines if ln.width >= 20]
    if len(widths) < 4:
        return None
    votes = [0] * (MAX_WIDTH + 2)
    voters = 0
    for a, b in zip(lines, lines[1:]):
        if a.blank or b.blank or a.width < MIN_WIDTH - WALL or a.width > MAX_WIDTH:
            continue
        if _ENDS.match(text, a.content_end - 1) or _COLUMNS.search(text, a.content_start, a.content_end):
            continue  # a sentence end, or a table row laid out in columns
        lo, hi = a.width, min(a.width + first_word_width(text, b), a.width + WALL, MAX_WIDTH)
        votes[lo] += 1
        votes[hi + 1] -= 1
        voters += 1
    if voters < MIN_WRAPPED_PAIRS:  # no width can get enough votes
        return None
    for w in range(1, len(votes)):
        votes[w] += votes[w - 1]
    counts = [0] * (MAX_WIDTH + 2)
    for w in widths:
        counts[min(w, MAX_WIDTH + 1)] += 1
    below = [0]
    for c in counts:
        below.append(below[-1] + c)  # below[w]: lines narrower than w
    n = len(widths)

    def over(w: int) -> int:
        return n - below[w + 1]

    width = max(range(MIN_WIDTH, MAX_WIDTH + 1), key=lambda w: (votes[w] - 2 * over(w), -w))
    near = below[width + 1] - below[width - WALL]
    if votes[width] < MIN_WRAPPED_PAIRS or over(width) > 0.1 * n or near < 0.1 * n:
        return None
    # A wrapper leaves lines of many widths under the wall; a list of items of one length does not.
    spread = len({w for w in widths if width - WALL <= w <= width})
    return width if spread >= min(3, votes[width]) else None
