"""Text to integer arrays and back: vocabularies, padding, language-model samples, sampling.

Used in chapters/09_training (a word-level sentiment classifier and truncated BPTT),
chapters/10_many_to_one (character-level many-to-one classification), chapters/11_language_model
(a word-level RNN language model) and chapters/12_text_generation (text generation), and by
assignments a06_sequence_classification and a07_language_model. Numpy only:
`pad_sequences` here gives exactly what `keras.utils.pad_sequences` gives, without importing
TensorFlow. The course's corpora live in the repository's `data/` folder (see data/README.md);
`load_corpus`, `load_char_sentiment` and `load_reviews` read them.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from pathlib import Path

import numpy as np

from . import _validate

PAD = "<pad>"  # the token at index 0 of every vocabulary built here
PADDING_SIDES = ("pre", "post")

# corpus name -> file in data/ (see data/README.md for what each is for)
CORPORA = {
    "lm_corpus_en": "lm_corpus_en.txt",
    "char_corpus_en": "char_corpus_en.txt",
}
CHAR_SENTIMENT = "char_sentiment.tsv"
REVIEWS = "reviews_en.tsv"
# split -> (start, stop) as fractions of reviews_en.tsv, whose rows are in a fixed random order:
# half for training (small enough for chapters/09_training to train four models in a minute),
# a quarter each to choose settings on (validation) and to report once (test)
REVIEW_SPLITS = {"train": (0.0, 0.5), "validation": (0.5, 0.75), "test": (0.75, 1.0)}
DATA_ENV = "RNN_COURSE_DATA"  # set it to a folder to read the corpora from somewhere else


# --- vocabularies --------------------------------------------------------------------------

def build_char_vocab(words) -> dict[str, int]:
    """Map each character of `words` to an id: '<pad>' is 0, the others 1..n in sorted order.

    words: a list (or tuple) of str. Sorting makes the ids deterministic: the same words in any
    order give the same vocabulary. len(vocab) is the input_dim of an Embedding over it.
    Taught in chapters/10_many_to_one.

    >>> build_char_vocab(["bad", "good"])
    {'<pad>': 0, 'a': 1, 'b': 2, 'd': 3, 'g': 4, 'o': 5}
    """
    words = _str_list("words", words)
    chars = sorted(set("".join(words)))
    vocab = {PAD: 0}
    vocab.update((char, index) for index, char in enumerate(chars, start=1))
    return vocab


def build_word_vocab(lines) -> dict[str, int]:
    """Map each word of `lines` to an id: '<pad>' is 0, then the most frequent word is 1, and so on.

    lines: a list (or tuple) of str; words are what `str.split()` gives (no lower-casing or
    punctuation stripping: prepare the text first). Words are ordered by count, most frequent
    first, ties broken by first appearance -- the order Keras's old `Tokenizer` used, so the
    textbook's word ids come out the same. len(vocab) is the Embedding's input_dim.
    Taught in chapters/11_language_model.

    >>> build_word_vocab(["the cat sat", "the dog sat down"])
    {'<pad>': 0, 'the': 1, 'sat': 2, 'cat': 3, 'dog': 4, 'down': 5}
    """
    lines = _str_list("lines", lines)
    counts = Counter(word for line in lines for word in line.split())  # keeps first-appearance order
    ordered = sorted(counts, key=lambda word: -counts[word])  # stable: ties stay in first-appearance order
    vocab = {PAD: 0}
    vocab.update((word, index) for index, word in enumerate(ordered, start=1))
    return vocab


# --- padding -------------------------------------------------------------------------------

def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0):
    """Pad (or cut) integer sequences to one length; the same result as `keras.utils.pad_sequences`.

    sequences: a list of n sequences (lists or 1-D arrays of ids; 2-D items are allowed too,
    padded along their first axis). Returns an array (n, maxlen) of `dtype`, maxlen defaulting
    to the longest sequence. padding="pre" puts the `value`s before the ids, "post" after;
    truncating="pre" drops ids from the start of a too-long sequence, "post" from its end.
    Taught in chapters/10_many_to_one and chapters/11_language_model.

    >>> pad_sequences([[1], [2, 3], [4, 5, 6]])
    array([[0, 0, 1],
           [0, 2, 3],
           [4, 5, 6]], dtype=int32)
    >>> pad_sequences([[1], [2, 3], [4, 5, 6]], maxlen=2, padding="post", truncating="post")
    array([[1, 0],
           [2, 3],
           [4, 5]], dtype=int32)
    """
    if isinstance(sequences, (str, bytes)) or not hasattr(sequences, "__len__"):
        raise TypeError(f"sequences must be a list of sequences (lists of ids), got {type(sequences).__name__}")
    _validate.choice("padding", padding, PADDING_SIDES)
    _validate.choice("truncating", truncating, PADDING_SIDES)
    if maxlen is not None:
        maxlen = _validate.positive_int("maxlen", maxlen)

    lengths = []
    item_shape = ()  # shape of one element, () for ids; taken from the first non-empty sequence
    found_item_shape = False
    for index, seq in enumerate(sequences):
        if isinstance(seq, (str, bytes)) or not hasattr(seq, "__len__"):
            raise TypeError(
                f"sequences[{index}] must be a sequence of ids (list or 1-D array), "
                f"got {type(seq).__name__} {seq!r}"
            )
        lengths.append(len(seq))
        if len(seq) and not found_item_shape:
            item_shape = np.asarray(seq).shape[1:]
            found_item_shape = True
    if maxlen is None:
        maxlen = max(lengths, default=0)

    out = np.full((len(sequences), maxlen) + item_shape, value, dtype=dtype)  # (n, maxlen)
    for index, seq in enumerate(sequences):
        if not len(seq) or maxlen == 0:
            continue
        kept = seq[-maxlen:] if truncating == "pre" else seq[:maxlen]
        kept = np.asarray(kept, dtype=dtype)  # (length,)
        if kept.shape[1:] != item_shape:
            raise ValueError(
                f"sequences[{index}] holds items of shape {kept.shape[1:]}, but the first non-empty "
                f"sequence's items have shape {item_shape}"
            )
        if padding == "pre":
            out[index, maxlen - len(kept):] = kept
        else:
            out[index, :len(kept)] = kept
    return out


def encode_and_pad(words, char2idx, maxlen=None, *, padding="pre", truncating="pre") -> np.ndarray:
    """Turn each word into its character ids and pad them to maxlen: an int32 array (n_words, maxlen).

    words: a list of str; char2idx: a vocabulary such as `build_char_vocab` returns. maxlen
    defaults to the longest word. Padding and truncating default to "pre", as in Keras: a
    many-to-one RNN then reads the padding first and the word last, so the state it ends on (the
    one the classifier sees) comes straight after the real characters instead of after a run of
    padding steps. padding="post" works as well only if the Embedding masks the padding
    (mask_zero=True); without a mask it costs accuracy (data/README.md has the numbers).
    Taught in chapters/10_many_to_one.

    >>> vocab = build_char_vocab(["bad", "good"])
    >>> encode_and_pad(["good", "bad"], vocab)
    array([[4, 5, 5, 3],
           [0, 2, 1, 3]], dtype=int32)
    >>> encode_and_pad(["good", "bad"], vocab, maxlen=5, padding="post")
    array([[4, 5, 5, 3, 0],
           [2, 1, 3, 0, 0]], dtype=int32)
    """
    words = _str_list("words", words)
    if not isinstance(char2idx, dict):
        raise TypeError(
            f"char2idx must be a dict char -> id (see build_char_vocab), got {type(char2idx).__name__}"
        )
    encoded = []
    for word in words:
        ids = []
        for char in word:
            if char not in char2idx:
                raise ValueError(
                    f"character {char!r} of word {word!r} is not in char2idx: build the vocabulary "
                    "from all the words you encode (training and test), or map it to another id first"
                )
            ids.append(char2idx[char])
        encoded.append(ids)
    if maxlen is None:
        maxlen = max((len(ids) for ids in encoded), default=1) or 1
    return pad_sequences(encoded, maxlen=maxlen, padding=padding, truncating=truncating)


# --- language-model samples ------------------------------------------------------------------

def make_lm_sequences(lines, token2idx) -> list[list[int]]:
    """Every prefix (length >= 2) of every line's word ids: the samples an RNN language model learns from.

    lines: a list of str, words split on whitespace; token2idx: word -> id (see
    `build_word_vocab`). A line w1 w2 ... wn gives [w1, w2], [w1, w2, w3], ..., [w1, ..., wn]
    (n - 1 samples; a one-word line gives none): the last id of each sample is the word to
    predict, the ones before it the context. Pad them with `pad_sequences` (padding="pre") and
    cut them with `split_inputs_targets`. Taught in chapters/11_language_model.

    >>> vocab = build_word_vocab(["the cat sat", "the dog sat down"])
    >>> make_lm_sequences(["the cat sat", "the dog sat down"], vocab)
    [[1, 3], [1, 3, 2], [1, 4], [1, 4, 2], [1, 4, 2, 5]]
    """
    lines = _str_list("lines", lines)
    if not isinstance(token2idx, dict):
        raise TypeError(
            f"token2idx must be a dict word -> id (see build_word_vocab), got {type(token2idx).__name__}"
        )
    sequences = []
    for number, line in enumerate(lines):
        ids = []
        for word in line.split():
            if word not in token2idx:
                raise ValueError(f"word {word!r} of lines[{number}] ({line!r}) is not in token2idx")
            ids.append(token2idx[word])
        sequences.extend(ids[:end] for end in range(2, len(ids) + 1))
    return sequences


def split_inputs_targets(padded):
    """Split pre-padded LM samples into inputs X = padded[:, :-1] and targets y = padded[:, -1].

    padded: an int array (n_samples, maxlen) from `pad_sequences(..., padding="pre")`, so each
    sample's last column is the word to predict. Returns X (n_samples, maxlen - 1) and
    y (n_samples,). Taught in chapters/11_language_model.

    >>> X, y = split_inputs_targets(pad_sequences([[1, 3], [1, 3, 2]]))
    >>> X
    array([[0, 1],
           [1, 3]], dtype=int32)
    >>> y
    array([3, 2], dtype=int32)
    """
    padded = np.asarray(padded)
    if padded.ndim != 2:
        raise ValueError(f"padded must be 2-D (n_samples, maxlen), got shape {padded.shape}")
    if padded.shape[1] < 2:
        raise ValueError(
            f"padded must have at least 2 columns (context + target), got shape {padded.shape}"
        )
    return padded[:, :-1], padded[:, -1]  # (n_samples, maxlen - 1), (n_samples,)


# --- sampling --------------------------------------------------------------------------------

def sample_next(probs, temperature=1.0, rng=None) -> int:
    """Draw the next token id from a model's probabilities, sharpened or flattened by temperature.

    probs: a 1-D array (vocab_size,) of probabilities (a softmax output; pass `probs[0]` for a
    batch of one). The draw uses p ** (1 / temperature), renormalised (computed as a softmax of
    log(p) / temperature, which never overflows): temperature 1 samples from probs as they are,
    below 1 favours the likely tokens, above 1 flattens towards uniform, and 0 returns the argmax
    (greedy decoding). rng: a numpy Generator or an int seed makes the draw reproducible; None
    uses fresh entropy. Taught in chapters/12_text_generation.

    >>> sample_next([0.1, 0.7, 0.2], temperature=0)
    1
    >>> sample_next([0.1, 0.7, 0.2], rng=0) == sample_next([0.1, 0.7, 0.2], rng=0)
    True
    """
    try:
        p = np.asarray(probs, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"probs must be a 1-D array of probabilities, could not convert it: {err}") from None
    if p.ndim != 1:
        hint = ""
        if p.ndim == 2 and len(p) == 1:
            hint = ": for a model's output of shape (1, vocab_size) pass probs[0]"
        raise ValueError(f"probs must be 1-D (vocab_size,), got shape {p.shape}{hint}")
    if p.size == 0:
        raise ValueError("probs must hold at least one probability, got an empty array")
    if not np.all(np.isfinite(p)):
        raise ValueError("probs must be finite, got NaN or inf")
    if np.any(p < 0):
        raise ValueError(
            f"probs must be non-negative, got a minimum of {p.min():.4g}: pass softmax outputs, not logits"
        )
    total = p.sum()
    if abs(total - 1.0) > 1e-3:
        raise ValueError(
            f"probs must sum to 1 (within 1e-3), got {total:.6g}: pass softmax outputs, not logits"
        )

    if isinstance(temperature, bool) or not isinstance(temperature, (int, float, np.integer, np.floating)):
        raise TypeError(f"temperature must be a number >= 0, got {type(temperature).__name__} {temperature!r}")
    if not math.isfinite(temperature) or temperature < 0:
        raise ValueError(f"temperature must be a finite number >= 0, got {temperature}")
    rng = _generator(rng)
    if temperature == 0:
        return int(np.argmax(p))

    # log(0) = -inf, and a tiny temperature sends unlikely ids to -inf / exp to 0: both intended
    with np.errstate(divide="ignore", over="ignore", under="ignore"):
        log_p = np.log(p)  # (vocab_size,), -inf where p == 0
        scaled = (log_p - log_p.max()) / temperature  # (vocab_size,), max 0: exp never overflows
        q = np.exp(scaled)  # (vocab_size,), the largest entry is exactly 1
    cumulative = np.cumsum(q)  # (vocab_size,), unnormalised CDF of the tempered distribution
    u = rng.random() * cumulative[-1]  # uniform in [0, total)
    # the first id whose cumulative mass exceeds u; ids with zero mass are never chosen
    return int(min(np.searchsorted(cumulative, u, side="right"), p.size - 1))


# --- the course's corpora --------------------------------------------------------------------

def data_dir() -> Path:
    """The folder holding the course's corpora: $RNN_COURSE_DATA if set, else the repository's data/."""
    override = os.environ.get(DATA_ENV)
    folder = Path(override) if override else Path(__file__).resolve().parent.parent.parent / "data"
    if not folder.is_dir():
        how = f"${DATA_ENV}" if override else "the repository's data/ folder (next to solutions/)"
        raise FileNotFoundError(
            f"corpus folder not found: {folder} ({how}); run from a clone of the course repository "
            f"with the package installed in editable mode, or set {DATA_ENV} to the data/ folder"
        )
    return folder


def load_corpus(name: str) -> str:
    """The text of one of the course's corpora: "lm_corpus_en" (chapters/11_language_model) or
    "char_corpus_en" (chapters/12_text_generation).

    lm_corpus_en is one short lower-case sentence per line (use `.splitlines()`); char_corpus_en
    is running English prose for character-level generation. See data/README.md.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, one of {', '.join(CORPORA)}; got {type(name).__name__}")
    key = name[:-4] if name.endswith(".txt") else name
    if key not in CORPORA:
        hint = "; for char_sentiment use load_char_sentiment()" if key.startswith("char_sentiment") else ""
        raise ValueError(f"unknown corpus {name!r}: expected one of {', '.join(CORPORA)}{hint}")
    return _read(CORPORA[key])


