"""cleaner: turn raw web scrapes into clean, deduplicated text, with a log of every removal.

    import cleaner
    result = cleaner.clean_text(text)          # result.text, result.removals
    result = cleaner.clean_html(html, url=...)
    for result in cleaner.clean(["scrapes/"], cleaner.Config()):   # or texts, dicts, Documents
        ...
    text = cleaner.restore("out/", doc_id)     # a document's input text, from a run's output
"""
from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator

__version__ = "0.1.0"

from .config import Config, ConfigError  # noqa: E402
from .model import Document, Removal, Result, Skip, Span, restore_text  # noqa: E402
from .pipeline import Cleaner, run  # noqa: E402
from .readers import is_input_path, iter_inputs, record_document  # noqa: E402
from .writers import restore_document as restore  # noqa: E402

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = ["Cleaner", "Config", "ConfigError", "Document", "Removal", "Result", "Skip", "Span",
           "clean", "clean_html", "clean_text", "restore", "restore_text", "run"]


def clean(inputs: str | Iterable[str | dict | Document], config: Config | None = None) -> Iterator[Result]:
    """Clean documents; yields one Result per document, in input order. Duplicates are judged
    against everything earlier in the same call (and, with `run.index`, in earlier runs).

    `inputs` is a path, or an iterable of:
      - str: a file, folder or glob that exists (or "-" for stdin), read as `cleaner clean`
        reads it; any other string is a text to clean (id "text:N"); a string that looks like
        a path (one word with a "/" or a known suffix) but names nothing is an InputError;
      - dict: a record, as a JSONL line (`input.text_field`, `html_field`, `id_field`, ...);
      - Document: as it is.
    """
    with Cleaner(config) as cleaner:
        cfg = cleaner.config.input
        if isinstance(inputs, (str, os.PathLike)):
            inputs = [inputs]
        elif not isinstance(inputs, Iterable):
            raise TypeError(f"cleaner.clean takes a path or an iterable of paths, texts, dicts or Documents, "
                            f"not a {type(inputs).__name__}")
        yield from cleaner.clean_documents(_documents(inputs, cfg))


def _documents(items: Iterable[str | dict | Document], cfg) -> Iterator[Document | Skip]:
    for n, item in enumerate(items):
        if isinstance(item, Document):
            yield item
        elif isinstance(item, dict):
            yield record_document(item, f"record:{n}", f"record:{n}", "", cfg)
        elif isinstance(item, os.PathLike):
            yield from iter_inputs([os.fspath(item)], cfg)
        elif isinstance(item, str):
            if is_input_path(item):
                yield from iter_inputs([item], cfg)
            else:
                yield Document(id=f"text:{n}", text=item, source=f"text:{n}")
        else:
            raise TypeError(f"cleaner.clean: item {n} is a {type(item).__name__}; give paths, texts, dicts "
                            f"or Documents")


def clean_text(text: str, config: Config | None = None, doc_id: str = "text") -> Result:
    """Clean one plain-text document (boilerplate and passages repeated within it)."""
    with Cleaner(config) as cleaner:
        return cleaner.clean_document(Document(id=doc_id, text=text, source=doc_id))


def clean_html(html: str, url: str | None = None, config: Config | None = None, doc_id: str = "html") -> Result:
    """Clean one HTML page: main content via trafilatura, then the text-mode cleaning."""
    with Cleaner(config) as cleaner:
        return cleaner.clean_document(Document(id=doc_id, text="", source=doc_id, url=url, kind="html", html=html))
