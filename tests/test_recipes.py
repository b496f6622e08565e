"""Every shell block of the README's Recipes section, run as written (from a copy of the
repository's docs/examples, with the installed `cleaner` on PATH)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def recipes() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Recipes", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, re.S)


def test_the_readme_has_the_recipes_the_issue_names():
    text = "\n".join(recipes())
    for what in ("html/", "--text-field", ".warc", "-o - |", "--index", "cleaner report"):
        assert what in text, what


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """One folder for all recipes, in order: a later one may read an earlier one's output."""
    path = tmp_path_factory.mktemp("recipes")
    shutil.copytree(ROOT / "docs" / "examples", path / "docs" / "examples")
    return path


@pytest.mark.parametrize("block", recipes(), ids=lambda b: b.split()[2] if len(b.split()) > 2 else b[:20])
def test_recipe_runs_as_written(block, workdir):
    if "jq" in block and shutil.which("jq") is None:
        pytest.skip("jq is not installed (Debian: apt-get install jq; .ci/run installs it)")
    tmp_path = workdir
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Error" not in done.stderr
    if "jq -r .title" in block:
        assert done.stdout.strip() == "River park to grow by a third"
    if "--index" in block:
        assert "1 duplicate" in done.stderr.splitlines()[-1] or "1 duplicate" in done.stderr
