"""All settings and their defaults, in one place.

Precedence: these defaults, then a TOML file (`Config.load`), then explicit overrides
(`Config.with_overrides`, used by the CLI flags). Every value is validated with a message that
says which key is wrong and what it accepts.
"""
from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from typing import Any

from .dedup.survivor import check_policy
from .readers import KINDS


class ConfigError(ValueError):
    """A setting is unknown, of the wrong type, or out of range."""


@dataclass
class InputConfig:
    kind: str = "auto"  # auto, or a format of readers.FORMATS (text, html, jsonl, warc): force how inputs are read
    text_field: str = "text"  # JSONL field holding plain text
    date_field: str = "date"  # JSONL field holding the document's date (the newest/oldest survivor policies)
    html_field: str = "html"  # JSONL field holding HTML (used when the text field is absent)
    id_field: str = "id"
    url_field: str = "url"
    max_bytes: int = 64 * 1024 * 1024  # larger inputs (a file, a JSONL record, a WARC record) are skipped
    max_gzip_ratio: int = 100  # a .gz expanding more than this (past max_bytes) is a bomb: the rest is skipped
    max_seconds: float = 60.0  # per document: cleaning that takes longer is stopped, the document skipped (0: no limit)
    # A document of more lines keeps its text as it is but for duplicate documents: no page is
    # that long, and block-level work holds up to 20 KB a line (measured: bench/worst_cases.py,
    # lines of words from a small vocabulary; 0: no limit).
    max_lines: int = 20_000
    limit: int = 0  # clean only the first this many documents (0: all)


@dataclass
class BoilerplateConfig:
    enabled: bool = True
    # A line with at least this many words that ends like a sentence counts as article text.
    min_content_words: int = 10
    # A run of headline/teaser/time-stamp lines with at least this many teaser signals is a sidebar.
    min_teaser_signals: int = 2
    # Lines repeated on at least this many pages of one site are a site template (0: off).
    site_template_min_pages: int = 3


@dataclass
class DocumentDedupConfig:
    enabled: bool = True
    threshold: float = 0.8  # Jaccard on shingle sets; verified exactly for every LSH candidate
    shingle: str = "word"  # word or char n-grams
    ngram: int = 5
    num_perm: int = 128
    seed: int = 1
    # A document that loses this share of its words to copies of one earlier document is dropped
    # whole (duplicate:mostly-copy), so fragments of a copy never remain (0: off; needs passages).
    residue: float = 0.6


@dataclass
class PassageDedupConfig:
    enabled: bool = True
    min_words: int = 8  # an aligned match shorter than this is never a duplicate ("Thank you.")
    min_coverage: float = 0.5  # share of a sentence's words aligned to an earlier passage
    paragraph_share: float = 0.7  # a paragraph this much duplicated goes whole
    threshold: float = 0.6  # LSH target: Jaccard of passage shingle sets (content words + word pairs)
    num_perm: int = 128
    max_window: int = 3  # passages are windows of 1..max_window consecutive sentences
    seed: int = 2


@dataclass
class DedupConfig:
    enabled: bool = True
    # Which document of a duplicate cluster survives: first, longest, newest, oldest or field:NAME
    # (see dedup/survivor.py).
    keep: str = "first"
    normalize_digits: bool = True
    documents: DocumentDedupConfig = field(default_factory=DocumentDedupConfig)
    passages: PassageDedupConfig = field(default_factory=PassageDedupConfig)


@dataclass
class RunConfig:
    workers: int = 0  # processes for per-document work; 0 means one per core
    batch_size: int = 32  # documents sent to a worker at a time
    buffer_mb: int = 32  # memory for each buffer of band keys before it spills, and the passage key filter's cap
    checkpoint_every: int = 1000  # documents written between checkpoints (what --resume continues from)
    index: str = ""  # SQLite file of a persistent index ("" : this run only)
    engine: str = "local"  # local (a process pool) or ray
    ray_address: str = ""  # a Ray cluster to join ("" : start Ray on this machine)


@dataclass
class OutputConfig:
    # documents.jsonl: an input record's fields pass through, but for its text (and HTML) field
    # and those named here; the cleaned text and the id go under these names, cleaning metadata
    # under `meta`.
    text_field: str = "text"
    id_field: str = "id"
    drop_fields: list = field(default_factory=list)
    compress: str = ""  # gzip or zstd: documents.jsonl.gz / .zst and removed.jsonl.gz / .zst ("": none)


