"""Boilerplate removal for text: line features, the block classifier, and the removals it yields."""
from __future__ import annotations

from ..config import BoilerplateConfig
from ..model import Block, Removal
from .classifier import classify_lines
from .features import line_features

STAGE = "boilerplate"


def boilerplate_removals(doc_id: str, text: str, blocks: list[Block], stopwords: frozenset[str],
                         cfg: BoilerplateConfig) -> list[Removal]:
    """Removals for the blocks the classifier rejects; neighbouring blocks removed for the same
    reason become one removal."""
    features = [line_features(text[b.content_start:b.content_end], stopwords, b.kind) for b in blocks]
    reasons = classify_lines(features, cfg)
    removals: list[Removal] = []
    for block, reason in zip(blocks, reasons):
        if reason is None:
            continue
        last = removals[-1] if removals else None
        if last is not None and last.reason == reason and last.end == block.start:
            last.end = block.end
            last.text = text[last.start:last.end]
        else:
            removals.append(Removal(doc_id, block.start, block.end, text[block.start:block.end], STAGE, reason))
    return removals
