"""Assignment a6's checks and data, without the nbgrader round trip.

- the training file shipped in exercises/a06_sequence_classification/ is exactly the training part
  of data/char_sentiment.tsv, and no held-out entry is in that folder;
- the hidden checks of the functions pass the source solutions and the alternative, and name the
  mistake of every wrong function in tests/cases/a06_sequence_classification.py (the wrong
  trainings are left to the round trip, which trains);
- the trained-model check fails a model that always answers the majority class;
- importing the check module does not import TensorFlow.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from cases import a06_sequence_classification as cases
from conftest import ROOT, tool_env
from submissions import source_solutions

FOLDER = ROOT / "exercises" / "a06_sequence_classification"
NOTEBOOK = FOLDER / "a06_sequence_classification.ipynb"
FUNCTIONS = ("build_char_vocab", "encode_and_pad", "build_classifier")


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
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    return keras


def _namespace(keras, overrides=None):
    namespace = {"keras": keras, "np": np}
    for grade_id, source in source_solutions(NOTEBOOK).items():
        if grade_id in FUNCTIONS:
            code = (overrides or {}).get(grade_id, source)
            exec(compile(code, f"<student {grade_id}>", "exec"), namespace)
    return namespace


def _run_checks(namespace):
    from rnn_reference.checks import a06_sequence_classification as checks

    calls = [(checks.check_build_char_vocab, "build_char_vocab", {}),
             (checks.check_encode_and_pad, "encode_and_pad", {"part": "padding"}),
             (checks.check_encode_and_pad, "encode_and_pad", {"part": "truncating"}),
             (checks.check_build_classifier, "build_classifier", {})]
    messages = []
    for check, name, options in calls:
        try:
            check(namespace[name], **options)
        except AssertionError as err:
            messages.append(str(err))
    return messages


def test_checks_pass_the_source_solutions_and_alternatives(keras):
    assert _run_checks(_namespace(keras)) == []
    for case in cases.ALTERNATIVE:
        assert _run_checks(_namespace(keras, case.overrides)) == [], case.name


@pytest.mark.parametrize("case", [c for c in cases.WRONG if set(c.overrides) <= set(FUNCTIONS)], ids=lambda c: c.name)
def test_checks_name_each_wrong_function(keras, case):
    messages = _run_checks(_namespace(keras, case.overrides))
    assert messages, f"{case.name!r} passed every hidden check"
    assert any(case.hint in message for message in messages), messages


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


def test_importing_the_checks_does_not_load_tensorflow():
    code = ("import sys, rnn_reference.checks.a06_sequence_classification\n"
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TensorFlow was imported'\n")
    result = subprocess.run([sys.executable, "-c", code], env=tool_env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
