"""The records that flow through the pipeline.

Offsets (`start`, `end`) are always character offsets into `Document.text`, the document's
input text (for HTML: the text extracted from it before cleaning), so every removal can be
shown in place and put back.
"""
from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Document:
    """One input document. `text` is what cleaning works on and what offsets refer to."""

    id: str
    text: str
    source: str = ""
    url: str | None = None
    title: str | None = None
    date: str | None = None
    kind: str = "text"  # how it was read: text, html, jsonl, warc
    site: str = ""  # URL host, or the folder the file came from; groups pages for site templates
    meta: dict[str, Any] = field(default_factory=dict)
    hints: list[str] | None = None  # per-line block kinds from HTML extraction (h, p, li, ...)
    html: str | None = None  # the page, until extraction has turned it into `text`
    path: str = ""  # the input file it was read from ("" for stdin)
    fields: dict[str, Any] | None = None  # the input record's other fields (JSONL), e.g. for dedup.keep = field:NAME
    segmentation: Any = None  # the text's blocks found in pass 1 (site templates), packed for pass 2; never output


@dataclass(frozen=True)
class Span:
    doc_id: str
    start: int
    end: int

    def to_json(self) -> dict[str, Any]:
        return {"doc_id": self.doc_id, "start": self.start, "end": self.end}


@dataclass
class Removal:
    """A removed span of a document's input text, with the stage and rule that removed it."""

    doc_id: str
    start: int
    end: int
    text: str
    stage: str  # boilerplate, passage-dedup, document-dedup
    reason: str  # e.g. boilerplate:teaser-run, duplicate:passage
    duplicate_of: Span | None = None
    score: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "stage": self.stage,
            "reason": self.reason,
            "duplicate_of": self.duplicate_of.to_json() if self.duplicate_of else None,
            "score": None if self.score is None else round(self.score, 4),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Removal":
        dup = d.get("duplicate_of")
        return cls(
            doc_id=d["doc_id"], start=d["start"], end=d["end"], text=d["text"], stage=d["stage"],
            reason=d["reason"], duplicate_of=Span(**dup) if dup else None, score=d.get("score"),
        )


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph, heading, list item or other unit of text (see `segment`). `start`/`end`
    partition the document (the block plus the blank space after it); `content_start`/
    `content_end` is the block without surrounding white space; `text` is its words without
    the layout's markup, for the classifier."""

    index: int
    start: int
    end: int
    content_start: int
    content_end: int
    kind: str = "p"  # h, p, li, tr, q, code, hr, img, form, meta (a browser's header links)
    text: str = ""
    link_share: float = 0.0  # share of its visible characters that are link text or URLs
    alone: bool = True  # one line standing alone (blank lines around it), or a heading


@dataclass(frozen=True)
class Skip:
    """An input (or one record of it) that was not cleaned, and why."""

    source: str
    reason: str  # empty, binary, invalid-json, missing-field, read-error, ...
    detail: str = ""

    def to_json(self) -> dict[str, str]:
        return {"source": self.source, "reason": self.reason, "detail": self.detail}


@dataclass(repr=False)
class Result:
    """A cleaned document.

    Fields:
      doc       the Document as read (id, url, title, date, its input `text`, meta, fields)
      text      the kept text: the input text with every removed span cut out
      removals  every removed span (Removal: start, end, text, stage, reason, duplicate_of,
                score), in input-text order; `restore_text(text, removals)` gives the input back
      dropped   True when the whole document was removed (a duplicate, not an article, empty)
    Shortcuts: `id`, `title`, `url` (the document's).
    """

    doc: Document
    text: str
    removals: list[Removal]
    dropped: bool = False

    @property
    def id(self) -> str:
        return self.doc.id

    @property
    def title(self) -> str | None:
        return self.doc.title

    @property
    def url(self) -> str | None:
        return self.doc.url

    def __repr__(self) -> str:
        state = "dropped" if self.dropped else f"{len(self.text):,} of {len(self.doc.text):,} chars kept"
        return f"<Result {self.doc.id!r}: {state}, {len(self.removals)} removals>"

    def to_json(self, text_field: str = "text", id_field: str = "id", drop: Collection[str] = ()) -> dict[str, Any]:
        """The documents.jsonl record: the id, the input record's own fields (JSONL; but those
        in `drop`), source, url and title, the cleaned text, and cleaning metadata under `meta`.
        Where the input record has a field of cleaner's (source, url, title), the record's is
        kept and cleaner's goes under `meta`; a record's field under the output id or text name,
        or named meta, goes to `meta.input_fields`."""
        d = self.doc
        meta = dict(d.meta)
        meta.update({"kind": d.kind, "date": d.date, "chars_in": len(d.text), "chars_out": len(self.text)})
        own = {k: v for k, v in (d.fields or {}).items() if k not in drop}
        # A record's field under a name cleaner writes (the output id or text field, meta) goes
        # to meta.input_fields, unless it holds the same id.
        displaced = {k: own.pop(k) for k in list(own) if k in (text_field, "meta")
                     or (k == id_field and str(own[k]) != d.id)}
        record: dict[str, Any] = {id_field: d.id, **own}
        for name, value in (("source", d.source), ("url", d.url), ("title", d.title)):
            if name in (id_field, text_field) or (name in own and own[name] != value):
                meta[name] = value
            elif name not in own:
                record[name] = value
        if displaced:
            meta["input_fields"] = displaced
        record[id_field] = d.id
        record[text_field] = self.text
        record["meta"] = {k: meta[k] for k in sorted(meta)}
        return record


def kept_text(text: str, removals: list[Removal]) -> str:
    """The input text with the (non-overlapping) removed spans cut out."""
    out, pos = [], 0
    for r in sorted(removals, key=lambda r: r.start):
        out.append(text[pos:r.start])
        pos = r.end
    out.append(text[pos:])
    return "".join(out)


def restore_text(kept: str, removals: list[Removal]) -> str:
    """Inverse of `kept_text`: put the removed spans back where they were."""
    out, pos_in, pos_kept = [], 0, 0
    for r in sorted(removals, key=lambda r: r.start):
        gap = r.start - pos_in
        out.append(kept[pos_kept:pos_kept + gap])
        out.append(r.text)
        pos_kept += gap
        pos_in = r.end
    out.append(kept[pos_kept:])
    return "".join(out)


CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]+")  # C0 controls but tab, newlines, form feed; DEL
# The same as bytes: in UTF-8 they are single bytes that never occur inside another character.
_CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F])


def has_control_chars(text: str) -> bool:
    """Whether CONTROL_CHARS occur in the text (at C speed: most texts have none)."""
    raw = text.encode("utf-8", "surrogatepass")
    return len(raw.translate(None, _CONTROL_BYTES)) != len(raw)


def control_removals(doc_id: str, text: str, removals: list[Removal]) -> list[Removal]:
    """Runs of control characters (NUL and the like: never text) in what `removals` keep,
    as removals of their own, so the output is clean and the input still restorable."""
    if not has_control_chars(text):
        return []
    found, pos = [], 0
    for r in sorted(removals, key=lambda r: r.start) + [Removal(doc_id, len(text), len(text), "", "", "")]:
        for m in CONTROL_CHARS.finditer(text, pos, max(pos, r.start)):
            found.append(Removal(doc_id, m.start(), m.end(), m.group(), "input", "control-characters"))
        pos = max(pos, r.end)
    return found
