"""Assignment a7's checks and data, without the nbgrader round trip.

- the sentences shipped in exercises/a07_language_model/ are exactly the training part of
  data/lm_corpus_en.txt, and no held-out sentence is in that folder;
- the chi-square p-value behaves (uniform-ish for a correct sampler, ~0 for a wrong one);
- the hidden checks of the functions pass the source solutions and the alternative, and name the
  mistake of every wrong function in tests/cases/a07_language_model.py (the wrong training is left
  to the round trip);
- the trained-model check fails a model that predicts the uniform distribution;
- the function checks run without TensorFlow: importing the module and checking all four
  functions never imports it.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from cases import a07_language_model as cases
from conftest import ROOT, tool_env
from submissions import source_solutions

FOLDER = ROOT / "exercises" / "a07_language_model"
NOTEBOOK = FOLDER / "a07_language_model.ipynb"
FUNCTIONS = ("make_lm_sequences", "split_inputs_targets", "sample_next", "generate_text")


def test_shipped_sentences_are_the_training_split():
    from rnn_reference.checks.a07_language_model import heldout_lines, training_lines

    shipped = (FOLDER / "lm_train.txt").read_text("utf-8").splitlines()
    assert shipped == training_lines()
    heldout = heldout_lines()
    assert len(heldout) >= 20 and not set(heldout) & set(shipped)
    everything = "\n".join(p.read_text("utf-8", errors="ignore") for p in FOLDER.rglob("*") if p.is_file())
    for line in heldout:
        assert f"\n{line}\n" not in f"\n{everything}\n"
    vocabulary = {w for line in shipped for w in line.split()}
    assert all(set(line.split()) <= vocabulary for line in heldout)


def test_chi_square_pvalue():
    from rnn_reference.checks.a07_language_model import chi_square_pvalue

    p = np.array([0.5, 0.3, 0.2])
    assert chi_square_pvalue([500, 300, 200], p) > 0.99
    assert chi_square_pvalue([520, 290, 190], p) > 0.1
    assert chi_square_pvalue([700, 200, 100], p) < 1e-6
    assert chi_square_pvalue([500, 300, 199, 1], np.array([0.5, 0.3, 0.2, 0.0])) == 0.0
    pvalues = [chi_square_pvalue(np.bincount(np.random.default_rng(s).choice(3, 2000, p=p), minlength=3), p)
               for s in range(200)]
    assert 0.3 < np.mean(pvalues) < 0.7 and min(pvalues) > 1e-4  # roughly uniform under the truth


def _namespace(overrides=None):
    namespace = {"np": np}
    solutions = source_solutions(NOTEBOOK)
    for grade_id in FUNCTIONS:
        code = (overrides or {}).get(grade_id, solutions[grade_id])
        if "keras" in code:
            import keras

            namespace["keras"] = keras
        exec(compile(code, f"<student {grade_id}>", "exec"), namespace)
    return namespace


def _run_checks(namespace):
    from rnn_reference.checks import a07_language_model as checks

    calls = [(checks.check_make_lm_sequences, "make_lm_sequences", {}),
             (checks.check_split_inputs_targets, "split_inputs_targets", {}),
             *[(checks.check_sample_next, "sample_next", {"part": p}) for p in ("greedy", "distribution", "temperature")],
             *[(checks.check_generate_text, "generate_text", {"part": p}) for p in ("context", "greedy")],
             (checks.check_generate_text, "generate_text", {"part": "sampling", "sample_next": namespace["sample_next"]})]
    messages = []
    for check, name, options in calls:
        try:
            check(namespace[name], **options)
        except AssertionError as err:
            messages.append(str(err))
    return messages


def test_checks_pass_the_source_solutions_and_alternatives():
    assert _run_checks(_namespace()) == []
    for case in cases.ALTERNATIVE:
        assert _run_checks(_namespace(case.overrides)) == [], case.name


@pytest.mark.parametrize("case", [c for c in cases.WRONG if set(c.overrides) <= set(FUNCTIONS)], ids=lambda c: c.name)
def test_checks_name_each_wrong_function(case):
    messages = _run_checks(_namespace(case.overrides))
    assert messages, f"{case.name!r} passed every hidden check"
    assert any(case.hint in message for message in messages), messages


@pytest.mark.parametrize("case", [c for c in cases.WRONG if set(c.overrides) == {"sample_next"}], ids=lambda c: c.name)
def test_a_wrong_sample_next_costs_no_generate_text_points(case):
    """generate_text that passes probs, temperature and rng on to a wrong sample_next is still right."""
    from rnn_reference.checks.a07_language_model import check_generate_text

    namespace = _namespace(case.overrides)
    check_generate_text(namespace["generate_text"], part="sampling", sample_next=namespace["sample_next"])
    with pytest.raises(AssertionError):  # without sample_next the check cannot tell whose mistake it is
        check_generate_text(namespace["generate_text"], part="sampling")


def test_trained_check_fails_a_uniform_model():
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    from rnn_reference.checks.a07_language_model import check_trained_language_model, training_lines

    lines = training_lines()
    words = sorted({w for line in lines for w in line.split()})
    word2idx = {"<pad>": 0, **{w: i for i, w in enumerate(words, start=1)}}
    vocab_size = len(word2idx)
    uniform = keras.Sequential([keras.Input(shape=(10,), dtype="int32"),
                                keras.layers.Lambda(lambda x: keras.ops.zeros((keras.ops.shape(x)[0], vocab_size))
                                                    + 1.0 / vocab_size)])
    with pytest.raises(AssertionError, match="cross-entropy on the held-out sentences is 4.6"):
        check_trained_language_model(uniform, word2idx, 11)


def test_function_checks_do_not_load_tensorflow():
    code = (
        "import sys\n"
        "sys.path.insert(0, 'tests')\n"
        "import test_checks_a07_language_model as t\n"
        "assert t._run_checks(t._namespace()) == []\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TensorFlow was imported'\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=tool_env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
