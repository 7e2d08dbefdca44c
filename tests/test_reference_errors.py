"""Bad input to the reference layers gets a clear error naming the argument and the shapes.

No TensorFlow here: these run in a second. Each case lists fragments the message must contain,
typically the argument's name, the expected shape and the shape received.
"""

from __future__ import annotations

import numpy as np
import pytest

from rnn_reference import (bidirectional_forward, gradient_norms_through_time, gru_cell, gru_forward,
                           lstm_backward, lstm_cell, lstm_forward, simple_rnn_backward, simple_rnn_forward,
                           stacked_forward)

BATCH, TIMESTEPS, INPUT_DIM, UNITS = 2, 3, 4, 5
rng = np.random.default_rng(0)
X = rng.normal(size=(BATCH, TIMESTEPS, INPUT_DIM)).astype(np.float32)  # (batch, timesteps, input_dim)


def weights(blocks, input_dim=INPUT_DIM, units=UNITS, bias_shape=None):
    """[kernel, recurrent_kernel, bias] as layer.get_weights() returns them."""
    return [rng.normal(size=(input_dim, blocks * units)).astype(np.float32),
            rng.normal(size=(units, blocks * units)).astype(np.float32),
            rng.normal(size=bias_shape or (blocks * units,)).astype(np.float32)]


SIMPLE, LSTM = weights(1), weights(4)
GRU = weights(3, bias_shape=(2, 3 * UNITS))  # reset_after=True layout
STATE = np.zeros((BATCH, UNITS), np.float32)  # (batch, units)


def raises(exception, fragments, function, *args, **kwargs):
    """Call function and check it raises `exception` with every fragment in its message."""
    with pytest.raises(exception) as info:
        function(*args, **kwargs)
    message = str(info.value)
    missing = [fragment for fragment in fragments if fragment not in message]
    assert not missing, f"message {message!r} lacks {missing}"
    return message


# ---------------------------------------------------------------- x

@pytest.mark.parametrize("forward, layer_weights", [(simple_rnn_forward, SIMPLE), (lstm_forward, LSTM),
                                                    (gru_forward, GRU)])
def test_x_of_wrong_rank(forward, layer_weights):
    """x must be 3-D: the message names x, the expected axes and the shape received."""
    raises(ValueError, ["x must be 3-D", "(batch, timesteps, input_dim)", "(3, 4)"], forward, X[0], *layer_weights)
    raises(ValueError, ["x must be 3-D", "(1, 2, 3, 4)"], forward, X[None], *layer_weights)


def test_x_without_time_steps():
    raises(ValueError, ["at least one time step", "(2, 0, 4)"], lstm_forward, X[:, :0], *LSTM)


@pytest.mark.parametrize("bad_x, dtype", [(X.astype(np.int64), "int64"), (X > 0, "bool"),
                                          (X.astype(object), "object")])
def test_x_of_integer_bool_or_object_dtype(bad_x, dtype):
    """Integer, bool and object arrays are refused with their dtype named (and a cast suggested)."""
    message = raises(TypeError, ["x must be a floating-point array", dtype], lstm_forward, bad_x, *LSTM)
    if dtype != "object":
        assert ".astype('float32')" in message


def test_ragged_x():
    raises((TypeError, ValueError), ["x"], simple_rnn_forward, [[[1.0, 2.0], [3.0]]], *SIMPLE)


# ---------------------------------------------------------------- weights

def test_kernel_with_wrong_input_dim():
    """A kernel built for another input_dim: names kernel, the expected and the received shape."""
    raises(ValueError, ["kernel must have shape", "(4, 20)", "got (3, 20)", "input_dim (4)"],
           lstm_forward, X, LSTM[0][:3], *LSTM[1:])


@pytest.mark.parametrize("forward, layer_weights, shape", [(simple_rnn_forward, SIMPLE, "(4, 5)"),
                                                           (lstm_forward, LSTM, "(4, 20)"),
                                                           (gru_forward, GRU, "(4, 15)")])
