"""Blocks are paragraphs whatever the layout: small hand-written texts in each layout scrapers
leave (hard-wrapped, Markdown, text-browser dumps, raw DOM text, CRLF), their blocks, the layout
detected, and restore exact through the whole pipeline."""
from __future__ import annotations

import pickle

import cleaner
from cleaner.config import Config
from cleaner.model import restore_text
from cleaner.segment import pack_segmentation, segment, unpack_segmentation

WRAPPED = """\
The council voted on Tuesday to expand the river park after a long public
consultation that drew hundreds of residents to the town hall over three
evenings in the spring.

Residents who attended the meeting said the plan would protect the wetlands
from new building. The mayor said work would begin in the spring.
"""

MARKDOWN = """\
River park to grow
==================

The council voted on Tuesday to expand the *river park* after a long
[public consultation](https://example.org/consultation).

## Read next

- [Bridge closed for repairs](https://example.org/bridge)
- [Library opens new wing](https://example.org/library)
- [Ferry fares to rise](https://example.org/ferry)

![The park at dawn](https://example.org/park.jpg)

```
code that stays one block

even across a blank line
```

| Year | Visitors |
|------|----------|
| 2023 | 12,000 |
"""

LYNX = """\
   * Home
   * News
       + Local
       + World
   * Sport

Search: ____________________ (BUTTON) Go

[IMG]

River park to grow

   The council voted on Tuesday to expand the river park after a long public
   consultation that drew hundreds of residents to the town hall over three
   evenings in the spring.
"""

DOM = """\



   \nThe council \nvoted\n on Tuesday to expand the river park after a long public consultation.



\nResidents said the plan would protect the wetlands.




\nHome\n\n\n\nContact
"""


def texts(text: str) -> list[str]:
    return [b.text for b in segment(text).blocks]


def partitions(text: str) -> bool:
    blocks = segment(text).blocks
    return (blocks[0].start == 0 and blocks[-1].end == len(text)
            and all(a.end == b.start for a, b in zip(blocks, blocks[1:])))


def test_hard_wrapped_paragraphs_are_one_block_each():
    s = segment(WRAPPED)
    assert s.layout.name == "wrapped" and s.layout.width is not None
    assert texts(WRAPPED) == [
        "The council voted on Tuesday to expand the river park after a long public consultation that drew "
        "hundreds of residents to the town hall over three evenings in the spring.",
        "Residents who attended the meeting said the plan would protect the wetlands from new building. "
        "The mayor said work would begin in the spring.",
    ]
    assert partitions(WRAPPED)


def test_a_short_line_ending_a_wrapped_paragraph_is_not_joined_to_the_next():
    text = WRAPPED.replace("\n\n", "\n")  # no blank line: the short last line still ends the paragraph
    assert len(texts(text)) == 2


def test_indented_first_lines_start_paragraphs():
    text = ("    The council voted on Tuesday to expand the river park after a\n"
            "long public consultation that drew hundreds of residents to the\n"
            "town hall over three evenings.\n"
            "    Residents who attended the meeting said the plan would protect\n"
            "the wetlands from new building, and the mayor said work would\n"
            "begin in the spring.\n")
    assert [t.split()[0] for t in texts(text)] == ["The", "Residents"]


def test_markdown_headings_lists_links_images_code_and_tables():
    s = segment(MARKDOWN)
    assert s.layout.name == "markdown"
    kinds = [(b.kind, b.text) for b in s.blocks]
    assert kinds[0] == ("h", "River park to grow")  # setext heading
    assert kinds[1] == ("p", "The council voted on Tuesday to expand the river park after a long public consultation.")
    assert kinds[2] == ("h", "Read next")
    links = s.blocks[3:6]
    assert [b.kind for b in links] == ["li"] * 3 and all(b.link_share > 0.9 for b in links)
    assert links[0].text == "Bridge closed for repairs"
    assert s.blocks[1].link_share < 0.5
    assert kinds[6][0] == "img"
    assert kinds[7][0] == "code" and "even across a blank line" in kinds[7][1]
    assert [k for k, _ in kinds[8:]] == ["tr", "tr"]  # the separator row belongs to the header row
    assert partitions(MARKDOWN)


def test_a_markdown_link_list_makes_a_page():
    menu = "\n".join(f"- [{w}](https://example.org/{w.lower()})" for w in ("Home", "News", "Sport", "Contact"))
    body = ("The council voted on Tuesday to expand the river park after a long public consultation "
            "that drew hundreds of residents.")
    r = cleaner.clean_text(menu + "\n\n" + body + "\n", Config().with_overrides({"dedup.enabled": False}))
    assert r.doc.meta["layout"] == "markdown"
    assert r.text.strip() == body


def test_text_browser_bullets_buttons_and_images():
    s = segment(LYNX)
    assert s.layout.name == "text-browser" and s.layout.browser
    kinds = [(b.kind, b.text) for b in s.blocks]
    assert kinds[:5] == [("li", "Home"), ("li", "News"), ("li", "Local"), ("li", "World"), ("li", "Sport")]
    assert kinds[5][0] == "form" and "BUTTON" not in kinds[5][1] and "_" not in kinds[5][1]
    assert kinds[6][0] == "img"
    assert kinds[7] == ("p", "River park to grow") and s.blocks[7].alone
    assert kinds[8][1].startswith("The council voted") and kinds[8][1].endswith("evenings in the spring.")
    assert partitions(LYNX)


