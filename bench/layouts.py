"""The text layouts scrapers produce, made from the benchmark's pages, for bench/extraction.py
(`--layouts`) and bench/train_boilerplate.py.

Renderers turn a page's HTML into text as a common scraper does: lynx and w3m (Debian packages),
html2text, inscriptis and BeautifulSoup (pip: `pip install '.[bench]'`), plus the benchmark's
own text-only scrape (`text/`, html-text style, one block a line) and a CRLF copy of it. A
renderer that is not installed is left out with a note, so the benches run anywhere.

The no-harm set is text that is already clean: the benchmark's gold article bodies, laid out as
people and tools write prose (a paragraph a line, hard-wrapped with blank lines, hard-wrapped
with CRLF, indented paragraphs, Markdown with headings). Cleaning must keep all of it.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import textwrap
from collections.abc import Callable

RENDER_TIMEOUT = 60  # seconds for one page in an external renderer


def _run(cmd: list[str], html: str) -> str:
    done = subprocess.run(cmd, input=html.encode("utf-8"), capture_output=True, timeout=RENDER_TIMEOUT)
    return done.stdout.decode("utf-8", errors="replace")


def lynx(html: str) -> str:
    return _run(["lynx", "-dump", "-nolist", "-force_html", "-stdin", "-width=80",
                 "-assume_charset=utf-8", "-display_charset=utf-8"], html)


def w3m(html: str) -> str:
    return _run(["w3m", "-dump", "-T", "text/html", "-I", "utf-8", "-O", "utf-8", "-cols", "80"], html)


def html2text_markdown(html: str) -> str:
    import html2text

    h = html2text.HTML2Text()
    h.ignore_links = True
    h.ignore_images = True
    return h.handle(html)  # html2text's default: Markdown wrapped at 78 columns


def inscriptis_text(html: str) -> str:
    import inscriptis

    return inscriptis.get_text(html)


def beautifulsoup_text(html: str) -> str:
    from bs4 import BeautifulSoup

    return BeautifulSoup(html, "lxml").get_text("\n")


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def _needs(module: str, package: str) -> Callable[[], str | None]:
    return lambda: None if _has_module(module) else f"{package} not installed (pip install '.[bench]')"


def _needs_command(name: str) -> Callable[[], str | None]:
    return lambda: None if shutil.which(name) else f"{name} not found (apt-get install {name})"


# name, input ("text": the benchmark's text/ scrape; "html": the page), renderer, what it lacks
RENDERERS: list[tuple[str, str, Callable[[str], str], Callable[[], str | None]]] = [
    ("html-text lines (text/)", "text", lambda t: t, lambda: None),
    ("html-text lines, CRLF", "text", lambda t: t.replace("\n", "\r\n"), lambda: None),
    ("lynx -dump -nolist", "html", lynx, _needs_command("lynx")),
    ("w3m -dump", "html", w3m, _needs_command("w3m")),
    ("html2text Markdown", "html", html2text_markdown, _needs("html2text", "html2text")),
    ("inscriptis", "html", inscriptis_text, _needs("inscriptis", "inscriptis")),
    ("BeautifulSoup get_text", "html", beautifulsoup_text, _needs("bs4", "beautifulsoup4")),
]


def markdown_with_links(html: str) -> str:
    """html2text keeping links and images, unwrapped, as LLM-era scrapers write Markdown (for
    training: links are words the benchmark's gold does not have)."""
    import html2text

    h = html2text.HTML2Text()
    h.body_width = 0
    return h.handle(html)


TRAINING_ONLY = [("Markdown with links (html2text)", "html", markdown_with_links, _needs("html2text", "html2text"))]


def available_renderers(renderers=RENDERERS) -> tuple[list[tuple[str, str, Callable[[str], str]]], list[str]]:
    """The renderers this machine has, and a note for each one it lacks."""
    found, notes = [], []
    for name, source, fn, missing in renderers:
        why = missing()
        if why:
            notes.append(f"{name}: left out, {why}")
        else:
            found.append((name, source, fn))
    return found, notes


def render_pages(inputs: dict[str, dict[str, str]], keys: list[str],
                 renderers=RENDERERS) -> tuple[dict[str, dict[str, str]], list[str]]:
    """{layout: {page id: text}} for every available renderer, and notes on what was left out."""
    found, notes = available_renderers(renderers)
    out: dict[str, dict[str, str]] = {}
    for name, source, fn in found:
        pages = {}
        for k in keys:
            if k in inputs[source]:
                try:
                    pages[k] = fn(inputs[source][k])
                except (subprocess.SubprocessError, OSError) as e:
                    notes.append(f"{name}: page {k[:12]} failed to render ({e})")
        out[name] = pages
    return out, notes


# -- the no-harm set: clean prose in the layouts people write it in ---------------------------
def paragraphs(body: str) -> list[str]:
    return [" ".join(p.split()) for p in body.splitlines() if p.strip()]


def one_paragraph_a_line(body: str) -> str:
    return "\n".join(paragraphs(body)) + "\n"


def wrapped(body: str, width: int = 72, newline: str = "\n") -> str:
    text = "\n\n".join(textwrap.fill(p, width, break_long_words=False, break_on_hyphens=False)
                       for p in paragraphs(body)) + "\n"
    return text.replace("\n", newline)


def indented(body: str, width: int = 72) -> str:
    """Paragraphs wrapped with the first line indented and no blank line between them."""
    return "\n".join(textwrap.fill(p, width, initial_indent="    ", break_long_words=False, break_on_hyphens=False)
                     for p in paragraphs(body)) + "\n"


def markdown(body: str, url: str = "") -> str:
    """Markdown with a title (from the page's URL slug, when it has words) and a section heading
    every third paragraph ("Part N"); paragraphs wrapped at 80 columns as converters leave them."""
    slug = [w for w in re.split(r"[^A-Za-z]+", url.rstrip("/").rsplit("/", 1)[-1].split(".")[0]) if w]
    out = ["# " + " ".join(slug).capitalize()] if len(slug) >= 3 else []
    for i, p in enumerate(paragraphs(body)):
        if i and i % 3 == 0:
            out.append(f"## Part {i // 3 + 1}")
        out.append(textwrap.fill(p, 80, break_long_words=False, break_on_hyphens=False))
    return "\n\n".join(out) + "\n"


NO_HARM: list[tuple[str, Callable[[str, str], str]]] = [  # (body, url) -> text
    ("a paragraph a line", lambda b, u: one_paragraph_a_line(b)),
    ("hard-wrapped at 72, blank lines", lambda b, u: wrapped(b)),
    ("hard-wrapped at 72, CRLF", lambda b, u: wrapped(b, 72, "\r\n")),
    ("hard-wrapped at 60, indented paragraphs", lambda b, u: indented(b, 60)),
    ("Markdown with headings", markdown),
]
