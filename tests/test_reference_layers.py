"""The numpy reference layers against real Keras layers loaded with the same weights.

Each `keras`-marked case checks `CONFIGS_PER_CASE` random configurations (one seed each; the
failure message names the seed and the configuration), `N_CASES` cases per function, so every
function is compared on 200 configurations: sizes, masks (random, pre/post padding, fully
masked rows, masked first/last steps), initial states, go_backwards, return_sequences,
return_state, zero_output_for_mask, reset_after, merge modes and inner layer types.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import _keras_oracle as oracle
from rnn_reference import (bidirectional_forward, gradient_norms_through_time, gru_forward, lstm_backward,
                           lstm_forward, lstm_gradient_norms_through_time, simple_rnn_backward,
                           simple_rnn_forward, stacked_forward)

FORWARDS = {"simple_rnn": simple_rnn_forward, "lstm": lstm_forward, "gru": gru_forward}
CASES = range(oracle.N_CASES)


# ---------------------------------------------------------------- single layers

@pytest.mark.keras
@pytest.mark.parametrize("layer", ["simple_rnn", "lstm", "gru"])
@pytest.mark.parametrize("case", CASES)
def test_layer_matches_keras(layer, case):
    """simple_rnn_forward / lstm_forward / gru_forward equal keras.layers.SimpleRNN / LSTM / GRU."""
    for seed in oracle.seeds(case):
        config = oracle.random_layer_case(seed, layer)
        expected = oracle.run_keras_layer(config)
        got = FORWARDS[layer](config.x, *config.weights, mask=config.mask,
                              initial_state=config.initial_state, **config.options)
        oracle.assert_matches(expected, got, config.describe())


@pytest.mark.keras
@pytest.mark.parametrize("case", CASES)
def test_bidirectional_matches_keras(case):
    """bidirectional_forward equals keras.layers.Bidirectional: outputs, merge modes, state order."""
    for seed in oracle.seeds(case):
        config = oracle.random_bidirectional_case(seed)
        expected = oracle.run_keras_bidirectional(config)
        got = bidirectional_forward(config.x, config.layer, config.forward_weights, config.backward_weights,
                                    merge_mode=config.merge_mode, return_sequences=config.return_sequences,
                                    return_state=config.return_state, mask=config.mask,
                                    initial_state=config.initial_state, layer_options=config.layer_options)
        oracle.assert_matches(expected, got, config.describe())


@pytest.mark.keras
@pytest.mark.parametrize("case", CASES)
def test_stacked_matches_keras_model(case):
    """stacked_forward equals a functional Keras model Input -> [Masking] -> recurrent layers."""
    for seed in oracle.seeds(case):
        config = oracle.random_stack_case(seed)
        expected = oracle.run_keras_stack(config)
        got = stacked_forward(config.x, config.layers, mask=config.mask)
        oracle.assert_matches(expected, got, config.describe())


@pytest.mark.keras
def test_bidirectional_covers_every_layer_and_merge_mode():
    """The 200 random Bidirectional configurations include every (inner layer, merge_mode) pair."""
    pairs = {(c.layer, c.merge_mode) for c in map(oracle.random_bidirectional_case,
                                                  range(oracle.N_CASES * oracle.CONFIGS_PER_CASE))}
    assert pairs == {(layer, mode) for layer in oracle.BLOCKS for mode in oracle.MERGE_MODES}


# ---------------------------------------------------------------- the textbook's Bidirectional LSTM

TRAIN_X = np.array([[[0.1, 4.2, 1.5, 1.1, 2.8], [1.0, 3.1, 2.5, 0.7, 1.1], [0.3, 2.1, 1.5, 2.1, 0.1],
                     [2.2, 1.4, 0.5, 0.9, 1.1]]], dtype=np.float32)  # (1, 4, 5)

# The hidden states Keras 3.15 prints (str of each float32) for the textbook's
# Bidirectional(LSTM(3, return_sequences=True, return_state=True, kernel/recurrent Constant(0.1),
# bias_initializer=Constant(0))): each row is [forward h_t x3 | backward h_t x3], t = 0..3. Of these the
# notes print the forward state 0.6303138 (t = 3); the other digits are Keras's, not quoted from the notes.
TEXTBOOK_HIDDEN_STATES = np.array([[[0.3590647] * 3 + [0.7038734] * 3, [0.55111325] * 3 + [0.58863586] * 3,
                                    [0.59115744] * 3 + [0.3951699] * 3, [0.6303138] * 3 + [0.21942246] * 3]])
# What the same layer gives with the forget-gate bias at 0 (unit_forget_bias=False), computed here.
FORGET_BIAS_0_HIDDEN_STATES = np.array([[[0.35906470] * 3 + [0.66263157] * 3, [0.52435625] * 3 + [0.54415113] * 3,
                                         [0.53954428] * 3 + [0.36710599] * 3, [0.56505501] * 3 + [0.21942246] * 3]])


def _textbook_bilstm(return_sequences, unit_forget_bias):
    keras = oracle.keras()
    constant = keras.initializers.Constant
    return keras.layers.Bidirectional(keras.layers.LSTM(
        3, return_sequences=return_sequences, return_state=True, kernel_initializer=constant(0.1),
        recurrent_initializer=constant(0.1), bias_initializer=constant(0), unit_forget_bias=unit_forget_bias))


@pytest.mark.keras
@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("unit_forget_bias", [True, False])
def test_textbook_bidirectional_lstm(return_sequences, unit_forget_bias):
    """The textbook's constant-weight BiLSTM: 5 outputs, value for value, with either forget bias.

    Keras's LSTM default unit_forget_bias=True sets the forget-gate block of the bias to 1 at
    initialisation, whatever bias_initializer gives the other blocks: the real bias is
    [0,0,0, 1,1,1, 0,0,0, 0,0,0] (blocks i, f, c, o). The notes' printed 0.6303138 is that of
    forget-gate bias 1 (see test_textbook_numbers_need_forget_bias_one).
    """
    bi = _textbook_bilstm(return_sequences, unit_forget_bias)
    expected = bi(TRAIN_X)
    forward_weights, backward_weights = bi.forward_layer.get_weights(), bi.backward_layer.get_weights()
    forget_bias = 1.0 if unit_forget_bias else 0.0
    for weights in (forward_weights, backward_weights):
        np.testing.assert_array_equal(weights[2], np.repeat([0.0, forget_bias, 0.0, 0.0], 3))
    got = bidirectional_forward(TRAIN_X, "lstm", forward_weights, backward_weights,
                                return_sequences=return_sequences, return_state=True)
    assert [a.shape for a in got] == [(1, 4, 6) if return_sequences else (1, 6)] + [(1, 3)] * 4
    oracle.assert_matches(expected, got, f"textbook BiLSTM return_sequences={return_sequences}")
    output, forward_h, forward_c, backward_h, backward_c = got
    hidden = TEXTBOOK_HIDDEN_STATES if unit_forget_bias else FORGET_BIAS_0_HIDDEN_STATES
    if return_sequences:
        np.testing.assert_allclose(output, hidden, atol=1e-6)
    else:  # the last forward state next to the backward state at t = 0
        np.testing.assert_allclose(output, np.concatenate([hidden[:, -1, :3], hidden[:, 0, 3:]], axis=-1), atol=1e-6)
    np.testing.assert_allclose(forward_h, hidden[:, -1, :3], atol=1e-6)  # forward reads t = 0..3
    np.testing.assert_allclose(backward_h, hidden[:, 0, 3:], atol=1e-6)  # backward ends at t = 0


def test_textbook_numbers_need_forget_bias_one():
    """Which forget-gate bias reproduces the BiLSTM numbers Keras prints (and the notes' 0.6303138): 1, not 0 (numpy only).

    With all kernels 0.1 every unit of a direction is identical. At the first step each
    direction processes (forward t=0, backward t=3) the cell state is 0, so the forget gate does
    not matter there and both settings agree (0.3590647, 0.2194225); at every later step only
    forget-gate bias 1 -- Keras's unit_forget_bias=True default -- gives Keras's values.
    """
    def weights(forget_bias):
        return [np.full((5, 12), 0.1, np.float32), np.full((3, 12), 0.1, np.float32),
                np.repeat(np.float32([0.0, forget_bias, 0.0, 0.0]), 3)]

    outputs = {}
    for forget_bias in (0.0, 1.0):
        outputs[forget_bias] = bidirectional_forward(TRAIN_X, "lstm", weights(forget_bias), weights(forget_bias),
                                                     return_sequences=True)  # (1, 4, 6)
    np.testing.assert_allclose(outputs[1.0], TEXTBOOK_HIDDEN_STATES, atol=1e-6)
    np.testing.assert_allclose(outputs[0.0], FORGET_BIAS_0_HIDDEN_STATES, atol=1e-6)
    assert np.abs(outputs[0.0] - TEXTBOOK_HIDDEN_STATES).max() > 0.05
    np.testing.assert_allclose(outputs[0.0][0, 0, :3], outputs[1.0][0, 0, :3], atol=1e-7)
    np.testing.assert_allclose(outputs[0.0][0, 3, 3:], outputs[1.0][0, 3, 3:], atol=1e-7)


# ---------------------------------------------------------------- backpropagation through time

def _tape_gradients(layer, x, weights, d_output, initial_state, return_sequences):
    """Gradients of sum(output * d_output) by tf.GradientTape through the real Keras layer."""
    import tensorflow as tf

    klayer = oracle.keras_layer_class(layer)(weights[1].shape[0], return_sequences=return_sequences)
    klayer.build(x.shape)
    klayer.set_weights(weights)
    x_t = tf.constant(x)
    states = [tf.constant(s) for s in initial_state]
    with tf.GradientTape() as tape:
        tape.watch([x_t, *states])
        output = klayer(x_t, initial_state=states)
        loss = tf.reduce_sum(output * d_output)
    cell = klayer.cell
    grads = tape.gradient(loss, [x_t, cell.kernel, cell.recurrent_kernel, cell.bias, *states])
    grads = [g.numpy() for g in grads]
    return dict(zip(["x", "kernel", "recurrent_kernel", "bias"], grads[:4])), grads[4:]


@pytest.mark.keras
@pytest.mark.parametrize("layer", ["simple_rnn", "lstm"])
@pytest.mark.parametrize("case", CASES)
def test_backward_matches_gradient_tape(layer, case):
    """simple_rnn_backward / lstm_backward equal tf.GradientTape through the Keras layer."""
    backward = {"simple_rnn": simple_rnn_backward, "lstm": lstm_backward}[layer]
    for seed in oracle.seeds(case):
        rng = np.random.default_rng(10_000 + seed)
        batch, timesteps, input_dim, units = (int(rng.integers(1, 4)), int(rng.integers(1, 9)),
                                              int(rng.integers(1, 5)), int(rng.integers(1, 6)))
        return_sequences = bool(seed % 2)
        x = rng.normal(0.0, 1.0, (batch, timesteps, input_dim)).astype(np.float32)
        weights = oracle.random_weights(rng, layer, input_dim, units)
        initial_state = oracle.random_states(rng, oracle.N_STATES[layer], batch, units)
        out_shape = (batch, timesteps, units) if return_sequences else (batch, units)
        d_output = rng.normal(0.0, 1.0, out_shape).astype(np.float32)
        expected, expected_states = _tape_gradients(layer, x, weights, d_output, initial_state, return_sequences)
        got = backward(x, *weights, d_output, initial_state=initial_state, return_sequences=return_sequences)
        context = (f"seed={seed} layer={layer} x.shape={x.shape} units={units} "
                   f"return_sequences={return_sequences}")
        for name, value in expected.items():
            assert got[name].shape == value.shape, f"{context}: d{name} shape {got[name].shape} != {value.shape}"
            np.testing.assert_allclose(got[name], value, atol=oracle.ATOL, rtol=oracle.RTOL,
                                       err_msg=f"{context}: d{name}")
        got_states = got["initial_state"] if layer == "lstm" else [got["initial_state"]]
        for name, got_state, value in zip(("h", "c"), got_states, expected_states):
            np.testing.assert_allclose(got_state, value, atol=oracle.ATOL, rtol=oracle.RTOL,
                                       err_msg=f"{context}: d initial_state ({name})")


@pytest.mark.keras
@pytest.mark.parametrize("layer", ["simple_rnn", "lstm"])
def test_gradient_norms_match_gradient_tape(layer):
    """gradient_norms_through_time / lstm_ version: ||d sum(h_T) / d x_t|| per step, as the tape says."""
    import tensorflow as tf

    norms = {"simple_rnn": gradient_norms_through_time, "lstm": lstm_gradient_norms_through_time}[layer]
    for seed in range(20):
        rng = np.random.default_rng(20_000 + seed)
        batch, timesteps, input_dim, units = (int(rng.integers(1, 4)), int(rng.integers(1, 17)),
                                              int(rng.integers(1, 5)), int(rng.integers(1, 6)))
        x = rng.normal(0.0, 1.0, (batch, timesteps, input_dim)).astype(np.float32)
        weights = oracle.random_weights(rng, layer, input_dim, units)
        klayer = oracle.keras_layer_class(layer)(units)
        klayer.build(x.shape)
        klayer.set_weights(weights)
        x_t = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(x_t)
            loss = tf.reduce_sum(klayer(x_t))
        dx = tape.gradient(loss, x_t).numpy()  # (batch, timesteps, input_dim)
        expected = np.sqrt((dx.astype(np.float64) ** 2).sum(axis=(0, 2)))  # (timesteps,)
        got = norms(x, *weights)
        assert got.shape == (timesteps,)
        np.testing.assert_allclose(got, expected, atol=oracle.ATOL, rtol=oracle.RTOL, err_msg=f"seed={seed}")


def test_lstm_keeps_gradients_longer_than_simple_rnn():
    """The chapter's plot in numbers: with an open forget gate an LSTM's gradient survives 40 steps.

    Same input, weights ~ N(0, 0.3). The SimpleRNN's ||d sum(h_T)/d x_t|| 40 steps back is about
    1e-6 of its value at the last step. An LSTM with forget-gate bias 3 (f ~ sigmoid(3) = 0.95)
    keeps it of the same order; with Keras's *initial* forget bias 1 (f ~ 0.73) it vanishes too,
    so the chapter's plot should use an open forget gate (or a trained LSTM), not a fresh one.
    """
    rng = np.random.default_rng(0)
    x = rng.normal(0.0, 1.0, (1, 60, 3))  # (batch, timesteps, input_dim)
    units = 8
    rnn = gradient_norms_through_time(x, rng.normal(0, 0.3, (3, units)), rng.normal(0, 0.3, (units, units)),
                                      np.zeros(units))  # (timesteps,)
    kernel, recurrent_kernel = rng.normal(0, 0.3, (3, 4 * units)), rng.normal(0, 0.3, (units, 4 * units))
    lstm = {forget_bias: lstm_gradient_norms_through_time(x, kernel, recurrent_kernel,
                                                          np.repeat([0.0, forget_bias, 0.0, 0.0], units))
            for forget_bias in (1.0, 3.0)}
    assert rnn.shape == lstm[3.0].shape == (60,)
    assert rnn[-41] / rnn[-1] < 1e-5  # vanished
    assert lstm[3.0][-41] / lstm[3.0][-1] > 0.1  # kept
    assert lstm[1.0][-41] / lstm[1.0][-1] < 1e-4  # a half-closed forget gate forgets as well


# ---------------------------------------------------------------- no TensorFlow on the numpy path

def test_numpy_functions_never_import_tensorflow():
    """Importing rnn_reference and calling every numpy layer function loads neither TensorFlow nor Keras."""
    script = textwrap.dedent("""
        import sys
        import numpy as np
        import rnn_reference as r

        rng = np.random.default_rng(0)
        x = rng.normal(size=(2, 3, 4)).astype("float32")
        def w(blocks, units=5, gru_bias=False):
            bias = (2, blocks * units) if gru_bias else (blocks * units,)
            return [rng.normal(size=(4, blocks * units)), rng.normal(size=(units, blocks * units)),
                    rng.normal(size=bias)]
        h = np.zeros((2, 5))
        r.simple_rnn_cell(x[:, 0], h, *w(1))
        r.simple_rnn_forward(x, *w(1), return_sequences=True)
        r.lstm_cell(x[:, 0], h, h, *w(4))
        r.lstm_forward(x, *w(4), return_state=True)
        r.gru_cell(x[:, 0], h, *w(3, gru_bias=True))
        r.gru_forward(x, *w(3, gru_bias=True), return_state=True)
        r.sigmoid(x)
        for layer, blocks, gru in (("simple_rnn", 1, False), ("lstm", 4, False), ("gru", 3, True)):
            r.bidirectional_forward(x, layer, w(blocks, gru_bias=gru), w(blocks, gru_bias=gru), return_state=True)
        r.stacked_forward(x, [("lstm", w(4), {"return_sequences": True}),
                              ("bidirectional", ([rng.normal(size=s) for s in [(5, 3), (3, 3), (3,)]],
                                                 [rng.normal(size=s) for s in [(5, 3), (3, 3), (3,)]]),
                               {"layer": "simple_rnn"})])
        r.simple_rnn_backward(x, *w(1), np.ones((2, 5)))
        r.lstm_backward(x, *w(4), np.ones((2, 5)))
        r.gradient_norms_through_time(x, *w(1))
        r.lstm_gradient_norms_through_time(x, *w(4))
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras"))
        assert not loaded, loaded
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
