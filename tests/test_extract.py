import cleaner
from cleaner.extract import visible_lines

PARAS = [
    "The harbour authority approved a plan on Monday to dredge the main channel before the autumn storms arrive.",
    "Fishing crews have complained for years that silt makes the entrance dangerous at low tide, officials said.",
    "The work will cost about four million dollars and will be paid for from the port's reserve fund.",
    "A spokesperson said ferries would keep running on their normal timetable while the dredgers are at work.",
]
PAGE = f"""<!DOCTYPE html><html><head><title>Harbour to be dredged | Coast Daily</title></head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li></ul></nav>
<article><h1>Harbour to be dredged before storms</h1>
{''.join(f'<p>{p}</p>' for p in PARAS)}
<ul><li>Dredging starts in August</li><li>Ferries unaffected</li></ul>
</article>
<footer><p>Copyright Coast Daily. All rights reserved.</p></footer></body></html>"""


def test_html_main_content_with_blocks_and_metadata():
    r = cleaner.clean_html(PAGE, url="https://coast.example/harbour")
    for p in PARAS:
        assert p in r.text
    assert "Sport" not in r.text and "All rights reserved" not in r.text
    assert r.doc.title == "Harbour to be dredged before storms"
    assert r.doc.url == "https://coast.example/harbour"
    assert r.doc.meta["extraction"] == "trafilatura"
    assert r.doc.hints[0] == "h" and "li" in r.doc.hints
    assert "Dredging starts in August\nFerries unaffected" in r.doc.text  # list items on consecutive lines


def test_fallback_to_visible_text_when_trafilatura_finds_nothing():
    # trafilatura discards a page whose only text sits in an <aside>; the page is not dropped.
    r = cleaner.clean_html("<html><body><aside><p>Aside text only here, nothing else.</p></aside>"
                           "<script>var x = 1;</script></body></html>")
    assert r.doc.meta["extraction"] == "fallback"
    assert r.text.strip() == "Aside text only here, nothing else."


def test_page_without_text_is_reported_not_crashed():
    r = cleaner.clean_html("<html><body><script>only();</script></body></html>")
    assert r.dropped and r.doc.meta["skipped"] == "no-text"


def test_visible_lines_one_block_per_line_and_malformed_html():
    assert visible_lines("<div>A<p>B</p>C<br>D</div><style>x{}</style>") == ["A", "B", "C", "D"]
    assert visible_lines("<p>unclosed <b>bold <i>text") == ["unclosed bold text"]
    assert visible_lines("") == []


def test_nested_inline_markup_keeps_word_order():
    from lxml import etree

    from cleaner.extract import _split_on_breaks

    el = etree.fromstring("<p>one <hi>two <ref>three</ref> four</hi> five<lb/>six <hi>seven</hi></p>")
    assert _split_on_breaks(el) == ["one two three four five", "six seven"]


def test_text_between_blocks_is_kept():
    from lxml import etree

    from cleaner.extract import _body_lines

    body = etree.fromstring("<body>lead<head>Title</head>between blocks<p>Para.</p>tail text</body>")
    assert _body_lines(body) == [("lead", "p"), ("Title", "h"), ("between blocks", "p"), ("Para.", "p"), ("tail text", "p")]


DATED = f"""<!DOCTYPE html><html><head><title>Harbour to be dredged | Coast Daily</title>
<meta property="og:title" content="Port board approves dredging">
<meta property="og:url" content="https://coast.example/news/harbour">
<meta name="author" content="Ann Lee"><meta property="article:tag" content="ports">
<script type="application/ld+json">{{"@context": "https://schema.org", "@type": "NewsArticle",
"headline": "Harbour to be dredged before storms", "datePublished": "2021-03-04T08:00:00Z"}}</script>
</head><body><article><h1>Harbour to be dredged before storms</h1>
{''.join(f'<p>{p}</p>' for p in PARAS)}<p>Published March 4, 2021</p></article></body></html>"""


def test_title_date_and_url_are_the_ones_trafilatura_finds():
    # cleaner reads only the metadata fields it keeps, with trafilatura's own functions on the
    # tree it parsed once: the same values as trafilatura's full metadata extraction
    import trafilatura

    json_title = DATED.replace('<meta property="og:title" content="Port board approves dredging">', "")
    for page, url in ((DATED, None), (json_title, None), (PAGE, "https://coast.example/harbour"), (PAGE, None)):
        full = trafilatura.bare_extraction(page, url=url, with_metadata=True)
        r = cleaner.clean_html(page, url=url)
        assert (r.doc.title, r.doc.date, r.doc.url) == (full.title, full.date, full.url)
    assert cleaner.clean_html(DATED).doc.date == "2021-03-04"
    assert cleaner.clean_html(json_title).doc.title == "Harbour to be dredged before storms"  # from JSON-LD


def test_a_page_trafilatura_rejects_keeps_only_its_title_element():
    # the visible-text fallback: the page's <title>, no metadata from tags it was not cleaned by
    page = ('<html><head><title>Page | Site</title><meta property="og:title" content="Real headline">'
            '<link rel="canonical" href="https://ex.example/a"><meta name="date" content="2021-03-04">'
            '</head><body><div></div><aside><p>Aside text only here, nothing else.</p></aside></body></html>')
    doc = cleaner.clean_html(page).doc
    assert doc.meta["extraction"] == "fallback"
    assert (doc.title, doc.date, doc.url) == ("Page | Site", None, None)


def test_control_characters_in_markup_are_dropped_before_parsing():
    r = cleaner.clean_html(PAGE.replace("approved a plan", "approved\x00 a plan\x07"))
    assert PARAS[0] in r.text
