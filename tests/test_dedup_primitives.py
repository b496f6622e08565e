import numpy as np
import pytest
from datasketch import MinHash
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaner.dedup.index import BandTable, KeyFilter, band_keys, candidate_probability, choose_bands, sort_entries
from cleaner.dedup.minhash import MinHasher
from cleaner.dedup.shingles import (TextWords, char_shingles, hash_words, jaccard, range_positions, to32, word_hashes,
                                     word_shingles, word_spans, words)


def test_normalisation_folds_case_width_and_digits():
    assert words("Ｃａｎａｄａ Straße 2012") == ["canada", "strasse", "0000"]
    assert words("2012", digits=False) == ["2012"]
    assert words("“Hello,” World 42!") == ["hello", "world", "00"]
    text = "“Hello,” World 42!"
    assert [text[s:e] for s, e in word_spans(text)] == ["Hello", "World", "42"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab Z9_0.\u00e9\u0130\ufb01-\n", max_size=40), st.lists(st.tuples(st.integers(0, 45), st.integers(0, 45)),
       min_size=1, max_size=4), st.booleans())
def test_words_of_a_span_equal_words_of_the_cut_text(text, spans, digits):
    # TextWords cuts an ASCII text into words and hashes them once; a span cutting a word must
    # still cut it, and a span's hashes are those of its words, however the table was built
    for t in (text, text.encode("ascii", "ignore").decode()):
        table = TextWords(t, digits)
        ranges = [table.span(s, e) for s, e in spans]
        hashes, numbers, content = table.arrays(frozenset({"ab", "00"}))
        for (s, e), (i, j) in zip(spans, ranges):
            folded, raw = words(t[s:e], digits), words(t[s:e], False)
            assert table.words(i, j) == folded
            assert np.array_equal(hashes[i:j], hash_words(folded))
            written = [hash_words([r])[0] | 1 if r != f else 0 for r, f in zip(raw, folded)] if digits else [0] * len(raw)
            assert numbers[i:j].tolist() == written
            assert content[i:j].tolist() == [w not in {"ab", "00"} for w in folded]


def test_shingles_ignore_case_and_punctuation():
    a = word_shingles(word_hashes("The quick brown fox jumps over the lazy dog."), 3)
    b = word_shingles(word_hashes("the QUICK brown fox -- jumps over the lazy dog"), 3)
    assert np.array_equal(a, b) and len(a) == 7
    assert jaccard(a, b) == 1.0
    c = word_shingles(word_hashes("the quick brown cat jumps over the lazy dog"), 3)
    assert 0 < jaccard(a, c) < 1
    assert len(word_shingles(word_hashes("two words"), 5)) == 1  # shorter than n: one shingle
    assert len(char_shingles("abc abd", 3)) == 5


def test_signature_is_exactly_datasketch_minhash():
    hasher = MinHasher(64, seed=3)
    values = to32(word_shingles(word_hashes("a b c d e f g h i j k l m n o p"), 2))
    ours = hasher.signature(values)
    ref = MinHash(num_perm=64, seed=3, hashfunc=lambda v: v)
    ref.update_batch(values.tolist())
    assert np.array_equal(ours, ref.hashvalues)
    assert hasher.to_datasketch(ours).jaccard(ref) == 1.0


def test_batched_signatures_match_one_by_one():
    hasher = MinHasher(32)
    rng = np.random.default_rng(0)
    sets = [rng.integers(0, 2**32, size=n, dtype=np.uint32) for n in (5, 0, 300, 1, 40, 0)]
    for cells in (64, 1000, 1 << 17):  # one permutation at a time, a few, all
        batch = hasher.signatures(sets, cells=cells)
        for s, row in zip(sets, batch):
            if len(s):
                ref = MinHash(num_perm=32, seed=1, hashfunc=lambda v: v)
                ref.update_batch(s.tolist())
                assert np.array_equal(row, ref.hashvalues)
        assert (batch[1] == 0xFFFFFFFF).all() and (batch[5] == 0xFFFFFFFF).all()


