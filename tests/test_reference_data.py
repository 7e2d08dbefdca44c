"""rnn_reference.data: padding against Keras, the textbook's LM samples, sampling, the corpora.

`pad_sequences` is compared with `keras.utils.pad_sequences` on many random ragged inputs; the
language-model helpers must reproduce the textbook's Korean example exactly; `sample_next` is
checked statistically against the tempered distribution it claims to sample from (fixed seeds,
so the check is deterministic); the corpora must match what data/README.md says about them.
"""

from __future__ import annotations

import doctest
import importlib.util
import itertools
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from _keras_oracle import keras as load_keras
from rnn_reference import data
from rnn_reference.data import (
    build_char_vocab,
    build_word_vocab,
    encode_and_pad,
    load_char_sentiment,
    load_corpus,
    make_lm_sequences,
    pad_sequences,
    sample_next,
    split_inputs_targets,
)

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"

# the textbook's three-line Korean corpus and what Keras's Tokenizer + its loop produced from it
KOREAN = ["경마장에 있는 말이 뛰고 있다", "그의 말이 법이다", "가는 말이 고와야 오는 말이 곱다"]
KOREAN_WORD_INDEX = {"말이": 1, "경마장에": 2, "있는": 3, "뛰고": 4, "있다": 5, "그의": 6, "법이다": 7,
                     "가는": 8, "고와야": 9, "오는": 10, "곱다": 11}
KOREAN_SAMPLES = [[2, 3], [2, 3, 1], [2, 3, 1, 4], [2, 3, 1, 4, 5], [6, 1], [6, 1, 7], [8, 1], [8, 1, 9],
                  [8, 1, 9, 10], [8, 1, 9, 10, 1], [8, 1, 9, 10, 1, 11]]


def test_docstring_examples_run():
    """The examples in data.py's docstrings are doctests, and they pass."""
    result = doctest.testmod(data)
    assert result.attempted >= 12
    assert result.failed == 0