def test_transposed_kernel(forward, layer_weights, shape):
    """A transposed kernel is recognised as such."""
    kernel, recurrent_kernel, bias = layer_weights
    raises(ValueError, ["kernel must have shape", shape, "transposed"], forward, X, kernel.T, recurrent_kernel, bias)


def test_recurrent_kernel_of_wrong_shape():
    """The recurrent kernel must be (units, blocks*units): the message says so with numbers."""
    raises(ValueError, ["recurrent_kernel must have shape (units, 4*units) = (5, 20)", "got (5, 15)"],
           lstm_forward, X, LSTM[0], LSTM[1][:, :15], LSTM[2])
    raises(ValueError, ["recurrent_kernel must be 2-D", "(5,)"], simple_rnn_forward, X, SIMPLE[0], SIMPLE[2], SIMPLE[2])


def test_lstm_bias_of_wrong_shape():
    raises(ValueError, ["LSTM: bias must have shape (20,)", "got (15,)"], lstm_forward, X, *LSTM[:2], LSTM[2][:15])


def test_gru_bias_in_the_other_reset_after_layout():
    """A (3*units,) bias with reset_after=True (and vice versa) names reset_after and both shapes."""
    flat_bias = GRU[2][0]  # (15,)
    raises(ValueError, ["bias must have shape (2, 3*units) = (2, 15)", "reset_after=True", "got (15,)"],
           gru_forward, X, *GRU[:2], flat_bias)
    raises(ValueError, ["bias must have shape (3*units,) = (15,)", "reset_after=False", "got (2, 15)"],
           gru_forward, X, *GRU, reset_after=False)
    raises(ValueError, ["bias must have shape (2, 15)", "got (2, 12)"], gru_forward, X, *GRU[:2], GRU[2][:, :12])


def test_integer_weights():
    raises(TypeError, ["kernel must be a floating-point array", "int64"],
           simple_rnn_forward, X, SIMPLE[0].astype(np.int64), *SIMPLE[1:])
    raises(TypeError, ["bias must be a floating-point array", "object"],
           lstm_forward, X, *LSTM[:2], LSTM[2].astype(object))


# ---------------------------------------------------------------- mask and initial state

@pytest.mark.parametrize("forward, layer_weights", [(simple_rnn_forward, SIMPLE), (lstm_forward, LSTM),
                                                    (gru_forward, GRU)])
def test_bad_mask(forward, layer_weights):
    """The mask must be bool (batch, timesteps)."""
    good = np.ones((BATCH, TIMESTEPS), dtype=bool)
    raises(TypeError, ["mask must be a boolean array", "(batch, timesteps)", "float64"],
           forward, X, *layer_weights, mask=good.astype(np.float64))
    raises(TypeError, ["mask must be a boolean array", "int64"], forward, X, *layer_weights, mask=good.astype(np.int64))
    raises(ValueError, ["mask must have shape (batch, timesteps) = (2, 3)", "got (3, 2)"],
           forward, X, *layer_weights, mask=good.T)
    raises(ValueError, ["mask must have shape", "got (2, 3, 1)"], forward, X, *layer_weights, mask=good[:, :, None])


def test_lstm_initial_state_count_and_shape():
    """An LSTM needs [h, c], each (batch, units)."""
    raises(ValueError, ["initial_state must hold 2 array(s) (h, c)", "got 1"], lstm_forward, X, *LSTM,
           initial_state=STATE)
    raises(ValueError, ["initial_state must hold 2", "got 3"], lstm_forward, X, *LSTM, initial_state=[STATE] * 3)
    raises(ValueError, ["initial_state (c) must have shape (batch, units) = (2, 5)", "got (2, 4)"],
           lstm_forward, X, *LSTM, initial_state=[STATE, STATE[:, :4]])
    raises(ValueError, ["initial_state (h) must be 2-D", "(5,)"], lstm_forward, X, *LSTM,
           initial_state=[STATE[0], STATE])


