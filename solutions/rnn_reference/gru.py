"""The GRU (Keras `GRU`) in numpy. Taught in chapters/07_gru.

Keras stores the three blocks side by side along the last axis, in the order z (update),
r (reset), h (candidate):

    kernel            (input_dim, 3*units)  = [W_z | W_r | W_h]
    recurrent_kernel  (units, 3*units)      = [U_z | U_r | U_h]
    bias              reset_after=True  (Keras 3 default, the cuDNN form): (2, 3*units),
                      row 0 the input bias, row 1 the recurrent bias
                      reset_after=False (the original paper's form): (3*units,)

With reset_after=True the reset gate multiplies the *projected* previous state,
r * (h_prev @ U_h + b_rh); with reset_after=False it multiplies the state before the
projection, (r * h_prev) @ U_h. Keras mixes old and new as h = z*h_prev + (1-z)*hh, so z
close to 1 means "keep the old state" (some texts swap the roles of z and 1 - z).
"""

from __future__ import annotations

import numpy as np

from . import _recurrence, _validate
from .lstm import sigmoid


def _gru_weights(x, kernel, recurrent_kernel, bias, reset_after):
    """Check GRU weights; the bias layout depends on reset_after, so say so when it is the other one."""
    recurrent_kernel = _validate.float_array("recurrent_kernel", recurrent_kernel, ndim=2,
                                             shape_doc="(units, 3*units)")
    units = recurrent_kernel.shape[0]
    bias = _validate.float_array("bias", bias)
    if reset_after and bias.shape == (3 * units,):
        raise ValueError(
            f"GRU: bias must have shape (2, 3*units) = (2, {3 * units}) when reset_after=True "
            f"(row 0 input bias, row 1 recurrent bias), got {bias.shape}: this is the "
            "reset_after=False layout; pass reset_after=False or the (2, 3*units) bias")
    if not reset_after and bias.shape == (2, 3 * units):
        raise ValueError(
            f"GRU: bias must have shape (3*units,) = ({3 * units},) when reset_after=False, "
            f"got {bias.shape}: this is the reset_after=True layout; pass reset_after=True")
    bias_shape = (2, 3 * units) if reset_after else (3 * units,)
    return _validate.weights("GRU", x, kernel, recurrent_kernel, bias, blocks=3, bias_shape=bias_shape)


def _gru_step(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after):
    """One unchecked GRU step, exactly as `keras.layers.GRUCell` computes it."""
    units = h_prev.shape[-1]
    input_bias, recurrent_bias = (bias[0], bias[1]) if reset_after else (bias, None)
    x_proj = x_t @ kernel + input_bias  # (batch, 3*units)
    if reset_after:
        h_proj = h_prev @ recurrent_kernel + recurrent_bias  # (batch, 3*units)
    else:
        h_proj = h_prev @ recurrent_kernel[:, :2 * units]  # (batch, 2*units)
    z = sigmoid(x_proj[:, :units] + h_proj[:, :units])  # (batch, units) update gate
    r = sigmoid(x_proj[:, units:2 * units] + h_proj[:, units:2 * units])  # (batch, units) reset gate
    if reset_after:
        recurrent_h = r * h_proj[:, 2 * units:]  # (batch, units)
    else:
        recurrent_h = (r * h_prev) @ recurrent_kernel[:, 2 * units:]  # (batch, units)
    hh = np.tanh(x_proj[:, 2 * units:] + recurrent_h)  # (batch, units) candidate state
    return z * h_prev + (1.0 - z) * hh  # (batch, units)


def gru_cell(x_t, h_prev, kernel, recurrent_kernel, bias, *, reset_after=True) -> np.ndarray:
    """One GRU step h = z*h_prev + (1-z)*hh, gates z, r by sigmoid, biases left out below.

    hh = tanh(x_t W_h + r * (h_prev U_h)) with reset_after=True, tanh(x_t W_h + (r * h_prev) U_h)
    with reset_after=False.

    Shapes: x_t (batch, input_dim), h_prev (batch, units), kernel (input_dim, 3*units),
    recurrent_kernel (units, 3*units), bias (2, 3*units) with reset_after=True or (3*units,)
    with reset_after=False; returns h (batch, units). Taught in chapters/07_gru.
    """
    x_t = _validate.float_array("x_t", x_t, ndim=2, shape_doc="(batch, input_dim)")
    kernel, recurrent_kernel, bias, units = _gru_weights(
        x_t[:, None, :], kernel, recurrent_kernel, bias, reset_after)
    h_prev = _validate.float_array("h_prev", h_prev, ndim=2, shape_doc="(batch, units)")
    if h_prev.shape != (x_t.shape[0], units):
        raise ValueError(f"h_prev must have shape (batch, units) = ({x_t.shape[0]}, {units}), got {h_prev.shape}")
    return _gru_step(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after)


def gru_forward(x, kernel, recurrent_kernel, bias, *, reset_after=True, initial_state=None, mask=None,
                return_sequences=False, return_state=False, go_backwards=False,
                zero_output_for_mask=False):
    """Run a Keras-compatible GRU (sigmoid gates, tanh activation) over x.

    Shapes: x (batch, timesteps, input_dim), kernel (input_dim, 3*units), recurrent_kernel
    (units, 3*units), gate order z, r, h; bias (2, 3*units) with reset_after=True (the Keras
    default) or (3*units,) with reset_after=False; initial_state (batch, units) or [that];
    mask (batch, timesteps) bool. Returns (batch, units), or (batch, timesteps, units) with
    return_sequences, and the list [output, h] with return_state -- the arrays `keras.layers.GRU`
    returns (Keras returns the pair as a tuple).
    Taught in chapters/07_gru.
    """
    x = _validate.rnn_input(x)
    _validate.choice("reset_after", reset_after, (True, False))
    kernel, recurrent_kernel, bias, units = _gru_weights(x, kernel, recurrent_kernel, bias, reset_after)
    batch, timesteps, _ = x.shape
    mask = _validate.mask_array(mask, batch, timesteps)
    states = _validate.state_arrays(initial_state, batch, units, ("h",))
    if states is None:
        states = [np.zeros((batch, units), dtype=np.result_type(x, kernel))]  # (batch, units)

    def step(x_t, states):
        h = _gru_step(x_t, states[0], kernel, recurrent_kernel, bias, reset_after)  # (batch, units)
        return h, [h]

    return _recurrence.run(step, x, states, mask=mask, return_sequences=return_sequences,
                           return_state=return_state, go_backwards=go_backwards,
                           zero_output_for_mask=zero_output_for_mask)
