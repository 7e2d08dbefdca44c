"""Hidden tests for assignment a06_sequence_classification: vocabulary, padding, a masked many-to-one classifier.

- `build_char_vocab` and `encode_and_pad` are compared exactly with `rnn_reference.data` on random
  words and vocabularies.
- `build_classifier` is built for a few sizes and probed: it must map (batch, maxlen) ids to
  (batch, 1) probabilities, accept every id below vocab_size, and mask the padding -- checked by
  behaviour: a masked model gives the same prediction for a word padded in front or at the end.
- The trained `model` is scored on held-out entries of data/char_sentiment.tsv that are not in
  the assignment folder (`heldout_split`), and must reach ACCURACY_THRESHOLD.
"""

from __future__ import annotations

import re

import numpy as np

from ..data import build_char_vocab as _build_char_vocab, encode_and_pad as _encode_and_pad, load_char_sentiment
from ._harness import (CheckFailed, call_student, crc32_heldout, matching_mistakes, require_part, rng_for,
                       verify_environment)
from ._keras import load_keras, require_own_trained_model

N_CASES = 30
HELDOUT_EVERY = 5  # an entry is held out when crc32(text) % 5 == 0 (and its characters occur in training)
ACCURACY_THRESHOLD = 0.70  # held-out accuracy the trained model must reach; see the notebook
_ALPHABET = list("abcdefghijklmnopqrstuvwxyz") + [" ", "-", "'", "é", "ü", "7"]


# --- the held-out split of data/char_sentiment.tsv --------------------------------------------
def split_char_sentiment(texts, labels):
    """((train_texts, train_labels), (heldout_texts, heldout_labels)), in file order.

    Held out: entries with crc32(text) % HELDOUT_EVERY == 0 whose characters all occur in the
    training entries (a character outside the student's vocabulary could not be encoded).
    """
    heldout = crc32_heldout(texts, HELDOUT_EVERY, set)  # a character is a unit the model must have seen
    labels = np.asarray(labels)
    train = ([t for t, h in zip(texts, heldout) if not h], labels[~np.array(heldout)])
    test = ([t for t, h in zip(texts, heldout) if h], labels[np.array(heldout)])
    return train, test


def training_split():
    """The entries shipped to students (exercises/a06_sequence_classification/char_sentiment_train.tsv)."""
    return split_char_sentiment(*load_char_sentiment())[0]


def heldout_split():
    """The entries only the hidden test sees."""
    return split_char_sentiment(*load_char_sentiment())[1]


# --- build_char_vocab -------------------------------------------------------------------------
def _random_words(rng, max_words=8, max_len=9):
    chars = list(rng.choice(_ALPHABET, size=int(rng.integers(2, 12)), replace=False))
    words = []
    for _ in range(int(rng.integers(1, max_words + 1))):
        words.append("".join(rng.choice(chars, size=int(rng.integers(1, max_len + 1)))))
    return words


def _vocab_mistakes(words):
    ordered = sorted(set("".join(words)))
    seen = list(dict.fromkeys("".join(words)))
    return {
        "'<pad>' must have id 0 and the characters ids 1, 2, ... (here the characters start at 0)":
            lambda: {"<pad>": 0, **{c: i for i, c in enumerate(ordered)}},
        "'<pad>' is missing: the vocabulary starts with '<pad>' = 0, then the characters from 1":
            lambda: {c: i for i, c in enumerate(ordered, start=1)},
        "'<pad>' must be id 0, not the last id": lambda: {**{c: i for i, c in enumerate(ordered)}, "<pad>": len(ordered)},
        "the characters are numbered in order of first appearance; number them in sorted order":
            lambda: {"<pad>": 0, **{c: i for i, c in enumerate(seen, start=1)}},
        "the characters are numbered in reverse sorted order; sort them in increasing order":
            lambda: {"<pad>": 0, **{c: i for i, c in enumerate(sorted(ordered, reverse=True), start=1)}},
        "the vocabulary holds words, not characters: one id per distinct character":
            lambda: {"<pad>": 0, **{w: i for i, w in enumerate(sorted(set(words)), start=1)}},
        "the space is left out: every character counts, including ' '":
            lambda: {"<pad>": 0, **{c: i for i, c in enumerate([c for c in ordered if c != " "], start=1)}},
    }


