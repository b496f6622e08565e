"""Features of one block of text. Only shape is looked at: length, punctuation, case,
stopwords, time stamps, links, the block's kind, never particular phrases."""
from __future__ import annotations

import re
from itertools import islice
from dataclasses import dataclass

from ..model import Block

# Ends like a sentence: terminal punctuation, possibly inside closing quotes or brackets.
_END_MARKS = tuple(".!?:;。！？")
_CLOSERS = "\"'”’»)]"
# "LABEL: Linked headline": an all-caps label of three letters or more ("SEE ALSO", "WATCH"),
# a colon, then text. A one- or two-letter label is a speaker in a transcript ("Q:", "MG:").
_LABEL = re.compile(r"^([^\W\da-z][^\Wa-z]{2,}(?:[ '&-][^\Wa-z]+){0,3}):\s+\S")
# A sentence followed by a bare media duration ("... investigation. 2:26").
_MEDIA_DURATION = re.compile(r"""[.!?]["'”’]?\s+\d{1,2}:\d{2}(:\d{2})?$""")
_TIME_TOKEN = re.compile(r"[^\W\d_]+|\d+")
# Words that, with numbers, make up a date or time stamp ("19 mins ago", "Nov. 20, 2019 10:32 am ET").
_TIME_WORDS = frozenset("""
jan january feb february mar march apr april may jun june jul july aug august sep sept september
oct october nov november dec december mon monday tue tues tuesday wed wednesday thu thur thurs
thursday fri friday sat saturday sun sunday am pm a m p et est edt ct cst cdt pt pst pdt gmt utc
cet cest bst ist ago sec secs second seconds min mins minute minutes hr hrs hour hours day days
week weeks month months year years yr yrs h d w updated posted published modified at on last
""".split())
_WORD = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")
_ASCII_UPPER = re.compile("[A-Z]")
_NOT_ALNUM = re.compile(r"[\W_]+")
_ASCII_NOT_ALNUM = bytes(c for c in range(128) if not chr(c).isalnum())
_SEPARATORS = re.compile(r"[|•·»«©®™►▶◄→←]")
# Scripts written without spaces between words: Han, kana, Thai, Lao, Khmer, Myanmar.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]")
_CHARS_PER_WORD = 2  # an unspaced script's characters per word, roughly


@dataclass(frozen=True, slots=True)
class LineFeatures:
    words: int
    chars: int
    stopword_share: float
    title_case_share: float
    upper_share: float  # words in capitals
    digit_share: float  # digits among letters and digits
    symbol_share: float  # characters that are neither letters, digits nor spaces
    mean_word_length: float
    ends_sentence: bool
    ends_colon: bool  # introduces what follows ("... were these:")
    ellipsis: bool
    timestamp: bool
    label: bool  # "LABEL: text" without sentence end (a cross-link)
    media_duration: bool
    separators: bool  # |, •, ©, » and the like: menus, breadcrumbs, footers
    alnum: str  # case-folded letters and digits only, for comparing lines
    content_words: frozenset[str]  # lower-cased words of 3+ letters that are not stopwords
    kind: str  # the block's kind (see Block): h, p, li, tr, q, code, hr, img, form, meta
    link_share: float = 0.0  # share of the block's characters that are link text or URLs
    alone: bool = True  # one line standing alone, or a heading (what a title looks like)


def block_features(block: Block, stopwords: frozenset[str]) -> LineFeatures:
    """The features of a block, from its words without the layout's markup."""
    return line_features(block.text, stopwords, block.kind, block.link_share, block.alone)


def line_features(line: str, stopwords: frozenset[str], kind: str = "p", link_share: float = 0.0,
                  alone: bool = True) -> LineFeatures:
    words = _WORD.findall(line)
    lower = list(map(str.lower, words))
    alpha = [w for w in words if w[0].isalpha()]
    firsts = "".join([w[0] for w in alpha])
    n = word_count(line, words)
    # The end-anchored patterns, without scanning the whole line: `$` is the end or before a
    # last newline; closing quotes and brackets may follow the end mark.
    tail = line[:-1] if line.endswith("\n") else line
    bare = tail.rstrip(_CLOSERS)
    ellipsis = bare.endswith(("...", "…"))
    ends = bare.endswith(_END_MARKS)
    alnum = folded_alnum(line)
    visible = sum(map(len, line.split()))  # (regex \s is str.isspace(), as split's)
    return LineFeatures(
        words=n,
        chars=len(line),
        stopword_share=sum(map(stopwords.__contains__, lower)) / len(words) if words else 0.0,
        title_case_share=_count_upper(firsts) / len(alpha) if alpha else 0.0,
        upper_share=(sum(map(str.isupper, alpha)) - sum(map(str.isupper, [w for w in alpha if len(w) == 1])))
        / len(alpha) if alpha else 0.0,  # words in capitals, one-letter words not counted
        digit_share=_count_digits(alnum) / len(alnum) if alnum else 0.0,
        symbol_share=(visible - len(alnum)) / visible if visible else 0.0,
        mean_word_length=len(alnum) / n if n else 0.0,
        ends_sentence=ends and not ellipsis,
        ends_colon=line.rstrip().endswith((":", "：")),
        ellipsis=ellipsis,
        timestamp=is_timestamp(line),
        label=bool(_LABEL.match(line)) and not ends,
        media_duration=tail[-1:].isdigit() and bool(_MEDIA_DURATION.search(line)),
        separators=bool(_SEPARATORS.search(line)),
        alnum=alnum,
        content_words=frozenset(w for w in set(lower).difference(stopwords) if len(w) >= 3 and w.isalpha()),
        kind=kind,
        link_share=link_share,
        alone=alone,
    )


def _count_upper(chars: str) -> int:
    if chars.isascii():
        return len(_ASCII_UPPER.findall(chars))
    return sum(map(str.isupper, chars))


def _count_digits(chars: str) -> int:
    if chars.isascii():
        return sum(map(chars.count, "0123456789"))
    return sum(map(str.isdigit, chars))


def folded_alnum(line: str) -> str:
    """The line's letters and digits, case folded (how lines are compared)."""
    if line.isascii():  # at C speed
        return line.lower().encode("ascii").translate(None, _ASCII_NOT_ALNUM).decode("ascii")
    return _NOT_ALNUM.sub("", line.casefold())  # (regex \w is str.isalnum() and "_")


def word_count(line: str, words: list[str] | None = None) -> int:
    """Words in the line; in scripts written without spaces, characters stand in for words."""
    words = _WORD.findall(line) if words is None else words
    if not _UNSPACED.search(line):
        return len(words)
    unspaced = len(_UNSPACED.findall(line))
    spaced = sum(1 for w in words if not _UNSPACED.search(w))
    return spaced + -(-unspaced // _CHARS_PER_WORD)


def is_timestamp(line: str) -> bool:
    """A line that is only a date, a time or a relative time ("19 mins ago"); a lone number is
    not one (it is more often a list or section number)."""
    if not (_DIGIT.search(line) if line.isascii() else any(map(str.isdigit, line))):
        return False  # no number (beyond ASCII, str.isdigit also takes "²" and "①", as below)
    tokens = [m.group() for m in islice(_TIME_TOKEN.finditer(line.lower()), 13)]  # (13 is already too many)
    numbers = sum(t.isdigit() for t in tokens)
    if not tokens or len(tokens) > 12 or not numbers or len(tokens) == 1:
        return False
    return all(t.isdigit() or t in _TIME_WORDS for t in tokens)
