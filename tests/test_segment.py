from cleaner.segment import removal_spans, split_blocks, split_sentences


def test_blocks_partition_the_text_and_strip_content():
    text = "\n\n  Title line \n\nFirst para.\nSecond line\n\n\n\u00a0Last\n"
    blocks = split_blocks(text)
    assert [text[b.content_start:b.content_end] for b in blocks] == ["Title line", "First para.", "Second line", "Last"]
    assert blocks[0].start == 0 and blocks[-1].end == len(text)
    assert all(a.end == b.start for a, b in zip(blocks, blocks[1:]))


def test_blocks_of_blank_text_and_hints():
    assert split_blocks("  \n\n \t") == []
    blocks = split_blocks("A\n\nB\n", hints=["h", "li"])
    assert [b.kind for b in blocks] == ["h", "li"]


def test_windows_line_endings():
    text = "One line.\r\n\r\nTwo line.\r\n"
    assert [text[b.content_start:b.content_end] for b in split_blocks(text)] == ["One line.", "Two line."]


def _sentences(text):
    return [text[s:e] for s, e in split_sentences(text, 0, len(text))]


def test_sentences_respect_abbreviations_initials_and_quotes():
    text = ("Mr. Baird said U.S. troops stay. “It is over,” he said. Was it? Yes! "
            "J. R. Smith left on Jan. 3 at 10 a.m. to Ottawa. The end…")
    assert _sentences(text) == [
        "Mr. Baird said U.S. troops stay.", "“It is over,” he said.", "Was it?", "Yes!",
        "J. R. Smith left on Jan. 3 at 10 a.m. to Ottawa.", "The end…",
    ]


def test_sentence_closing_quote_stays_with_its_sentence():
    assert _sentences("He said: “We live here.” Then he left.") == ["He said: “We live here.”", "Then he left."]


def test_cjk_sentences():
    assert _sentences("今天很好。明天也好！") == ["今天很好。", "明天也好！"]


def test_removal_spans_keep_the_paragraph_readable():
    text = "A one. B two. C three. D four."
    sents = split_sentences(text, 0, len(text))
    cut = removal_spans(sents, [False, True, True, False])
    assert len(cut) == 1
    s, e, i, j = cut[0]
    assert (i, j) == (1, 2) and text[:s] + text[e:] == "A one. D four."
    s, e, _, _ = removal_spans(sents, [True, False, False, False])[0]
    assert text[:s] + text[e:] == "B two. C three. D four."
    s, e, _, _ = removal_spans(sents, [False, False, False, True])[0]
    assert text[:s] + text[e:] == "A one. B two. C three."
