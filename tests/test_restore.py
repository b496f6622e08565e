"""Nothing lost: every document's input text is rebuilt from documents.jsonl + removed.jsonl."""
import json
import os

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleaner import Config, restore, run
from cleaner.cli import main

WORDS = ("the council met on tuesday to discuss budget road repairs and members asked about cost "
         "of new ferry terminal spring delays flooding steel shops quay visitors town wall summer").split()
# Lines that repeat across documents (so boilerplate, site templates and passage dedup all fire).
SHARED = ["Read more: Latest stories from our desk", "Posted 19 mins ago", "Share this article",
          "The council met on Tuesday to discuss the budget for road repairs and the ferry terminal delays."]

sentence = st.lists(st.sampled_from(WORDS), min_size=1, max_size=25).map(lambda ws: " ".join(ws).capitalize() + ".")
odd = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)  # any code point but lone surrogates
line = st.one_of(sentence, st.sampled_from(SHARED), odd, st.just(""))
separator = st.sampled_from(["\n", "\n\n", "\r\n", "  \n", "\n\n\n", "\t\n"])
document = st.lists(st.tuples(line, separator), min_size=1, max_size=20).map(
    lambda parts: "".join(text + sep for text, sep in parts))


def _clean_all(tmp_path, texts: list[str], fmt: str = "jsonl"):
    src = tmp_path / "in.jsonl"
    with open(src, "w", encoding="utf-8") as f:
        for i, text in enumerate(texts):
            f.write(json.dumps({"id": f"d{i}", "url": f"https://site.example/{i}", "text": text}) + "\n")
    out = tmp_path / f"out-{fmt}"
    summary = run([str(src)], str(out), Config().with_overrides({"run.workers": 1}), fmt, overwrite=True)
    return out, summary


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(document, min_size=1, max_size=5))
def test_restore_of_clean_is_the_input(tmp_path, texts):
    out, summary = _clean_all(tmp_path, texts)
    read = {s["source"] for s in summary["skipped"]["inputs"]}  # blank records are skipped, not cleaned
    for i, text in enumerate(texts):
        if any(source.endswith(f":{i + 1}") for source in read):
            assert not text.strip()
            continue
        assert restore(str(out), f"d{i}") == text


def test_restore_command_writes_the_input_text_exactly(tmp_path):
    texts = ["Posted 19 mins ago\r\nThe council met on Tuesday to discuss the budget for road repairs.\n\nNUL\x00here\n",
             "The council met on Tuesday to discuss the budget for road repairs.\nAnd then nothing else happened.\n"]
    for fmt in ("jsonl", "text"):
        out, _ = _clean_all(tmp_path, texts, fmt)
        for i, text in enumerate(texts):
            result = CliRunner().invoke(main, ["restore", str(out), f"d{i}"])
            assert result.exit_code == 0, result.output
            assert result.stdout_bytes == text.encode("utf-8")
    assert os.listdir(out)  # the text format wrote its files
    result = CliRunner().invoke(main, ["restore", str(out), "no-such-id"])
    assert result.exit_code == 2 and "no document 'no-such-id'" in result.output
