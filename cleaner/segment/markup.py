"""A block's plain words for the classifier: markup a layout adds (Markdown links, images and
emphasis, a text browser's button and form marks, bare URLs) is taken out, and how much of the
block was link text is measured (a block that is mostly links is navigation)."""
from __future__ import annotations

import re

_SPACE = re.compile(r"\s+")
_URL = re.compile(r"(?:https?://|ftp://|www\.)[^\s<>\]\)\"']+")
_MD_IMAGE = re.compile(r"!\[([^\]\n]{0,500})\]\([^)\n]{0,2000}\)")
_MD_LINK = re.compile(r"\[([^\]\n]{0,500})\](?:\([^)\n]{0,2000}\)|\[[^\]\n]{0,200}\])")
_MD_AUTOLINK = re.compile(r"<(?:https?|ftp|mailto):[^>\s]{1,2000}>")
_MD_EMPHASIS = re.compile(r"(?<![\w*_])[*_]{1,3}(?=\S)|(?<=\S)[*_]{1,3}(?![\w*_])|`+")
_MD_HEADING_CLOSE = re.compile(r"\s#+\s*$")
_BROWSER_MARKS = re.compile(r"\((?:BUTTON|RADIO|CHECKBOX)\)|\[(?:IMG|INLINE|LINK|EMBED|OBJECT|FIGURE|BUTTON Input)\]"
                            r"|\[[ Xx]\]|_{3,}|\(not implemented\)")
_IMAGE_FILE = re.compile(r"\S*\.(?:jpe?g|png|gif|webp|svg)(?:[?#]\S*)?", re.I)
_IMAGE_NAME = re.compile(r"\.(?:jpe?g|png|gif|webp|svg)\b|^\s*\[(?:IMG|INLINE|image|img|photo|logo)", re.I)


def plain_text(pieces: list[str], markdown: bool, browser: bool) -> tuple[str, float]:
    """The words of a block's lines (each without its marker), and the share of the block's
    visible characters that were link text or URLs."""
    text = " ".join(pieces)
    kept_links = removed_links = 0  # link characters left in the text (anchor texts), taken out (URLs)
    if markdown:
        text = _MD_IMAGE.sub(" ", text)
        text, kept_links = _sub_counting(_MD_LINK, text, 1)
        text, removed_links = _sub_counting(_MD_AUTOLINK, text, None)
        text = _MD_EMPHASIS.sub("", _MD_HEADING_CLOSE.sub("", text)).replace("|", " ")
    if browser:
        text = _BROWSER_MARKS.sub(" ", text)
    text, n = _sub_counting(_URL, text, None)
    removed_links += n
    text = _SPACE.sub(" ", text).strip()
    visible = len(text) - text.count(" ") + removed_links
    return text, (kept_links + removed_links) / visible if visible else 0.0


def _sub_counting(pattern: re.Pattern, text: str, keep: int | None) -> tuple[str, int]:
    """Replace matches by their group `keep` (None: by a space); count the characters that
    group (or the match) had."""
    count = 0

    def repl(m: re.Match) -> str:
        nonlocal count
        kept = m.group(keep) if keep is not None else m.group()
        count += len(kept.replace(" ", ""))
        return kept if keep is not None else " "

    return pattern.sub(repl, text), count


def is_image_line(line: str, browser: bool = False) -> bool:
    """A line that is only an image: a Markdown image, an image's file name (a browser prints
    it for an image without alt text), or a bracketed image name (in a text
    browser's dump, any line that is only a bracketed name: the browser's mark for an image)."""
    s = line.strip()
    if _MD_IMAGE.fullmatch(s) or _IMAGE_FILE.fullmatch(s):
        return True
    return s.startswith("[") and s.endswith("]") and "]" not in s[:-1] and (browser or bool(_IMAGE_NAME.search(s)))


def is_form_line(line: str) -> bool:
    """A text browser's form controls: buttons, input fields drawn with underscores, check boxes."""
    return bool(_BROWSER_MARKS.search(line)) and not _MD_IMAGE.search(line) and (
        "(BUTTON)" in line or "___" in line or "[BUTTON" in line or "(RADIO)" in line or "(CHECKBOX)" in line)