def check_build_char_vocab(build_char_vocab) -> None:
    """build_char_vocab(words) = {'<pad>': 0, then each distinct character, sorted, from 1}."""
    verify_environment()
    for case_index in range(N_CASES):
        rng = rng_for("build_char_vocab", case_index)
        words = _random_words(rng)
        if case_index % 3 == 0:
            words.append("a b")  # a space is a character like any other
        expected = _build_char_vocab(words)
        got = call_student(build_char_vocab, "build_char_vocab", list(words))
        if not isinstance(got, dict):
            raise CheckFailed(f"`build_char_vocab` returned {type(got).__name__}; expected a dict char -> id.\n"
                              f"  words: {words!r}")
        try:
            got = {key: int(value) for key, value in got.items()}
        except (TypeError, ValueError):
            raise CheckFailed(f"`build_char_vocab` returned ids that are not ints: {got!r:.200}") from None
        if got == expected:
            continue
        hints = matching_mistakes(_vocab_mistakes(words), lambda mistaken: mistaken == got, first=True)
        if hints:
            raise CheckFailed(f"`build_char_vocab` returns a wrong vocabulary. Likely mistake: {hints[0]}.\n"
                              f"  words: {words!r}\n  got: {got!r}\n  expected: {expected!r}")
        raise CheckFailed(f"`build_char_vocab` returned {got!r}, expected {expected!r}.\n  words: {words!r}")


# --- encode_and_pad ---------------------------------------------------------------------------
def _pad_variant(ids_list, maxlen, padding="pre", truncating="pre", value=0):
    out = np.full((len(ids_list), maxlen), value, dtype=np.int64)
    for row, ids in enumerate(ids_list):
        kept = ids[-maxlen:] if truncating == "pre" else ids[:maxlen]
        if not kept:
            continue
        if padding == "pre":
            out[row, maxlen - len(kept):] = kept
        else:
            out[row, :len(kept)] = kept
    return out


def _encode_mistakes(words, char2idx, maxlen):
    ids = [[char2idx[c] for c in w] for w in words]
    width = maxlen if maxlen is not None else max(len(i) for i in ids)
    mistakes = {
        "the padding is at the end (padding='post'); pad in front, as Keras's pad_sequences does by default":
            lambda: _pad_variant(ids, width, "post", "pre"),
        "a long word keeps its first maxlen characters; keep the last ones (truncating='pre', Keras's default), "
        "as the classifier reads the word's end last":
            lambda: _pad_variant(ids, width, "pre", "post"),
        "padding at the end and cutting at the end (post/post); both go in front by default":
            lambda: _pad_variant(ids, width, "post", "post"),
        "the padding id is not 0: '<pad>' is 0": lambda: _pad_variant(ids, width, "pre", "pre", value=-1),
    }
    return mistakes


def _encode_case(part, case_index):
    rng = rng_for(f"encode_and_pad/{part}", case_index)
    words = _random_words(rng)
    chars = sorted(set("".join(words)))
    ids = rng.permutation(len(chars)) + 1  # any numbering: the function must use char2idx as given
    char2idx = {"<pad>": 0, **{c: int(i) for c, i in zip(chars, ids)}}
    longest = max(len(w) for w in words)
    if part == "padding":
        maxlen = None if case_index % 4 == 3 else longest + int(rng.integers(0, 4))
    else:
        words.append("".join(rng.choice(chars, size=longest + 3)))  # one word surely longer than maxlen
        maxlen = int(rng.integers(1, longest + 1))
    return words, char2idx, maxlen