def test_modules_do_not_import_tensorflow():
    """Importing the data and params helpers (the numpy grading path) never loads TensorFlow or Keras."""
    code = ("import sys, rnn_reference.data, rnn_reference.params; "
            "from rnn_reference import pad_sequences, count_params; "
            "bad = [m for m in ('tensorflow', 'keras') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


# --- pad_sequences against Keras --------------------------------------------------------------

def _ragged(rng: np.random.Generator, vectors: bool = False):
    n = int(rng.integers(1, 7))
    features = int(rng.integers(1, 4))
    sequences = []
    for _ in range(n):
        length = int(rng.integers(0, 9))  # empty sequences included
        shape = (length, features) if vectors else (length,)
        seq = rng.integers(1, 50, size=shape)
        kind = rng.integers(3)
        sequences.append(seq if kind == 0 else seq.tolist() if kind == 1 else tuple(seq.tolist()))
    return sequences


@pytest.mark.keras
@pytest.mark.parametrize("padding, truncating", list(itertools.product(["pre", "post"], repeat=2)))
def test_pad_sequences_matches_keras(padding, truncating):
    """Same values, shape and dtype as keras.utils.pad_sequences, for maxlen None, shorter and longer."""
    keras = load_keras()  # pinned in pyproject.toml: missing, it is a broken environment and must fail
    rng = np.random.default_rng(hash((padding, truncating)) % 2**32)
    cases = 0
    for trial in range(300):
        sequences = _ragged(rng, vectors=trial % 10 == 9)
        longest = max(len(s) for s in sequences)
        for maxlen in (None, 1, max(1, longest - 2), longest + 3):
            if maxlen is None and longest == 0:
                continue  # Keras's np.max of lengths: fine, but (n, 0) is not interesting
            options = {"padding": padding, "truncating": truncating}
            if trial % 3 == 1:
                options["value"] = int(rng.integers(-3, 100))
            if trial % 7 == 3:
                options["dtype"] = "float32"
            expected = keras.utils.pad_sequences(sequences, maxlen=maxlen, **options)
            got = pad_sequences(sequences, maxlen=maxlen, **options)
            assert got.dtype == expected.dtype, (sequences, maxlen, options)
            assert got.shape == expected.shape, (sequences, maxlen, options)
            np.testing.assert_array_equal(got, expected, err_msg=f"{sequences} maxlen={maxlen} {options}")
            cases += 1
    assert cases > 1000


def test_pad_sequences_by_hand():
    """Pre/post padding and truncating on a case worked out by hand (no Keras needed)."""
    seqs = [[1, 2, 3, 4], [5], []]
    np.testing.assert_array_equal(pad_sequences(seqs, maxlen=3),
                                  [[2, 3, 4], [0, 0, 5], [0, 0, 0]])
    np.testing.assert_array_equal(pad_sequences(seqs, maxlen=3, padding="post", truncating="post", value=-1),
                                  [[1, 2, 3], [5, -1, -1], [-1, -1, -1]])
    assert pad_sequences(seqs).shape == (3, 4)
    assert pad_sequences(seqs).dtype == np.int32
    assert pad_sequences([]).shape == (0, 0)


@pytest.mark.parametrize("call, error, message", [
    (lambda: pad_sequences([[1]], padding="left"), ValueError, r"padding must be one of 'pre', 'post'; got 'left'"),
    (lambda: pad_sequences([[1]], truncating="end"), ValueError, r"truncating must be one of 'pre', 'post'"),
    (lambda: pad_sequences([[1]], maxlen=0), ValueError, r"maxlen must be a positive int"),
    (lambda: pad_sequences([[1]], maxlen=2.0), TypeError, r"maxlen must be a positive int"),
    (lambda: pad_sequences("abc"), TypeError, r"sequences must be a list of sequences"),
    (lambda: pad_sequences([[1], 2]), TypeError, r"sequences\[1\] must be a sequence of ids"),
    (lambda: pad_sequences([[[1, 2]], [[1, 2, 3]]]), ValueError, r"sequences\[1\] holds items of shape \(3,\)"),
])
def test_pad_sequences_errors(call, error, message):
    """Bad arguments raise errors that name them."""
    with pytest.raises(error, match=message):
        call()


# --- vocabularies and encoding -------------------------------------------------------------------

def test_char_vocab_layout():
    """'<pad>' is 0, the other characters are sorted and numbered 1..n, whatever the word order."""
    words = ["good", "bad", "so good", "awful"]
    vocab = build_char_vocab(words)
    assert vocab["<pad>"] == 0
    chars = sorted(set("".join(words)))
    assert list(vocab) == ["<pad>"] + chars
    assert list(vocab.values()) == list(range(len(chars) + 1))
    assert build_char_vocab(list(reversed(words))) == vocab
    assert build_char_vocab(tuple(words)) == vocab


def test_word_vocab_reproduces_the_textbook():
    """Words by frequency, ties by first appearance, '<pad>' at 0: the textbook's Tokenizer ids."""
    vocab = build_word_vocab(KOREAN)
    assert vocab == {"<pad>": 0, **KOREAN_WORD_INDEX}
    assert len(vocab) == 12  # the textbook's vocab_size = len(word_index) + 1


def test_make_lm_sequences_reproduces_the_textbook():
    """The textbook's 11 training samples, then its padded X and y."""
    vocab = build_word_vocab(KOREAN)
    sequences = make_lm_sequences(KOREAN, vocab)
    assert sequences == KOREAN_SAMPLES
    padded = pad_sequences(sequences)  # maxlen 6, pre-padded
    assert padded.shape == (11, 6)
    X, y = split_inputs_targets(padded)
    assert X.shape == (11, 5) and y.shape == (11,)
    np.testing.assert_array_equal(y, [3, 1, 4, 5, 1, 7, 1, 9, 10, 1, 11])
    np.testing.assert_array_equal(X[-1], [8, 1, 9, 10, 1])
    np.testing.assert_array_equal(X[0], [0, 0, 0, 0, 2])


def test_make_lm_sequences_edge_cases():
    """A one-word or empty line gives no sample; extra whitespace is ignored."""
    vocab = build_word_vocab(["a b c"])
    assert make_lm_sequences(["a", "", "  a   b  "], vocab) == [[vocab["a"], vocab["b"]]]
    assert make_lm_sequences([], vocab) == []


def test_encode_and_pad():
    """Character ids, pre-padded by default, post on request, truncated from the chosen side."""
    vocab = build_char_vocab(["bad", "good", "awful"])
    ids = {word: [vocab[c] for c in word] for word in ["bad", "good", "awful"]}
    got = encode_and_pad(["bad", "good", "awful"], vocab)
    assert got.shape == (3, 5) and got.dtype == np.int32
    np.testing.assert_array_equal(got, pad_sequences(list(ids.values())))
    np.testing.assert_array_equal(got[0], [0, 0] + ids["bad"])
    post = encode_and_pad(["bad"], vocab, maxlen=4, padding="post")
    np.testing.assert_array_equal(post, [ids["bad"] + [0]])
    np.testing.assert_array_equal(encode_and_pad(["awful"], vocab, maxlen=3), [ids["awful"][-3:]])
    np.testing.assert_array_equal(encode_and_pad(["awful"], vocab, maxlen=3, truncating="post"),
                                  [ids["awful"][:3]])


@pytest.mark.parametrize("call, error, message", [
    (lambda: build_char_vocab("good"), TypeError, r"words must be a list of str, got a single str 'good'"),
    (lambda: build_char_vocab(["good", 3]), TypeError, r"words\[1\] must be a str, got int"),
    (lambda: build_word_vocab("a b c"), TypeError, r"lines must be a list of str, got a single str"),
    (lambda: encode_and_pad(["bad", "b@d"], build_char_vocab(["bad"])), ValueError,
     r"character '@' of word 'b@d' is not in char2idx"),
    (lambda: encode_and_pad(["bad"], ["b", "a", "d"]), TypeError, r"char2idx must be a dict"),
    (lambda: encode_and_pad(["bad"], build_char_vocab(["bad"]), maxlen=0), ValueError, r"maxlen"),
    (lambda: encode_and_pad(["bad"], build_char_vocab(["bad"]), padding="end"), ValueError, r"padding"),
    (lambda: make_lm_sequences(["a b", "a zebra"], build_word_vocab(["a b"])), ValueError,
     r"word 'zebra' of lines\[1\] \('a zebra'\) is not in token2idx"),
    (lambda: make_lm_sequences("a b", build_word_vocab(["a b"])), TypeError, r"lines must be a list of str"),
    (lambda: split_inputs_targets(np.arange(4)), ValueError, r"padded must be 2-D \(n_samples, maxlen\), got shape \(4,\)"),
    (lambda: split_inputs_targets(np.zeros((3, 1))), ValueError, r"at least 2 columns"),
])
def test_encoding_errors(call, error, message):
    """Bad arguments raise errors naming the argument (and the offending word or character)."""
    with pytest.raises(error, match=message):
        call()


# --- sample_next --------------------------------------------------------------------------------

PROBS = np.array([0.05, 0.1, 0.5, 0.25, 0.1])


def _tempered(p, temperature):
    q = np.asarray(p, dtype=float) ** (1.0 / temperature)
    return q / q.sum()


def test_sample_next_is_reproducible():
    """The same seed (int or Generator) gives the same draws; different seeds differ somewhere."""
    draws = lambda rng: [sample_next(PROBS, 1.3, rng) for _ in range(50)]  # noqa: E731
    assert draws(np.random.default_rng(7)) == draws(np.random.default_rng(7))
    assert [sample_next(PROBS, rng=11) for _ in range(5)] == [sample_next(PROBS, rng=11)] * 5
    assert draws(np.random.default_rng(7)) != draws(np.random.default_rng(8))
    assert isinstance(sample_next(PROBS, rng=0), int)


@pytest.mark.parametrize("temperature", [0, 0.0, 1e-8, 1e-300, 5e-324])
def test_cold_temperature_is_argmax(temperature):
    """Temperature 0 (or tiny) always returns the most likely id, without overflow warnings."""
    rng = np.random.default_rng(0)
    with warnings.catch_warnings(), np.errstate(all="warn"):
        warnings.simplefilter("error")
        assert {sample_next(PROBS, temperature, rng) for _ in range(200)} == {2}
    assert sample_next(np.float32([0.2, 0.3, 0.5]), temperature) == 2


@pytest.mark.parametrize("temperature", [0.5, 1.0, 2.0, 5.0])
def test_draws_follow_the_tempered_distribution(temperature):
    """Frequencies over 20,000 draws match p ** (1/T) renormalised: each within 5 standard errors, and
    a chi-square statistic (4 degrees of freedom) below 25 (a 1-in-20,000 event if the sampler is right)."""
    n = 20_000
    rng = np.random.default_rng(0)
    counts = np.bincount([sample_next(PROBS, temperature, rng) for _ in range(n)], minlength=len(PROBS))
    expected = _tempered(PROBS, temperature)
    standard_error = np.sqrt(expected * (1 - expected) / n)
    assert np.all(np.abs(counts / n - expected) < 5 * standard_error), (counts / n, expected)
    chi_square = np.sum((counts - n * expected) ** 2 / (n * expected))
    assert chi_square < 25, (chi_square, counts / n, expected)


def test_high_temperature_flattens_and_low_sharpens():
    """Hotter draws spread out (more of the rarest id, less of the likeliest); colder draws concentrate."""
    n = 10_000
    freq = {}
    for temperature in (0.5, 1.0, 3.0):
        rng = np.random.default_rng(99)
        freq[temperature] = np.bincount([sample_next(PROBS, temperature, rng) for _ in range(n)],
                                        minlength=len(PROBS)) / n
    assert freq[0.5][2] > freq[1.0][2] > freq[3.0][2]  # the likeliest id
    assert freq[0.5][0] < freq[1.0][0] < freq[3.0][0]  # the rarest id
    assert freq[3.0][2] - freq[3.0][0] < 0.25  # close to uniform (0.2 each) when hot


def test_zero_probability_is_never_drawn():
    """An id with probability 0 is never sampled, at any temperature."""
    p = [0.0, 0.5, 0.5, 0.0]
    rng = np.random.default_rng(3)
    for temperature in (0.3, 1.0, 10.0):
        assert {sample_next(p, temperature, rng) for _ in range(500)} == {1, 2}


@pytest.mark.parametrize("call, error, message", [
    (lambda: sample_next(PROBS[None, :]), ValueError, r"probs must be 1-D \(vocab_size,\), got shape \(1, 5\): .*probs\[0\]"),
    (lambda: sample_next([]), ValueError, r"at least one probability"),
    (lambda: sample_next([0.5, np.nan, 0.5]), ValueError, r"probs must be finite"),
    (lambda: sample_next([1.5, -0.5]), ValueError, r"probs must be non-negative"),
    (lambda: sample_next([2.0, 1.0, 3.0]), ValueError, r"probs must sum to 1 .*got 6"),
    (lambda: sample_next(["a", "b"]), TypeError, r"probs must be a 1-D array"),
    (lambda: sample_next(PROBS, temperature=-1), ValueError, r"temperature must be a finite number >= 0, got -1"),
    (lambda: sample_next(PROBS, temperature=float("inf")), ValueError, r"temperature must be a finite number"),
    (lambda: sample_next(PROBS, temperature="hot"), TypeError, r"temperature must be a number"),
    (lambda: sample_next(PROBS, temperature=True), TypeError, r"temperature must be a number"),
    (lambda: sample_next(PROBS, rng="seed"), TypeError, r"rng must be a numpy Generator, an int seed or None"),
    (lambda: sample_next(PROBS, rng=np.random.RandomState(0)), TypeError, r"rng must be a numpy Generator"),
])
def test_sample_next_errors(call, error, message):
    """Bad probabilities, temperatures and rngs raise errors naming them."""
    with pytest.raises(error, match=message):
        call()


# --- the corpora --------------------------------------------------------------------------------

README = (DATA / "README.md").read_text(encoding="utf-8")


def _readme_number(pattern: str) -> int:
    match = re.search(pattern, README)
    assert match, f"data/README.md no longer states {pattern!r}"
    return int(match.group(1).replace(",", ""))


def test_char_sentiment_matches_readme():
    """char_sentiment.tsv loads, and its size, balance and longest entry are what the README states."""
    texts, labels = load_char_sentiment()
    assert len(texts) == len(labels) == _readme_number(r"`char_sentiment.tsv` \| ([\d,]+) lines")
    assert labels.dtype == np.int32 and set(labels.tolist()) == {0, 1}
    assert labels.sum() == _readme_number(r"lines \(([\d,]+) positive")
    assert (labels == 0).sum() == _readme_number(r"positive, ([\d,]+) negative\)")
    assert max(map(len, texts)) == _readme_number(r"at most\s+(\d+) characters")
    assert len(set(texts)) == len(texts), "duplicate entries"
    assert all(text == text.lower() and text.strip() == text for text in texts)
    # the vocabulary of the whole file encodes every entry (what chapters/10_many_to_one does)
    X = encode_and_pad(texts, build_char_vocab(texts))
    assert X.shape == (len(texts), max(map(len, texts)))


def test_lm_corpus_matches_readme():
    """lm_corpus_en.txt: line count, word counts and its lower-case, punctuation-free form."""
    lines = load_corpus("lm_corpus_en").splitlines()
    assert len(lines) == _readme_number(r"`lm_corpus_en.txt` \| ([\d,]+) lines")
    words = [word for line in lines for word in line.split()]
    assert len(words) == _readme_number(r"([\d,]+) words over")
    assert len(set(words)) == _readme_number(r"words over ([\d,]+) distinct words")
    assert all(re.fullmatch(r"[a-z]+( [a-z]+)+", line) for line in lines)
    sequences = make_lm_sequences(lines, build_word_vocab(lines))
    assert len(sequences) == len(words) - len(lines)


def test_char_corpus_matches_readme():
    """char_corpus_en.txt: size in bytes, word count, plain ASCII, distinct characters after lower()."""
    text = load_corpus("char_corpus_en.txt")
    assert len(text.encode("utf-8")) == _readme_number(r"`char_corpus_en.txt` \| ([\d,]+) bytes")
    assert 20_000 <= len(text) <= 40_000
    assert text.isascii()
    assert len(text.split()) == _readme_number(r"\(([\d,]+) words\)")
    assert len(set(text.lower())) == _readme_number(r"(\d+) distinct characters after lower-casing")


def test_generated_corpora_are_reproducible():
    """data/make_corpora.py regenerates char_sentiment.tsv and lm_corpus_en.txt exactly (without writing)."""
    spec = importlib.util.spec_from_file_location("make_corpora", DATA / "make_corpora.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = "".join(f"{text}\t{label}\n" for text, label in module.char_sentiment())
    assert rows == (DATA / "char_sentiment.tsv").read_text(encoding="utf-8")
    assert "\n".join(module.lm_sentences()) + "\n" == (DATA / "lm_corpus_en.txt").read_text(encoding="utf-8")


def test_corpus_loading_errors(monkeypatch, tmp_path):
    """Unknown names and a missing data folder give errors that say what to do."""
    with pytest.raises(ValueError, match=r"unknown corpus 'shakespeare': expected one of lm_corpus_en, char_corpus_en"):
        load_corpus("shakespeare")
    with pytest.raises(ValueError, match=r"use load_char_sentiment\(\)"):
        load_corpus("char_sentiment")
    missing = tmp_path / "nowhere"
    monkeypatch.setenv("RNN_COURSE_DATA", str(missing))
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        load_corpus("lm_corpus_en")
    monkeypatch.setenv("RNN_COURSE_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"corpus file not found: .*char_sentiment.tsv"):
        load_char_sentiment()
    (tmp_path / "char_sentiment.tsv").write_text("good\t1\nbad\tnegative\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 2 must be 'text<TAB>0\|1', got 'bad\\tnegative'"):
        load_char_sentiment()
