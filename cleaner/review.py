"""`cleaner report OUT`: one self-contained HTML page (no script, no network) to review what a
run removed across the corpus.

It is built from the run's output files in two streaming passes, whatever their size: the first
aggregates (summary.json's figures, characters per site, the largest duplicate clusters) and
keeps a fixed-size random sample of removals per reason (reservoir sampling, seeded: the same
run gives the same page); the second reads back only the documents those samples need, to show
each sample in its context, the span a duplicate repeats, and the document's explain view.
"""
from __future__ import annotations

import html
import json
import os
import random
import tempfile
from collections import Counter, defaultdict

from .model import Removal, restore_text
from .outfolder import OutputFolder, RunOutput, check_apart
from .readers import check_inputs, host_of
from .writers import DOCUMENTS, REMOVED, SUMMARY, read_records

REPORT = "report.html"
SAMPLES_PER_REASON = 12
CLUSTERS = 15
SITES = 30
NOT_ARTICLE_SHOWN = 100
CONTEXT = 240  # characters shown on each side of a sampled removal
EXPLAIN_CHARS = 8_000  # of a document's explain view (the rest is cut, and said so)
WHOLE = {"duplicate:exact-document", "duplicate:near-document", "duplicate:mostly-copy", "boilerplate:not-article"}


