"""Backpropagation through time, in numpy: why a vanilla RNN forgets and an LSTM remembers.

Taught in chapters/06_lstm: BPTT, the gradient that fades over the steps of a SimpleRNN (the
long-term dependency problem), and the LSTM's cell state as a gradient highway.

The forward passes run through the shared time loop (`_recurrence.run`); the backward passes
walk the same steps in reverse, carrying the gradient of the loss with respect to the state.
No masks and no go_backwards here: these functions explain gradients, the forward functions
reproduce Keras.

`gradient_norms_through_time` and `lstm_gradient_norms_through_time` measure, for every step t,

    norm_t = || d(sum of h_T) / d x_t ||      (Frobenius norm over batch and input_dim)

where h_T is the final hidden state (batch, units) and x_t = x[:, t, :]: how strongly the
input seen t steps ago can still move the final state -- and so how much a loss on h_T can
teach the layer about it.
"""

from __future__ import annotations

import numpy as np

from . import _recurrence, _validate
from .lstm import _lstm_step
from .simple_rnn import simple_rnn_forward


def _d_output_array(d_output, batch: int, timesteps: int, units: int, return_sequences: bool) -> np.ndarray:
    """Check d_output against the output's shape and return it as (batch, timesteps, units), zeros where unused."""
    expected = (batch, timesteps, units) if return_sequences else (batch, units)
    d_output = _validate.float_array("d_output", d_output, ndim=len(expected),
                                     shape_doc="(batch, timesteps, units)" if return_sequences else "(batch, units)")
    if d_output.shape != expected:
        raise ValueError(
            f"d_output must have the output's shape {'(batch, timesteps, units)' if return_sequences else '(batch, units)'}"
            f" = {expected} (return_sequences={return_sequences}), got {d_output.shape}"
        )
    if return_sequences:
        return d_output
    per_step = np.zeros((batch, timesteps, units), dtype=d_output.dtype)  # (batch, timesteps, units)
    per_step[:, -1, :] = d_output  # only the last step's output is returned
    return per_step


def simple_rnn_backward(x, kernel, recurrent_kernel, bias, d_output, *, initial_state=None,
                        return_sequences=False) -> dict[str, np.ndarray]:
    """Gradients of loss = sum(output * d_output) for a SimpleRNN, by backpropagation through time.

    Shapes: x (batch, timesteps, input_dim), kernel (input_dim, units), recurrent_kernel
    (units, units), bias (units,), initial_state (batch, units) or None (zeros), d_output the
    output's shape: (batch, units), or (batch, timesteps, units) with return_sequences. Returns
    {'x', 'kernel', 'recurrent_kernel', 'bias', 'initial_state'}, each shaped like that argument.
    Taught in chapters/06_lstm.
    """
    x = _validate.rnn_input(x)
    kernel, recurrent_kernel, bias, units = _validate.weights(
        "SimpleRNN", x, kernel, recurrent_kernel, bias, blocks=1)
    batch, timesteps, _ = x.shape
    states = _validate.state_arrays(initial_state, batch, units, ("h",))
    h0 = states[0] if states is not None else np.zeros((batch, units), dtype=np.result_type(x, kernel))
    d_output = _d_output_array(d_output, batch, timesteps, units, return_sequences)  # (batch, timesteps, units)

    h = simple_rnn_forward(x, kernel, recurrent_kernel, bias, initial_state=h0,
                           return_sequences=True)  # (batch, timesteps, units)
    h_prev = np.concatenate([h0[:, None, :], h[:, :-1, :]], axis=1)  # (batch, timesteps, units)

    grads = {"x": np.zeros_like(x, dtype=h.dtype), "kernel": np.zeros_like(kernel, dtype=h.dtype),
             "recurrent_kernel": np.zeros_like(recurrent_kernel, dtype=h.dtype),
             "bias": np.zeros_like(bias, dtype=h.dtype)}
    dh_next = np.zeros((batch, units), dtype=h.dtype)  # (batch, units) gradient arriving from step t+1
    for t in reversed(range(timesteps)):
        dh = dh_next + d_output[:, t, :]  # (batch, units)
        da = dh * (1.0 - h[:, t, :] ** 2)  # (batch, units) through tanh
        grads["kernel"] += x[:, t, :].T @ da  # (input_dim, units)
        grads["recurrent_kernel"] += h_prev[:, t, :].T @ da  # (units, units)
        grads["bias"] += da.sum(axis=0)  # (units,)
        grads["x"][:, t, :] = da @ kernel.T  # (batch, input_dim)
        dh_next = da @ recurrent_kernel.T  # (batch, units)
    grads["initial_state"] = dh_next  # (batch, units)
    return grads


