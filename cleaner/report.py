"""Summary figures for a run (summary.json) and the human-readable report."""
from __future__ import annotations

import time
from collections import Counter, defaultdict
from typing import Any

from .model import CONTROL_CHARS, Removal, Result, Skip, restore_text
from .writers import load_document, resolve_id

MAX_LISTED_SKIPS = 1000


def dropped_reason(r: Result) -> str:
    """Why a document left the output whole: duplicate, not-article (a page with no article), or
    empty (nothing was left)."""
    if any(x.stage == "document-dedup" for x in r.removals):
        return "duplicate"
    if any(x.reason == "boilerplate:not-article" for x in r.removals):
        return "not-article"
    return "empty"


class Stats:
    def __init__(self) -> None:
        self.started = time.monotonic()
        self.docs_in = 0
        self.docs_out = 0
        self.dropped: Counter[str] = Counter()
        self.chars_in = 0
        self.chars_out = 0
        self.removals: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
        self.skips: list[Skip] = []
        self.skip_counts: Counter[str] = Counter()
        self.notes: Counter[str] = Counter()
        self.timings: Counter[str] = Counter()
        self.docs_seen = 0  # inputs read so far (documents and skipped records)
        self.last_skip: Skip | None = None
        self.not_article: list[str] = []  # ids of the first pages without an article
        self.duplicate_ids: Counter[str] = Counter()  # id -> later documents that had it (the first 1000 ids)
        self.duplicate_id_docs = 0

    def add_result(self, r: Result) -> None:
        self.docs_in += 1
        self.chars_in += len(r.doc.text)
        self.chars_out += len(r.text)
        if r.dropped:
            why = dropped_reason(r)
            self.dropped[why] += 1
            if why == "not-article" and len(self.not_article) < MAX_LISTED_SKIPS:
                self.not_article.append(r.doc.id)
        else:
            self.docs_out += 1
        for x in r.removals:
            entry = self.removals[x.stage][x.reason]
            entry[0] += 1
            entry[1] += x.end - x.start
        if "blocks" in r.doc.meta:
            self.notes["blocks:not-cleaned"] += 1
        for key in ("decoding", "extraction", "extraction_error"):
            if key in r.doc.meta:
                value = r.doc.meta[key]
                self.notes[f"{key}:{value if key != 'extraction_error' else 'error'}"] += 1

    def add_duplicate_id(self, doc_id: str) -> None:
        self.duplicate_id_docs += 1
        if doc_id in self.duplicate_ids or len(self.duplicate_ids) < MAX_LISTED_SKIPS:
            self.duplicate_ids[doc_id] += 1

    def add_skip(self, s: Skip) -> None:
        self.last_skip = s
        self.skip_counts[s.reason] += 1
        if len(self.skips) < MAX_LISTED_SKIPS:
            self.skips.append(s)

    def add_time(self, stage: str, seconds: float) -> None:
        self.timings[stage] += seconds

    def to_dict(self, config: Any) -> dict[str, Any]:
        return {
            "documents": {"in": self.docs_in, "out": self.docs_out,
                          "dropped_duplicate": self.dropped["duplicate"], "dropped_empty": self.dropped["empty"],
                          "dropped_not_article": self.dropped["not-article"],
                          "skipped": sum(self.skip_counts.values())},
            "not_article": self.not_article,
            "duplicate_ids": {"documents": self.duplicate_id_docs,
                              "ids": {k: n + 1 for k, n in sorted(self.duplicate_ids.items())}},
            "characters": {"in": self.chars_in, "out": self.chars_out},
            "removals": {stage: {reason: {"count": c, "chars": n} for reason, (c, n) in sorted(reasons.items())}
                         for stage, reasons in sorted(self.removals.items())},
            "skipped": {"by_reason": dict(sorted(self.skip_counts.items())),
                        "inputs": [s.to_json() for s in self.skips]},
            "notes": dict(sorted(self.notes.items())),
            "config": config.to_dict(),
            "timings_seconds": {k: round(v, 3) for k, v in sorted(self.timings.items())},
            "seconds": round(time.monotonic() - self.started, 3),  # the whole run, wall clock
        }


class NoProgress:
    """Progress not shown (a library call, or output that is not a terminal)."""

    def stage(self, name: str, total: int | None = None) -> None:
        pass

    def advance(self, docs: int = 0, chars: int = 0, removals: int = 0) -> None:
        pass


