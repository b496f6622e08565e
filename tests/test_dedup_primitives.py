import numpy as np
import pytest
from datasketch import MinHash

from cleaner.dedup.index import BandIndex, band_keys, candidate_probability, choose_bands
from cleaner.dedup.minhash import MinHasher
from cleaner.dedup.shingles import char_shingles, jaccard, normalize_token, to32, tokenize, word_shingles


def test_normalisation_folds_case_width_and_digits_and_keeps_offsets():
    assert normalize_token("Ｃａｎａｄａ") == "canada"
    assert normalize_token("Straße") == "strasse"
    assert normalize_token("2012") == "0000"
    assert normalize_token("2012", digits=False) == "2012"
    text = "“Hello,” World 42!"
    toks = tokenize(text)
    assert toks.words == ["hello", "world", "00"]
    assert [text[s:e] for s, e in zip(toks.starts, toks.ends)] == ["Hello", "World", "42"]


def test_shingles_ignore_case_and_punctuation():
    a = word_shingles(tokenize("The quick brown fox jumps over the lazy dog."), 3)
    b = word_shingles(tokenize("the QUICK brown fox -- jumps over the lazy dog"), 3)
    assert np.array_equal(a, b) and len(a) == 7
    assert jaccard(a, b) == 1.0
    c = word_shingles(tokenize("the quick brown cat jumps over the lazy dog"), 3)
    assert 0 < jaccard(a, c) < 1
    assert len(word_shingles(tokenize("two words"), 5)) == 1  # shorter than n: one shingle
    assert len(char_shingles(tokenize("abc abd"), 3)) == 5


def test_signature_is_exactly_datasketch_minhash():
    hasher = MinHasher(64, seed=3)
    values = to32(word_shingles(tokenize("a b c d e f g h i j k l m n o p"), 2))
    ours = hasher.signature(values)
    ref = MinHash(num_perm=64, seed=3, hashfunc=lambda v: v)
    ref.update_batch(values.tolist())
    assert np.array_equal(ours, ref.hashvalues)
    assert hasher.to_datasketch(ours).jaccard(ref) == 1.0


def test_batched_signatures_match_one_by_one():
    hasher = MinHasher(32)
    rng = np.random.default_rng(0)
    sets = [rng.integers(0, 2**32, size=n, dtype=np.uint32) for n in (5, 0, 300, 1, 40)]
    batch = hasher.signatures(sets, chunk=64)
    for s, row in zip(sets, batch):
        assert np.array_equal(row, hasher.signature(s))
    assert (batch[1] == 0xFFFFFFFF).all()


def test_choose_bands_meets_recall_at_threshold():
    bands, rows = choose_bands(0.8, 128, 0.99)
    assert (bands, rows) == (21, 6)
    assert candidate_probability(0.8, bands, rows) >= 0.99
    assert candidate_probability(0.5, bands, rows) < 0.3


def test_band_index_returns_items_sharing_a_band():
    hasher = MinHasher(32)
    sig_a = hasher.signature(np.arange(100, dtype=np.uint32))
    sig_b = hasher.signature(np.arange(100, 200, dtype=np.uint32))
    idx = BandIndex()
    idx.add(band_keys(sig_a, 8, 4)[0], 0)
    idx.add(band_keys(sig_b, 8, 4)[0], 1)
    assert idx.query(band_keys(sig_a, 8, 4)[0]) == [0]
    assert idx.query(band_keys(hasher.signature(np.arange(1000, 1100, dtype=np.uint32)), 8, 4)[0]) == []


@pytest.mark.parametrize("n", [1, 7])
def test_band_keys_differ_between_bands(n):
    sig = np.zeros((n, 16), dtype=np.uint32)
    keys = band_keys(sig, 4, 4)
    assert keys.shape == (n, 4) and len(set(keys[0].tolist())) == 4
