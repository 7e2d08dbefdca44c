"""The a02_keras_outputs reference and its Keras-only check machinery, against real Keras.

- rnn_reference.keras_shapes.keras_output_shapes agrees with Keras layers on every combination of
  layer, return_sequences, return_state and Bidirectional (the independent oracle);
- build_stacked_model's models have the output shape and parameter count that
  rnn_reference.params.count_params gives for the same stack;
- the watch behind the rule "reason the shapes out, don't build Keras layers" sees every layer
  Keras builds, in any thread, even after clear_session: if Keras changes how it builds layers, this
  fails instead of the rule switching itself off;
- importing the reference module does not import TensorFlow.

The hidden checks themselves run on the notebook's cells in tests/test_checks_notebooks.py, with
every case of tests/cases/a02_keras_outputs.py.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import threading

import numpy as np
import pytest

from conftest import tool_env

COMBINATIONS = list(itertools.product(("simple_rnn", "lstm", "gru"), (False, True), (False, True), (False, True)))


@pytest.fixture(scope="module")
def keras():
    from rnn_reference.checks._keras import load_keras

    return load_keras()


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


def _build_each_kind(keras):
    """Build what a student asking Keras would: every recurrent layer, Bidirectional, Input, a call."""
    for kind in (keras.layers.SimpleRNN, keras.layers.LSTM, keras.layers.GRU):
        layer = keras.layers.Bidirectional(kind(3, return_state=True, name="named"), name="named_too")
        layer(keras.Input(shape=(4, 2), batch_size=5))


def test_the_watch_sees_every_layer_built(keras):
    from rnn_reference.checks._keras import keras_objects_built

    with keras_objects_built() as built:
        pass
    assert built == []
    with keras_objects_built() as built:
        _build_each_kind(keras)
    assert {"SimpleRNN", "LSTM", "GRU", "Bidirectional", "InputLayer"} <= set(built), built
    with keras_objects_built() as built:  # one layer, then the session cleared: still seen
        keras.layers.Dense(2, name="alone")
        keras.utils.clear_session()
    assert built == ["Dense"]
    with keras_objects_built() as built:  # in another thread: still seen
        worker = threading.Thread(target=_build_each_kind, args=(keras,))
        worker.start()
        worker.join()
    assert {"LSTM", "Bidirectional"} <= set(built), built
    with keras_objects_built() as built:  # a layer that exists already is no new build
        layer = keras.layers.LSTM(3)
    assert "LSTM" in built
    with keras_objects_built() as built:
        layer.compute_output_shape((2, 4, 5))
    assert built == []


def test_the_watch_leaves_keras_as_it_was(keras):
    from rnn_reference.checks._keras import keras_objects_built

    before = keras.Operation.__dict__["__init__"]
    with pytest.raises(RuntimeError):
        with keras_objects_built():
            raise RuntimeError("a student's crash")
    assert keras.Operation.__dict__["__init__"] is before
    assert keras.layers.GRU(2).units == 2


def test_importing_the_reference_does_not_load_tensorflow():
    code = ("import sys, rnn_reference.keras_shapes\n"
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TensorFlow was imported'\n")
    result = subprocess.run([sys.executable, "-c", code], env=tool_env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