def test_choose_bands_meets_recall_at_threshold():
    bands, rows = choose_bands(0.8, 128, 0.99)
    assert (bands, rows) == (21, 6)
    assert candidate_probability(0.8, bands, rows) >= 0.99
    assert candidate_probability(0.5, bands, rows) < 0.3


def test_band_index_returns_items_sharing_a_band():
    hasher = MinHasher(32)
    sig_a = hasher.signature(np.arange(100, dtype=np.uint32))
    sig_b = hasher.signature(np.arange(100, 200, dtype=np.uint32))
    idx = BandTable()
    idx.add(band_keys(sig_a, 8, 4)[0], 0)
    idx.add(band_keys(sig_b, 8, 4)[0], 1)
    assert idx.query(band_keys(sig_a, 8, 4)[0]) == [0]
    assert idx.query(band_keys(hasher.signature(np.arange(1000, 1100, dtype=np.uint32)), 8, 4)[0]) == []


@pytest.mark.parametrize("n", [1, 7])
def test_band_keys_differ_between_bands(n):
    sig = np.zeros((n, 16), dtype=np.uint32)
    keys = band_keys(sig, 4, 4)
    assert keys.shape == (n, 4) and len(set(keys[0].tolist())) == 4


def test_word_hashes_are_per_word_and_stable():
    assert np.array_equal(word_hashes("Ünïcödé wörds, ASCII 42"), hash_words(["ünïcödé", "wörds", "ascii", "00"]))
    # the same word hashes the same whatever surrounds it, and differently from other words
    assert hash_words(["fox"])[0] == word_hashes("a fox")[1] == word_hashes("FOX!")[0]
    assert len(set(hash_words(["ab", "ba", "abc", "a", "b", "ab\u00e9"]).tolist())) == 6
    assert word_hashes("Straße 12")[1] == word_hashes("strasse 99")[1]  # digits folded to 0
    assert len(word_hashes("")) == 0 and len(word_hashes("  -- ")) == 0



def test_word_hashes_are_the_same_in_another_process_with_another_hash_seed():
    import os
    import subprocess
    import sys

    code = "from cleaner.dedup.shingles import hash_words; print(hash_words(['fox', 'straße', '0000']).tolist())"
    env = dict(os.environ, PYTHONHASHSEED="12345")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == str(hash_words(["fox", "straße", "0000"]).tolist())


def test_batched_shingles_equal_one_by_one():
    from cleaner.dedup.shingles import batch_word_shingles

    texts = ["one two three four five six seven", "", "tiny text", "alpha beta gamma delta epsilon",
             "one two three four five six seven eight nine"]
    hashes = [word_hashes(t) for t in texts]
    for got, h in zip(batch_word_shingles(hashes, 5), hashes):
        assert np.array_equal(got, word_shingles(h, 5) if len(h) else np.empty(0, dtype=np.uint64))


def test_word_hashes_match_hashing_the_words_on_awkward_text():
    texts = ["İstanbul’da ŞEHİR ﬁnal ①②③ x² Ⅸ ２０１２ café—naïve", "emoji 😀 and 𝐁𝐨𝐥𝐝 and 𠀋 astral",
             "snake_case under_score 123abc", "tab\tnew\nline\r\n", "ß and ẞ", "٣ arabic-indic digits ٤٥"]
    for t in texts:
        assert np.array_equal(word_hashes(t), hash_words(words(t))), t


def test_batched_word_hashes_equal_one_by_one():
    from cleaner.dedup.shingles import batch_word_hashes, batch_word_hashes_both

    texts = ["First text, 12 words", "", "  ", "second\x00with a NUL", "Ünïcödé — end", "x", "٣ and 𝟙𝟚"]
    for got, t in zip(batch_word_hashes(texts), texts):
        assert np.array_equal(got, hash_words(words(t))), t
    for batch in (texts, texts[1:3], ["no digits here"]):
        folded, written = batch_word_hashes_both(batch)
        for f, w, t in zip(folded, written, batch):
            assert np.array_equal(f, hash_words(words(t))) and np.array_equal(w, hash_words(words(t, digits=False))), t