def test_raw_dom_text_joins_inline_cuts_and_skips_blank_runs():
    s = segment(DOM)
    assert s.layout.name == "dom"
    assert texts(DOM) == ["The council voted on Tuesday to expand the river park after a long public consultation.",
                          "Residents said the plan would protect the wetlands.", "Home", "Contact"]
    assert partitions(DOM)


def test_crlf_and_lone_cr_line_ends():
    for newline in ("\r\n", "\r"):
        text = WRAPPED.replace("\n", newline)
        assert texts(text) == texts(WRAPPED)
        assert partitions(text)


def test_one_block_a_line_stays_one_block_a_line():
    text = "Title line\n\nFirst paragraph here.\nSecond line right after.\n"
    assert segment(text).layout.name == "lines"
    assert texts(text) == ["Title line", "First paragraph here.", "Second line right after."]


def test_restore_is_exact_in_every_layout_through_the_pipeline():
    page_nav = "\n".join(["Home", "World", "Business", "Sport", "Culture", "Weather"]) + "\n\n"
    for text in (WRAPPED, MARKDOWN, LYNX, DOM, WRAPPED.replace("\n", "\r\n"), page_nav + WRAPPED):
        r = cleaner.clean_text(text, Config())
        assert restore_text(r.text, r.removals) == text
        assert r.doc.meta["layout"] in {"lines", "wrapped", "markdown", "text-browser", "dom"}


def test_a_packed_segmentation_unpacks_to_the_same_blocks():
    # Pass 1 (site templates) carries its blocks to pass 2 packed: a block's words are left out
    # when they are its content slice, kept when not (markup stripped, wrapped lines joined).
    hinted = ("Title\n\nA [linked](http://x.example) paragraph.\n\n* one\n* two\n", ["h", "p", "li", "li"])
    for text, hints in [(t, None) for t in (WRAPPED, MARKDOWN, LYNX, DOM, WRAPPED.replace("\n", "\r\n"), "", "x")] + [hinted]:
        seg = segment(text, hints)
        packed = pickle.loads(pickle.dumps(pack_segmentation(text, seg)))
        assert unpack_segmentation(text, packed) == seg
    assert unpack_segmentation(DOM + "changed", pack_segmentation(DOM, segment(DOM))) is None
    words = pack_segmentation(DOM, segment(DOM))[4]
    assert any(w is None for w in words) and any(w is not None for w in words)


def test_a_list_of_equal_lines_is_not_wrapped_prose():
    text = "Latest stories\n" + "".join(f"Story number {i} about the village\n" for i in range(6)) + "About us\n"
    assert segment(text).layout.width is None
    assert len(segment(text).blocks) == 8


def test_fences_close_on_their_own_kind():
    text = "Intro line of text here.\n\n~~~\ncode ``` not a close\n```\nstill code\n~~~\n\nAfter the code.\n"
    s = segment(text)
    assert s.layout.markdown
    assert [b.kind for b in s.blocks] == ["p", "code", "p"]


def test_a_wrapped_article_under_a_long_bullet_menu_is_still_wrapped():
    # A text browser's dump: a menu of many short bullet items, then an article whose wrapped
    # lines happen to end at only two widths. The bullet items are no wrapped lines.
    menu = "".join(f"  • {name} {kind}\n" for name in ("Markets", "Opinion", "Real Estate", "Arts", "Travel",
                                                        "Science", "Politics", "Books")
                   for kind in ("Video", "Podcasts", "Columns & Blogs"))
    article = ("Gaming used to be so simple. We bought a game, sat down in front of the TV or\n"
               "PC, ground our way to the end of it and then repeated the whole thing again.\n"
               "\n"
               "Now we spend money over and over on virtual perks. We play on phones and\n"
               "tablets while socializing with far-flung friends. And there is no end as\n"
               "the developers keep updating their biggest hits with new maps, quests or\n"
               "characters.\n")
    text = menu + "\n" + article
    s = segment(text)
    assert s.layout.width is not None
    paragraphs = [b.text for b in s.blocks if b.kind == "p"]
    assert paragraphs[0].startswith("Gaming used") and paragraphs[0].endswith("thing again.")
    assert paragraphs[1].startswith("Now we spend") and paragraphs[1].endswith("characters.")
    assert partitions(text)


def test_a_wrapped_markdown_heading_is_one_block():
    text = ("# The council votes to expand the river park after a long consultation with the\n"
            "residents\n"
            "\n"
            "The council voted on Tuesday to expand the river park after a long public\n"
            "consultation that drew hundreds of residents to the town hall over three\n"
            "evenings in the spring.\n"
            "\n"
            "## What happens next\n"
            "\n"
            "Residents who attended the meeting said the plan would protect the wetlands\n"
            "from new building. The mayor said work would begin in the spring.\n")
    s = segment(text)
    assert s.layout.markdown and s.layout.width
    assert [(b.kind, b.text.split()[-1]) for b in s.blocks] == [
        ("h", "residents"), ("p", "spring."), ("h", "next"), ("p", "spring.")]
    assert partitions(text)


def test_a_line_that_is_an_image_file_name_is_an_image():
    text = ("  • Home\n  • News\n  • Sport\n  • Contact\n\n"
            "bridge-at-night-2.jpgbridge-at-night-2.jpg\n\n"
            "The council voted on Tuesday to expand the river park after a long public\n"
            "consultation that drew hundreds of residents to the town hall over three\n"
            "evenings in the spring. [IMG]\n")
    kinds = [(b.kind, b.text[:6]) for b in segment(text).blocks]
    assert ("img", "bridge") in kinds
