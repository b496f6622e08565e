"""Document and passage duplicates on small hand-made cases."""
from __future__ import annotations

from conftest import sample_text

from cleaner import Cleaner, Config, Document


def article_paragraphs() -> list[str]:
    text = sample_text("003")
    start = text.index("A former federal minister says")
    end = text.index("Lack of embassy could slow progress")
    return [p.strip() for p in text[start:end].split("\n\n") if p.strip()]


def run_docs(texts: list[str], config: Config | None = None):
    docs = [Document(id=f"d{i}", text=t, source=f"d{i}") for i, t in enumerate(texts)]
    return list(Cleaner(config).clean_documents(docs))


def test_syndicated_copy_is_dropped_whole_and_points_at_the_original():
    paras = article_paragraphs()
    original = "\n\n".join(["Plane crash could reopen ties, says former minister"] + paras)
    edited = [p.replace("disappointed", "dismayed") for p in paras[1:]]  # Jaccard 0.85 to the original
    copy = "\n\n".join(["Ex-minister: crash a chance for diplomacy"] + edited)
    original_result, copy_result = run_docs([original, copy])
    assert not original_result.dropped and original_result.text == original  # clean prose: untouched
    assert copy_result.dropped and copy_result.text == ""
    (whole,) = copy_result.removals
    assert (whole.start, whole.end, whole.text) == (0, len(copy), copy)
    assert whole.reason == "duplicate:near-document" and whole.stage == "document-dedup"
    assert whole.duplicate_of.doc_id == "d0" and whole.duplicate_of.end == len(original)
    assert 0.8 <= whole.score < 1.0


def test_exact_copy_after_normalisation():
    text = "\n\n".join(article_paragraphs())
    copy = text.replace(",", "").replace("“", '"').replace("”", '"').replace("’", "'").replace(" ", "  ")
    a, b = run_docs([text, copy])
    assert b.dropped and b.removals[0].reason == "duplicate:exact-document" and b.removals[0].score == 1.0


def test_first_occurrence_kept_and_chain_of_copies():
    paras = article_paragraphs()
    texts = ["\n\n".join(paras), "\n\n".join(paras[:-1]), "\n\n".join(paras)]
    r = run_docs(texts)
    assert [x.dropped for x in r] == [False, True, True]
    assert r[2].removals[0].duplicate_of.doc_id == "d0"


def test_distinct_articles_sharing_a_name_and_a_date_survive():
    a = ("On January 8, 2020, Colin Robertson told reporters in Ottawa that the embassy question would return. "
         "He said the government had spent months weighing the cost of reopening a mission in Tehran.\n\n"
         "Officials declined to say when a decision would come, but two ministers have asked for a briefing.")
    b = ("On January 8, 2020, Colin Robertson spoke at a trade conference in Calgary about energy exports. "
         "He argued that pipeline capacity, not foreign demand, was what held back the western provinces.\n\n"
         "Industry groups welcomed the remarks and called for a faster review of new projects.")
    ra, rb = run_docs([a, b])
    assert ra.text == a and rb.text == b and not ra.removals and not rb.removals


def test_quote_with_a_changed_word_inside_a_long_paragraph():
    quote_source = ("The minister was blunt. “We cannot keep waiting for other countries to speak for the families "
                    "of the victims,” she said on Friday.\n\nShe added that a team would travel next week.")
    long_para = ("Reaction came quickly from across the political spectrum, with opposition leaders demanding a full "
                 "accounting of the government's plan and a timeline for consular access. Earlier, the minister said "
                 "we cannot keep waiting for other nations to speak for the families of the victims. Opposition "
                 "critics said the statement came far too late and offered nothing new to the families involved.")
    a, b = run_docs([quote_source, "Ottawa under pressure\n\n" + long_para])
    assert not a.removals
    (r,) = [x for x in b.removals if x.stage == "passage-dedup"]
    assert r.reason == "duplicate:passage"
    assert "other nations to speak for the families of the victims" in r.text
    assert r.duplicate_of.doc_id == "d0"
    assert "other countries to speak for the families" in quote_source[r.duplicate_of.start:r.duplicate_of.end]
    assert "Reaction came quickly" in b.text and "Opposition critics said" in b.text
    assert "other nations" not in b.text


