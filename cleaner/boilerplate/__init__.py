"""Boilerplate removal for text: line features, the block classifier, and the removals it yields."""
from __future__ import annotations

from ..config import BoilerplateConfig
from ..model import Block, Removal
from .classifier import classify_lines
from .features import block_features
from .model import Model

STAGE = "boilerplate"


def boilerplate_removals(doc_id: str, text: str, blocks: list[Block], stopwords: frozenset[str],
                         cfg: BoilerplateConfig, model: Model | None = None,
                         templates: list[bool] | None = None, learned: bool = True,
                         known_title: str | None = None) -> tuple[list[Removal], str | None]:
    """Removals for the blocks the classifier rejects (neighbouring blocks removed for the same
    reason become one removal), and the text of the page's title line if one was found."""
    features = [block_features(b, stopwords) for b in blocks]
    verdicts, title = classify_lines(features, cfg, model, templates, learned, known_title)
    removals: list[Removal] = []
    scores: list[list[float]] = []
    for block, verdict in zip(blocks, verdicts):
        if verdict is None:
            continue
        reason, score = verdict
        last = removals[-1] if removals else None
        if last is not None and last.reason == reason and last.end == block.start:
            last.end = block.end
            last.text = text[last.start:last.end]
        else:
            last = Removal(doc_id, block.start, block.end, text[block.start:block.end], STAGE, reason)
            removals.append(last)
            scores.append([])
        if score is not None:
            scores[-1].append(score)
    for r, s in zip(removals, scores):
        r.score = sum(s) / len(s) if s else None
    title_text = None if title is None else blocks[title].text  # its words, without the layout's markup
    return removals, title_text