def test_gru_and_simple_rnn_initial_state():
    raises(ValueError, ["initial_state must hold 1 array(s) (h)", "got 2"], gru_forward, X, *GRU,
           initial_state=[STATE, STATE])
    raises(ValueError, ["initial_state (h) must have shape (batch, units) = (2, 5)", "got (1, 5)"],
           simple_rnn_forward, X, *SIMPLE, initial_state=STATE[:1])
    raises(TypeError, ["initial_state (h) must be a floating-point array", "int64"],
           simple_rnn_forward, X, *SIMPLE, initial_state=STATE.astype(np.int64))


def test_cell_state_shapes():
    raises(ValueError, ["c_prev must have shape (batch, units) = (2, 5)", "got (2, 3)"],
           lstm_cell, X[:, 0], STATE, STATE[:, :3], *LSTM)
    raises(ValueError, ["h_prev must have shape (batch, units) = (2, 5)", "got (3, 5)"],
           gru_cell, X[:, 0], np.zeros((3, 5)), *GRU)
    raises(ValueError, ["x_t must be 2-D", "(batch, input_dim)", "(2, 3, 4)"], lstm_cell, X, STATE, STATE, *LSTM)


def test_reset_after_must_be_bool():
    raises(ValueError, ["reset_after must be one of True, False", "'yes'"], gru_forward, X, *GRU, reset_after="yes")


# ---------------------------------------------------------------- bidirectional

def test_unknown_layer_and_merge_mode():
    """layer and merge_mode are checked against the names Keras and the course use."""
    raises(ValueError, ["layer must be one of 'simple_rnn', 'lstm', 'gru'", "'LSTM'"],
           bidirectional_forward, X, "LSTM", LSTM, LSTM)
    raises(ValueError, ["merge_mode must be one of 'concat', 'sum', 'mul', 'ave', None", "'average'"],
           bidirectional_forward, X, "lstm", LSTM, LSTM, merge_mode="average")


def test_bidirectional_weights_and_options():
    raises(ValueError, ["forward_weights must hold 3 arrays [kernel, recurrent_kernel, bias]", "got 6"],
           bidirectional_forward, X, "lstm", LSTM + LSTM, LSTM)
    raises(TypeError, ["backward_weights must be the list bi.backward_layer.get_weights() returns", "ndarray"],
           bidirectional_forward, X, "lstm", LSTM, LSTM[0])
    raises(ValueError, ["backward layer", "recurrent_kernel must have shape (units, 4*units) = (5, 20)",
                        "got (5, 15)"],
           bidirectional_forward, X, "lstm", LSTM, GRU)
    raises(ValueError, ["layer_options for layer='lstm' may only hold []", "reset_after"],
           bidirectional_forward, X, "lstm", LSTM, LSTM, layer_options={"reset_after": True})
    raises(ValueError, ["may only hold ['reset_after']", "return_sequences", "arguments of bidirectional_forward"],
           bidirectional_forward, X, "gru", GRU, GRU, layer_options={"return_sequences": True})
    raises(ValueError, ["forward layer", "reset_after=False", "got (2, 15)"],
           bidirectional_forward, X, "gru", GRU, GRU, layer_options={"reset_after": False})


def test_bidirectional_initial_state():
    """Keras's flat order: [h_forward, c_forward, h_backward, c_backward] for an LSTM."""
    raises(ValueError, ["initial_state for a bidirectional lstm must be a list of 4 arrays",
                        "[h_forward, c_forward, h_backward, c_backward]", "got 2"],
           bidirectional_forward, X, "lstm", LSTM, LSTM, initial_state=[STATE, STATE])
    raises(ValueError, ["a list of 2 arrays [h_forward, h_backward]", "got ndarray"],
           bidirectional_forward, X, "gru", GRU, GRU, initial_state=STATE)
    raises(ValueError, ["backward layer", "initial_state (h) must have shape (batch, units) = (2, 5)", "got (2, 2)"],
           bidirectional_forward, X, "simple_rnn", SIMPLE, SIMPLE, initial_state=[STATE, STATE[:, :2]])


