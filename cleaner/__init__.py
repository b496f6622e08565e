"""cleaner: turn raw web scrapes into clean, deduplicated text, with a log of every removal.

    import cleaner
    result = cleaner.clean_text(text)          # result.text, result.removals
    result = cleaner.clean_html(html, url=...)
    for result in cleaner.clean(["scrapes/"], cleaner.Config()):
        ...
    text = cleaner.restore("out/", doc_id)     # a document's input text, from a run's output
"""
from __future__ import annotations

import logging
from collections.abc import Iterator

__version__ = "0.1.0"

from .config import Config, ConfigError  # noqa: E402
from .model import Document, Removal, Result, Skip, Span, restore_text  # noqa: E402
from .pipeline import Cleaner, run  # noqa: E402
from .writers import restore_document as restore  # noqa: E402

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = ["Cleaner", "Config", "ConfigError", "Document", "Removal", "Result", "Skip", "Span",
           "clean", "clean_html", "clean_text", "restore", "restore_text", "run"]


def clean(inputs: list[str], config: Config | None = None) -> Iterator[Result]:
    """Clean files, folders, globs or "-" (stdin); yields one Result per document, in input order.
    Duplicates are judged against everything earlier in the same call (and, with `run.index`,
    in earlier runs)."""
    with Cleaner(config) as cleaner:
        yield from cleaner.clean(list(inputs))


def clean_text(text: str, config: Config | None = None, doc_id: str = "text") -> Result:
    """Clean one plain-text document (boilerplate and passages repeated within it)."""
    with Cleaner(config) as cleaner:
        return cleaner.clean_document(Document(id=doc_id, text=text, source=doc_id))


def clean_html(html: str, url: str | None = None, config: Config | None = None, doc_id: str = "html") -> Result:
    """Clean one HTML page: main content via trafilatura, then the text-mode cleaning."""
    with Cleaner(config) as cleaner:
        return cleaner.clean_document(Document(id=doc_id, text="", source=doc_id, url=url, kind="html", html=html))
