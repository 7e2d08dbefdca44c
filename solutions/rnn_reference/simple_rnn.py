"""The vanilla RNN (Keras `SimpleRNN`) in numpy. Taught in chapters/01_recurrent_cell."""

from __future__ import annotations

import numpy as np

from . import _recurrence, _validate


def simple_rnn_cell(x_t, h_prev, kernel, recurrent_kernel, bias) -> np.ndarray:
    """One step h_t = tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias).

    Shapes: x_t (batch, input_dim), h_prev (batch, units), kernel (input_dim, units),
    recurrent_kernel (units, units), bias (units,); returns (batch, units).
    Taught in chapters/01_recurrent_cell.
    """
    x_t = _validate.float_array("x_t", x_t, ndim=2, shape_doc="(batch, input_dim)")
    h_prev = _validate.float_array("h_prev", h_prev, ndim=2, shape_doc="(batch, units)")
    kernel, recurrent_kernel, bias, units = _validate.weights(
        "SimpleRNN", x_t[:, None, :], kernel, recurrent_kernel, bias, blocks=1)
    if h_prev.shape != (x_t.shape[0], units):
        raise ValueError(f"h_prev must have shape (batch, units) = ({x_t.shape[0]}, {units}), got {h_prev.shape}")
    return np.tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)  # (batch, units)


def simple_rnn_forward(x, kernel, recurrent_kernel, bias, *, initial_state=None, mask=None,
                       return_sequences=False, return_state=False, go_backwards=False,
                       zero_output_for_mask=False):
    """Run a Keras-compatible SimpleRNN (tanh) over x.

    Shapes: x (batch, timesteps, input_dim), kernel (input_dim, units), recurrent_kernel
    (units, units), bias (units,), initial_state (batch, units) or [that], mask (batch, timesteps)
    bool. Returns (batch, units), or (batch, timesteps, units) with return_sequences, and the list
    [output, final_state] with return_state -- the arrays `keras.layers.SimpleRNN` returns (Keras
    returns the pair as a tuple).
    Taught in chapters/01_recurrent_cell.
    """
    x = _validate.rnn_input(x)
    kernel, recurrent_kernel, bias, units = _validate.weights(
        "SimpleRNN", x, kernel, recurrent_kernel, bias, blocks=1)
    batch, timesteps, _ = x.shape
    mask = _validate.mask_array(mask, batch, timesteps)
    states = _validate.state_arrays(initial_state, batch, units, ("h",))
    if states is None:
        states = [np.zeros((batch, units), dtype=np.result_type(x, kernel))]

    def step(x_t, states):
        h = np.tanh(x_t @ kernel + states[0] @ recurrent_kernel + bias)  # (batch, units)
        return h, [h]

    return _recurrence.run(step, x, states, mask=mask, return_sequences=return_sequences,
                           return_state=return_state, go_backwards=go_backwards,
                           zero_output_for_mask=zero_output_for_mask)
