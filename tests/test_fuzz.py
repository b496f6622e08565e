"""Fuzzing the readers and the text pipeline with hypothesis: mutated real inputs and arbitrary
text never crash a run, every input ends as documents or recorded skips, and cleaning never
loses text. Brief in CI; longer on demand:

    CLEANER_FUZZ_EXAMPLES=5000 .venv/bin/python -m pytest tests/test_fuzz.py
"""
import gzip
import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleaner import Config, Document, Skip, clean_html, clean_text, restore_text
from cleaner.pipeline import Cleaner
from cleaner.readers import iter_inputs
from conftest import SAMPLES
from test_warc import _records

EXAMPLES = int(os.environ.get("CLEANER_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
CONFIG = Config().with_overrides({"run.workers": 1, "input.max_seconds": 20})

_text = sorted(SAMPLES.glob("*.txt"))[0].read_bytes()[:20000]
_html = (b"<html><head><meta charset='utf-8'><title>Page</title></head><body><nav><a href='/'>Home</a></nav><article>"
         + b"".join(b"<p>" + line + b"</p>" for line in _text.splitlines() if line.strip()) + b"</article></body></html>")
_jsonl = b"".join(json.dumps({"id": f"r{i}", "text": _text[i * 500:(i + 1) * 500].decode("utf-8", "ignore")}).encode()
                  + b"\n" for i in range(5))
_warc = b"".join(_records())
SEEDS = [("page.html", _html), ("page.txt", _text), ("recs.jsonl", _jsonl), ("crawl.warc", _warc),
         ("crawl.warc.gz", b"".join(gzip.compress(r) for r in _records())), ("recs.jsonl.gz", gzip.compress(_jsonl)),
         ("page.txt.gz", gzip.compress(_text))]


@st.composite
def mutated(draw):
    """A seed input with bytes flipped, inserted or cut, and maybe truncated."""
    name, data = draw(st.sampled_from(SEEDS))
    data = bytearray(data)
    for _ in range(draw(st.integers(0, 8))):
        at = draw(st.integers(0, max(0, len(data) - 1)))
        op = draw(st.sampled_from(["flip", "insert", "cut"]))
        if op == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.binary(max_size=16))
        else:
            del data[at:at + draw(st.integers(1, 64))]
    if draw(st.booleans()):
        data = data[:draw(st.integers(0, len(data)))]
    return name, bytes(data)


@FUZZ
@given(inputs=st.lists(mutated(), min_size=1, max_size=3))
def test_mutated_inputs_end_as_documents_or_recorded_skips(tmp_path, inputs):
    paths = []
    for i, (name, data) in enumerate(inputs):
        path = tmp_path / f"{i}-{name}"
        path.write_bytes(data)
        paths.append(str(path))
    items = list(iter_inputs(paths, CONFIG.input))
    assert items and all(isinstance(x, (Document, Skip)) for x in items)
    sources = {x.source.split("@")[0].split(":")[0] for x in items}
    assert sources == set(paths)  # every input is accounted for
    with Cleaner(CONFIG) as cleaner:
        results = list(cleaner.clean_documents(items))
    docs = [x for x in items if isinstance(x, Document)]
    assert len(results) + cleaner.stats.skip_counts.total() - sum(isinstance(x, Skip) for x in items) == len(docs)


@FUZZ
@given(text=st.text(max_size=3000))
def test_any_text_is_cleaned_without_loss(text):
    result = clean_text(text, CONFIG)
    if result.doc.meta.get("skipped"):
        return
    spans = sorted((r.start, r.end) for r in result.removals)
    assert all(0 <= a < b <= len(text) for a, b in spans)
    assert all(b1 <= a2 for (_, b1), (a2, _) in zip(spans, spans[1:]))  # removals never overlap
    assert restore_text(result.text, result.removals) == result.doc.text


@FUZZ
@given(parts=st.lists(st.one_of(st.sampled_from(["<div>", "</div>", "<p>", "</p>", "<script>", "<!--", "-->",
                                                  "<table><tr><td>", "&amp;", "&#0;", "&#xD800;", "<![CDATA[", "<br/>",
                                                  "<h1>", "</h1>", "<html>", "<body>", "</body>"]),
                                 st.text(max_size=40)), max_size=60))
def test_any_markup_is_cleaned_or_skipped(parts):
    result = clean_html("".join(parts), config=CONFIG)
    assert result.dropped or result.text
