"""The library API: cleaner.clean on paths, texts, records and Documents; Result's shortcuts
and short repr; the package declares its type hints."""
from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SAMPLES

import cleaner

TEXT = ("The council voted on Tuesday to expand the river park after a long public consultation that drew "
        "hundreds of residents to the town hall over three evenings.")


def test_clean_takes_paths_texts_records_and_documents_in_order():
    sample = str(SAMPLES / "002_b69451258af3ce0b.txt")
    items = [TEXT, {"id": "rec-1", "text": TEXT.replace("river", "harbour") + " And more on the boats.",
                    "lang": "en"},
             cleaner.Document(id="mine", text="A document of my own about the winter market and its stalls."),
             sample]
    results = list(cleaner.clean(items, cleaner.Config().with_overrides({"dedup.enabled": False})))
    assert [r.id for r in results] == ["text:0", "rec-1", "mine", "002_b69451258af3ce0b.txt"]
    assert results[0].text == TEXT
    assert results[1].doc.fields == {"id": "rec-1", "lang": "en"}
    assert results[3].title == "Canada Confirms Talks to Renew Iran Ties"
    assert [r.id for r in cleaner.clean(sample)] == ["002_b69451258af3ce0b.txt"]  # one path as a string


def test_a_string_that_looks_like_a_missing_path_is_an_error_not_a_text():
    with pytest.raises(cleaner.readers.InputError, match="does not exist"):
        list(cleaner.clean(["scrapes/day-1"]))
    with pytest.raises(TypeError, match="item 0 is a int"):
        list(cleaner.clean([42]))


def test_duplicates_across_texts_of_one_call():
    results = list(cleaner.clean([TEXT + " " + TEXT.replace("Tuesday", "Monday"), TEXT + " " + TEXT.replace("Tuesday", "Monday")]))
    assert not results[0].dropped and results[1].dropped


def test_result_repr_is_short_and_fields_are_documented():
    r = cleaner.clean_text(TEXT * 200)
    assert len(repr(r)) < 100 and repr(r).startswith("<Result 'text'")
    assert r.url is None and r.id == "text"
    for name in ("doc", "text", "removals", "dropped", "restore_text"):
        assert name in cleaner.Result.__doc__


def test_type_hints_are_declared():
    assert (Path(cleaner.__file__).parent / "py.typed").exists()
    assert "py.typed" in (Path(cleaner.__file__).parent.parent / "pyproject.toml").read_text()
