"""Features of one line (block) of text. Only shape is looked at: length, punctuation, case,
stopwords, time stamps, never particular phrases."""
from __future__ import annotations

import re
from dataclasses import dataclass

# Ends like a sentence: terminal punctuation, possibly inside closing quotes or brackets.
_ENDS_SENTENCE = re.compile(r"""[.!?:;。！？]["'”’»)\]]*$""")
_ELLIPSIS = re.compile(r"""(\.\.\.|…)["'”’»)\]]*$""")
# "LABEL: Linked headline": an all-caps label, a colon, then text.
_LABEL = re.compile(r"^([^\W\da-z][^\Wa-z]*(?:[ '&-][^\Wa-z]+){0,3}):\s+\S")
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


@dataclass(frozen=True)
class LineFeatures:
    words: int
    chars: int
    stopword_share: float
    title_case_share: float
    ends_sentence: bool
    ellipsis: bool
    timestamp: bool
    label: bool  # "LABEL: text" without sentence end (a cross-link)
    media_duration: bool
    alnum: str  # case-folded letters and digits only, for comparing lines
    kind: str


def line_features(line: str, stopwords: frozenset[str], kind: str = "p") -> LineFeatures:
    words = _WORD.findall(line)
    lower = [w.lower() for w in words]
    alpha = [w for w in words if w[0].isalpha()]
    n = len(words)
    ends = bool(_ENDS_SENTENCE.search(line))
    ellipsis = bool(_ELLIPSIS.search(line))
    return LineFeatures(
        words=n,
        chars=len(line),
        stopword_share=sum(w in stopwords for w in lower) / n if n else 0.0,
        title_case_share=sum(w[0].isupper() for w in alpha) / len(alpha) if alpha else 0.0,
        ends_sentence=ends and not ellipsis,
        ellipsis=ellipsis,
        timestamp=is_timestamp(line),
        label=bool(_LABEL.match(line)) and not ends,
        media_duration=bool(_MEDIA_DURATION.search(line)),
        alnum="".join(ch for ch in line.casefold() if ch.isalnum()),
        kind=kind,
    )


def is_timestamp(line: str) -> bool:
    """A line that is only a date, a time or a relative time ("19 mins ago")."""
    tokens = _TIME_TOKEN.findall(line.lower())
    if not tokens or len(tokens) > 12 or not any(t.isdigit() for t in tokens):
        return False
    return all(t.isdigit() or t in _TIME_WORDS for t in tokens)
