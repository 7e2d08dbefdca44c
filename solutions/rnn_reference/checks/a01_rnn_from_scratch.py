"""Hidden tests for assignment a01_rnn_from_scratch: rnn_cell_step and simple_rnn_forward."""

from __future__ import annotations

import numpy as np

from ..simple_rnn import simple_rnn_forward as _forward
from ._harness import (FORWARD_PARTS, call_student, compare, describe_options, forward_options, forward_shape_hints,
                       recurrent_weights, require_part, rng_for, sequence_shape_hints, sigmoid, uniform,
                       verify_environment)

N_CASES = 40


def _cell(x_t, h, kernel, recurrent_kernel, bias, activation=np.tanh):
    return activation(x_t @ kernel + h @ recurrent_kernel + bias)  # (batch, units)


def _relu(z):
    return np.maximum(z, 0.0)


def check_rnn_cell_step(rnn_cell_step) -> None:
    """rnn_cell_step(x_t, h_prev, kernel, recurrent_kernel, bias) equals tanh(x_t Wx + h Wh + b)."""
    verify_environment()
    for case_index in range(N_CASES):
        rng = rng_for("rnn_cell_step", case_index)
        batch, input_dim, units = (int(v) for v in rng.integers(1, 7, size=3))
        if case_index % 4 == 0:
            input_dim = units  # square kernels: lets a transposed kernel be recognised by value
        kernel, recurrent_kernel, bias = recurrent_weights(rng, input_dim, units)
        x_t = uniform(rng, (batch, input_dim), 2.0)
        h_prev = uniform(rng, (batch, units))
        expected = _cell(x_t, h_prev, kernel, recurrent_kernel, bias)
        got = call_student(rnn_cell_step, "rnn_cell_step", x_t.copy(), h_prev.copy(), kernel.copy(),
                           recurrent_kernel.copy(), bias.copy())
        compare("rnn_cell_step", got, [expected],
                case=f"batch={batch}, input_dim={input_dim}, units={units}",
                shape_hints=sequence_shape_hints(expected.shape),
                mistakes={
                    "the recurrent kernel is used transposed (h_prev @ recurrent_kernel.T); Keras's layout is "
                    "(units, units) multiplied from the right": lambda: _cell(x_t, h_prev, kernel, recurrent_kernel.T, bias),
                    "the kernel is used transposed; Keras's layout is (input_dim, units), multiplied as x_t @ kernel":
                        lambda: _cell(x_t, h_prev, kernel.T, recurrent_kernel, bias),
                    "the bias is missing": lambda: _cell(x_t, h_prev, kernel, recurrent_kernel, 0.0),
                    "the tanh activation is missing": lambda: _cell(x_t, h_prev, kernel, recurrent_kernel, bias, lambda z: z),
                    "sigmoid is used instead of tanh": lambda: _cell(x_t, h_prev, kernel, recurrent_kernel, bias, sigmoid),
                    "relu is used instead of tanh": lambda: _cell(x_t, h_prev, kernel, recurrent_kernel, bias, _relu),
                    "h_prev is ignored (the recurrent term h_prev @ recurrent_kernel is missing)":
                        lambda: _cell(x_t, 0.0 * h_prev, kernel, recurrent_kernel, bias),
                    "the kernel and recurrent kernel are swapped": lambda: _cell(h_prev, x_t, recurrent_kernel, kernel, bias),
                })


def _mistakes_forward(x, kernel, recurrent_kernel, bias, h0, return_sequences, return_state):
    """What common wrong implementations of simple_rnn_forward return for this case."""
    def run(cell_kernel=kernel, cell_recurrent=recurrent_kernel, cell_bias=bias, activation=np.tanh,
            carry=True, use_h0=True, reverse=False, pick="last"):
        batch, timesteps, _ = x.shape
        h = h0.copy() if (h0 is not None and use_h0) else np.zeros((batch, recurrent_kernel.shape[0]))
        start = h.copy()
        outs = []
        order = range(timesteps - 1, -1, -1) if reverse else range(timesteps)
        for t in order:
            prev = h if carry else start
            h = activation(x[:, t, :] @ cell_kernel + prev @ cell_recurrent + cell_bias)
            outs.append(h)
        seq = np.stack(outs, axis=1)
        out = seq if return_sequences else (outs[-1] if pick == "last" else outs[0])
        if return_state:
            state = h if pick == "last" else start
            return [out, state]
        return out

    hints = {
        "the hidden state is not carried from one step to the next (each step starts from h_0)":
            lambda: run(carry=False),
        "the recurrent kernel is used transposed (h @ recurrent_kernel.T)": lambda: run(cell_recurrent=recurrent_kernel.T),
        "the bias is missing": lambda: run(cell_bias=0.0),
        "the tanh activation is missing": lambda: run(activation=lambda z: z),
        "sigmoid is used instead of tanh": lambda: run(activation=sigmoid),
        "the sequence is processed backwards": lambda: run(reverse=True),
        "initial_state is ignored (the loop always starts from zeros)": lambda: run(use_h0=False),
    }
    if not return_sequences:
        hints["the first step is returned instead of the last"] = lambda: run(pick="first")
    if return_state:
        hints["the final state returned is the initial state, not the state after the last step"] = (
            lambda: [run()[0], h0 if h0 is not None else np.zeros_like(run()[1])])
    if kernel.shape[0] == kernel.shape[1]:
        hints["the kernel is used transposed"] = lambda: run(cell_kernel=kernel.T)
    return hints


def check_simple_rnn_forward(simple_rnn_forward, part: str = "last_step") -> None:
    """simple_rnn_forward matches Keras's SimpleRNN; `part` is 'last_step', 'sequences' or 'state'."""
    verify_environment()
    require_part(part, FORWARD_PARTS)
    for case_index in range(N_CASES):
        rng = rng_for(f"simple_rnn_forward/{part}", case_index)
        batch, timesteps, input_dim, units = (int(v) for v in rng.integers(1, 7, size=4))
        timesteps += 1  # at least two steps, so "last" and "first" differ
        kernel, recurrent_kernel, bias = recurrent_weights(rng, input_dim, units)
        x = uniform(rng, (batch, timesteps, input_dim), 1.5)
        options = forward_options(part, case_index)
        h0 = uniform(rng, (batch, units)) if part == "state" and case_index % 3 != 0 else None
        kwargs = dict(options)
        if h0 is not None:
            kwargs["initial_state"] = h0.copy()
        expected = _forward(x, kernel, recurrent_kernel, bias, initial_state=h0, **options)
        expected = expected if isinstance(expected, list) else [expected]
        got = call_student(simple_rnn_forward, "simple_rnn_forward", x.copy(), kernel.copy(),
                           recurrent_kernel.copy(), bias.copy(), **kwargs)
        case = (f"x shape {x.shape}, units={units}, "
                + describe_options(options)
                + (", initial_state given" if h0 is not None else ""))
        compare("simple_rnn_forward", got, expected, case=case,
                shape_hints=forward_shape_hints(expected[0].shape, batch, timesteps, units),
                mistakes=_mistakes_forward(x, kernel, recurrent_kernel, bias, h0, **options))


__all__ = ["check_rnn_cell_step", "check_simple_rnn_forward"]