def lstm_backward(x, kernel, recurrent_kernel, bias, d_output, *, initial_state=None,
                  return_sequences=False) -> dict[str, np.ndarray]:
    """Gradients of loss = sum(output * d_output) for an LSTM, by backpropagation through time.

    Shapes: x (batch, timesteps, input_dim), kernel (input_dim, 4*units), recurrent_kernel
    (units, 4*units), bias (4*units,), gate order i, f, c, o; initial_state [h, c] each
    (batch, units) or None (zeros); d_output the output's shape: (batch, units), or (batch,
    timesteps, units) with return_sequences. Returns {'x', 'kernel', 'recurrent_kernel', 'bias',
    'initial_state'} ('initial_state' is [d_h, d_c]), each shaped like that argument.
    Taught in chapters/06_lstm.
    """
    x = _validate.rnn_input(x)
    kernel, recurrent_kernel, bias, units = _validate.weights(
        "LSTM", x, kernel, recurrent_kernel, bias, blocks=4)
    batch, timesteps, _ = x.shape
    states = _validate.state_arrays(initial_state, batch, units, ("h", "c"))
    if states is None:
        zeros = np.zeros((batch, units), dtype=np.result_type(x, kernel))  # (batch, units)
        states = [zeros, zeros]
    d_output = _d_output_array(d_output, batch, timesteps, units, return_sequences)  # (batch, timesteps, units)

    cache = []  # per step, in time order: h_prev, c_prev, c, (i, f, g, o), each (batch, units)

    def step(x_t, states):
        h, c, gates = _lstm_step(x_t, states[0], states[1], kernel, recurrent_kernel, bias)
        cache.append((states[0], states[1], c, gates))
        return h, [h, c]

    _recurrence.run(step, x, states)
    dtype = cache[0][2].dtype
    grads = {"x": np.zeros_like(x, dtype=dtype), "kernel": np.zeros_like(kernel, dtype=dtype),
             "recurrent_kernel": np.zeros_like(recurrent_kernel, dtype=dtype),
             "bias": np.zeros_like(bias, dtype=dtype)}
    dh_next = np.zeros((batch, units), dtype=dtype)  # (batch, units) d loss / d h_t from step t+1
    dc_next = np.zeros((batch, units), dtype=dtype)  # (batch, units) d loss / d c_t from step t+1
    for t in reversed(range(timesteps)):
        h_prev, c_prev, c, (i, f, g, o) = cache[t]
        dh = dh_next + d_output[:, t, :]  # (batch, units)
        tanh_c = np.tanh(c)  # (batch, units)
        dc = dc_next + dh * o * (1.0 - tanh_c ** 2)  # (batch, units)
        dz = np.concatenate([
            dc * g * i * (1.0 - i),  # input gate, through its sigmoid
            dc * c_prev * f * (1.0 - f),  # forget gate
            dc * i * (1.0 - g ** 2),  # candidate cell, through its tanh
            dh * tanh_c * o * (1.0 - o),  # output gate
        ], axis=1)  # (batch, 4*units)
        grads["kernel"] += x[:, t, :].T @ dz  # (input_dim, 4*units)
        grads["recurrent_kernel"] += h_prev.T @ dz  # (units, 4*units)
        grads["bias"] += dz.sum(axis=0)  # (4*units,)
        grads["x"][:, t, :] = dz @ kernel.T  # (batch, input_dim)
        dh_next = dz @ recurrent_kernel.T  # (batch, units)
        dc_next = dc * f  # (batch, units): the cell state's additive path, scaled only by the forget gate
    grads["initial_state"] = [dh_next, dc_next]
    return grads


def _norms_per_step(dx: np.ndarray) -> np.ndarray:
    """Frobenius norm of d loss / d x_t for every t: dx (batch, timesteps, input_dim) -> (timesteps,)."""
    return np.sqrt((dx ** 2).sum(axis=(0, 2)))  # (timesteps,)


def gradient_norms_through_time(x, kernel, recurrent_kernel, bias) -> np.ndarray:
    """For each step t, ||d(sum of the final hidden state h_T)/d x_t|| of a SimpleRNN (zero initial state).

    Shapes: x (batch, timesteps, input_dim), kernel (input_dim, units), recurrent_kernel
    (units, units), bias (units,); returns (timesteps,), the Frobenius norm over batch and
    input_dim of the gradient with respect to x[:, t, :]. Plotted against t it shows the
    gradient from the last step shrinking (or exploding) geometrically into the past.
    Taught in chapters/06_lstm.
    """
    x = _validate.rnn_input(x)
    units = np.shape(recurrent_kernel)[0] if np.ndim(recurrent_kernel) == 2 else 0
    d_output = np.ones((x.shape[0], units), dtype=x.dtype)  # (batch, units): loss = sum of h_T
    return _norms_per_step(simple_rnn_backward(x, kernel, recurrent_kernel, bias, d_output)["x"])


def lstm_gradient_norms_through_time(x, kernel, recurrent_kernel, bias) -> np.ndarray:
    """For each step t, ||d(sum of the final hidden state h_T)/d x_t|| of an LSTM (zero initial states).

    Shapes: x (batch, timesteps, input_dim), kernel (input_dim, 4*units), recurrent_kernel
    (units, 4*units), bias (4*units,); returns (timesteps,), the same measure as
    `gradient_norms_through_time`, so the two can be plotted side by side. Taught in chapters/06_lstm.
    """
    x = _validate.rnn_input(x)
    units = np.shape(recurrent_kernel)[0] if np.ndim(recurrent_kernel) == 2 else 0
    d_output = np.ones((x.shape[0], units), dtype=x.dtype)  # (batch, units): loss = sum of h_T
    return _norms_per_step(lstm_backward(x, kernel, recurrent_kernel, bias, d_output)["x"])