def test_repeated_short_lines_are_never_duplicates():
    speech = ("Thank you.\n\nThe committee met for three hours and heard from eleven witnesses about the budget.\n\n"
              "Thank you.\n\nMembers then voted to send the bill back for a second reading next month.\n\nThank you.")
    (r,) = run_docs([speech])
    assert r.text == speech
    r1, r2 = run_docs(["Thank you.\n\nGood night.", "Thank you.\n\nGood night, everyone."])
    assert r2.text.startswith("Thank you.")


def test_paragraph_mostly_copied_goes_whole_and_within_document_repeat():
    p1 = "The river rose four metres overnight and forced hundreds of families from homes along the valley floor."
    p2 = "Emergency crews worked through the night to reinforce the dikes near the old mill and the rail bridge."
    text = "\n\n".join([p1, p2, "Later that day officials repeated the warning.", p1 + " " + p2])
    (r,) = run_docs([text])
    (rem,) = [x for x in r.removals if x.stage == "passage-dedup"]
    assert rem.reason == "duplicate:paragraph" and rem.text.startswith(p1 + " " + p2)
    assert (rem.duplicate_of.start, rem.duplicate_of.end) == (0, text.index(p2) + len(p2))
    assert r.text.count(p1) == 1 and r.text.count(p2) == 1


def test_passages_off_and_dedup_off():
    text = "\n\n".join(article_paragraphs())
    r = run_docs([text, text], Config().with_overrides({"dedup.enabled": False}))
    assert not any(x.dropped for x in r)
    r = run_docs([text + "\n\n" + article_paragraphs()[2]], Config().with_overrides({"dedup.passages.enabled": False}))
    assert not [x for x in r[0].removals if x.stage == "passage-dedup"]


def test_character_shingles_and_thresholds_are_configurable():
    paras = article_paragraphs()
    text = "\n\n".join(paras)
    variant = text.replace("Allan Rock", "Alan Rock").replace("disappointed", "dissapointed")
    cfg = Config().with_overrides({"dedup.documents.shingle": "char", "dedup.documents.ngram": 7,
                                   "dedup.passages.enabled": False})
    a, b = run_docs([text, variant], cfg)
    assert b.dropped and b.removals[0].score > 0.9
    strict = Config().with_overrides({"dedup.documents.threshold": 0.999, "dedup.passages.enabled": False})
    a, b = run_docs([text, variant], strict)
    assert not b.dropped  # below the threshold: kept at document level


def test_clusters_by_union_find_keep_the_first_document():
    from cleaner.config import DocumentDedupConfig
    from cleaner.dedup.doc_fingerprint import DocumentFingerprinter
    from cleaner.dedup.document_index import DocumentIndex

    paras = article_paragraphs()
    texts = ["\n\n".join(paras), "\n\n".join(paras[:-1]), "\n\n".join(paras[1:-1]), "Something else entirely, about rivers."]
    index = DocumentIndex(DocumentDedupConfig())
    fps = DocumentFingerprinter(DocumentDedupConfig()).fingerprints(texts)
    matches = [index.check_and_add(f"d{i}", len(t), fp) for i, (t, fp) in enumerate(zip(texts, fps))]
    assert matches[0] is None and matches[3] is None
    assert matches[1].doc_id == "d0"
    assert matches[2] is not None
    assert [index.cluster_of(i) for i in range(4)] == ["d0", "d0", "d0", "d3"]


def test_batch_grouping_decides_exactly_as_one_document_at_a_time():
    import random

    from cleaner.config import DocumentDedupConfig
    from cleaner.dedup.doc_fingerprint import DocumentFingerprinter
    from cleaner.dedup.document_index import DocumentIndex

    rnd = random.Random(3)
    words = " ".join(article_paragraphs()).split()
    texts = []
    for i in range(120):  # originals, exact copies, light and heavy edits, some empty
        if texts and rnd.random() < 0.5:
            base = rnd.choice(texts).split()
            rate = rnd.choice([0.0, 0.01, 0.03, 0.1])
            texts.append(" ".join(rnd.choice(words) if rnd.random() < rate else w for w in base))
        else:
            texts.append(" ".join(rnd.choices(words, k=rnd.randint(0, 300))))
    cfg = DocumentDedupConfig()
    one, batched = DocumentIndex(cfg), DocumentIndex(cfg)
    one._lsh.cap = batched._lsh.cap = 4  # small buckets, so the cap is exercised too
    fps = DocumentFingerprinter(cfg).fingerprints(texts)
    expected = [one.check_and_add(f"d{i}", len(t), fp) for i, (t, fp) in enumerate(zip(texts, fps))]
    got = []
    for start in range(0, len(texts), 17):
        got += batched.check_batch([(f"d{i}", len(texts[i]), fps[i]) for i in range(start, min(start + 17, len(texts)))])
    assert got == expected
    assert sum(m is not None for m in got) > 20
    assert [batched.cluster_of(i) for i in range(len(texts))] == [one.cluster_of(i) for i in range(len(texts))]


