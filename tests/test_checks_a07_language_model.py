"""The a07_language_model data split and checks, without the nbgrader round trip.

- the sentences shipped in exercises/a07_language_model/ are exactly the training part of
  data/lm_corpus_en.txt, and no held-out sentence is in that folder;
- the chi-square p-value behaves (uniform-ish for a correct sampler, ~0 for a wrong one);
- a wrong sample_next costs no generate_text points when generate_text hands it on correctly;
- the trained-model check fails a model that predicts the uniform distribution;
- the function checks run without TensorFlow: the notebook's hidden tests of its four functions,
  run on their solutions, never import it.

The hidden checks run on the notebook's cells in tests/test_checks_notebooks.py, with every case of
tests/cases/a07_language_model.py.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from cases import a07_language_model as cases, all_wrong
from conftest import ROOT, tool_env
from submissions import run_notebook

FOLDER = ROOT / "exercises" / "a07_language_model"
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


SAMPLING = "test_generate_text_sampling_hidden"


@pytest.mark.parametrize("case", [c for c in all_wrong(cases) if set(c.overrides) == {"sample_next"}], ids=lambda c: c.name)
def test_a_wrong_sample_next_costs_no_generate_text_points(case):
    """generate_text that passes probs, temperature and rng on to a wrong sample_next is still right."""
    from rnn_reference.checks.a07_language_model import check_generate_text

    run = run_notebook("a07_language_model", case.overrides, stop_at=cases.TRAINING)
    failed = run.failures()
    assert any(gid.startswith("test_sample_next") for gid in failed), failed
    assert not any(gid.startswith("test_generate_text") for gid in failed), failed
    with pytest.raises(AssertionError):  # without sample_next the check cannot tell whose mistake it is
        check_generate_text(run.namespace["generate_text"], part="sampling")


def test_trained_check_fails_a_uniform_model():
    from rnn_reference.checks._keras import load_keras
    from rnn_reference.checks.a07_language_model import check_trained_language_model, training_lines

    keras = load_keras()

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
    """The notebook's hidden tests of its four functions, run on the solutions without Keras, never import it."""
    code = (
        "import sys\n"
        "sys.path.insert(0, 'tests')\n"
        "import numpy as np\n"
        "from submissions import hidden_tests, source_notebook, source_solutions\n"
        "notebook = source_notebook('a07_language_model')\n"
        "namespace = {'np': np}\n"
        f"for cell in {FUNCTIONS!r}:\n"
        "    exec(source_solutions(notebook)[cell], namespace)\n"
        "ran = 0\n"
        "for gid, source in hidden_tests(notebook).items():\n"
        f"    if gid.startswith(tuple('test_' + f for f in {FUNCTIONS!r})):\n"
        "        exec(source, namespace)\n"
        "        ran += 1\n"
        "assert ran == 8, ran\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TensorFlow was imported'\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=tool_env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
