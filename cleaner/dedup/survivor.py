"""Which document of a duplicate cluster survives (`dedup.keep`, `--keep`): the one place this
is decided.

    first       input order (the default)
    longest     most words after boilerplate removal
    newest      latest date (`Document.date`: WARC-Date, the page's date, the JSONL date field)
    oldest      earliest date
    field:NAME  lowest value of the input record's field NAME (numbers before strings), e.g. a source rank

Every policy is a sort key, smaller wins; ties, and documents without a date or the field,
go by input order (a document that has the value wins over one that has not). A document kept
by an earlier run of a persistent index has been written already, so its cluster keeps it.
"""
from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any

POLICIES = ("first", "longest", "newest", "oldest", "field:NAME")
_MISSING = (1,)  # sorts after every value below


def check_policy(policy: str) -> str | None:
    """An error message for a policy that is not one of POLICIES, else None."""
    if policy in ("first", "longest", "newest", "oldest"):
        return None
    if policy.startswith("field:") and policy[len("field:"):].strip():
        return None
    return f"dedup.keep must be one of {', '.join(POLICIES)}, got {policy!r}"


def survivor_key(policy: str, date: str | None, fields: dict[str, Any] | None, words: int) -> tuple:
    """The document's sort key under `policy` (smaller survives; input order breaks ties)."""
    if policy == "longest":
        return (0, -words)
    if policy in ("newest", "oldest"):
        when = parse_date(date)
        if when is None:
            return _MISSING
        return (0, -when if policy == "newest" else when)
    if policy.startswith("field:"):
        value = (fields or {}).get(policy[len("field:"):])
        if isinstance(value, bool) or value is None:
            return _MISSING
        if isinstance(value, (int, float)):
            return _MISSING if isinstance(value, float) and math.isnan(value) else (0, 0, value)
        if isinstance(value, str):
            return (0, 1, value)
        return _MISSING
    return ()  # first: input order alone


def parse_date(value: Any) -> float | None:
    """Seconds since the epoch of an ISO 8601 date or date-time (a time without a zone is taken
    as UTC), a year, or a number of seconds; None when there is no date to read."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value) if math.isfinite(value) else None
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.isdigit() and len(text) == 4:  # a year
        text += "-01-01"
    elif text.replace(".", "", 1).isdigit():  # seconds since the epoch, as text
        return float(text)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.timestamp()


class Survivors:
    """The survivor of each cluster, chosen once every document of the run has been seen.
    `note` each document of the run as it is indexed (its item and key), then `choose` with the
    index's cluster roots; `of(item)` is the item that survives in the item's cluster. Memory:
    a key per document of the run."""

    def __init__(self, policy: str, first_item: int):
        self.policy = policy
        self._first = first_item  # items before this were kept by earlier runs
        self._keys: list[tuple] = []
        self._best: dict[int, int] = {}
        self._roots: list[int] = []

    @property
    def streaming(self) -> bool:
        """Whether the first document of a cluster is its survivor, so decisions need no
        second pass."""
        return self.policy == "first"

    def note(self, item: int, key: tuple) -> None:
        assert item == self._first + len(self._keys), "documents must be noted in item order"
        self._keys.append(key)

    def choose(self, root_of) -> None:
        """Pick each cluster's survivor: the smallest (key, item); a cluster whose first
        document an earlier run kept keeps it."""
        best: dict[int, tuple] = {}
        self._roots = []
        for k, key in enumerate(self._keys):
            item = self._first + k
            root = root_of(item)
            self._roots.append(root)
            if root < self._first:
                continue
            candidate = (key, item)
            if root not in best or candidate < best[root]:
                best[root] = candidate
        self._best = {root: item for root, (_, item) in best.items()}

    def of(self, item: int) -> int:
        root = self._roots[item - self._first]
        return self._best.get(root, root)