def test_grouping_on_disk_finds_what_an_index_in_memory_finds():
    """The passage candidates of band-key grouping (partitions spilled to disk) are those of a
    streaming index: for each window, the first BUCKET_CAP units of each of its band keys that
    come before its document."""
    import random

    import numpy as np

    from cleaner.config import PassageDedupConfig
    from cleaner.dedup.index import BandTable
    from cleaner.dedup.passage_index import BUCKET_CAP, WINDOW_BITS, PassageIndex, group_partitions, unit_codes
    from cleaner.dedup.passage_keys import PassageFingerprinter
    from cleaner.dedup.units import pack_units, passage_units
    from cleaner.segment import split_blocks

    rnd = random.Random(4)
    words = " ".join(article_paragraphs()).split()
    shared = "This sentence is repeated word for word on a great many pages of the corpus today."
    texts = []
    for i in range(150):  # a sentence on 100 pages (more than a bucket holds), quotes, new text
        paras = [" ".join(rnd.choices(words, k=rnd.randint(12, 30))) + "." for _ in range(3)]
        if i % 3:
            paras.insert(1, shared)
        if texts and rnd.random() < 0.3:
            paras.append(rnd.choice(texts).split("\n\n")[-1])
        if i % 5 == 0:
            paras.insert(0, "Brief note.")  # a unit too short to index: units and indexed units differ
        texts.append("\n\n".join(paras))
    cfg = PassageDedupConfig()
    units = [passage_units(t, split_blocks(t), frozenset(), cfg.min_words) for t in texts]
    keys = PassageFingerprinter(cfg).keys(units, [f"d{i}" for i in range(len(texts))])
    index = PassageIndex(cfg, memory_bytes=1 << 14)  # spills
    table = BandTable(cap=BUCKET_CAP)
    expected = set()
    items_of = []
    for i, (u, pk) in enumerate(zip(units, keys)):
        codes = np.concatenate([np.flatnonzero(pk.indexable) * cfg.max_window, pk.windows])
        for code, found in zip(codes.tolist(), table.query_rows(np.concatenate([pk.unit_keys, pk.window_keys]))):
            expected |= {(i, code, item) for item in found}
        ordinal, items = index.add(i, f"d{i}", pack_units(u), pk)
        assert ordinal == i
        items_of.append(items)
        table.add_rows(pk.unit_keys, items[pk.indexable].tolist())
    assert any(not pk.indexable.all() for pk in keys)
    assert index.queries.count < sum(pk.window_keys.size for pk in keys) / 2  # keys no earlier unit has: not written
    tasks = list(index.group_tasks(rows=5000))
    assert len(tasks) > 1
    for rows in (1 << 20, 7):  # a partition's queries at once, and a few at a time
        pairs = np.concatenate([group_partitions(task, rows) for task in tasks])
        got = set()
        for w, item in pairs.tolist():  # (a unit's own query names it by its rank among the indexed units)
            ordinal, code = w >> WINDOW_BITS, w & ((1 << WINDOW_BITS) - 1)
            got.add((ordinal, int(unit_codes([code], items_of[ordinal], cfg.max_window)[0]), item))
        assert got == expected
    per_window = {}
    for ordinal, code, item in expected:
        per_window[(ordinal, code)] = per_window.get((ordinal, code), 0) + 1
    assert max(per_window.values()) >= BUCKET_CAP  # the cap was reached
    index.close()


