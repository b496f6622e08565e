"""Sentences inside a block, as character offsets into the text, and the spans that cut runs
of sentences out of a block while leaving a readable paragraph."""
from __future__ import annotations

import re


# A sentence ends at . ! ? or an ellipsis, optionally followed by closing quotes or brackets,
# when white space and then something that can start a sentence follow.
_BOUNDARY = re.compile(r"""([.!?…]+)(["'”’»)\]]*)(\s+)(?=["“‘«(\[]?[\w¿¡])""")
# Scripts without spaces end sentences with their own full stops.
_CJK_BOUNDARY = re.compile(r"[。！？]+[」』”）]*")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st sr jr gen col lt sgt capt cmdr gov sen rep rev hon pres vs etc inc ltd co "
    "corp jan feb mar apr jun jul aug sep sept oct nov dec no nos fig vol pp approx dept est univ".split()
)


def split_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Content spans of the sentences in text[start:end] (which should be stripped)."""
    spans = []
    pos = start
    segment = text[start:end]
    for m in _BOUNDARY.finditer(segment):
        if m.group(1) == "." and _is_abbreviation(segment, m.start(1)):
            continue
        cut = start + m.end(2)
        if cut > pos:
            spans.append((pos, cut))
        pos = start + m.end(3)
    if pos < end:
        spans.append((pos, end))
    if not _CJK_BOUNDARY.search(segment):
        return [s for s in spans if s[1] > s[0]]
    return [s for span in spans for s in _split_cjk(text, *span)]


def _is_abbreviation(segment: str, dot: int) -> bool:
    """True when the word before the full stop at `dot` is an initial or a known abbreviation."""
    i = dot
    while i > 0 and segment[i - 1].isalpha():
        i -= 1
    word = segment[i:dot]
    if len(word) == 1:  # an initial, or the U.S.-style letter-dot chain
        return True
    return word.casefold() in _ABBREVIATIONS


def _split_cjk(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans, pos = [], start
    for m in _CJK_BOUNDARY.finditer(text, start, end):
        if m.end() < end:
            spans.append((pos, m.end()))
            pos = m.end()
            while pos < end and text[pos].isspace():
                pos += 1
    spans.append((pos, end))
    return [s for s in spans if s[1] > s[0]]


def removal_spans(sentences: list[tuple[int, int]], removed: list[bool]) -> list[tuple[int, int, int, int]]:
    """Spans that cut runs of removed sentences out of one block, taking the white space on
    one side so the remaining sentences still read as a paragraph.

    Returns (start, end, first_sentence, last_sentence) per run. A run covering the whole block is
    not handled here: the caller removes the block itself.
    """
    runs, i, n = [], 0, len(sentences)
    while i < n:
        if not removed[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and removed[j + 1]:
            j += 1
        if i == 0:  # leading run: take the space after it
            runs.append((sentences[0][0], sentences[j + 1][0], i, j))
        else:  # take the space before it
            runs.append((sentences[i - 1][1], sentences[j][1], i, j))
        i = j + 1
    return runs
