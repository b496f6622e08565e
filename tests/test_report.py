"""`cleaner report OUT` and `--dry-run`: one self-contained page to review a run's removals,
rendered in headless Chromium (Debian's `chromium`; skipped with a message when absent)."""
from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
from click.testing import CliRunner
from conftest import generated_corpus

from cleaner.cli import main

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
MENU = "\n\n".join(["Home", "World", "Business", "Sport", "Culture", "Weather", "Sign in", "Subscribe",
                    "Contact", "About"])


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A generated corpus (copies, site footers) plus two pages with no article, cleaned."""
    folder = tmp_path_factory.mktemp("report")
    corpus = folder / "corpus.jsonl"
    generated_corpus(corpus, n=200, seed=7)
    with open(corpus, "a", encoding="utf-8") as f:
        for i in range(2):
            f.write(json.dumps({"id": f"index-{i}", "text": MENU + f"\n\nPage {i} of the archive\n"}) + "\n")
    out = folder / "out"
    assert invoke("clean", corpus, "-o", out, "-q").exit_code == 0
    r = invoke("report", out)
    assert r.exit_code == 0, r.output
    return out


def test_the_report_shows_the_runs_figures_samples_and_explain_views(run):
    page = (run / "report.html").read_text(encoding="utf-8")
    summary = json.loads((run / "summary.json").read_text())
    assert f'<b>{summary["documents"]["in"]:,}</b>documents in' in page
    assert f'<b>{summary["documents"]["out"]:,}</b>documents out' in page
    for stage in summary["removals"].values():
        for reason, v in stage.items():
            assert f'<td><a href="#reason-{reason}">{reason}</a></td><td class="n">{v["count"]:,}</td>' in page
    assert "Largest duplicate clusters" in page and "<table id=clusters>" in page
    assert "index-0" in page and "Not-article pages" in page
    links = set(re.findall(r'href="#(doc-\d+)"', page))
    assert links and all(f'id="{a}"' in page for a in links)  # every sample's explain view is in the page
    assert "<script" not in page and not re.search(r'(src|href)="(https?:)?//', page)  # nothing to fetch
    manifest = json.loads((run / "manifest.json").read_text())
    assert "report.html" in manifest["files"]  # the run owns it: --overwrite takes it away


def test_the_report_is_the_same_when_built_again(run):
    first = (run / "report.html").read_bytes()
    assert invoke("report", run).exit_code == 0
    assert (run / "report.html").read_bytes() == first


def test_a_folder_that_is_no_run_gets_a_message(tmp_path):
    r = invoke("report", tmp_path)
    assert r.exit_code == 2 and "not a cleaner output folder" in r.stderr


def test_dry_run_writes_only_the_summary_and_the_report(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    generated_corpus(corpus, n=60, seed=3)
    out = tmp_path / "out"
    r = invoke("clean", corpus, "-o", out, "--dry-run")
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "report.html", "summary.json"]
    assert json.loads((out / "summary.json").read_text())["documents"]["in"] == 60
    assert invoke("clean", corpus, "-o", "-", "--dry-run").exit_code == 2
    for command in (["report", out], ["explain", out, "d0000"], ["restore", out, "d0000"]):  # no removal log to read
        r = invoke(*command)
        assert r.exit_code == 2 and "is a dry run" in r.stderr and "without --dry-run" in r.stderr, r.output


def _chromium(url: str, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
                           "--v=0", "--host-resolver-rules=MAP * ~NOTFOUND", *flags, url],
                          capture_output=True, text=True, timeout=120)


def _console(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium)")
def test_the_report_renders_in_chromium_without_console_errors(run, tmp_path):
    # The check can fail: a page with a script error shows up on the console.
    bad = tmp_path / "bad.html"
    bad.write_text("<p>x</p><script>nosuch()</script>")
    assert _console(_chromium(bad.as_uri(), "--dump-dom").stderr)
    done = _chromium((run / "report.html").as_uri(), "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    assert _console(done.stderr) == []
    summary = json.loads((run / "summary.json").read_text())
    dom = done.stdout
    assert f'<b>{summary["documents"]["in"]:,}</b>documents in' in dom
    assert f'<b>{summary["characters"]["out"]:,}</b>characters out' in dom
    shot = tmp_path / "report.png"
    _chromium((run / "report.html").as_uri(), f"--screenshot={shot}", "--window-size=1200,1600")
    assert shot.stat().st_size > 10_000
