"""The a06_sequence_classification data split and trained-model check, without the nbgrader round trip.

- the training file shipped in exercises/a06_sequence_classification/ is exactly the training part
  of data/char_sentiment.tsv, and no held-out entry is in that folder;
- the trained-model check fails a model that always answers the majority class.

The hidden checks of the functions run on the notebook's cells in tests/test_checks_notebooks.py,
with every case of tests/cases/a06_sequence_classification.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import ROOT

FOLDER = ROOT / "exercises" / "a06_sequence_classification"


def test_shipped_training_file_is_the_training_split():
    from rnn_reference.checks.a06_sequence_classification import heldout_split, training_split

    rows = [line.split("\t") for line in (FOLDER / "char_sentiment_train.tsv").read_text("utf-8").splitlines()]
    texts, labels = training_split()
    assert [r[0] for r in rows] == texts and [int(r[1]) for r in rows] == labels.tolist()
    heldout, _ = heldout_split()
    assert len(heldout) >= 100 and not set(heldout) & set(texts)
    shipped = "".join(p.read_text("utf-8", errors="ignore") for p in FOLDER.rglob("*") if p.is_file())
    for text in heldout:  # no held-out entry anywhere in the released folder, as a line of data
        assert f"\n{text}\t" not in "\n" + shipped


@pytest.fixture(scope="module")
def keras():
    from rnn_reference.checks._keras import load_keras

    return load_keras()


def test_trained_check_fails_a_majority_class_model(keras):
    from rnn_reference.checks.a06_sequence_classification import (ACCURACY_THRESHOLD, check_trained_classifier,
                                                                 heldout_split, training_split)

    texts, labels = training_split()
    majority = int(np.mean(labels) > 0.5)
    constant = keras.Sequential([keras.Input(shape=(21,), dtype="int32"),
                                 keras.layers.Lambda(lambda x: keras.ops.zeros_like(x[:, :1], dtype="float32")
                                                     + float(majority))])
    char2idx = {"<pad>": 0, **{c: i for i, c in enumerate(sorted(set("".join(texts))), start=1)}}
    _, heldout_labels = heldout_split()
    assert np.mean(heldout_labels == majority) < ACCURACY_THRESHOLD
    with pytest.raises(AssertionError, match="accuracy on the held-out words is"):
        check_trained_classifier(constant, char2idx, 21)