@dataclass
class Config:
    input: InputConfig = field(default_factory=InputConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    boilerplate: BoilerplateConfig = field(default_factory=BoilerplateConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    run: RunConfig = field(default_factory=RunConfig)

    @classmethod
    def load(cls, path: str | os.PathLike | None = None) -> "Config":
        """Defaults, updated from a TOML file when one is given."""
        if path is None:
            return cls()
        try:
            with open(path, "rb") as f:
                data = tomllib.load(f)
        except OSError as e:
            raise ConfigError(f"cannot read config file {path}: {e.strerror}") from None
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"config file {path} is not valid TOML: {e}") from None
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Config":
        cfg = _build(cls, data, "")
        cfg.validate()
        return cfg

    def with_overrides(self, overrides: dict[str, Any]) -> "Config":
        """A copy with dotted keys (`dedup.documents.threshold`) set; None values are ignored."""
        data = self.to_dict()
        for key, value in overrides.items():
            if value is None:
                continue
            *parents, last = key.split(".")
            node = data
            for p in parents:
                node = node[p]
            node[last] = value
        return Config.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def index_settings(self) -> dict[str, Any]:
        """The settings a persistent index must have been built with (they change its decisions)."""
        return {"dedup": dataclasses.asdict(self.dedup),
                "site_template_min_pages": self.boilerplate.site_template_min_pages}

    def resolved_workers(self) -> int:
        return self.run.workers or (os.cpu_count() or 1)

    def validate(self) -> None:
        checks = [
            (self.input.kind in KINDS, f"input.kind must be one of {', '.join(KINDS)}"),
            (self.input.max_bytes > 0, "input.max_bytes must be positive"),
            (self.run.checkpoint_every >= 1, "run.checkpoint_every must be >= 1"),
            (self.input.max_gzip_ratio >= 1, "input.max_gzip_ratio must be >= 1"),
            (self.input.max_seconds >= 0, "input.max_seconds must be >= 0 (0: no limit)"),
            (self.input.max_lines >= 0, "input.max_lines must be >= 0 (0: no limit)"),
            (self.input.limit >= 0, "input.limit must be >= 0 (0: all documents)"),
            (self.boilerplate.min_content_words >= 1, "boilerplate.min_content_words must be >= 1"),
            (self.boilerplate.min_teaser_signals >= 1, "boilerplate.min_teaser_signals must be >= 1"),
            (self.boilerplate.site_template_min_pages == 0 or self.boilerplate.site_template_min_pages >= 2,
             "boilerplate.site_template_min_pages must be 0 (off) or >= 2"),
            (0 < self.dedup.documents.threshold <= 1, "dedup.documents.threshold must be in (0, 1]"),
            (self.dedup.documents.shingle in ("word", "char"), "dedup.documents.shingle must be word or char"),
            (0 <= self.dedup.documents.residue <= 1, "dedup.documents.residue must be in [0, 1] (0: off)"),
            (check_policy(self.dedup.keep) is None, check_policy(self.dedup.keep) or ""),
            (self.dedup.documents.ngram >= 1, "dedup.documents.ngram must be >= 1"),
            (16 <= self.dedup.documents.num_perm <= 1024, "dedup.documents.num_perm must be in [16, 1024]"),
            (self.dedup.passages.min_words >= 3, "dedup.passages.min_words must be >= 3"),
            (0 < self.dedup.passages.min_coverage <= 1, "dedup.passages.min_coverage must be in (0, 1]"),
            (0 < self.dedup.passages.paragraph_share <= 1, "dedup.passages.paragraph_share must be in (0, 1]"),
            (0 < self.dedup.passages.threshold <= 1, "dedup.passages.threshold must be in (0, 1]"),
            (16 <= self.dedup.passages.num_perm <= 512, "dedup.passages.num_perm must be in [16, 512]"),
            (1 <= self.dedup.passages.max_window <= 5, "dedup.passages.max_window must be in [1, 5]"),
            (self.run.workers >= 0, "run.workers must be >= 0 (0: one per core)"),
            (self.run.batch_size >= 1, "run.batch_size must be >= 1"),
            (self.run.buffer_mb >= 1, "run.buffer_mb must be >= 1"),
            (self.run.engine in ("local", "ray"), "run.engine must be local or ray"),
            (all(isinstance(f, str) for f in self.output.drop_fields), "output.drop_fields must be a list of names"),
            (self.output.compress in ("", "gzip", "zstd"), 'output.compress must be "", gzip or zstd'),
            (self.output.text_field not in ("", "meta", self.output.id_field) and self.output.id_field not in ("", "meta"),
             "output.text_field and output.id_field must be two names other than meta"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)


def _build(cls: type, data: Any, where: str) -> Any:
    """Build dataclass `cls` from a dict, rejecting unknown keys and wrong types by name."""
    if not isinstance(data, dict):
        raise ConfigError(f"[{where}] must be a table, got {type(data).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        section = f"[{where}]" if where else "the top level"
        raise ConfigError(f"unknown key {unknown[0]!r} in {section}; known keys: {', '.join(fields)}")
    values = {}
    for name, value in data.items():
        default = getattr(cls(), name)
        key = f"{where}.{name}" if where else name
        if dataclasses.is_dataclass(default):
            values[name] = _build(type(default), value, key)
        else:
            values[name] = _check_type(key, value, type(default))
    return cls(**values)


def _check_type(key: str, value: Any, expected: type) -> Any:
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if expected is int and isinstance(value, bool) or not isinstance(value, expected):
        raise ConfigError(f"{key} must be {expected.__name__}, got {value!r}")
    return value
