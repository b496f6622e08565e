"""Text -> blocks (paragraphs, headings, list items) with exact offsets, whatever the layout the
scraper left, and sentences inside blocks."""
from .blocks import Segmentation, pack_segmentation, segment, split_blocks, unpack_segmentation
from .layout import Layout
from .sentences import removal_spans, split_sentences

__all__ = ["Layout", "Segmentation", "pack_segmentation", "removal_spans", "segment", "split_blocks",
           "split_sentences", "unpack_segmentation"]
