"""rnn_reference.params against Keras: parameter counts by formula vs `model.count_params()`.

The oracle is Keras itself: 500 random Sequential stacks (Embedding, SimpleRNN/LSTM/GRU, both GRU
bias layouts, Bidirectional with every merge mode, Dense on 2-D and 3-D inputs) are built with
`keras.Input` and compared layer by layer. The textbook's worked examples are checked exactly,
with and without Keras, and every bad argument must produce an error that names it.
"""

from __future__ import annotations

import doctest
import re

import numpy as np
import pytest

from _keras_oracle import keras as load_keras
from rnn_reference import params
from rnn_reference.params import (
    bidirectional_params,
    count_params,
    dense_params,
    embedding_params,
    gru_params,
    lstm_params,
    simple_rnn_params,
)

N_RANDOM_STACKS = 500
N_CHUNKS = 20  # 25 stacks per test: spread over xdist workers, clear_session between chunks


# --- the textbook's worked examples ----------------------------------------------------------

def _bidir(units, **extra):
    return {"layer": "bidirectional", "inner": {"layer": "simple_rnn", "units": units, **extra}}


TEXTBOOK = {
    # SimpleRNN(3, input_shape=(2, 10))
    "simple_rnn_3_on_10": ([{"layer": "simple_rnn", "units": 3, "input_dim": 10}], [42]),
    # two stacked SimpleRNN(3), the first with return_sequences=True, on input_dim 5
    "stacked_simple_rnn": ([{"layer": "simple_rnn", "units": 3, "input_dim": 5, "return_sequences": True},
                            {"layer": "simple_rnn", "units": 3}], [27, 21]),
    # Bidirectional(SimpleRNN(128), input_shape=(2, 10))
    "bidirectional_128": ([{**_bidir(128), "input_dim": 10}], [35_584]),
    # four stacked Bidirectional(SimpleRNN(128, return_sequences=True)) on (2, 10)
    "deep_bidirectional": ([{**_bidir(128, return_sequences=True), "input_dim": 10}]
                           + [_bidir(128, return_sequences=True)] * 3,
                           [35_584, 98_560, 98_560, 98_560]),
    # Embedding(5000, 100) + SimpleRNN(128) + Dense(1): the many-to-one review classifier
    "embedding_rnn_dense": ([{"layer": "embedding", "input_dim": 5000, "output_dim": 100},
                             {"layer": "simple_rnn", "units": 128},
                             {"layer": "dense", "units": 1, "name": "output"}],
                            [500_000, 29_312, 129]),
    "gru_reset_after": ([{"layer": "gru", "units": 3, "input_dim": 5}], [90]),
    "gru_reset_before": ([{"layer": "gru", "units": 3, "input_dim": 5, "reset_after": False}], [81]),
}
TEXTBOOK_TOTALS = {"simple_rnn_3_on_10": 42, "stacked_simple_rnn": 48, "bidirectional_128": 35_584,
                   "deep_bidirectional": 331_264, "embedding_rnn_dense": 529_441,
                   "gru_reset_after": 90, "gru_reset_before": 81}


@pytest.mark.parametrize("name", sorted(TEXTBOOK))
def test_textbook_examples(name):
    """count_params reproduces the textbook's numbers, layer by layer and in total."""
    spec, per_layer = TEXTBOOK[name]
    result = count_params(spec)
    assert [count for _, count in result.per_layer] == per_layer
    assert result.total == sum(per_layer) == TEXTBOOK_TOTALS[name]


def test_textbook_examples_single_formulas():
    """The per-layer functions give the same numbers as the textbook."""
    assert simple_rnn_params(3, input_dim=10) == 42
    assert simple_rnn_params(3, 5) + simple_rnn_params(3, 3) == 27 + 21 == 48
    assert bidirectional_params(simple_rnn_params(128, 10)) == 35_584
    assert bidirectional_params(simple_rnn_params(128, 10)) + 3 * bidirectional_params(
        simple_rnn_params(128, 256)) == 331_264
    assert embedding_params(5000, 100) + simple_rnn_params(128, 100) + dense_params(128, 1) == 529_441
    assert gru_params(3, 5) == 90
    assert gru_params(3, 5, reset_after=False) == 81
    assert lstm_params(3, 5) == 4 * simple_rnn_params(3, 5) == 108
    assert dense_params(128, 1, use_bias=False) == 128


