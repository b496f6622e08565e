"""Text -> blocks (paragraphs, headings, list items) with exact offsets, whatever the layout the
scraper left, and sentences inside blocks."""
from .blocks import Segmentation, segment, split_blocks
from .layout import Layout
from .sentences import removal_spans, split_sentences

__all__ = ["Layout", "Segmentation", "removal_spans", "segment", "split_blocks", "split_sentences"]
