import os

import pytest

from cleaner import run
from cleaner.outfolder import OutputFolder
from cleaner.writers import OutputWriter, text_file_name


def test_text_file_names_stay_inside_the_output():
    assert text_file_name("000_abc.txt") == "000_abc.txt"
    assert text_file_name("sub/page.html") == "sub/page.html.txt"
    assert text_file_name("../../etc/passwd") == "etc/passwd.txt"
    assert text_file_name("recs.jsonl:3") == "recs.jsonl_3.txt"
    assert text_file_name("/abs/.hidden") == "abs/hidden.txt"


def test_finished_run_leaves_only_final_files(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text("One paragraph of text that is long enough to be kept as it is.")
    run([str(src)], str(tmp_path / "out"))
    assert sorted(os.listdir(tmp_path / "out")) == ["documents.jsonl", "manifest.json", "removed.jsonl", "summary.json"]


def test_failed_run_leaves_nothing_under_a_final_name(tmp_path):
    folder = OutputFolder(str(tmp_path / "out"), "key", "jsonl")
    w = OutputWriter(folder, "jsonl", "key")
    w.abort()
    assert [name for name in os.listdir(tmp_path / "out") if not name.startswith(".")] == ["manifest.json"]
    with pytest.raises(ValueError, match="unknown output format"):
        OutputWriter(folder, "xml")
    folder.close()