def dry_run(inputs: list[str], out_dir: str, config=None, fmt: str = "jsonl", progress=None,
            overwrite: bool = False) -> dict:
    """`cleaner clean --dry-run`: the run goes to a temporary folder; `out_dir` gets only its
    summary.json and report.html. Returns the summary."""
    from .config import Config
    from .pipeline import run, run_key

    config = config or Config()
    check_apart(out_dir, inputs)
    check_inputs(inputs, config.input)
    folder = OutputFolder(out_dir, run_key(inputs, config, fmt), fmt, overwrite=overwrite)  # refused before the work
    try:
        with tempfile.TemporaryDirectory(prefix="cleaner-dry-run-") as tmp:
            scratch = os.path.join(tmp, "out")
            summary = run(inputs, scratch, config, fmt, progress=progress)
            page = build_report(scratch, shown_as=out_dir)
        folder.manifest["dry_run"] = True
        folder.write_atomic(SUMMARY, (json.dumps(summary, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
        folder.write_atomic(REPORT, page.encode("utf-8"))
        folder.save_manifest("complete")
    except BaseException:
        folder.discard()
        raise
    folder.close()
    return summary


def write_report(out_dir: str) -> str:
    """Build the report of the run in `out_dir` and add it to the run; returns its path."""
    page = build_report(out_dir)
    OutputFolder.add_file(out_dir, REPORT, page.encode("utf-8"))
    return f"{out_dir.rstrip('/')}/{REPORT}"


def build_report(out_dir: str, shown_as: str | None = None) -> str:
    """The report page of the run in `out_dir` (named `shown_as` on the page)."""
    with RunOutput(out_dir) as out:
        summary = json.loads(out.read(SUMMARY)) if out.has(SUMMARY) else {}
        fields = out.manifest.get("fields", {})
        id_field, text_field = fields.get("id", "id"), fields.get("text", "text")
        rng = random.Random(0)
        seen: Counter[str] = Counter()
        samples: dict[str, list[dict]] = defaultdict(list)
        clusters: Counter[str] = Counter()
        members: dict[str, list[str]] = defaultdict(list)
        not_article: list[str] = []
        for r in read_records(out, REMOVED):
            reason = r.get("reason", "")
            seen[reason] += 1
            bucket = samples[reason]
            if len(bucket) < SAMPLES_PER_REASON:
                bucket.append(r)
            elif (k := rng.randrange(seen[reason])) < SAMPLES_PER_REASON:
                bucket[k] = r
            if r.get("stage") == "document-dedup" and r.get("duplicate_of"):
                survivor = r["duplicate_of"]["doc_id"]
                clusters[survivor] += 1
                if len(members[survivor]) < 5:
                    members[survivor].append(r["doc_id"])
            if reason == "boilerplate:not-article" and len(not_article) < NOT_ARTICLE_SHOWN:
                not_article.append(r["doc_id"])
        sites: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # documents, characters in, out
        if out.fmt == "jsonl":
            for d in read_records(out, DOCUMENTS):
                meta = d.get("meta") or {}
                site = _site(d.get("url") or meta.get("url"), str(d.get(id_field)))
                row = sites[site]
                row[0] += 1
                row[1] += int(meta.get("chars_in", 0))
                row[2] += int(meta.get("chars_out", 0))
        top = [doc for doc, _ in clusters.most_common(CLUSTERS)]
        wanted = {r["doc_id"] for rs in samples.values() for r in rs}
        wanted |= {r["duplicate_of"]["doc_id"] for rs in samples.values() for r in rs if r.get("duplicate_of")}
        texts = _documents(out, wanted, id_field, text_field)
    return _page(shown_as or out_dir, summary, samples, seen, top, clusters, members, sites, not_article, texts)


def _site(url: object, doc_id: str) -> str:
    if isinstance(url, str) and url:
        return host_of(url) or "(no host)"
    return doc_id.split("/")[0] + "/" if "/" in doc_id else "(no site)"


def _documents(out: RunOutput, wanted: set[str], id_field: str, text_field: str) -> dict[str, tuple[str, list[Removal]]]:
    """The input text and removals of the `wanted` documents (a second pass over the files)."""
    removals: dict[str, list[Removal]] = defaultdict(list)
    for r in read_records(out, REMOVED):
        if r.get("doc_id") in wanted:
            removals[r["doc_id"]].append(Removal.from_json(r))
    kept: dict[str, str] = {}
    if out.fmt == "jsonl":
        for d in read_records(out, DOCUMENTS):
            if d.get(id_field) in wanted:
                kept[d[id_field]] = d.get(text_field, "")
    else:
        for doc in wanted:
            if (name := out.text_name(doc)) is not None:
                kept[doc] = out.read(name).decode("utf-8", "surrogatepass")
    out_texts = {}
    for doc in wanted:
        rs = sorted(removals.get(doc, []), key=lambda r: r.start)
        if doc in kept or rs:
            out_texts[doc] = (restore_text(kept.get(doc, ""), rs), rs)
    return out_texts


# -- the page --------------------------------------------------------------------------------------
_CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd}h3{font-size:1.05em}
table{border-collapse:collapse;margin:.5em 0}td,th{border-bottom:1px solid #eee;padding:.2em .7em;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.figures{display:flex;gap:2em;flex-wrap:wrap}.figure{background:#f6f6f6;padding:.6em 1em;border-radius:6px}
.figure b{display:block;font-size:1.5em}
.sample{border-left:3px solid #ccc;margin:.6em 0;padding:.2em .8em;background:#fafafa}
.ctx{white-space:pre-wrap;font-family:ui-monospace,monospace;font-size:13px}
del{background:#fdd;text-decoration:line-through}ins{background:#dfd;text-decoration:none}
.label{color:#a60;font-size:12px}.doc{white-space:pre-wrap;font-family:ui-monospace,monospace;font-size:13px;
border:1px solid #ddd;padding:.8em;max-height:40em;overflow:auto}
section.explain{margin-top:1.5em}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _n(value: float) -> str:
    return f"{value:,.0f}"


def _anchor(doc_id: str, index: dict[str, int]) -> str:
    return f'<a href="#doc-{index[doc_id]}">{_e(doc_id)}</a>' if doc_id in index else _e(doc_id)


def _bars(rows: list[tuple[str, float]], unit: str) -> str:
    """A horizontal bar chart in inline SVG."""
    if not rows:
        return "<p>none</p>"
    top = max(v for _, v in rows) or 1
    height = 22 * len(rows) + 4
    parts = [f'<svg width="900" height="{height}" role="img" aria-label="{_e(unit)}">']
    for i, (label, value) in enumerate(rows):
        y, w = 4 + 22 * i, max(1, int(400 * value / top))
        parts.append(f'<text x="0" y="{y + 14}" font-size="12">{_e(label[:48])}</text>'
                     f'<rect x="330" y="{y}" width="{w}" height="16" fill="#c55"></rect>'
                     f'<text x="{336 + w}" y="{y + 13}" font-size="12">{_n(value)} {unit}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _page(out_dir, summary, samples, seen, top, clusters, members, sites, not_article, texts) -> str:
    docs, chars = summary.get("documents", {}), summary.get("characters", {})
    index = {doc: i for i, doc in enumerate(sorted(texts))}
    reasons = [(reason, v) for stage in summary.get("removals", {}).values() for reason, v in stage.items()]
    reasons.sort(key=lambda rv: -rv[1]["chars"])
    out = [f"<!doctype html><html lang=en><head><meta charset=utf-8><title>cleaner report: {_e(out_dir)}</title>"
           f"<style>{_CSS}</style></head><body><h1>What cleaner removed</h1><p>Run in <code>{_e(out_dir)}</code>.</p>"]
    share = chars.get("out", 0) / chars["in"] if chars.get("in") else 0.0
    figures = [("documents in", docs.get("in", 0)), ("documents out", docs.get("out", 0)),
               ("duplicates dropped", docs.get("dropped_duplicate", 0)),
               ("not-article pages", docs.get("dropped_not_article", 0)), ("inputs skipped", docs.get("skipped", 0)),
               ("characters in", chars.get("in", 0)), ("characters out", chars.get("out", 0))]
    out.append('<div class="figures" id="figures">' + "".join(
        f'<div class="figure"><b>{_n(v)}</b>{_e(k)}</div>' for k, v in figures)
        + f'<div class="figure"><b>{share:.1%}</b>of characters kept</div></div>')
    stages = [(stage, sum(v["chars"] for v in rs.values())) for stage, rs in summary.get("removals", {}).items()]
    out.append("<h2>Removed, per stage</h2>")
    out.append(_bars(sorted(stages, key=lambda sv: -sv[1]), "characters"))
    out.append("<h2>Removed, per reason</h2>")
    out.append(_bars([(r, v["chars"]) for r, v in reasons], "characters"))
    out.append('<table id="reasons"><tr><th>reason</th><th class="n">removals</th><th class="n">characters</th></tr>'
               + "".join(f'<tr><td><a href="#reason-{_e(r)}">{_e(r)}</a></td><td class="n">{_n(v["count"])}</td>'
                         f'<td class="n">{_n(v["chars"])}</td></tr>' for r, v in reasons) + "</table>")
    if sites:
        rows = sorted(sites.items(), key=lambda kv: -(kv[1][1] - kv[1][2]))[:SITES]
        out.append(f"<h2>Per site (kept documents; the {len(rows)} with most removed)</h2>")
        out.append("<table id=sites><tr><th>site</th><th class=n>documents</th><th class=n>characters in</th>"
                   "<th class=n>removed</th><th class=n>share removed</th></tr>" + "".join(
                       f"<tr><td>{_e(site)}</td><td class=n>{_n(n)}</td><td class=n>{_n(cin)}</td>"
                       f"<td class=n>{_n(cin - cout)}</td><td class=n>{(cin - cout) / cin if cin else 0:.1%}</td></tr>"
                       for site, (n, cin, cout) in rows) + "</table>")
    out.append("<h2>Largest duplicate clusters</h2>")
    if top:
        out.append("<table id=clusters><tr><th>survivor (kept)</th><th class=n>copies dropped</th><th>some copies</th></tr>"
                   + "".join(f"<tr><td>{_e(doc)}</td><td class=n>{_n(clusters[doc])}</td>"
                             f"<td>{', '.join(_e(m) for m in members[doc])}</td></tr>" for doc in top) + "</table>")
    else:
        out.append("<p>No document was dropped as a duplicate.</p>")
    out.append("<h2>Samples of removals, per reason</h2><p>A random sample of each reason (at most "
               f"{SAMPLES_PER_REASON}); the removed text is <del>struck through</del> in its context; for a duplicate, "
               "the span it repeats follows. Each document links to its explain view below.</p>")
    for reason in sorted(samples, key=lambda r: -seen[r]):
        out.append(f'<h3 id="reason-{_e(reason)}">{_e(reason)} ({_n(seen[reason])} removals)</h3>')
        for r in sorted(samples[reason], key=lambda r: (r["doc_id"], r["start"])):
            out.append(_sample(r, texts, index))
    if not_article:
        out.append(f"<h2>Not-article pages (first {len(not_article)})</h2><ul>"
                   + "".join(f"<li>{_anchor(d, index)}</li>" for d in not_article) + "</ul>")
    out.append("<h2>Explain views</h2>")
    for doc in sorted(texts):
        out.append(f'<section class="explain" id="doc-{index[doc]}"><h3>{_e(doc)}</h3>{_explain(*texts[doc])}</section>')
    out.append("</body></html>\n")
    return "".join(out)


def _sample(r: dict, texts, index) -> str:
    doc = r["doc_id"]
    label = r["reason"] + (f' score={r["score"]:.2f}' if r.get("score") is not None else "")
    parts = [f'<div class="sample"><div class="label">{_anchor(doc, index)} {r["start"]}-{r["end"]} {_e(label)}</div>']
    if doc in texts:
        text = texts[doc][0]
        before, after = text[max(0, r["start"] - CONTEXT):r["start"]], text[r["end"]:r["end"] + CONTEXT]
        removed = r["text"] if len(r["text"]) <= 3 * CONTEXT else r["text"][:3 * CONTEXT] + " […]"
        parts.append(f'<div class="ctx">…{_e(before)}<del>{_e(removed)}</del>{_e(after)}…</div>')
    source = r.get("duplicate_of")
    if source and source["doc_id"] in texts:
        span = texts[source["doc_id"]][0][source["start"]:source["end"]]
        span = span if len(span) <= 3 * CONTEXT else span[:3 * CONTEXT] + " […]"
        parts.append(f'<div class="label">repeats {_anchor(source["doc_id"], index)} '
                     f'{source["start"]}-{source["end"]}:</div><div class="ctx"><ins>{_e(span)}</ins></div>')
    parts.append("</div>")
    return "".join(parts)


def _explain(text: str, removals: list[Removal]) -> str:
    """The document with its removals struck through and labelled, cut at EXPLAIN_CHARS."""
    parts, pos = [], 0
    for r in removals:
        if r.start >= EXPLAIN_CHARS:
            break
        parts.append(_e(text[pos:r.start]))
        label = r.reason + (f" of {r.duplicate_of.doc_id}:{r.duplicate_of.start}-{r.duplicate_of.end}"
                            if r.duplicate_of else "")
        parts.append(f'<del>{_e(r.text[:EXPLAIN_CHARS])}</del><span class="label">{{{_e(label)}}}</span>')
        pos = r.end
    tail = text[pos:EXPLAIN_CHARS] if pos < EXPLAIN_CHARS else ""
    cut = f"\n[… {len(text) - EXPLAIN_CHARS:,} more characters]" if len(text) > EXPLAIN_CHARS else ""
    return f'<div class="doc">{"".join(parts)}{_e(tail)}{_e(cut)}</div>'