def test_document_bands_give_high_recall_at_the_threshold_and_few_candidates_far_below():
    from cleaner.config import DocumentDedupConfig, PassageDedupConfig
    from cleaner.dedup.doc_fingerprint import DocumentFingerprinter
    from cleaner.dedup.passage_keys import PassageFingerprinter

    d = DocumentFingerprinter(DocumentDedupConfig())
    assert candidate_probability(0.8, d.bands, d.rows) >= 0.999
    assert candidate_probability(0.4, d.bands, d.rows) < 0.3
    p = PassageFingerprinter(PassageDedupConfig())
    assert candidate_probability(p.cfg.threshold, p.bands, p.rows) >= 0.9


def test_band_table_matches_a_plain_dict_across_runs_and_merges():
    from cleaner.dedup.index import BandTable

    rng = np.random.default_rng(7)
    table = BandTable(cap=5, max_run=64)  # many runs, merged and unmerged
    plain: dict[int, list[int]] = {}
    for item in range(300):
        keys = rng.integers(0, 60, size=4).astype(np.uint64)  # few distinct keys: long buckets
        table.add(keys, item)
        for k in keys.tolist():
            plain.setdefault(k, []).append(item)
        if item % 37 == 0:
            probe = rng.integers(0, 70, size=3).astype(np.uint64)
            expected = sorted({i for k in probe.tolist() for i in plain.get(k, [])[:5]})
            assert table.query(probe) == expected
    bulk = BandTable(cap=5)
    keys = np.array([k for k, items in plain.items() for _ in items], dtype=np.uint64)
    items = np.array([i for items in plain.values() for i in items], dtype=np.uint32)
    order = np.argsort(items, kind="stable")
    bulk.add_many(keys[order], items[order])
    probe = np.arange(60, dtype=np.uint64)
    assert bulk.query(probe) == table.query(probe)


def test_bucket_candidates_match_a_brute_force_search():
    from cleaner.dedup.index import bucket_candidates

    rng = np.random.default_rng(11)
    keys = rng.integers(0, 40, size=2000).astype(np.uint64)  # few keys: long buckets
    items = rng.permutation(2000).astype(np.int64)
    query_keys = rng.integers(0, 50, size=300).astype(np.uint64)
    query_ids = rng.integers(0, 100, size=300)  # ids repeat: pairs are made unique
    before = rng.integers(0, 2200, size=300)
    for cap in (None, 1, 7):
        expected = set()
        for k, qid, b in zip(query_keys.tolist(), query_ids.tolist(), before.tolist()):
            bucket = sorted(i for key, i in zip(keys.tolist(), items.tolist()) if key == k)
            expected |= {(qid, i) for i in (bucket if cap is None else bucket[:cap]) if i < b}
        ids, found = bucket_candidates(keys, items, query_keys, query_ids, before, cap)
        got = list(zip(ids.tolist(), found.tolist()))
        assert got == sorted(expected) and len(got) > 20


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 3)), max_size=60), st.booleans())
def test_sorted_entries_are_by_key_then_item_as_lexsort_orders_them(entries, by_item):
    # sort_entries sorts by key alone and puts equal keys in order after: the same as a lexsort
    entries = sorted(entries, key=lambda e: e[1]) if by_item else entries
    keys = np.array([k * 0x9E3779B97F4A7C15 % 2**64 for k, _ in entries], dtype=np.uint64)
    items = np.array([i for _, i in entries], dtype=np.uint64)
    order = np.lexsort((items, keys))
    got_keys, got_items = sort_entries(keys, items)
    assert np.array_equal(got_keys, keys[order]) and np.array_equal(got_items, items[order].astype(np.int64))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4), st.integers(4, 200), st.integers(0, 2**32))
