"""The LSTM (Keras `LSTM`) in numpy. Taught in chapters/06_lstm.

Keras stores the four gate blocks side by side along the last axis of every weight, in the
order i (input), f (forget), c (candidate cell), o (output):

    kernel            (input_dim, 4*units)  = [W_i | W_f | W_c | W_o]
    recurrent_kernel  (units, 4*units)      = [U_i | U_f | U_c | U_o]
    bias              (4*units,)            = [b_i | b_f | b_c | b_o]

`unit_forget_bias=True` (the Keras default) only changes how `bias` is *initialised* (b_f starts
at 1); the forward pass below is the same whatever the bias holds.
"""

from __future__ import annotations

import numpy as np

from . import _recurrence, _validate


def sigmoid(z):
    """The logistic 1 / (1 + exp(-z)), the gates' activation; any shape. Taught in chapters/06_lstm."""
    with np.errstate(over="ignore"):  # exp(-z) overflows to inf for z << 0, and 1 / inf = 0 is right
        return 1.0 / (1.0 + np.exp(-z))


def _lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    """One unchecked LSTM step; returns h, c and the four gates (used by the backward pass)."""
    units = h_prev.shape[-1]
    z = x_t @ kernel + h_prev @ recurrent_kernel + bias  # (batch, 4*units)
    i = sigmoid(z[:, :units])  # (batch, units) input gate
    f = sigmoid(z[:, units:2 * units])  # (batch, units) forget gate
    g = np.tanh(z[:, 2 * units:3 * units])  # (batch, units) candidate cell ("c" block in Keras)
    o = sigmoid(z[:, 3 * units:])  # (batch, units) output gate
    c = f * c_prev + i * g  # (batch, units)
    h = o * np.tanh(c)  # (batch, units)
    return h, c, (i, f, g, o)


def lstm_cell(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias) -> tuple[np.ndarray, np.ndarray]:
    """One LSTM step: gates i, f, o = sigmoid(...), c = f*c_prev + i*tanh(...), h = o*tanh(c).

    Shapes: x_t (batch, input_dim), h_prev and c_prev (batch, units), kernel (input_dim, 4*units),
    recurrent_kernel (units, 4*units), bias (4*units,); returns (h, c), each (batch, units).
    Taught in chapters/06_lstm.
    """
    x_t = _validate.float_array("x_t", x_t, ndim=2, shape_doc="(batch, input_dim)")
    kernel, recurrent_kernel, bias, units = _validate.weights(
        "LSTM", x_t[:, None, :], kernel, recurrent_kernel, bias, blocks=4)
    batch = x_t.shape[0]
    h_prev = _validate.float_array("h_prev", h_prev, ndim=2, shape_doc="(batch, units)")
    c_prev = _validate.float_array("c_prev", c_prev, ndim=2, shape_doc="(batch, units)")
    for name, state in (("h_prev", h_prev), ("c_prev", c_prev)):
        if state.shape != (batch, units):
            raise ValueError(f"{name} must have shape (batch, units) = ({batch}, {units}), got {state.shape}")
    h, c, _ = _lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias)
    return h, c


def lstm_forward(x, kernel, recurrent_kernel, bias, *, initial_state=None, mask=None,
                 return_sequences=False, return_state=False, go_backwards=False,
                 zero_output_for_mask=False):
    """Run a Keras-compatible LSTM (sigmoid gates, tanh activation) over x.

    Shapes: x (batch, timesteps, input_dim), kernel (input_dim, 4*units), recurrent_kernel
    (units, 4*units), bias (4*units,), gate order i, f, c, o; initial_state [h, c], each
    (batch, units); mask (batch, timesteps) bool. Returns (batch, units), or (batch, timesteps,
    units) with return_sequences, and the list [output, h, c] with return_state -- the arrays
    `keras.layers.LSTM` returns (Keras returns them as a tuple). Taught in chapters/06_lstm.
    """
    x = _validate.rnn_input(x)
    kernel, recurrent_kernel, bias, units = _validate.weights(
        "LSTM", x, kernel, recurrent_kernel, bias, blocks=4)
    batch, timesteps, _ = x.shape
    mask = _validate.mask_array(mask, batch, timesteps)
    states = _validate.state_arrays(initial_state, batch, units, ("h", "c"))
    if states is None:
        zeros = np.zeros((batch, units), dtype=np.result_type(x, kernel))  # (batch, units)
        states = [zeros, zeros]

    def step(x_t, states):
        h, c, _ = _lstm_step(x_t, states[0], states[1], kernel, recurrent_kernel, bias)  # (batch, units) x2
        return h, [h, c]

    return _recurrence.run(step, x, states, mask=mask, return_sequences=return_sequences,
                           return_state=return_state, go_backwards=go_backwards,
                           zero_output_for_mask=zero_output_for_mask)