def check_encode_and_pad(encode_and_pad, part: str = "padding") -> None:
    """encode_and_pad(words, char2idx, maxlen) equals rnn_reference's: ids, padded in front with 0, cut in front.

    part: 'padding' (maxlen >= the longest word, or None: the longest word) or 'truncating'
    (words longer than maxlen keep their last maxlen characters).
    """
    verify_environment()
    require_part(part, ("padding", "truncating"))
    for case_index in range(N_CASES):
        words, char2idx, maxlen = _encode_case(part, case_index)
        expected = _encode_and_pad(words, char2idx, maxlen)
        args = (list(words), dict(char2idx)) + (() if maxlen is None else (maxlen,))
        got = call_student(encode_and_pad, "encode_and_pad", *args)
        case = f"words={words!r}, char2idx={char2idx!r}, maxlen={maxlen}"
        if isinstance(got, list):
            raise CheckFailed(f"`encode_and_pad` returned a list; return a numpy array (n_words, maxlen) of ints.\n  case: {case}")
        got = np.asarray(got)
        if got.shape != expected.shape:
            hint = ""
            if got.shape == expected.T.shape:
                hint = ": the array is transposed, one row per word"
            elif maxlen is None:
                hint = ": with maxlen=None pad to the longest word"
            raise CheckFailed(f"`encode_and_pad` returned shape {got.shape}, expected {expected.shape} = "
                              f"(n_words, maxlen){hint}.\n  case: {case}")
        if got.dtype.kind not in "iu":
            raise CheckFailed(f"`encode_and_pad` returned dtype {got.dtype}; ids are integers (they index the "
                              f"Embedding table): use an int dtype such as 'int32'.\n  case: {case}")
        if np.array_equal(got, expected):
            continue
        hints = matching_mistakes(_encode_mistakes(words, char2idx, maxlen),
                                  lambda mistaken: np.array_equal(got, mistaken), first=True)
        if hints:
            raise CheckFailed(f"`encode_and_pad` returns wrong ids. Likely mistake: {hints[0]}.\n  case: {case}\n"
                              f"  got:\n{got}\n  expected:\n{expected}")
        raise CheckFailed(f"`encode_and_pad` returns wrong ids: got\n{got}\n  expected\n{expected}\n  case: {case}")


# --- build_classifier -------------------------------------------------------------------------
def _probe_classifier(model, vocab_size, maxlen, rng, what):
    keras = load_keras()
    if not isinstance(model, keras.Model):
        raise CheckFailed(f"{what} must be a Keras model (keras.Sequential or keras.Model), got {type(model).__name__}.")
    lengths = [1, maxlen, *(int(v) for v in rng.integers(1, maxlen + 1, size=4))]
    words = [list(rng.integers(1, vocab_size, size=n)) for n in lengths]
    words[1][-1] = vocab_size - 1  # the largest id must have a row in the Embedding
    pre = _pad_variant(words, maxlen, "pre").astype("int32")
    post = _pad_variant(words, maxlen, "post").astype("int32")
    try:
        out_pre = np.asarray(keras.ops.convert_to_numpy(model(pre)), dtype=np.float64)
        out_post = np.asarray(keras.ops.convert_to_numpy(model(post)), dtype=np.float64)
    except Exception as err:  # noqa: BLE001 -- the student's model failed on valid input
        full = re.sub(r"\x1b\[[0-9;]*m|\{\{[^}]*\}\}\s*", "", str(err))  # ANSI colours, TF node names
        lines = [line.strip() for line in full.splitlines() if line.strip()]
        message = next((line for line in lines if "indices" in line), lines[0] if lines else "")[:300]
        hint = ""
        if "indices" in full or "out of range" in full or "not in [0" in full:
            hint = (f"\n  Likely mistake: the Embedding has fewer rows than vocab_size: ids go up to "
                    f"vocab_size - 1 = {vocab_size - 1}, so use Embedding(vocab_size, ...).")
        raise CheckFailed(f"{what} failed on a batch of padded ids of shape {pre.shape}: {type(err).__name__}: "
                          f"{message}{hint}") from None
    batch = len(words)
    if out_pre.shape != (batch, 1):
        hint = ""
        if out_pre.ndim == 3:
            hint = (": the recurrent layer returns the whole sequence; a many-to-one classifier keeps only "
                    "the last state (return_sequences=False)")
        elif out_pre.shape == (batch, 2):
            hint = ": one sigmoid unit, Dense(1, activation='sigmoid'), gives P(positive)"
        raise CheckFailed(f"{what} returns shape {out_pre.shape} for a batch of {batch} words, expected ({batch}, 1): "
                          f"one probability per word{hint}.")
    if not np.all(np.isfinite(out_pre)) or np.any(out_pre < 0) or np.any(out_pre > 1):
        raise CheckFailed(f"{what} returns values outside [0, 1]: end with Dense(1, activation='sigmoid') so that "
                          "the output is P(positive).")
    if not np.allclose(out_pre, out_post, rtol=0, atol=1e-5):
        worst = float(np.max(np.abs(out_pre - out_post)))
        raise CheckFailed(f"{what} gives different predictions for the same words padded in front and at the end "
                          f"(largest difference {worst:.3g}): the padding steps are read as input. Likely mistake: "
                          "the padding is not masked; use Embedding(..., mask_zero=True) so that the recurrent layer "
                          "skips the '<pad>' steps.")