def test_bidirectional_x_and_mask_errors_are_not_blamed_on_one_direction():
    message = raises(ValueError, ["x must be 3-D", "(3, 4)"], bidirectional_forward, X[0], "lstm", LSTM, LSTM)
    assert "forward layer" not in message
    raises(ValueError, ["mask must have shape (batch, timesteps) = (2, 3)", "got (2, 2)"],
           bidirectional_forward, X, "lstm", LSTM, LSTM, mask=np.ones((2, 2), bool))


# ---------------------------------------------------------------- stacked

def test_stacked_layer_not_returning_sequences():
    """A layer that does not return sequences cannot feed the next one: the index is named."""
    layers = [("lstm", LSTM, {}), ("simple_rnn", weights(1, input_dim=UNITS), {})]
    raises(ValueError, ["layer 0 must return sequences (return_sequences=True) to feed layer 1"],
           stacked_forward, X, layers)
    layers = [("gru", GRU, {"return_sequences": True}), ("lstm", weights(4, input_dim=UNITS), {}),
              ("simple_rnn", weights(1, input_dim=UNITS), {})]
    raises(ValueError, ["layer 1 must return sequences (return_sequences=True) to feed layer 2"],
           stacked_forward, X, layers)


def test_stacked_other_errors():
    second = ("simple_rnn", weights(1, input_dim=UNITS), {})
    raises(ValueError, ["layers[1]: layer_name must be one of", "'dense'"], stacked_forward, X,
           [("lstm", LSTM, {"return_sequences": True}), ("dense", SIMPLE, {})])
    raises(ValueError, ["layer 0 has return_state=True", "only the last layer"], stacked_forward, X,
           [("lstm", LSTM, {"return_sequences": True, "return_state": True}), second])
    raises(ValueError, ["layer 0 (bidirectional) has merge_mode=None", "feed layer 1"], stacked_forward, X,
           [("bidirectional", (LSTM, LSTM), {"layer": "lstm", "merge_mode": None, "return_sequences": True}),
            second])
    raises(ValueError, ["layers[0] (lstm): unknown option(s) ['merge_mode']"], stacked_forward, X,
           [("lstm", LSTM, {"merge_mode": "sum"})])
    raises(ValueError, ["layers[0] (bidirectional): options must name the inner layer"], stacked_forward, X,
           [("bidirectional", (LSTM, LSTM), {})])
    raises(ValueError, ["layers[0] must be a (layer_name, weights, options) tuple"], stacked_forward, X, [("lstm", LSTM)])
    raises(ValueError, ["layers[0] weights must hold 3 arrays", "got 2"], stacked_forward, X,
           [("lstm", LSTM[:2], {})])
    raises(ValueError, ["non-empty list"], stacked_forward, X, [])


def test_stacked_shape_error_names_the_layer():
    """A weight that does not fit the previous layer's output names the layer index and both shapes."""
    layers = [("lstm", LSTM, {"return_sequences": True}), ("gru", weights(3, input_dim=7, bias_shape=(2, 15)), {})]
    raises(ValueError, ["layer 1 (gru)", "kernel must have shape (input_dim, 3*units) = (5, 15)", "got (7, 15)"],
           stacked_forward, X, layers)


# ---------------------------------------------------------------- backpropagation through time

def test_d_output_shape():
    """d_output must have the output's shape, which depends on return_sequences."""
    raises(ValueError, ["d_output must have the output's shape (batch, units) = (2, 5)", "got (2, 4)"],
           simple_rnn_backward, X, *SIMPLE, np.ones((2, 4)))
    raises(ValueError, ["d_output must be 3-D", "(batch, timesteps, units)", "(2, 5)"],
           lstm_backward, X, *LSTM, np.ones((2, 5)), return_sequences=True)
    raises(ValueError, ["d_output must have the output's shape (batch, timesteps, units) = (2, 3, 5)",
                        "got (2, 4, 5)"], lstm_backward, X, *LSTM, np.ones((2, 4, 5)), return_sequences=True)


def test_gradient_norms_check_their_weights():
    raises(ValueError, ["kernel must have shape", "transposed"], gradient_norms_through_time, X, SIMPLE[0].T,
           *SIMPLE[1:])