def load_char_sentiment() -> tuple[list[str], np.ndarray]:
    """The labelled words and short phrases of data/char_sentiment.tsv: (texts, labels).

    texts: list of n str; labels: int32 array (n,), 1 = positive, 0 = negative. chapters/10_many_to_one
    and assignment a06_sequence_classification train a character-level many-to-one classifier on it.
    """
    texts, labels = [], []
    for number, line in enumerate(_read(CHAR_SENTIMENT).splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 2 or parts[1] not in ("0", "1") or not parts[0]:
            raise ValueError(f"{CHAR_SENTIMENT} line {number} must be 'text<TAB>0|1', got {line!r}")
        texts.append(parts[0])
        labels.append(int(parts[1]))
    return texts, np.array(labels, dtype=np.int32)


def load_reviews(split: str) -> tuple[list[str], np.ndarray]:
    """One split of data/reviews_en.tsv, the course's synthetic movie reviews: (texts, labels).

    split: "train" (the first half of the file), "validation" (the next quarter) or "test" (the
    last quarter); the file's rows are in a fixed random order, so the split is the same on every
    machine and each part is a fair sample. texts: list of str (lower-case words, no
    punctuation, at most 30 words); labels: int32 array (n,), 1 = positive, 0 = negative.
    data/make_reviews.py writes the file and says how the labels follow from word order.
    Taught in chapters/09_training.
    """
    if not isinstance(split, str) or split not in REVIEW_SPLITS:
        raise ValueError(f"split must be one of {', '.join(map(repr, REVIEW_SPLITS))}, got {split!r}")
    texts, labels = [], []
    for number, line in enumerate(_read(REVIEWS).splitlines(), start=1):
        parts = line.split("\t")
        if len(parts) != 2 or parts[1] not in ("0", "1") or not parts[0]:
            raise ValueError(f"{REVIEWS} line {number} must be 'text<TAB>0|1', got {line!r}")
        texts.append(parts[0])
        labels.append(int(parts[1]))
    start, stop = (round(fraction * len(texts)) for fraction in REVIEW_SPLITS[split])
    return texts[start:stop], np.array(labels[start:stop], dtype=np.int32)


# --- helpers ---------------------------------------------------------------------------------

def _read(filename: str) -> str:
    path = data_dir() / filename
    if not path.is_file():
        raise FileNotFoundError(f"corpus file not found: {path}")
    return path.read_text(encoding="utf-8")


def _str_list(name: str, value) -> list[str]:
    """Check that value is a list/tuple of str (a bare str would be read one character at a time)."""
    if isinstance(value, str):
        raise TypeError(f"{name} must be a list of str, got a single str {value[:30]!r}: wrap it in a list")
    if isinstance(value, np.ndarray) and value.ndim == 1:
        value = value.tolist()
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{name} must be a list of str, got {type(value).__name__}")
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise TypeError(f"{name}[{index}] must be a str, got {type(item).__name__} {item!r}")
    return list(value)


def _generator(rng) -> np.random.Generator:
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be a numpy Generator, an int seed or None, got {type(rng).__name__}")