def test_band_table_lookups_equal_a_plain_dictionary(cap, max_run, seed):
    # the key filter that spares lookups of keys never filed, and the runs merged as entries come,
    # give the buckets and bucket sizes a dictionary of key -> items in order gives
    rng = np.random.default_rng(seed)
    table, plain = BandTable(cap=cap, max_run=max_run), {}
    pool = rng.integers(0, 2**64 - 1, 300, dtype=np.uint64, endpoint=True)
    item = 0
    for _ in range(30):  # about 15,000 keys filed: the filter (8,192 keys at first) grows
        rows = pool[rng.integers(0, len(pool), (int(rng.integers(1, 40)), 25))]
        found, sizes = table.lookup(rows)
        for row, got, got_sizes in zip(rows.tolist(), found, sizes.tolist()):
            assert got == {i for k in row for i in plain.get(k, [])[:cap]}
            assert got_sizes == [min(len(plain.get(k, [])), cap) for k in row]
        table.add_rows(rows, list(range(item, item + len(rows))))
        for row in rows.tolist():
            for k in row:
                plain.setdefault(k, []).append(item)
            item += 1


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32), st.sampled_from([None, 1 << 13, 1 << 14]))
def test_a_key_filter_never_misses_a_key_filed_and_stays_within_its_bytes(seed, max_bytes):
    # grown (rebuilt from the keys) or held at its cap, every key filed is "maybe"; at the cap
    # it lets more of the others through
    rng = np.random.default_rng(seed)
    seen = KeyFilter(low=4, high=8, max_bytes=max_bytes)
    filed = []
    for _ in range(20):  # 100,000-200,000 keys: past both caps
        keys = rng.integers(0, 2**64 - 1, int(rng.integers(5000, 10000)), dtype=np.uint64, endpoint=True)
        filed.append(keys)
        seen.add(keys, lambda: iter(filed))
        assert seen.maybe(np.concatenate(filed)).all()
    assert seen.nbytes <= (max_bytes or 1 << 30)
    others = rng.integers(0, 2**64 - 1, 20000, dtype=np.uint64, endpoint=True)
    through = seen.maybe(others).mean()
    assert through < 0.3 if max_bytes is None else through > 0.3


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 6)), max_size=12))
def test_range_positions_are_the_ranges_one_after_the_other(ranges):
    starts = np.array([s for s, _ in ranges], dtype=np.int64)
    lengths = np.array([n for _, n in ranges], dtype=np.int64)
    assert range_positions(starts, lengths).tolist() == [p for s, n in ranges for p in range(s, s + n)]


def test_units_and_stored_records_round_trip_with_their_shingles_rebuilt():
    # Packed units and stored records keep words and flags, not shingles: unpacking rebuilds
    # them, and they must be exactly the ones the units were fingerprinted with.
    from conftest import SAMPLES

    from cleaner.boilerplate.language import stopwords
    from cleaner.dedup.units import (batch_unit_arrays, pack_records, pack_units, packed_spans, passage_units,
                                     record_span, record_words)
    from cleaner.model import Span
    from cleaner.segment import split_blocks

    for path in sorted(SAMPLES.glob("*.txt"))[:4]:
        text = path.read_text(encoding="utf-8") + "\n\nIn 2019 the 3 firms paid $4.5m, up 12% on 2018.\n\nx\n"
        blocks = split_blocks(text)
        units = passage_units(text, blocks, stopwords("English"), 8)
        assert any(u.numbers.any() for u in units) and any((u.flags == 0).any() for u in units)
        packed = pack_units(units)
        spans, all_hashes, all_shingles, all_numbers = batch_unit_arrays([packed])[0]  # (as alignment reads them)
        h, s = np.cumsum([0, *spans[:, 3]]), np.cumsum([0, *spans[:, -1]])  # (words, shingles)
        back = [(all_hashes[h[k]:h[k + 1]], all_shingles[s[k]:s[k + 1]], all_numbers[h[k]:h[k + 1]])
                for k in range(len(spans))]
        records = pack_records("döc-7\x00 \udcff", units)  # (ids as read: a NUL, a lone surrogate)
        assert len(back) == len(units) == len(records)
        assert packed_spans(packed) == [  # (the decisions read a unit's paragraph from it)
            (u.block, u.start, u.end, len(u.hashes), blocks[u.block].start, blocks[u.block].end) for u in units]
        for u, read, stored, data in zip(units, back, record_words(records), records):
            assert record_span(data) == Span("döc-7\x00 \udcff", u.start, u.end)
            for hashes, shingles, numbers in (read, stored):  # (content and figure flags make the shingles and numbers)
                assert np.array_equal(hashes, u.hashes) and np.array_equal(shingles, u.shingles)
                assert np.array_equal(numbers, u.numbers)
    assert packed_spans(pack_units([])) == [] and record_words([]) == []