BOX = ["DL Marcus Hale 57 77% 3 tackles (3 combined). 1 sack, 1 TFL",
       "DL Devon Price 61 80% 2 tackles (2 combined). 0 sack, 2 TFL",
       "DL Tariq Bell 57 77% 3 tackles (3 combined). 1 sack, 1 TFL"]
YIELDS = ["The 10-year note rose 7/32 to yield 1.786% in late trading after the auction closed.",
          "The 30-year note rose 9/32 to yield 2.214% in late trading after the auction closed."]


def test_figures_must_match_passages_that_differ_only_in_numbers_stay():
    text = "\n\n".join(YIELDS + [BOX[0], BOX[1]]) + "\n"
    (r,) = run_docs([text])
    assert r.text == text and r.removals == []


def test_figures_must_match_documents_that_differ_only_in_numbers_stay():
    a = "\n\n".join(YIELDS) + "\n"
    b = a.replace("7/32", "5/32").replace("1.786", "1.802").replace("9/32", "3/32")
    first, second = run_docs([a, b])
    assert not first.dropped and not second.dropped and second.text == b


def test_a_sentence_copied_but_for_its_own_figures_stays():
    # A log of arrests: the charges repeat, the names and the bail are each entry's own. The
    # copied words hold no figure, the entry does: text that goes never holds a figure its
    # source lacks.
    log = ["Ryan S. Hollman: Dealing in heroin, possession of methamphetamine, visiting a common nuisance, "
           "held in jail in lieu of $326,000 bond.",
           "Jonathan P. Blair: Possession of methamphetamine, visiting a common nuisance, held in jail in lieu "
           "of $72,500 bond."]
    text = "Arrests made this week by the county drug task force were these:\n\n" + "\n\n".join(log) + "\n"
    (r,) = run_docs([text])
    assert r.text == text and r.removals == []


def test_exact_repeats_with_the_same_figures_are_still_duplicates():
    para = "The 10-year note rose 7/32 to yield 1.786% in late trading, the highest close since the summer began."
    first, second = run_docs([para + "\n\nA first report ends here with more words about the market.\n",
                              "Another wire report opens differently today, with its own account of how traders "
                              "spent a quiet session waiting for the central bank to say what comes next.\n\n"
                              + para + "\n"])
    assert [x.reason for x in second.removals] == ["duplicate:paragraph"]
    assert second.removals[0].duplicate_of.doc_id == "d0"
    copy, again = run_docs(["\n\n".join(YIELDS) + "\n"] * 2)
    assert again.dropped and again.removals[0].reason == "duplicate:exact-document"



def test_passage_keys_of_a_batch_are_each_documents_own():
    """A batch's documents are keyed together: a document's keys, and the earlier units of its
    own that share a key with its windows, are what it gets alone (another document's repeat of
    the same sentence is not its own)."""
    import random

    import numpy as np

    from cleaner.config import PassageDedupConfig
    from cleaner.dedup.passage_keys import PassageFingerprinter
    from cleaner.dedup.units import passage_units
    from cleaner.segment import split_blocks

    rnd = random.Random(5)
    words = " ".join(article_paragraphs()).split()
    shared = "The same sentence about the harbour works turns up in several of these pages today."
    texts = ["", "Too short."]
    for i in range(40):  # repeats within a page, and the same sentence on other pages
        paras = [" ".join(rnd.choices(words, k=rnd.randint(10, 40))) + "." for _ in range(rnd.randint(1, 6))]
        paras.insert(rnd.randint(0, len(paras)), shared)
        if i % 2:
            paras.append(rnd.choice(paras))
        texts.append("\n\n".join(paras))
    cfg = PassageDedupConfig()
    units = [passage_units(t, split_blocks(t), frozenset(), cfg.min_words) for t in texts]
    ids = [f"d{i}" for i in range(len(texts))]
    fp = PassageFingerprinter(cfg)
    batch = fp.keys(units, ids)
    assert sum(bool(k.same_doc) for k in batch) >= 15
    for u, doc_id, got in zip(units, ids, batch):
        alone = fp.keys([u], [doc_id])[0]
        assert got.same_doc == alone.same_doc and got.records == alone.records
        for name in ("indexable", "unit_keys", "record_ends", "windows", "window_keys"):
            assert np.array_equal(getattr(got, name), getattr(alone, name)), name