def check_build_classifier(build_classifier) -> None:
    """build_classifier(vocab_size, maxlen) returns a masked many-to-one model: (batch, maxlen) ids -> (batch, 1)."""
    verify_environment()
    for case_index, (vocab_size, maxlen) in enumerate([(12, 7), (30, 12), (5, 4)]):
        rng = rng_for("build_classifier", case_index)
        model = call_student(build_classifier, "build_classifier", vocab_size, maxlen)
        _probe_classifier(model, vocab_size, maxlen, rng,
                          f"`build_classifier({vocab_size}, {maxlen})`")


# --- the trained model ------------------------------------------------------------------------
def heldout_accuracy(model, char2idx, maxlen) -> float:
    """Accuracy of `model` (P(positive) > 0.5) on the held-out entries, encoded with char2idx and pre-padded."""
    texts, labels = heldout_split()
    x = _encode_and_pad(texts, char2idx, maxlen)  # (n, maxlen)
    probs = np.asarray(model.predict(x, verbose=0), dtype=np.float64)
    if probs.shape != (len(texts), 1):
        raise CheckFailed(f"the trained model returns shape {probs.shape} for {len(texts)} words, expected "
                          f"({len(texts)}, 1): one probability per word.")
    return float(np.mean((probs[:, 0] > 0.5).astype(int) == labels))


def check_trained_classifier(model, char2idx, maxlen) -> None:
    """The trained model classifies the held-out words with accuracy >= ACCURACY_THRESHOLD."""
    verify_environment()
    require_own_trained_model(model)
    if not isinstance(char2idx, dict) or char2idx.get("<pad>") != 0:
        raise CheckFailed("`char2idx` must be the dict char -> id your model was trained with ('<pad>' = 0).")
    if isinstance(maxlen, bool) or not isinstance(maxlen, (int, np.integer)) or maxlen < 1:
        raise CheckFailed(f"`maxlen` must be the int length you padded the training words to, got {maxlen!r}.")
    texts, _ = heldout_split()
    missing = sorted(set("".join(texts)) - set(char2idx))
    if missing:
        raise CheckFailed(f"`char2idx` has no id for the character(s) {missing}, which occur in the training words: "
                          "build it with build_char_vocab(train_texts).")
    accuracy = heldout_accuracy(model, char2idx, int(maxlen))
    majority = float(max(np.mean(heldout_split()[1]), 1 - np.mean(heldout_split()[1])))
    if accuracy < ACCURACY_THRESHOLD:
        raise CheckFailed(f"the trained model's accuracy on the held-out words is {accuracy:.3f}; it must reach "
                          f"{ACCURACY_THRESHOLD:.2f} (always answering the majority class scores {majority:.2f}). Check "
                          "that the padding is masked and that the words are padded in front, then train longer.")


__all__ = ["check_build_char_vocab", "check_encode_and_pad", "check_build_classifier", "check_trained_classifier"]
