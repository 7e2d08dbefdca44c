"""data/reviews_en.tsv, the synthetic reviews chapters/09_training trains on, and its loader.

The generator must rewrite the committed file byte for byte; `load_reviews` must split it the same
way every time into three disjoint parts that cover it; the vocabulary must fit the textbook's
`Embedding(5000, ...)` and every review its 30 time steps; the numbers data/README.md states must be
the file's; and every label must follow the rules the README gives, checked by a parser written here
independently of the generator's code (it shares only the generator's word lists).
"""

from __future__ import annotations

import importlib.util
import re
import string
from pathlib import Path

import numpy as np
import pytest

from rnn_reference import load_reviews
from rnn_reference.data import REVIEW_SPLITS, REVIEWS

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"
README = (DATA / "README.md").read_text(encoding="utf-8")
SECTION = README.split("## `reviews_en.tsv`", 1)[1].split("\n## ", 1)[0]  # the README's part on this corpus
SPLITS = ("train", "validation", "test")


def _generator():
    spec = importlib.util.spec_from_file_location("make_reviews", DATA / "make_reviews.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows() -> list[tuple[str, int]]:
    lines = (DATA / REVIEWS).read_text(encoding="utf-8").splitlines()
    return [(text, int(label)) for text, label in (line.split("\t") for line in lines)]


def _readme_number(pattern: str, text: str = SECTION) -> int:
    match = re.search(pattern, text)
    assert match, f"data/README.md no longer states {pattern!r}"
    return int(match.group(1).replace(",", ""))


def test_generator_reproduces_the_committed_file():
    """data/make_reviews.py regenerates reviews_en.tsv exactly (in memory, without writing)."""
    rows = "".join(f"{text}\t{label}\n" for text, label in _generator().reviews())
    assert rows == (DATA / REVIEWS).read_text(encoding="utf-8")


def test_generator_depends_on_its_seed():
    """Another seed gives other reviews: the committed file is the seed's, not a constant."""
    assert _generator().reviews(n=50, seed=1) != _generator().reviews(n=50)


def test_split_is_deterministic_disjoint_and_complete():
    """Each split is the same on every call, the three follow each other in file order and cover it."""
    rows = _rows()
    parts = {split: load_reviews(split) for split in SPLITS}
    for split in SPLITS:
        texts, labels = load_reviews(split)
        assert texts == parts[split][0] and np.array_equal(labels, parts[split][1])
        assert labels.dtype == np.int32 and set(labels.tolist()) <= {0, 1}
        assert len(texts) == len(labels)
    joined = [(t, int(y)) for split in SPLITS for t, y in zip(*parts[split])]
    assert joined == rows  # contiguous, in order, nothing lost or repeated
    assert len({text for text, _ in rows}) == len(rows), "a review occurs twice"
    sizes = [len(parts[split][0]) for split in SPLITS]
    assert sizes == [round(stop * len(rows)) - round(start * len(rows))
                     for start, stop in (REVIEW_SPLITS[split] for split in SPLITS)]
    # each part is a fair sample: no part is far from balanced
    for split in SPLITS:
        assert 0.4 < parts[split][1].mean() < 0.6, split


def test_split_sizes_match_readme():
    """The README's split sizes are the loader's."""
    assert len(load_reviews("train")[0]) == _readme_number(r'`"train"` the\s+first half \(([\d,]+) reviews\)')
    assert len(load_reviews("validation")[0]) == _readme_number(r'`"validation"` the next quarter \(([\d,]+)\)')
    assert len(load_reviews("test")[0]) == _readme_number(r'`"test"` the last quarter\s+\(([\d,]+)\)')


def test_loader_errors(monkeypatch, tmp_path):
    """A wrong split name and a malformed line give errors that say what was expected."""
    with pytest.raises(ValueError, match=r"split must be one of 'train', 'validation', 'test', got 'dev'"):
        load_reviews("dev")
    monkeypatch.setenv("RNN_COURSE_DATA", str(tmp_path))
    (tmp_path / REVIEWS).write_text("a good film\t1\na bad film\tbad\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 2 must be 'text<TAB>0\|1'"):
        load_reviews("train")


def _words(text: str) -> list[str]:
    """What TextVectorization's default standardize and split give: lower case, no punctuation, spaces."""
    return text.lower().translate(str.maketrans("", "", string.punctuation)).split()


def test_vocabulary_fits_the_textbook_model():
    """Every word fits Embedding(5000, ...) with '' and '[UNK]', and every review fits 30 steps."""
    rows = _rows()
    vocabulary = {word for text, _ in rows for word in _words(text)}
    assert len(vocabulary) + 2 <= 5000
    assert max(len(_words(text)) for text, _ in rows) <= 30
    assert all(re.fullmatch(r"[a-z]+( [a-z]+)*", text) for text, _ in rows), "only lower-case words and spaces"


@pytest.mark.keras
def test_text_vectorization_keeps_every_training_word():
    """TextVectorization(max_tokens=5000, output_sequence_length=30), as the chapter uses it, cuts nothing."""
    import keras

    texts, _ = load_reviews("train")
    vectorize = keras.layers.TextVectorization(max_tokens=5000, output_sequence_length=30)
    vectorize.adapt(texts)
    training_words = {word for text in texts for word in _words(text)}
    assert vectorize.vocabulary_size() == len(training_words) + 2  # '' and '[UNK]'
    ids = keras.ops.convert_to_numpy(vectorize(texts))  # (n, 30)
    assert ids.shape == (len(texts), 30)
    assert not np.any(ids == 1), "a training word was mapped to [UNK]"
    assert [int((row > 0).sum()) for row in ids] == [len(text.split()) for text in texts]


def test_corpus_matches_readme():
    """Size, balance, word counts, review lengths and adjective counts are what the README states."""
    rows = _rows()
    labels = [label for _, label in rows]
    words = [word for text, _ in rows for word in text.split()]
    lengths = [len(text.split()) for text, _ in rows]
    table_row = r"`reviews_en.tsv` \| ([\d,]+) lines \(([\d,]+) positive, ([\d,]+) negative\)"
    assert len(rows) == _readme_number(table_row, README)
    assert sum(labels) == int(re.search(table_row, README).group(2).replace(",", ""))
    assert labels.count(0) == int(re.search(table_row, README).group(3).replace(",", ""))
    assert len(words) == _readme_number(r"([\d,]+) words over [\d,]+ distinct")
    assert len(set(words)) == _readme_number(r"words over ([\d,]+) distinct")
    assert min(lengths) == _readme_number(r"(\d+) to \d+ words each")
    assert max(lengths) == _readme_number(r"\d+ to (\d+) words each")
    generator = _generator()
    assert len(generator.POSITIVE) == _readme_number(r"\((\d+)\s+positive, \d+ negative adjectives\)")
    assert len(generator.NEGATIVE) == _readme_number(r"\(\d+\s+positive, (\d+) negative adjectives\)")
    described = SECTION.split("A review is", 1)[1].split("A clause", 1)[0].replace("\n", " ")  # its examples
    quoted = [q for q in re.findall(r"`([a-z ]+)`", described) if len(q.split()) >= 3]
    assert len(quoted) == 4
    for example in quoted:  # the README's example openings and clauses are taken from the file
        assert any(example in text for text, _ in rows), f"data/README.md quotes {example!r}, not in the file"


# --- the labels follow the README's rules ---------------------------------------------------------

NEGATORS = {"not", "never", "hardly", "far"}  # "far from", "not at all", "not very", "not really" included


def _clause_polarity(tokens: list[str], positive: set[str], negative: set[str]) -> int:
    """The polarity of one clause: its only sentiment adjective, flipped if a negator stands before it."""
    found = [(i, word) for i, word in enumerate(tokens) if word in positive or word in negative]
    assert len(found) == 1, f"a clause needs exactly one sentiment adjective: {' '.join(tokens)!r}"
    index, adjective = found[0]
    polarity = int(adjective in positive)
    linking = max(i for i, word in enumerate(tokens[:index]) if word in {"was", "is", "were", "are", "felt", "seemed"})
    negated = any(word in NEGATORS for word in tokens[linking + 1:index])
    return 1 - polarity if negated else polarity


def _label_by_the_rules(text: str, positive: set[str], negative: set[str]) -> int:
    """The label data/README.md says a review has, worked out from its words.

    Every clause ends with its adjective, so the adjectives cut a review into its clauses; the
    connector between them (or "although" before the first) says which clause decides.
    """
    tokens = text.split()
    adjectives = [i for i, word in enumerate(tokens) if word in positive or word in negative]
    assert len(adjectives) in (1, 2), f"one or two clauses, got {len(adjectives)}: {text!r}"
    if len(adjectives) == 1:
        return _clause_polarity(tokens, positive, negative)
    first_end, second_end = adjectives
    first = _clause_polarity(tokens[:first_end + 1], positive, negative)
    second = _clause_polarity(tokens[first_end + 1:second_end + 1], positive, negative)
    between = " ".join(tokens[first_end + 1:second_end + 1])
    if between.startswith("even though "):
        assert first != second, text
        return first  # the first decides
    if between.startswith("but ") or "although" in tokens[:first_end]:
        assert first != second, text
        return second  # the second decides
    assert between.startswith("and "), f"no connector between the clauses: {text!r}"
    assert first == second, f"clauses joined by 'and' must agree: {text!r}"
    return first


def test_every_label_follows_the_readme_rules():
    """Negation flips a clause; 'but'/'although': the second clause decides; 'even though': the first."""
    generator = _generator()
    positive, negative = set(generator.POSITIVE), set(generator.NEGATIVE)
    rows = _rows()
    wrong = [(text, label) for text, label in rows if _label_by_the_rules(text, positive, negative) != label]
    assert not wrong, f"{len(wrong)} labels break the rules, e.g. {wrong[:3]}"
    # every kind of review occurs often enough to be learned
    for connector in (" but ", "although ", " even though ", " and the "):
        assert sum(connector in text for text, _ in rows) > 200, connector
    assert sum(any(word in NEGATORS for word in text.split()) for text, _ in rows) > 500


def test_the_rule_checker_can_fail():
    """The independent checker rejects a review whose label breaks the rules (a test that cannot fail is no test)."""
    generator = _generator()
    positive, negative = set(generator.POSITIVE), set(generator.NEGATIVE)
    good_but_dull = "the acting was good but the story was dull"
    assert _label_by_the_rules(good_but_dull, positive, negative) == 0
    assert _label_by_the_rules("the story was dull but the acting was good", positive, negative) == 1
    assert _label_by_the_rules("the acting was good even though the story was dull", positive, negative) == 1
    assert _label_by_the_rules("although the acting was good the story was dull", positive, negative) == 0
    assert _label_by_the_rules("the plot was not very dull", positive, negative) == 1
    assert _label_by_the_rules("the jokes were far from funny", positive, negative) == 0