class Progress:
    """One line on a terminal, rewritten at most twice a second: the stage, documents (of how
    many, when known), MB/s of input text, removals so far."""

    def __init__(self, stream, every: float = 0.5, clock=None):
        self._stream, self._every = stream, every
        self._clock = clock or time.monotonic
        self._run_start = self._start = self._last = self._clock()
        self.name, self.total = "", None
        self.docs = self.chars = self.removals = self.steps = 0
        self._shown = False

    def stage(self, name: str, total: int | None = None) -> None:
        self.name, self.total = name, total
        self.docs = self.chars = self.steps = 0
        self._start = self._clock()
        self._show(self._start)

    def advance(self, docs: int = 0, chars: int = 0, removals: int = 0) -> None:
        self.docs += docs
        self.chars += chars
        self.removals += removals
        self.steps += 1
        now = self._clock()
        if now - self._last >= self._every:
            self._show(now)

    def _show(self, now: float) -> None:
        self._last = now
        took = max(now - self._start, 1e-9)
        if self.name == "group":
            work = f"{self.steps} partitions"
        else:
            count = f"{self.docs}/{self.total}" if self.total else f"{self.docs}"
            work = f"{count} documents, {self.chars / 1e6 / took:.2f} MB/s"
            if self.total and self.docs:
                work += f", {_clock_time((self.total - self.docs) * took / self.docs)} left"
        self._stream.write(f"\r\x1b[K[{_clock_time(now - self._run_start)}] {self.name}: {work}, "
                           f"{self.removals} removals")
        self._stream.flush()
        self._shown = True

    def done(self) -> None:
        if self._shown:
            self._show(self._clock())
            self._stream.write("\n")
            self._stream.flush()


def _clock_time(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else \
        f"{seconds // 60}:{seconds % 60:02d}"


def format_report(summary: dict[str, Any]) -> str:
    """A few lines for a terminal: what came in, what went out, and why things were removed."""
    d, c = summary["documents"], summary["characters"]
    share = 100.0 * c["out"] / c["in"] if c["in"] else 0.0
    lines = [
        f"documents: {d['in']} in, {d['out']} out ({d['dropped_duplicate']} duplicate, "
        f"{d['dropped_not_article']} not-article, {d['dropped_empty']} empty, {d['skipped']} inputs skipped)",
        f"characters: {c['in']} in, {c['out']} out ({share:.1f}% kept)",
    ]
    if "seconds" in summary:
        took = summary["seconds"]
        lines.append(f"time: {took:.1f} s ({d['in'] / max(took, 1e-9):,.0f} documents/s)")
    for stage, reasons in summary["removals"].items():
        for reason, v in reasons.items():
            lines.append(f"  {reason:<34} {v['count']:>7} removals {v['chars']:>10} chars")
    for reason, n in summary["skipped"]["by_reason"].items():
        lines.append(f"  skipped: {reason:<25} {n:>7}")
    dup = summary.get("duplicate_ids", {})
    if dup.get("documents"):
        first = next(iter(dup["ids"].items()))
        lines.append(f"duplicate ids: {dup['documents']} documents had an id an earlier one had; they are written "
                     f"as id#2, id#3, ... (e.g. {first[0]!r} {first[1]} times; all in summary.json)")
    if d["dropped_not_article"]:
        listed = summary["not_article"]
        lines.append(f"not-article: {d['dropped_not_article']} pages had no article (menus, link lists, no prose), "
                     f"e.g. {', '.join(listed[:3])}; all removed text is in removed.jsonl"
                     + (f", the first {len(listed)} ids in summary.json" if listed else ""))
    return "\n".join(lines)


def explain_document(out_dir: str, doc_id: str, color: bool = False, removed_only: bool = False) -> str:
    """A document as it came in, with each removed span marked [-like this-] and followed by its
    reason (and, for a duplicate, what it duplicates). Built from the run's output files only."""
    doc_id = resolve_id(out_dir, doc_id)
    record, kept, removals = load_document(out_dir, doc_id)
    original = restore_text(kept, removals)
    head = (f"{doc_id}: {len(original)} characters in, {len(kept)} kept, {len(removals)} removals"
            + ("" if record is not None else " (dropped whole)"))
    parts, pos = [head, "\n\n"], 0
    for r in removals:
        if not removed_only:
            parts.append(original[pos:r.start])
        body = r.text.rstrip()
        parts.append(_mark(body, _label(r), color))
        parts.append(r.text[len(body):] if not removed_only else "\n")
        pos = r.end
    if not removed_only:
        parts.append(original[pos:])
    return "".join(parts)


def _label(r: Removal) -> str:
    label = r.reason
    if r.duplicate_of is not None:
        d = r.duplicate_of
        label += f" of {d.doc_id}:{d.start}-{d.end}"
    if r.score is not None:
        label += f" score={r.score:.2f}"
    return label


def _visible(text: str) -> str:
    """Control characters (an escape sequence in a removed span) shown as escapes, not sent to
    the terminal."""
    return CONTROL_CHARS.sub(lambda m: "".join(f"\\x{ord(c):02x}" for c in m.group()), text)


def _mark(text: str, label: str, color: bool) -> str:
    """[-removed text-]{label}; in colour as well, so the marks survive a pager or a file."""
    text, label = _visible(text), _visible(label)
    if color:
        import click

        return (click.style(f"[-{text}-]", fg="red", strikethrough=True)
                + click.style(f"{{{label}}}", fg="yellow"))
    return f"[-{text}-]{{{label}}}"
