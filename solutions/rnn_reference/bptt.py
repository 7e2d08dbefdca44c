"""Backpropagation through time, in numpy: why a vanilla RNN forgets and an LSTM remembers.

Taught in chapters/06_lstm: BPTT, the gradient that fades over the steps of a SimpleRNN (the
long-term dependency problem), and the LSTM's cell state as a gradient highway. Graded in
a08_bptt: `rnn_step_backward` (one SimpleRNN step) and `rnn_backward` (all of them, given the
forward pass's states), which `simple_rnn_backward` runs after its own forward pass.

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


def _state_like(name: str, value, batch: int, units: int, what: str = "(batch, units)") -> np.ndarray:
    """Check a 2-D float array of shape (batch, units); the message names `name`."""
    value = _validate.float_array(name, value, ndim=2, shape_doc=what)
    if value.shape != (batch, units):
        raise ValueError(f"{name} must have shape {what} = ({batch}, {units}), got {value.shape}")
    return value


def _sequence_like(name: str, value, batch: int, timesteps: int, units: int) -> np.ndarray:
    """Check a float array of shape (batch, timesteps, units); the message names `name`."""
    what = "(batch, timesteps, units)"
    value = _validate.float_array(name, value, ndim=3, shape_doc=what)
    if value.shape != (batch, timesteps, units):
        hint = (": that is timesteps + 1 states; h_seq holds the state after each step of x, without h0"
                if value.shape == (batch, timesteps + 1, units) else "")
        raise ValueError(f"{name} must have shape {what} = ({batch}, {timesteps}, {units}), got {value.shape}{hint}")
    return value


def _kernels(input_dim: int, kernel, recurrent_kernel) -> tuple[np.ndarray, np.ndarray, int]:
    """Check kernel (input_dim, units) and recurrent_kernel (units, units); return them and units."""
    recurrent_kernel = _validate.float_array("recurrent_kernel", recurrent_kernel, ndim=2, shape_doc="(units, units)")
    units = recurrent_kernel.shape[0]
    if recurrent_kernel.shape != (units, units):
        raise ValueError(f"recurrent_kernel must be square, (units, units), got {recurrent_kernel.shape}")
    kernel = _validate.float_array("kernel", kernel, ndim=2, shape_doc="(input_dim, units)")
    if kernel.shape != (input_dim, units):
        hint = ": it looks transposed (Keras stores the kernel as (input_dim, units))" if (
            kernel.shape == (units, input_dim) and units != input_dim) else ""
        raise ValueError(f"kernel must have shape (input_dim, units) = ({input_dim}, {units}), "
                         f"got {kernel.shape}{hint}")
    return kernel, recurrent_kernel, units


def _step_backward(dh, x_t, h_prev, h_t, kernel, recurrent_kernel):
    """rnn_step_backward without the argument checks: the one backward step every BPTT loop here runs."""
    da = dh * (1.0 - h_t ** 2)  # (batch, units): through tanh, whose slope at a is 1 - tanh(a)^2 = 1 - h_t^2
    dx_t = da @ kernel.T  # (batch, input_dim)
    dh_prev = da @ recurrent_kernel.T  # (batch, units)
    dkernel = x_t.T @ da  # (input_dim, units)
    drecurrent_kernel = h_prev.T @ da  # (units, units)
    dbias = da.sum(axis=0)  # (units,): the bias is added to every row of the batch
    return dx_t, dh_prev, dkernel, drecurrent_kernel, dbias


def rnn_step_backward(dh, x_t, h_prev, h_t, kernel, recurrent_kernel):
    """Backward pass of one SimpleRNN step h_t = tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias).

    Shapes: dh = d loss / d h_t (batch, units), x_t (batch, input_dim), h_prev and h_t (batch,
    units), kernel (input_dim, units), recurrent_kernel (units, units). The bias is not needed:
    h_t already holds its effect. Returns (dx_t, dh_prev, dkernel, drecurrent_kernel, dbias),
    each shaped like the argument it is the gradient for (dbias: (units,)).
    Taught in chapters/06_lstm; graded in a08_bptt.
    """
    x_t = _validate.float_array("x_t", x_t, ndim=2, shape_doc="(batch, input_dim)")
    batch, input_dim = x_t.shape
    kernel, recurrent_kernel, units = _kernels(input_dim, kernel, recurrent_kernel)
    dh = _state_like("dh", dh, batch, units)
    h_prev = _state_like("h_prev", h_prev, batch, units)
    h_t = _state_like("h_t", h_t, batch, units)
    return _step_backward(dh, x_t, h_prev, h_t, kernel, recurrent_kernel)


def _backward(dh_seq, x, h0, h_seq, kernel, recurrent_kernel):
    """rnn_backward without the argument checks (arrays already validated)."""
    batch, timesteps, _ = x.shape
    dtype = np.result_type(dh_seq, x, h0, h_seq, kernel, recurrent_kernel)
    dx = np.zeros(x.shape, dtype=dtype)  # (batch, timesteps, input_dim)
    dkernel = np.zeros(kernel.shape, dtype=dtype)  # (input_dim, units)
    drecurrent_kernel = np.zeros(recurrent_kernel.shape, dtype=dtype)  # (units, units)
    dbias = np.zeros(recurrent_kernel.shape[0], dtype=dtype)  # (units,)
    dh_next = np.zeros(h0.shape, dtype=dtype)  # (batch, units): d loss / d h_t through step t+1
    for t in reversed(range(timesteps)):
        dh = dh_seq[:, t, :] + dh_next  # (batch, units): h_t feeds the loss and step t+1
        h_prev = h0 if t == 0 else h_seq[:, t - 1, :]  # (batch, units)
        dx[:, t, :], dh_next, dk, drk, db = _step_backward(dh, x[:, t, :], h_prev, h_seq[:, t, :],
                                                          kernel, recurrent_kernel)
        dkernel += dk  # the same weights act at every step: their gradient is the sum over steps
        drecurrent_kernel += drk
        dbias += db
    return dx, dh_next, dkernel, drecurrent_kernel, dbias  # dh_next is now d loss / d h0


def rnn_backward(dh_seq, x, h0, h_seq, kernel, recurrent_kernel):
    """Backpropagation through time over a whole SimpleRNN sequence, from its forward pass's states.

    Shapes: dh_seq = d loss / d h_t for every step (batch, timesteps, units), as a loss on
    `return_sequences=True` outputs gives it (zeros except the last step for a loss on h_T only);
    x (batch, timesteps, input_dim); h0 the initial state (batch, units); h_seq every hidden
    state of the forward pass (batch, timesteps, units); kernel (input_dim, units),
    recurrent_kernel (units, units). Returns (dx, dh0, dkernel, drecurrent_kernel, dbias), each
    shaped like the argument it is the gradient for (dbias: (units,)).
    Taught in chapters/06_lstm; graded in a08_bptt.
    """
    x = _validate.rnn_input(x)
    batch, timesteps, input_dim = x.shape
    kernel, recurrent_kernel, units = _kernels(input_dim, kernel, recurrent_kernel)
    h0 = _state_like("h0", h0, batch, units)
    h_seq = _sequence_like("h_seq", h_seq, batch, timesteps, units)
    dh_seq = _sequence_like("dh_seq", dh_seq, batch, timesteps, units)
    return _backward(dh_seq, x, h0, h_seq, kernel, recurrent_kernel)


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
    dx, dh0, dkernel, drecurrent_kernel, dbias = _backward(d_output.astype(h.dtype, copy=False), x, h0, h,
                                                           kernel, recurrent_kernel)
    return {"x": dx, "kernel": dkernel, "recurrent_kernel": drecurrent_kernel, "bias": dbias,
            "initial_state": dh0}


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
