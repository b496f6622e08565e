"""Physical lines of a text, with offsets, indentation, display width and leading marker.

Line ends are `\\n`, `\\r\\n` and a lone `\\r`. Widths are display columns (a wide East Asian
character takes two, a tab runs to the next multiple of 8), as the text browsers that wrapped
the text counted them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_WIDE = re.compile("[\u1100-\u115f\u2e80-\u303e\u3041-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f"
                   "\uff00-\uff60\uffe0-\uffe6\U0001f300-\U0001f64f\U0001f900-\U0001f9ff\U00020000-\U0003fffd]")
# A word: a run without spaces, or one character of a script written without spaces.
_UNSPACED = "\u2e80-\u303e\u3041-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uff60"
_FIRST_WORD = re.compile(f"[{_UNSPACED}]|[^\\s{_UNSPACED}]+")

# Leading markers. Which apply depends on the layout (see `markers`).
_BULLET = re.compile(r"[*+\-•·▪◦‣●○■□►▸](?:\s+|$)")
_BROWSER_BULLET = re.compile(r"[o#@](?:\s+|$)")  # lynx marks deeper list levels with o, #, @
_NUMBER = re.compile(r"\d{1,3}[.)]\s+(?=\S)")
_ATX = re.compile(r"#{1,6}(?:\s+|$)")
_QUOTE = re.compile(r">\s?")
_FENCE = re.compile(r"(?:```|~~~)")
_TABLE = re.compile(r"\|")
_RULE = re.compile(r"(?:[-*_=]\s*){3,}$")


@dataclass(slots=True)
class Line:
    start: int  # offset of the line's first character
    content_start: int  # first character that is not white space
    content_end: int  # after the last character that is not white space (== content_start: blank)
    next_start: int  # offset of the next line (after this line's end)
    indent: int  # display columns of leading white space
    width: int  # display columns up to content_end
    trailing_space: bool  # white space between the content and the line end (an inline cut in DOM text)
    marker: str = ""  # bullet, number, heading, quote, fence, table, rule ("" for none)
    text_start: int = 0  # offset where the text after the marker starts
    text_col: int = 0  # display column of text_start

    @property
    def blank(self) -> bool:
        return self.content_start == self.content_end


def display_width(s: str) -> int:
    if "\t" in s:
        col = 0
        for part in s.split("\t")[:-1]:
            col = (col + len(part) + len(_WIDE.findall(part))) // 8 * 8 + 8
        last = s.rsplit("\t", 1)[1]
        return col + len(last) + len(_WIDE.findall(last))
    return len(s) + len(_WIDE.findall(s))


def split_lines(text: str) -> list[Line]:
    """Every line of `text`, blank ones included, in order."""
    out = []
    for m in _LINE.finditer(text):
        start, raw = m.start(), m.group()
        body = raw.rstrip("\r\n")
        stripped = body.strip()
        lead = len(body) - len(body.lstrip())
        cs = start + lead
        ce = cs + len(stripped)
        indent = display_width(body[:lead]) if lead else 0
        width = indent + display_width(stripped) if stripped else 0
        out.append(Line(start, cs, ce, m.end(), indent, width, bool(stripped) and len(body.rstrip()) < len(body),
                        "", cs, indent))
    return out


def first_word_width(text: str, line: Line) -> int:
    m = _FIRST_WORD.match(text, line.text_start)
    return display_width(m.group()) if m and m.start() < line.content_end else 0


def set_markers(text: str, lines: list[Line], markdown: bool, browser: bool) -> None:
    """Fill each line's marker and where its text starts. Bullets and numbers in every layout;
    headings, quotes, fences and tables in Markdown; lynx's o/#/@ bullets in browser dumps."""
    for line in lines:
        if line.blank:
            continue
        pos, end = line.content_start, line.content_end
        kind, m = "", None
        if _RULE.match(text, pos, end) and not re.search(r"\w", text[pos:end]):
            kind = "rule"
        elif markdown and line.indent == 0 and (m := _ATX.match(text, pos, end)):
            kind = "heading"
        elif markdown and (m := _FENCE.match(text, pos, end)):
            kind, m = "fence", None
        elif markdown and _TABLE.match(text, pos, end):
            kind = "table"
        elif markdown and (m := _QUOTE.match(text, pos, end)):
            kind = "quote"
        elif (m := _BULLET.match(text, pos, end)) or (browser and (m := _BROWSER_BULLET.match(text, pos, end))):
            kind = "bullet"
        elif m := _NUMBER.match(text, pos, end):
            kind = "number"
        line.marker = kind
        if m is not None:
            line.text_start = min(m.end(), end)
            line.text_col = line.indent + display_width(text[pos:line.text_start])