def test_docstring_examples_run():
    """The worked examples in params.py's docstrings are doctests, and they pass."""
    result = doctest.testmod(params, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 15
    assert result.failed == 0


def test_names_follow_keras_and_spec_names():
    """Rows are named as Keras names a fresh model's layers; a 'name' key overrides; aliases work."""
    result = count_params([{"layer": "SimpleRNN", "units": 2, "input_dim": 3, "return_sequences": True},
                           {"layer": "simple_rnn", "units": 2, "return_sequences": True},
                           {"layer": "LSTM", "units": 2},
                           {"layer": "Dense", "units": 1, "name": "head"}])
    assert [name for name, _ in result.per_layer] == ["simple_rnn", "simple_rnn_1", "lstm", "head"]
    summary = result.summary()
    assert "simple_rnn_1" in summary and f"{result.total:,}" in summary.splitlines()[-1]


def test_merge_mode_changes_the_next_layers_input():
    """concat doubles the features the next layer sees; sum/mul/ave keep them."""
    inner = {"layer": "lstm", "units": 4, "return_sequences": True}
    for mode, features in (("concat", 8), ("sum", 4), ("mul", 4), ("ave", 4)):
        result = count_params([{"layer": "bidirectional", "inner": inner, "merge_mode": mode, "input_dim": 3},
                               {"layer": "dense", "units": 2}])
        assert result.per_layer[1][1] == dense_params(features, 2), mode


# --- bad input: clear errors naming the argument -----------------------------------------------

RNN = {"layer": "simple_rnn", "units": 3}
ERRORS = [
    (lambda: simple_rnn_params(0, 5), ValueError, r"units must be a positive int"),
    (lambda: simple_rnn_params(3.0, 5), TypeError, r"units must be a positive int, got float"),
    (lambda: simple_rnn_params(True, 5), TypeError, r"units must be a positive int, got bool"),
    (lambda: simple_rnn_params(3, -2), ValueError, r"input_dim must be a positive int"),
    (lambda: lstm_params(3, 0), ValueError, r"input_dim must be a positive int"),
    (lambda: lstm_params("3", 4), TypeError, r"units must be a positive int, got str"),
    (lambda: gru_params(3, 5, reset_after=1), TypeError, r"reset_after must be True or False"),
    (lambda: gru_params(0, 5), ValueError, r"units"),
    (lambda: embedding_params(5000, 0), ValueError, r"output_dim must be a positive int"),
    (lambda: embedding_params(None, 10), TypeError, r"input_dim must be a positive int"),
    (lambda: dense_params(128, 1, use_bias="yes"), TypeError, r"use_bias must be True or False"),
    (lambda: dense_params(128, 0.5), TypeError, r"units must be a positive int"),
    (lambda: bidirectional_params(0), ValueError, r"inner_params must be a positive int"),
    (lambda: count_params({"layer": "lstm", "units": 3}), TypeError, r"spec must be a list of layer dicts"),
    (lambda: count_params([]), ValueError, r"at least one layer"),
    (lambda: count_params(["lstm"]), TypeError, r"spec\[0\] must be a dict"),
    (lambda: count_params([{"units": 3, "input_dim": 2}]), ValueError, r"spec\[0\] needs a 'layer' key"),
    (lambda: count_params([{"layer": "conv1d", "filters": 3}]), ValueError, r"unknown layer 'conv1d'"),
    (lambda: count_params([RNN]), ValueError, r"spec\[0\]: the first layer \(simple_rnn\) needs input_dim"),
    (lambda: count_params([{**RNN, "input_dim": 4, "return_sequences": True}, {**RNN, "input_dim": 3}]),
     ValueError, r"spec\[1\]: only the first layer takes input_dim"),
    (lambda: count_params([{"layer": "lstm", "unit": 3, "input_dim": 4}]), ValueError, r"does not take 'unit'"),
    (lambda: count_params([{"layer": "lstm", "units": 3, "input_dim": 4, "reset_after": True}]),
     ValueError, r"lstm does not take 'reset_after'"),
    (lambda: count_params([{**RNN, "units": 2.0, "input_dim": 4}]), TypeError, r"spec\[0\] units must be a positive int"),
    (lambda: count_params([{**RNN, "input_dim": 0}]), ValueError, r"spec\[0\] input_dim must be a positive int"),
    (lambda: count_params([{**RNN, "input_dim": 4, "return_sequences": "yes"}]), TypeError,
     r"spec\[0\] return_sequences must be True or False"),
    (lambda: count_params([{**RNN, "input_dim": 4}, RNN]), ValueError,
     r"spec\[1\]: simple_rnn needs a sequence .* give it return_sequences=True"),
    (lambda: count_params([{**RNN, "input_dim": 4}, {"layer": "bidirectional", "inner": RNN}]), ValueError,
     r"spec\[1\]: bidirectional needs a sequence"),
    (lambda: count_params([{"layer": "dense", "units": 3, "input_dim": 4},
                           {"layer": "embedding", "input_dim": 10, "output_dim": 2}]),
     ValueError, r"spec\[1\]: an embedding takes token ids, so it must be the first layer"),
    (lambda: count_params([{"layer": "embedding", "input_dim": 10}]), ValueError, r"spec\[0\]: 'embedding' needs 'output_dim'"),
    (lambda: count_params([{"layer": "bidirectional", "input_dim": 4}]), ValueError, r"bidirectional needs 'inner'"),
    (lambda: count_params([{"layer": "bidirectional", "input_dim": 4, "inner": {"layer": "dense", "units": 2}}]),
     ValueError, r"spec\[0\]\['inner'\]: unknown layer 'dense'"),
    (lambda: count_params([{"layer": "bidirectional", "inner": {**RNN, "input_dim": 4}}]), ValueError,
     r"spec\[0\]\['inner'\]: put input_dim on the bidirectional dict itself"),
    (lambda: count_params([{"layer": "bidirectional", "input_dim": 3, "inner": {**RNN, "name": "x"}}]), ValueError,
     r"spec\[0\]\['inner'\]: simple_rnn does not take 'name'"),
    (lambda: count_params([{"layer": "bidirectional", "input_dim": 4, "inner": RNN, "merge_mode": None}]),
     ValueError, r"merge_mode=None"),
    (lambda: count_params([{"layer": "bidirectional", "input_dim": 4, "inner": RNN, "merge_mode": "max"}]),
     ValueError, r"spec\[0\] merge_mode must be one of 'concat', 'sum', 'mul', 'ave'; got 'max'"),
    (lambda: count_params([{**RNN, "input_dim": 4, "name": ""}]), TypeError, r"name must be a non-empty str"),
]


@pytest.mark.parametrize("call, error, message", ERRORS, ids=[str(i) for i in range(len(ERRORS))])
def test_bad_arguments_raise_clear_errors(call, error, message):
    """Each bad argument raises the right exception, and the message names the argument."""
    with pytest.raises(error, match=message):
        call()


def test_numpy_integers_are_accepted():
    """Sizes computed with numpy (np.int64) are ordinary positive integers."""
    assert simple_rnn_params(np.int64(3), np.int32(10)) == 42
    assert count_params([{"layer": "lstm", "units": np.int64(2), "input_dim": np.int64(3)}]).total == lstm_params(2, 3)


# --- against real Keras models -------------------------------------------------------------------

def _random_stack(rng: np.random.Generator):
    """A random valid Sequential stack: (spec, keras input shape, first input is token ids)."""
    n_layers = int(rng.integers(1, 5))
    timesteps = int(rng.integers(1, 6))
    first = rng.choice(["embedding", "recurrent", "bidirectional", "dense"], p=[0.3, 0.35, 0.2, 0.15])
    spec = []
    is_sequence = True
    if first == "embedding":
        spec.append({"layer": "embedding", "input_dim": int(rng.integers(2, 300)),
                     "output_dim": int(rng.integers(1, 24))})
        input_shape, token_ids = (timesteps,), True
    else:
        input_dim = int(rng.integers(1, 24))
        token_ids = False
        if first == "dense" and rng.random() < 0.5:
            input_shape, is_sequence = (input_dim,), False  # Dense on (batch, features)
        else:
            input_shape = (timesteps, input_dim)
    while len(spec) < n_layers:
        last = len(spec) == n_layers - 1
        kinds = ["recurrent", "bidirectional", "dense"] if is_sequence else ["dense"]
        kind = first if not spec and first != "embedding" else rng.choice(kinds)
        if kind == "dense":
            layer = {"layer": "dense", "units": int(rng.integers(1, 24))}
            if rng.random() < 0.3:
                layer["use_bias"] = False
        else:
            cell = str(rng.choice(["simple_rnn", "lstm", "gru"]))
            inner = {"layer": cell, "units": int(rng.integers(1, 16)),
                     "return_sequences": bool(not last and rng.random() < 0.7) or bool(rng.random() < 0.2)}
            if cell == "gru" and rng.random() < 0.5:
                inner["reset_after"] = bool(rng.random() < 0.5)
            is_sequence = inner["return_sequences"]
            layer = inner
            if kind == "bidirectional":
                layer = {"layer": "bidirectional", "inner": inner}
                if rng.random() < 0.5:
                    layer["merge_mode"] = str(rng.choice(["concat", "sum", "mul", "ave"]))
        if not spec and not token_ids:
            layer["input_dim"] = input_shape[-1]
        spec.append(layer)
    return spec, input_shape, token_ids


def _keras_layer(keras, layer: dict):
    """Translate one spec dict into the Keras layer it describes (independently of params.py)."""
    kind = layer["layer"]
    if kind == "embedding":
        return keras.layers.Embedding(layer["input_dim"], layer["output_dim"])
    if kind == "dense":
        return keras.layers.Dense(layer["units"], use_bias=layer.get("use_bias", True))
    if kind == "bidirectional":
        return keras.layers.Bidirectional(_keras_layer(keras, layer["inner"]),
                                          merge_mode=layer.get("merge_mode", "concat"))
    options = {"return_sequences": layer.get("return_sequences", False)}
    if kind == "simple_rnn":
        return keras.layers.SimpleRNN(layer["units"], **options)
    if kind == "lstm":
        return keras.layers.LSTM(layer["units"], **options)
    return keras.layers.GRU(layer["units"], reset_after=layer.get("reset_after", True), **options)


def _keras_model(keras, spec, input_shape, token_ids):
    inputs = keras.Input(shape=input_shape, dtype="int32" if token_ids else "float32")
    return keras.Sequential([inputs] + [_keras_layer(keras, layer) for layer in spec])


@pytest.fixture(scope="module")
def keras():
    keras = load_keras()  # pinned in pyproject.toml: missing, it is a broken environment and must fail
    yield keras
    keras.backend.clear_session()


@pytest.mark.keras
@pytest.mark.parametrize("chunk", range(N_CHUNKS))
def test_random_stacks_match_keras(keras, chunk):
    """On 500 random stacks, every layer's count and the total equal Keras's count_params()."""
    per_chunk = N_RANDOM_STACKS // N_CHUNKS
    kinds_seen = set()
    for seed in range(chunk * per_chunk, (chunk + 1) * per_chunk):
        spec, input_shape, token_ids = _random_stack(np.random.default_rng(seed))
        model = _keras_model(keras, spec, input_shape, token_ids)
        result = count_params(spec)
        expected = [layer.count_params() for layer in model.layers]
        assert [count for _, count in result.per_layer] == expected, f"seed {seed}: {spec} on {input_shape}"
        assert result.total == model.count_params(), f"seed {seed}: {spec}"
        kinds_seen.update(layer["layer"] for layer in spec)
    keras.backend.clear_session()
    assert kinds_seen >= {"dense", "bidirectional"}, "the random stacks should mix layer types"


def test_random_stacks_cover_every_configuration():
    """The 500 random stacks include every layer, both GRU layouts, every merge mode, Dense on 2-D/3-D."""
    seen = set()
    for seed in range(N_RANDOM_STACKS):
        spec, input_shape, _ = _random_stack(np.random.default_rng(seed))
        count_params(spec)  # every generated stack is valid for count_params too
        if spec[0]["layer"] == "dense":
            seen.add(f"dense on {len(input_shape) + 1}-D")
        for layer in spec:
            inner = layer.get("inner", layer)
            seen.add(inner["layer"])
            if inner["layer"] == "gru":
                seen.add(f"gru reset_after={inner.get('reset_after', True)}")
            if layer["layer"] == "bidirectional":
                seen.add(f"merge {layer.get('merge_mode', 'concat')}")
            if layer["layer"] == "dense" and not layer.get("use_bias", True):
                seen.add("dense no bias")
    assert seen >= {"embedding", "simple_rnn", "lstm", "gru", "dense", "gru reset_after=True",
                    "gru reset_after=False", "merge concat", "merge sum", "merge mul", "merge ave",
                    "dense on 2-D", "dense on 3-D", "dense no bias"}, seen


@pytest.mark.keras
@pytest.mark.parametrize("name", sorted(TEXTBOOK))
def test_textbook_examples_match_keras(keras, name):
    """The textbook's models, built in Keras 3 form, report the same counts."""
    spec, per_layer = TEXTBOOK[name]
    if spec[0]["layer"] == "embedding":
        input_shape, token_ids = (10,), True
    else:
        first = spec[0]
        input_shape, token_ids = (2, first["input_dim"]), False
    model = _keras_model(keras, spec, input_shape, token_ids)
    assert [layer.count_params() for layer in model.layers] == per_layer
    assert model.count_params() == TEXTBOOK_TOTALS[name]


def test_params_module_does_not_mention_tensorflow_imports():
    """params.py is pure arithmetic: it must not import TensorFlow or Keras."""
    source = open(params.__file__, encoding="utf-8").read()
    assert not re.search(r"^\s*(import|from)\s+(tensorflow|keras)", source, flags=re.M)
