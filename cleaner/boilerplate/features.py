"""Features of one block of text. Only shape is looked at: length, punctuation, case,
stopwords, time stamps, links, the block's kind, never particular phrases."""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..model import Block

# Ends like a sentence: terminal punctuation, possibly inside closing quotes or brackets.
_ENDS_SENTENCE = re.compile(r"""[.!?:;。！？]["'”’»)\]]*$""")
_ELLIPSIS = re.compile(r"""(\.\.\.|…)["'”’»)\]]*$""")
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
_NOT_ALNUM = re.compile(r"[\W_]+")
_SPACES = re.compile(r"\s+")
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
    n = word_count(line, words)
    ends = bool(_ENDS_SENTENCE.search(line))
    ellipsis = bool(_ELLIPSIS.search(line))
    alnum = _NOT_ALNUM.sub("", line.casefold())  # (regex \w is str.isalnum() and "_")
    visible = len(line) - sum(map(len, _SPACES.findall(line)))  # (regex \s is str.isspace())
    return LineFeatures(
        words=n,
        chars=len(line),
        stopword_share=sum(map(stopwords.__contains__, lower)) / len(words) if words else 0.0,
        title_case_share=sum(w[0].isupper() for w in alpha) / len(alpha) if alpha else 0.0,
        upper_share=sum(w.isupper() and len(w) > 1 for w in alpha) / len(alpha) if alpha else 0.0,
        digit_share=sum(map(str.isdigit, alnum)) / len(alnum) if alnum else 0.0,
        symbol_share=(visible - len(alnum)) / visible if visible else 0.0,
        mean_word_length=len(alnum) / n if n else 0.0,
        ends_sentence=ends and not ellipsis,
        ends_colon=line.rstrip().endswith((":", "：")),
        ellipsis=ellipsis,
        timestamp=is_timestamp(line),
        label=bool(_LABEL.match(line)) and not ends,
        media_duration=bool(_MEDIA_DURATION.search(line)),
        separators=bool(_SEPARATORS.search(line)),
        alnum=alnum,
        content_words=frozenset(w for w in set(lower).difference(stopwords) if len(w) >= 3 and w.isalpha()),
        kind=kind,
        link_share=link_share,
        alone=alone,
    )


def word_count(line: str, words: list[str] | None = None) -> int:
    """Words in the line; in scripts written without spaces, characters stand in for words."""
    words = _WORD.findall(line) if words is None else words
    unspaced = len(_UNSPACED.findall(line))
    if not unspaced:
        return len(words)
    spaced = sum(1 for w in words if not _UNSPACED.search(w))
    return spaced + -(-unspaced // _CHARS_PER_WORD)


def is_timestamp(line: str) -> bool:
    """A line that is only a date, a time or a relative time ("19 mins ago"); a lone number is
    not one (it is more often a list or section number)."""
    tokens = _TIME_TOKEN.findall(line.lower())
    numbers = sum(t.isdigit() for t in tokens)
    if not tokens or len(tokens) > 12 or not numbers or len(tokens) == 1:
        return False
    return all(t.isdigit() or t in _TIME_WORDS for t in tokens)
