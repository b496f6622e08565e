"""Duplicate detection benchmark: a generated corpus with known copies, scored for cleaner and for
a plain datasketch baseline in the same run.

    python bench/dedup.py [--docs 20000] [--seed 1]

The generator builds documents from real article text (the ground-truth bodies of
../shared/bench/extraction/scrapinghub, when present) and synthetic articles drawn from their
vocabulary, and records, word by word, which text repeats earlier text:
  - syndicated copies of an article: new headline, trimmed ends, 1-15% of words changed,
    paragraphs swapped or dropped;
  - quotes: 1-3 sentences copied into a later article, inside a paragraph or as one, with small
    edits (punctuation, sometimes a changed word);
  - sidebars: a site's paragraph repeated on many of its pages;
  - same-topic articles: new text sharing a base article's names, places and dates, which must
    survive untouched;
  - reports that differ from each other only in their figures (box scores, market reports,
    results tables, weather), which must survive untouched.
Document truth is exact Jaccard on word 5-grams (computed here, independently of cleaner) at
the threshold; passage truth is the generator's record. Each system runs in a fresh process so
its peak memory is its own.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import pickle
import random
import re
import resource
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

GROUND_TRUTH = Path(__file__).resolve().parent.parent.parent / "shared" / "bench" / "extraction" / "scrapinghub" / "ground-truth.json"
THRESHOLD = 0.8
_WORD = re.compile(r"\w+")


# -- corpus -------------------------------------------------------------------------------------------
@dataclass
class Doc:
    id: str
    paragraphs: list[list[tuple[str, bool, bool]]]  # sentences: (text, is a copy, eligible passage)
    family: int  # the base article it copies (-1: none)
    kind: str  # base, copy, topic
    edit_rate: float = 0.0
    site: int = 0
    text: str = ""
    copied: list[tuple[int, int, bool]] = field(default_factory=list)  # word spans that repeat earlier text

    def build(self) -> None:
        parts, spans, pos = [], [], 0
        for p_index, para in enumerate(self.paragraphs):
            if p_index:
                parts.append("\n\n")
                pos += 2
            for s_index, (sentence, copy, eligible) in enumerate(para):
                if s_index:
                    parts.append(" ")
                    pos += 1
                if copy:
                    spans.append((pos, pos + len(sentence), eligible))
                parts.append(sentence)
                pos += len(sentence)
        self.text = "".join(parts)
        self.copied = spans


class Writer:
    """Synthetic sentences from the vocabulary of real articles (unigram draws: unrelated
    sentences share words, never long runs of them)."""

    def __init__(self, texts: list[str], rng: random.Random):
        counts = Counter(w for t in texts for w in _WORD.findall(t.lower()) if not w.isdigit())
        self.words = [w for w, _ in counts.most_common(20000)]
        self.weights = [c for _, c in counts.most_common(20000)]
        self.rng = rng

    def sentence(self, extra: list[str] = ()) -> str:
        n = self.rng.randint(8, 28)
        words = self.rng.choices(self.words, self.weights, k=n)
        for e in extra:
            words.insert(self.rng.randrange(len(words) + 1), e)
        return " ".join(words).capitalize() + "."

    def paragraph(self, extra: list[str] = ()) -> list[str]:
        return [self.sentence(extra if i == 0 else ()) for i in range(self.rng.randint(2, 4))]

    def headline(self) -> str:
        return " ".join(w.capitalize() for w in self.rng.choices(self.words, self.weights, k=self.rng.randint(5, 10)))

    def edit(self, sentence: str, rate: float) -> tuple[str, float]:
        """Replace about `rate` of the words; returns the sentence and the share changed."""
        tokens = sentence.split(" ")
        changed = 0
        for i in range(len(tokens)):
            if self.rng.random() < rate:
                tokens[i] = self.rng.choices(self.words, self.weights)[0]
                changed += 1
        return " ".join(tokens), changed / max(1, len(tokens))


PLAYERS = ["Marcus Hale", "Devon Price", "Tariq Bell", "Owen Marsh", "Luis Ortega", "Sam Keane", "Jon Avery", "Eli Grant"]
CITIES = ["Albany", "Boise", "Camden", "Dover", "Eugene", "Fresno", "Galway", "Hilo"]
TEAMS = ["Rovers", "United", "Athletic", "Wanderers", "City", "Rangers", "Albion", "Town"]
FIGURES = ["box score", "market report", "results", "weather"]


def figures_report(kind: int, number: int, rng: random.Random) -> list[str]:
    """A report of one fixed shape whose only changes from one report to the next are figures:
    box scores, a market report, a results table, a forecast. None is a copy of another."""
    r = rng.randint
    if FIGURES[kind] == "box score":
        return [f"Defensive statistics for game {number + 1}, player by player, as reported by the league office."] + [
            f"DL {p} {r(20, 90)} {r(10, 99)}% {r(1, 9)} tackles ({r(1, 9)} combined). {r(0, 3)} sack, {r(0, 3)} TFL"
            for p in PLAYERS]
    if FIGURES[kind] == "market report":
        return [f"The {m}-year note rose {r(1, 31)}/32 to yield {r(1, 4)}.{r(100, 999)}% in trading on day {number + 1}."
                for m in (2, 5, 10, 30)] + [
            f"The Dow Jones industrial average rose {r(10, 400)} points, or {r(0, 2)}.{r(10, 99)}%, to {r(20000, 36000)}.",
            f"The S&P 500 gained {r(1, 60)}.{r(10, 99)} points, or {r(0, 2)}.{r(10, 99)}%, to close at {r(2500, 4800)}.{r(10, 99)}."]
    if FIGURES[kind] == "results":
        return [f"Results of round {number + 1} of the league fixtures, with the attendance at each ground."] + [
            f"{a} {r(0, 5)} {b} {r(0, 5)}, attendance {r(1000, 60000)}, half time {r(0, 3)}-{r(0, 3)}"
            for a, b in zip(TEAMS[0::2], TEAMS[1::2])]
    return [f"The forecast for day {number + 1} across the region, city by city, from the weather service."] + [
        f"{c}: high {r(40, 99)}, low {r(20, 60)}, wind {r(2, 30)} mph, chance of rain {r(0, 100)} percent." for c in CITIES]


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z“\"])", text) if s.strip()]


def generate(n_docs: int, seed: int) -> list[Doc]:
    rng = random.Random(seed)
    real = []
    if GROUND_TRUTH.exists():
        truth = json.loads(GROUND_TRUTH.read_text(encoding="utf-8"))
        real = [truth[k]["articleBody"] for k in sorted(truth) if len(truth[k]["articleBody"]) > 400]
    else:
        print(f"warning: no ground truth at {GROUND_TRUTH}: the corpus is built from a few stopwords, "
              f"a crowd of look-alikes; its figures are not the documented ones", file=sys.stderr)
    writer = Writer(real or ["the of and to a in that is was he for it with as his on be at by i"], rng)
    n_sites = max(1, n_docs // 50)
    sidebars = {s: [writer.sentence() for _ in range(2)] for s in range(n_sites)}
    n_base = int(n_docs * 0.8)
    bases: list[Doc] = []
    for i in range(n_base):
        if i < len(real):
            paras = [[(s, False, False) for s in split_sentences(p)] for p in real[i].split("\n") if p.strip()]
            paras = [p for p in paras if p]
        else:
            paras = [[(s, False, False) for s in writer.paragraph()] for _ in range(rng.randint(4, 7))]
        paras.insert(0, [(writer.headline(), False, False)])
        bases.append(Doc("", paras, i, "base", site=rng.randrange(n_sites)))
    ordered: list[tuple[float, Doc]] = [(float(i), d) for i, d in enumerate(bases)]
    extra = n_docs - n_base
    for j in range(extra):
        base = rng.choice(bases)
        pos = base.family + rng.uniform(1, n_base / 4)
        if j % 5 == 4:  # a distinct article on the same topic: shares names, places, dates
            entities = [w for _, _, _ in [(0, 0, 0)] for w in
                        re.findall(r"\b(?:[A-Z][a-z]+|\d{1,4})\b", " ".join(s for p in base.paragraphs[1:] for s, _, _ in p))][:12]
            paras = [[(writer.headline(), False, False)]]
            for _ in range(rng.randint(4, 7)):
                paras.append([(s, False, False) for s in writer.paragraph(rng.sample(entities, min(3, len(entities))))])
            ordered.append((pos, Doc("", paras, base.family, "topic", site=rng.randrange(n_sites))))
            continue
        # Half the copies are syndicated as such: a new headline and 1-3% of words changed; the
        # other half are reworked: 3-15% changed, ends trimmed, paragraphs dropped or swapped.
        # Word 5-gram Jaccard then falls on both sides of the threshold.
        light = rng.random() < 0.5
        rate = rng.uniform(0.01, 0.03) if light else rng.uniform(0.03, 0.15)
        paras = [list(p) for p in base.paragraphs[1:]]
        if not light and len(paras) > 3 and rng.random() < 0.3:
            paras = paras[1:]
        if not light and len(paras) > 3 and rng.random() < 0.3:
            paras = paras[:-1]
        if not light and len(paras) > 4 and rng.random() < 0.2:
            del paras[rng.randrange(1, len(paras) - 1)]
        if not light and len(paras) > 2 and rng.random() < 0.3:
            k = rng.randrange(len(paras) - 1)
            paras[k], paras[k + 1] = paras[k + 1], paras[k]
        copy_paras = []
        for p in paras:
            out = []
            for s, _, _ in p:
                edited, share = writer.edit(s, rate)
                out.append((edited, True, len(edited.split()) >= 12 and share <= 0.10))
            copy_paras.append(out)
        copy_paras.insert(0, [(writer.headline(), False, False)])
        ordered.append((pos, Doc("", copy_paras, base.family, "copy", rate, site=rng.randrange(n_sites))))
    for j in range(max(4, n_docs // 50)):  # reports that differ from each other only in their figures
        paras = [[(line, False, False) for line in figures_report(j % len(FIGURES), j, rng)]]
        ordered.append((rng.uniform(0, n_base), Doc("", paras, -2 - j % len(FIGURES), "figures", site=rng.randrange(n_sites))))
    ordered.sort(key=lambda t: t[0])
    docs = [d for _, d in ordered]
    seen_sidebar: set[int] = set()
    for i, d in enumerate(docs):
        d.id = f"doc{i:06d}"
        if i > 10 and d.kind not in ("topic", "figures") and rng.random() < 0.1:  # a quote from an earlier document
            source = docs[rng.randrange(i)]
            para = rng.choice(source.paragraphs[1:] or source.paragraphs)
            k = rng.randint(1, min(3, len(para)))
            start = rng.randrange(len(para) - k + 1)
            quote = []
            for s, _, _ in para[start:start + k]:
                s = s.replace(",", "", 1) if rng.random() < 0.5 else s
                edited, share = writer.edit(s, 0.05) if rng.random() < 0.5 else (s, 0.0)
                quote.append((edited, True, len(edited.split()) >= 12 and share <= 0.10))
            target = rng.randrange(1, len(d.paragraphs)) if len(d.paragraphs) > 1 else 0
            if rng.random() < 0.6 and len(d.paragraphs) > 1:
                at = rng.randrange(len(d.paragraphs[target]) + 1)
                d.paragraphs[target][at:at] = quote
            else:
                d.paragraphs.insert(target + 1, quote)
        if d.kind not in ("topic", "figures") and rng.random() < 0.4:  # the site's sidebar
            first = d.site not in seen_sidebar
            seen_sidebar.add(d.site)
            d.paragraphs.append([(s, not first, not first and len(s.split()) >= 12) for s in sidebars[d.site]])
        d.build()
    return docs


# -- truth ----------------------------------------------------------------------------------------------
def shingle_set(text: str, n: int = 5) -> set[tuple[str, ...]]:
    tokens = [re.sub(r"\d", "0", w) for w in _WORD.findall(text.lower())]
    return {tuple(tokens[i:i + n]) for i in range(max(1, len(tokens) - n + 1))}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def document_truth(docs: list[Doc]) -> set[str]:
    """Documents with an earlier document at exact Jaccard >= THRESHOLD (within families: only a
    base and its copies can be that close)."""
    by_family: dict[int, list[tuple[int, set]]] = {}
    dup = set()
    for i, d in enumerate(docs):
        if d.kind in ("topic", "figures"):
            continue
        mine = shingle_set(d.text)
        for _, other in by_family.get(d.family, []):
            if jaccard(mine, other) >= THRESHOLD:
                dup.add(d.id)
                break
        by_family.setdefault(d.family, []).append((i, mine))
    return dup


# -- systems (each runs in its own process) --------------------------------------------------------
def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss it is not inherited across exec)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_baseline(docs: list[tuple[str, str]]) -> dict:
    """datasketch as documented: a MinHash per document (update_batch of its shingles) and a
    MinHashLSH with default parameters; a document is a duplicate when the LSH returns anything."""
    from datasketch import MinHash, MinHashLSH

    before = peak_rss_mb()
    t = time.perf_counter()
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=128)
    dropped = set()
    for doc_id, text in docs:
        m = MinHash(num_perm=128)
        m.update_batch([" ".join(s).encode("utf-8") for s in shingle_set(text)])
        if lsh.query(m):
            dropped.add(doc_id)
        lsh.insert(doc_id, m)
    seconds = time.perf_counter() - t
    return {"dropped": dropped, "seconds": seconds, "rss_before": before, "rss_peak": peak_rss_mb(),
            "bands_rows": f"{lsh.b} x {lsh.r}"}


def run_cleaner(docs: list[tuple[str, str]], passages: bool, overrides: dict) -> dict:
    from cleaner import Cleaner, Config, Document

    before = peak_rss_mb()
    cfg = Config().with_overrides({"boilerplate.enabled": False, "dedup.passages.enabled": passages, **overrides})
    cleaner = Cleaner(cfg)
    t = time.perf_counter()
    dropped, removed, sources, mostly = set(), {}, [], set()
    for r in cleaner.clean_documents(Document(id=doc_id, text=text, source=doc_id) for doc_id, text in docs):
        if r.dropped:
            dropped.add(r.doc.id)
            if r.removals and r.removals[0].reason == "duplicate:mostly-copy":
                mostly.add(r.doc.id)
        else:
            removed[r.doc.id] = [(x.start, x.end) for x in r.removals if x.stage == "passage-dedup"]
            sources += [(r.doc.id, x.start, x.end, x.duplicate_of.doc_id, x.duplicate_of.start, x.duplicate_of.end)
                        for x in r.removals if x.stage == "passage-dedup"]
    seconds = time.perf_counter() - t
    timings = cleaner.summary()["timings_seconds"]
    from cleaner.dedup.passage_keys import PassageFingerprinter

    index = cleaner.documents.index if cleaner.documents else None
    pindex = PassageFingerprinter(cfg.dedup.passages) if cleaner.passages else None
    return {"passage_bands": f"{pindex.bands} x {pindex.rows}" if pindex else "-", "dropped": dropped, "mostly": mostly,
            "removed": removed, "sources": sources, "seconds": seconds, "timings": timings,
            "rss_before": before, "rss_peak": peak_rss_mb(),
            "bands_rows": f"{index.bands} x {index.rows}" if index else "-"}


def _child(system: str, corpus_path: str, overrides: dict, queue) -> None:
    with open(corpus_path, "rb") as f:
        docs = pickle.load(f)
    if system == "datasketch":
        queue.put(run_baseline(docs))
    else:
        queue.put(run_cleaner(docs, system == "cleaner", overrides))


def in_process(system: str, corpus_path: str, overrides: dict) -> dict:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    p = ctx.Process(target=_child, args=(system, corpus_path, overrides, queue))
    p.start()
    result = queue.get()
    p.join()
    return result


# -- scoring --------------------------------------------------------------------------------------------
def document_scores(dropped: set[str], truth: set[str], mostly_right: set[str] = frozenset()) -> dict:
    """A drop is right when the document is at Jaccard >= THRESHOLD to an earlier one, or it was
    dropped as mostly a copy and at least `residue` of its words do repeat earlier text."""
    tp = len(dropped & (truth | mostly_right))
    return {"precision": tp / len(dropped) if dropped else 1.0,
            "recall": len(dropped & truth) / len(truth) if truth else 1.0,
            "dropped": len(dropped)}


def passage_scores(docs: list[Doc], result: dict) -> dict:
    """Word-level precision of passage removals; recall over words of eligible copied passages
    (12+ words, up to 10% changed) in documents not dropped whole; same-topic articles touched."""
    removed_words = copied_removed = eligible_words = eligible_removed = 0
    topic_touched = 0
    for d in docs:
        if d.id not in result["removed"]:
            continue
        cuts = result["removed"][d.id]
        if d.kind == "topic" and cuts:
            topic_touched += 1
        for m in _WORD.finditer(d.text):
            cut = any(s <= m.start() and m.end() <= e for s, e in cuts)
            span = next(((s, e, ok) for s, e, ok in d.copied if s <= m.start() < e), None)
            removed_words += cut
            copied_removed += cut and span is not None
            if span is not None and span[2]:
                eligible_words += 1
                eligible_removed += cut
    return {"precision": copied_removed / removed_words if removed_words else 1.0,
            "recall": eligible_removed / eligible_words if eligible_words else 1.0,
            "topic_touched": topic_touched}


def copied_words(d: Doc, start: int = 0, end: int | None = None) -> tuple[int, int]:
    """(words that repeat earlier text by the generator's record, words) in d.text[start:end]."""
    words = [m.start() for m in _WORD.finditer(d.text, start, len(d.text) if end is None else end)]
    return sum(any(s <= w < e for s, e, _ in d.copied) for w in words), len(words)


def mostly_right(result: dict, by_id: dict[str, Doc], residue: float) -> set[str]:
    """The documents dropped as mostly a copy that do have `residue` of their words copied."""
    right = set()
    for i in result.get("mostly", ()):
        copied, words = copied_words(by_id[i])
        if words and copied / words >= residue:
            right.add(i)
    return right


def whole_copy_scores(truth: set[str], result: dict, right: set[str]) -> dict:
    """Documents dropped as mostly a copy (`right`: those rightly), and copies at or above the
    threshold left behind as fragments (not dropped, part of their text removed)."""
    mostly = result["mostly"]
    wrong = mostly - truth - right
    fragments = [i for i in truth if i not in result["dropped"] and result["removed"].get(i)]
    whole = [i for i in truth if i not in result["dropped"] and not result["removed"].get(i)]
    return {"mostly": len(mostly), "mostly_in_truth": len(mostly & truth), "mostly_wrong": len(wrong),
            "fragments": len(fragments), "kept_whole": len(whole)}


def all_removals(docs: list[Doc], truth: set[str], result: dict, right_copies: set[str]) -> tuple[int, int, int]:
    """(right by the generator's record, right also counting repeats the source articles hold
    themselves, all) over every duplicate removal. A dropped document is right as in
    `document_scores`; a removed passage when at least half its words are recorded as copied,
    or, second count, when at least half its word 5-grams occur earlier in the corpus or the
    document (the real article bodies repeat text the generator does not know of: a press
    release's boilerplate, a meal plan's repeated lines)."""
    right = real = total = 0
    seen: set[int] = set()
    for d in docs:
        tokens = [(m.start(), m.group().lower()) for m in _WORD.finditer(d.text)]
        grams = [(tokens[i][0], hash(tuple(w for _, w in tokens[i:i + 5]))) for i in range(len(tokens) - 4)]
        first_at: dict[int, int] = {}  # where each 5-gram first occurs in the document
        for pos, g in grams:
            first_at.setdefault(g, pos)
        if d.id in result["dropped"]:
            total += 1
            ok = d.id in truth or d.id in right_copies
            right += ok
            real += ok
        for s, e in result["removed"].get(d.id, []) if d.id not in result["dropped"] else []:
            copied, words = copied_words(d, s, e)
            total += 1
            right += copied >= 0.5 * words
            mine = [g for pos, g in grams if s <= pos < e]
            found = sum(g in seen or first_at[g] < s for g in mine)
            real += copied >= 0.5 * words or (bool(mine) and found >= 0.5 * len(mine))
        seen.update(g for _, g in grams)
    return right, real, total


def verified_sources(docs: list[Doc], sources: list) -> float:
    """Share of passage removals whose words are at least half contained in the span they point at."""
    text = {d.id: d.text for d in docs}
    ok = 0
    for doc_id, s, e, src, ss, se in sources:
        words = set(_WORD.findall(text[doc_id][s:e].lower()))
        ok += len(words & set(_WORD.findall(text[src][ss:se].lower()))) >= 0.5 * len(words)
    return ok / len(sources) if sources else 1.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a cleaner setting for this run, e.g. dedup.passages.threshold=0.6")
    args = ap.parse_args()
    overrides = {k: json.loads(v) for k, v in (item.split("=", 1) for item in args.set)}
    t = time.perf_counter()
    docs = generate(args.docs, args.seed)
    truth = document_truth(docs)
    kinds = Counter(d.kind for d in docs)
    chars = sum(len(d.text) for d in docs)
    print(f"corpus: {len(docs)} documents ({dict(kinds)}), {chars / 1e6:.1f} M characters, "
          f"{len(truth)} at Jaccard >= {THRESHOLD} to an earlier one; generated in {time.perf_counter() - t:.0f}s")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "corpus.pickle")
        with open(path, "wb") as f:  # the systems get ids and texts only
            pickle.dump([(d.id, d.text) for d in docs], f)
        results = {s: in_process(s, path, overrides) for s in ("datasketch", "cleaner-documents", "cleaner")}
    base = results["datasketch"]
    residue = overrides.get("dedup.documents.residue", 0.6)
    by_id = {d.id: d for d in docs}
    print("\n| system | bands x rows | doc precision | doc recall | docs/s | speed vs datasketch | peak RSS MB (+ over texts loaded) |")
    print("|---|---|---|---|---|---|---|")
    right_copies = {name: mostly_right(r, by_id, residue) for name, r in results.items()}
    for name, r in results.items():
        s = document_scores(r["dropped"], truth, right_copies[name])
        rate = len(docs) / r["seconds"]
        print(f"| {name} | {r['bands_rows']} | {s['precision']:.4f} | {s['recall']:.4f} | {rate:.0f} | "
              f"{rate / (len(docs) / base['seconds']):.2f}x | {r['rss_peak']:.0f} (+{r['rss_peak'] - r['rss_before']:.0f}) |")
    full = results["cleaner"]
    w = whole_copy_scores(truth, full, right_copies["cleaner"])
    print(f"\nwhole copies (cleaner): {w['mostly']} dropped as duplicate:mostly-copy ({w['mostly_in_truth']} at "
          f"Jaccard >= {THRESHOLD}; {w['mostly_wrong']} with less than {residue:.0%} of their words copied: wrong); "
          f"copies at Jaccard >= {THRESHOLD} left as fragments: {w['fragments']}, left whole: {w['kept_whole']}")
    p = passage_scores(docs, full)
    right, real, total = all_removals(docs, truth, full, right_copies["cleaner"])
    print(f"all duplicate removals (documents dropped, passages removed; numeric distractors included): "
          f"precision {right / max(1, total):.4f} by the generator's record ({right} of {total}), "
          f"{real / max(1, total):.4f} counting text the source articles themselves repeat ({real} of {total})")
    figures = [d for d in docs if d.kind == "figures"]
    touched = [d.id for d in figures if d.id in full["dropped"] or full["removed"].get(d.id)]
    print(f"\nreports that differ only in their figures (box scores, market reports, results, weather): "
          f"{len(touched)} of {len(figures)} touched by duplicate removal (must be 0)")
    print(f"passages (cleaner, LSH {full['passage_bands']}): precision {p['precision']:.4f}, recall {p['recall']:.4f} on copied passages of "
          f"12+ words with up to 10% words changed; removals pointing at a span that contains them: "
          f"{verified_sources(docs, full['sources']):.4f}; same-topic articles touched: {p['topic_touched']} of {kinds['topic']}")
    copies = [d for d in docs if d.kind == "copy"]
    for lo, hi in ((0.0, 0.05), (0.05, 0.10), (0.10, 0.16)):
        group = [d for d in copies if lo <= d.edit_rate < hi]
        caught = sum(d.id in full["dropped"] for d in group)
        print(f"  syndicated copies with {lo:.0%}-{hi:.0%} words changed: {caught}/{len(group)} dropped whole")
    print(f"\ncleaner stage seconds (one process): {full['timings']}")


if __name__ == "__main__":
    main()
