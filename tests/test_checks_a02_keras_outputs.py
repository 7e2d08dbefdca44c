"""Assignment a2's reference and checks against real Keras, without the nbgrader round trip.

- rnn_reference.keras_shapes.keras_output_shapes agrees with Keras layers on every combination of
  layer, return_sequences, return_state and Bidirectional (the independent oracle);
- build_stacked_model's models have the output shape and parameter count that
  rnn_reference.params.count_params gives for the same stack;
- the hidden checks pass the source notebook's solutions and reject every wrong case of
  tests/cases/a02_keras_outputs.py with its hint;
- importing the reference module or the check module does not import TensorFlow.
"""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import pytest

from cases import a02_keras_outputs as cases
from conftest import ROOT, tool_env
from submissions import source_solutions

NOTEBOOK = ROOT / "exercises" / "a02_keras_outputs" / "a02_keras_outputs.ipynb"
COMBINATIONS = list(itertools.product(("simple_rnn", "lstm", "gru"), (False, True), (False, True), (False, True)))


@pytest.fixture(scope="module")
def keras():
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    return keras


@pytest.mark.parametrize("layer, return_sequences, return_state, bidirectional", COMBINATIONS)
def test_reference_shapes_match_keras(keras, layer, return_sequences, return_state, bidirectional):
    from rnn_reference.keras_shapes import keras_output_shapes

    classes = {"simple_rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}
    rng = np.random.default_rng(len(layer) + 2 * return_sequences + 4 * return_state + 8 * bidirectional)
    for batch_size in (None, int(rng.integers(1, 9))):
        units, timesteps, input_dim = (int(v) for v in rng.integers(1, 9, size=3))
        built = classes[layer](units, return_sequences=return_sequences, return_state=return_state)
        if bidirectional:
            built = keras.layers.Bidirectional(built)
        result = built(keras.Input(shape=(timesteps, input_dim), batch_size=batch_size))
        want = [tuple(r.shape) for r in (result if isinstance(result, (list, tuple)) else [result])]
        got = keras_output_shapes(layer, units, batch_size, timesteps, input_dim, return_sequences=return_sequences,
                                  return_state=return_state, bidirectional=bidirectional)
        assert got == want, (layer, units, batch_size, timesteps, input_dim)


def test_reference_model_matches_count_params(keras):
    from rnn_reference.keras_shapes import build_stacked_model
    from rnn_reference.params import count_params

    rng = np.random.default_rng(0)
    for _ in range(6):
        n = int(rng.integers(1, 4))
        layers = [{"layer": str(rng.choice(["simple_rnn", "lstm", "gru"])), "units": int(rng.integers(1, 7)),
                   "bidirectional": bool(rng.integers(2))} for _ in range(n)]
        spec = {"input_shape": (int(rng.integers(2, 6)), int(rng.integers(1, 6))), "layers": layers,
                "dense_units": int(rng.integers(1, 4))}
        model = build_stacked_model(spec)
        stack = []
        for index, entry in enumerate(layers):
            inner = {"layer": entry["layer"], "units": entry["units"], "return_sequences": index < n - 1}
            stack.append({"layer": "bidirectional", "inner": inner} if entry["bidirectional"] else inner)
        stack[0]["input_dim"] = spec["input_shape"][1]
        stack.append({"layer": "dense", "units": spec["dense_units"]})
        assert model.count_params() == count_params(stack).total, spec
        assert model.output_shape == (None, spec["dense_units"]), spec
        assert model.input_shape == (None, *spec["input_shape"]), spec


def _student_functions(keras, overrides=None):
    namespace = {"keras": keras, "np": np}
    for grade_id, source in source_solutions(NOTEBOOK).items():
        code = (overrides or {}).get(grade_id, source)
        exec(compile(code, f"<student {grade_id}>", "exec"), namespace)
    return namespace


def _run_checks(namespace):
    from rnn_reference.checks.a02_keras_outputs import check_build_stacked_model, check_keras_output_shapes

    messages = []
    for part in ("outputs", "states", "bidirectional"):
        try:
            check_keras_output_shapes(namespace["keras_output_shapes"], part=part)
        except AssertionError as err:
            messages.append(str(err))
    for part in ("stack", "bidirectional"):
        try:
            check_build_stacked_model(namespace["build_stacked_model"], part=part)
        except AssertionError as err:
            messages.append(str(err))
    return messages


def test_checks_pass_the_source_solutions_and_alternatives(keras):
    assert _run_checks(_student_functions(keras)) == []
    for case in cases.ALTERNATIVE:
        assert _run_checks(_student_functions(keras, case.overrides)) == [], case.name


@pytest.mark.parametrize("case", cases.WRONG, ids=lambda c: c.name)
def test_checks_name_each_wrong_solution(keras, case):
    messages = _run_checks(_student_functions(keras, case.overrides))
    assert messages, f"{case.name!r} passed every hidden check"
    assert any(case.hint in message for message in messages), messages


def test_importing_reference_and_checks_does_not_load_tensorflow():
    code = ("import sys, rnn_reference.keras_shapes, rnn_reference.checks.a02_keras_outputs\n"
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TensorFlow was imported'\n")
    result = subprocess.run([sys.executable, "-c", code], env=tool_env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