def test_a_waiting_document_keeps_only_its_unindexed_units_words_and_gets_them_all_back():
    # While a document waits for its passage decisions, the store holds its indexed units'
    # words: the spool keeps the spans and the other units' words, and the two make it whole.
    from conftest import SAMPLES

    from cleaner.boilerplate.language import stopwords
    from cleaner.dedup.units import pack_records, pack_units, passage_units, with_indexed
    from cleaner.segment import split_blocks

    rng = np.random.default_rng(2)
    for path in sorted(SAMPLES.glob("*.txt"))[:4]:
        text = path.read_text(encoding="utf-8") + "\n\nIn 2019 the 3 firms paid $4.5m, up 12% on 2018.\n\nx\n"
        units = passage_units(text, split_blocks(text), stopwords("English"), 8)
        packed = pack_units(units)
        for indexed in (rng.random(len(units)) < 0.6, np.ones(len(units), bool), np.zeros(len(units), bool)):
            stripped = pack_units(units, indexed)
            assert len(stripped) <= len(packed) - 5 * sum(len(u.hashes) for u, i in zip(units, indexed) if i)
            records = pack_records("d", [u for u, i in zip(units, indexed) if i])
            assert with_indexed(stripped, indexed, records) == packed
    assert pack_units([], np.zeros(0, bool)) == with_indexed(b"", np.zeros(0, bool), []) == b""


def test_a_stored_document_keeps_its_48_bit_shingles_in_6_bytes_each():
    from conftest import SAMPLES

    from cleaner.dedup.document_index import _pack, _unpack
    from cleaner.dedup.shingles import SHINGLE_BITS

    text = sorted(SAMPLES.glob("*.txt"))[0].read_text(encoding="utf-8")
    shingles = word_shingles(word_hashes(text), 5)
    shingles = np.concatenate([[0], shingles, [(1 << SHINGLE_BITS) - 1]]).astype(np.uint64)
    figures = np.array([7, 2019, 4294967295], dtype=np.uint32)
    for ident, sh, fig in (("döc \udcff", shingles, figures), ("", shingles[:0], figures[:0])):
        data = _pack(ident, sh, fig)
        back_id, back_shingles, back_figures = _unpack(data)
        assert back_id == ident and back_shingles.dtype == np.uint64
        assert np.array_equal(back_shingles, sh) and np.array_equal(back_figures, fig)
        assert len(data) == len(_pack(ident, sh[:0], fig)) + 6 * len(sh)


def test_shingles_shared_by_many_window_source_pairs_at_once_are_each_pairs_own():
    # One lookup for all pairs: a shingle of one window must never count for another's sources,
    # and the 40%-of-the-smaller-set rule holds per pair (the extremes of 32 bits included)
    from cleaner.dedup.align import shared_shingles

    rng = np.random.default_rng(3)

    def shingles(*parts):
        return np.unique(np.concatenate([np.asarray(p, dtype=np.uint64) for p in parts])).astype(np.uint32)

    windows, sources, expected = [], [], []
    for _ in range(150):
        a = shingles(rng.integers(0, 1 << 32, size=int(rng.integers(0, 30)), dtype=np.uint64),
                     rng.choice([0, (1 << 32) - 1], size=int(rng.integers(0, 2))))
        found = []
        for _ in range(int(rng.integers(0, 4))):
            share = rng.choice(a, size=int(rng.integers(0, len(a) + 1)), replace=False) if len(a) else a
            b = shingles(share, rng.integers(0, 1 << 32, size=int(rng.integers(0, 30)), dtype=np.uint64))
            found.append(b)
            inter = len(set(a.tolist()) & set(b.tolist()))
            expected.append(inter if inter and inter >= 0.4 * min(len(a), len(b)) else 0)
        windows.append(a)
        sources.append(found)
    assert shared_shingles(windows, sources).tolist() == expected
    assert 0 < sum(e > 0 for e in expected) < len(expected)  # both outcomes are exercised
    assert shared_shingles([], []).tolist() == []
    assert shared_shingles([shingles([])], [[shingles([1, 2])]]).tolist() == [0]
