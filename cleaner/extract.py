"""HTML -> the text cleaning works on, via trafilatura, keeping block structure.

The extracted text has one block per line (paragraphs and headings separated by blank lines,
list items and table rows by single newlines); `Document.hints` records each line's kind.
When trafilatura finds no main content, the page's visible text is used instead (one block
per line) so the page is cleaned in text mode rather than dropped.
"""
from __future__ import annotations

import logging
import re

import lxml.html
import trafilatura
from htmldate import find_date
from lxml import etree
from trafilatura.metadata import examine_meta, extract_meta_json, extract_title, extract_url
from trafilatura.settings import DEFAULT_CONFIG, set_date_params
from trafilatura.utils import load_html

from .model import CONTROL_CHARS, Document, has_control_chars

log = logging.getLogger(__name__)

_SPACE = re.compile(r"\s+")
_KINDS = {"head": "h", "p": "p", "list": "li", "quote": "q", "table": "tr", "code": "code"}
_BLOCK_TAGS = frozenset("""address article aside blockquote br dd details dialog div dl dt fieldset
figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table
td th tr ul""".split())
_MAX_FILE_SIZE = DEFAULT_CONFIG.getint("DEFAULT", "MAX_FILE_SIZE")
_EXTENSIVE_DATE_SEARCH = DEFAULT_CONFIG.getboolean("DEFAULT", "EXTENSIVE_DATE_SEARCH")
_DROP_TAGS = ["script", "style", "noscript", "template", "svg", "head", "iframe", "object"]


def extract(doc: Document, html: str) -> Document:
    """Fill `doc.text`, `hints`, title, date and url from the page."""
    if has_control_chars(html):
        html = CONTROL_CHARS.sub("", html)  # lxml refuses NUL and other control characters in markup
    result = tree = None
    try:
        tree = load_html(html, _MAX_FILE_SIZE)  # parsed once: the extraction and the metadata share it
        if tree is not None:
            result = trafilatura.bare_extraction(  # (works on its own copy of the tree)
                tree, url=doc.url, include_comments=False, deduplicate=False, with_metadata=False,
                include_tables=True, include_images=False, include_links=False,
            )
    except Exception as e:  # trafilatura raises assorted errors on hostile markup
        log.warning("%s: trafilatura failed (%s); using the page's visible text", doc.id, e)
        doc.meta["extraction_error"] = f"{type(e).__name__}: {e}"[:200]
    lines: list[tuple[str, str]] = []
    if result is not None and result.body is not None:
        lines = _body_lines(result.body)
    if lines:
        _metadata(doc, tree)
        doc.meta["extraction"] = "trafilatura"
    else:
        lines = [(line, "p") for line in visible_lines(html)]
        doc.meta["extraction"] = "fallback"
        if doc.title is None:
            doc.title = _page_title(html)
    doc.text, doc.hints = _join(lines)
    return doc


def _metadata(doc: Document, tree) -> None:
    """The title, date and url, found as trafilatura's metadata extraction finds them (meta
    tags, JSON-LD, the title element, htmldate's extensive search), without the fields cleaner
    does not keep (author, site name, categories, tags, license: a quarter of its time). A page
    whose metadata cannot be read keeps its extracted text."""
    try:
        _read_metadata(doc, tree)
    except Exception as e:
        log.warning("%s: page metadata not read (%s)", doc.id, e)
        doc.meta["metadata_error"] = f"{type(e).__name__}: {e}"[:200]


def _read_metadata(doc: Document, tree) -> None:
    found = examine_meta(tree)
    if not found.title:  # JSON-LD gives only a missing title of the fields kept (its other fields: not read)
        try:
            found = extract_meta_json(tree, found)
        except Exception as e:  # (trafilatura guards this call the same way)
            log.debug("%s: JSON-LD metadata not read (%s)", doc.id, e)
    found.title = found.title or extract_title(tree)
    found.url = found.url or extract_url(tree, doc.url)
    found.date = find_date(tree, **{**set_date_params(_EXTENSIVE_DATE_SEARCH), "url": found.url})
    found.clean_and_trim()
    doc.title = doc.title or found.title
    doc.date = doc.date or found.date
    doc.url = doc.url or found.url


def _body_lines(body: etree._Element) -> list[tuple[str, str]]:
    """One (text, kind) per block; text trafilatura left between blocks (element tails) is a
    paragraph of its own."""
    lines = [(_SPACE.sub(" ", body.text).strip(), "p")] if body.text and body.text.strip() else []
    for el in body:
        kind = _KINDS.get(el.tag, "p")
        if el.tag == "list":
            parts = [_text(item) for item in el.iter("item")]
        elif el.tag == "table":
            parts = [" | ".join(_text(c) for c in row.iter("cell")) for row in el.iter("row")]
        else:
            parts = _split_on_breaks(el)
        lines.extend((p, kind) for p in parts if p)
        if el.tail and el.tail.strip():
            lines.append((_SPACE.sub(" ", el.tail).strip(), "p"))
    return lines


def _text(el: etree._Element) -> str:
    return _SPACE.sub(" ", "".join(el.itertext())).strip()


def _split_on_breaks(el: etree._Element) -> list[str]:
    """The element's text in document order, cut where trafilatura kept a line break (<lb/>)."""
    parts: list[list[str]] = [[]]

    def walk(node: etree._Element) -> None:
        if node.tag == "lb":
            parts.append([])
        elif node.text:
            parts[-1].append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                parts[-1].append(child.tail)

    walk(el)
    return [_SPACE.sub(" ", "".join(p)).strip() for p in parts]


def _join(lines: list[tuple[str, str]]) -> tuple[str, list[str]]:
    out = []
    for i, (line, kind) in enumerate(lines):
        if i:
            tight = kind in ("li", "tr") and lines[i - 1][1] == kind
            out.append("\n" if tight else "\n\n")
        out.append(line)
    if out:
        out.append("\n")
    return "".join(out), [k for _, k in lines]


def _parse(html: str):
    try:
        return lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None


def visible_lines(html: str) -> list[str]:
    """The page's visible text, one block-level element per line."""
    root = _parse(html)
    if root is None:
        return []
    for el in root.iter(*_DROP_TAGS):
        el.drop_tree() if el.getparent() is not None else None
    chunks: list[str] = []

    def walk(el) -> None:
        if not isinstance(el.tag, str):  # comments, processing instructions
            if el.tail:
                chunks.append(el.tail)
            return
        block = el.tag in _BLOCK_TAGS
        if block:
            chunks.append("\n")
        if el.text:
            chunks.append(el.text)
        for child in el:
            walk(child)
        if block:
            chunks.append("\n")
        if el.tail:
            chunks.append(el.tail)

    walk(root)
    lines = (_SPACE.sub(" ", line).strip() for line in "".join(chunks).split("\n"))
    return [line for line in lines if line]


def _page_title(html: str) -> str | None:
    root = _parse(html)
    if root is None:
        return None
    title = root.findtext(".//title")
    return _SPACE.sub(" ", title).strip() or None if title else None
