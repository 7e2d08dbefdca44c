"""Hidden tests for assignment a04_lstm_gru: lstm_cell_step, lstm_forward, gru_cell_step, gru_forward.

Every check runs the student's function on many random shapes and weights (fixed seeds) and
compares it with `rnn_reference.lstm` / `rnn_reference.gru`, which are tested against Keras's
LSTM and GRU layers. When the answer is wrong, mistake models (a wrong gate order, a dropped
forget gate, an inverted update gate, reset_after handled the other way, ...) name the likely
mistake. numpy only: grading this assignment never imports TensorFlow.
"""

from __future__ import annotations

from itertools import permutations

import numpy as np

from ..gru import gru_cell as _gru_cell
from ..gru import gru_forward as _gru_forward
from ..lstm import lstm_cell as _lstm_cell
from ..lstm import lstm_forward as _lstm_forward
from ._harness import (BATCH_DROPPED, FORWARD_PARTS, CheckFailed, call_student, compare, describe_options,
                       forward_options, forward_shape_hints, identity, recurrent_weights, require_part, rng_for,
                       sigmoid, uniform, verify_environment)

N_CASES = 30


def _returns(name: str, got, count: int, what: str) -> None:
    """Explain a wrong structure (a bare array where a pair is due, too few states) in student terms."""
    if count == 1:
        return
    if not isinstance(got, (list, tuple)):
        raise CheckFailed(f"`{name}` returned a single {type(got).__name__}; it must return {what}.")
    if len(got) != count:
        raise CheckFailed(f"`{name}` returned {len(got)} items; it must return {what}.")


def _gate_orders(keras_order: str, described: str) -> dict:
    """hint -> step keyword arguments, for reading the gate blocks in every order but Keras's."""
    mistakes = {}
    for order in permutations(keras_order):
        order = "".join(order)
        if order != keras_order:
            mistakes[f"wrong gate order: the blocks are read as {', '.join(order)}; Keras stores them as "
                     f"{described}"] = dict(order=order)
    return mistakes


# ============================================================================ LSTM
_LSTM_ORDER = "ifco"
_GATE_NAMES = {"i": "input", "f": "forget", "c": "candidate cell", "o": "output"}


def _lstm_step(x_t, h, c, kernel, recurrent_kernel, bias, *, order=_LSTM_ORDER, forget=True,
               input_gate=True, output_gate=True, output_tanh=True, candidate=np.tanh, gate=sigmoid,
               interleaved=False, recurrent=True):
    """One LSTM step as a student might write it; the defaults are Keras's LSTM."""
    units = h.shape[-1]
    z = x_t @ kernel + (h @ recurrent_kernel if recurrent else 0.0) + bias  # (batch, 4*units)
    if interleaved:
        blocks = [z.reshape(z.shape[0], units, 4)[..., k] for k in range(4)]
    else:
        blocks = [z[:, k * units:(k + 1) * units] for k in range(4)]
    pre = dict(zip(order, blocks))  # what the student believes block k to be
    i, f, o = gate(pre["i"]), gate(pre["f"]), gate(pre["o"])
    g = candidate(pre["c"])
    c_new = (f * c if forget else 0.0) + (i * g if input_gate else g)  # (batch, units)
    h_new = (o if output_gate else 1.0) * (np.tanh(c_new) if output_tanh else c_new)  # (batch, units)
    return h_new, c_new


def _lstm_cell_mistakes():
    """hint -> keyword arguments of `_lstm_step` that reproduce the mistake."""
    mistakes = {
        "the forget gate is dropped (or the cell state is not carried from one step to the next): the "
        "new cell state is c = f * c_prev + i * candidate": dict(forget=False),
        "the input gate is dropped: the new cell state is c = f * c_prev + i * candidate":
            dict(input_gate=False),
        "the tanh on the output is missing: h = o * tanh(c), not o * c": dict(output_tanh=False),
        "the output gate is missing: h = o * tanh(c)": dict(output_gate=False),
        "the candidate cell uses sigmoid; it uses tanh (only the gates i, f, o use sigmoid)":
            dict(candidate=sigmoid),
        "the tanh on the candidate cell is missing": dict(candidate=identity),
        "the gates use tanh; the gates i, f, o use sigmoid": dict(gate=np.tanh),
        "the gate blocks are read interleaved (every 4th column); Keras stores them side by side: "
        "columns [0:units] are i, [units:2*units] f, [2*units:3*units] c, [3*units:] o": dict(interleaved=True),
        "the recurrent term h_prev @ recurrent_kernel is missing": dict(recurrent=False),
    }
    mistakes.update(_gate_orders(_LSTM_ORDER, "i, f, c, o (input, forget, candidate cell, output)"))
    return mistakes


def check_lstm_cell_step(lstm_cell_step) -> None:
    """lstm_cell_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias) returns Keras's (h, c)."""
    verify_environment()
    name = "lstm_cell_step"
    for case_index in range(N_CASES):
        rng = rng_for(name, case_index)
        batch, input_dim, units = (int(v) for v in rng.integers(1, 6, size=3))
        units += 1  # at least two units, so gate blocks and their order can be told apart
        kernel, recurrent_kernel, bias = recurrent_weights(rng, input_dim, units, blocks=4)
        x_t = uniform(rng, (batch, input_dim), 1.5)
        h_prev, c_prev = uniform(rng, (batch, units)), uniform(rng, (batch, units), 2.0)
        expected = list(_lstm_cell(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias))
        got = call_student(lstm_cell_step, name, x_t.copy(), h_prev.copy(), c_prev.copy(), kernel.copy(),
                           recurrent_kernel.copy(), bias.copy())
        _returns(name, got, 2, "the pair (h, c), each (batch, units)")
        mistakes = {"h and c are swapped: return (h, c)": lambda: expected[::-1]}
        mistakes.update({hint: (lambda kw=kw: list(_lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel,
                                                                 bias, **kw)))
                         for hint, kw in _lstm_cell_mistakes().items()})
        mistakes["the bias is missing"] = lambda: list(_lstm_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, 0.0))
        compare(name, got, expected, case=f"batch={batch}, input_dim={input_dim}, units={units}",
                shape_hints={(units,): BATCH_DROPPED,
                             (batch, 4 * units): "that is all four gate blocks; h and c have units columns"},
                mistakes=mistakes)


def _lstm_run(x, kernel, recurrent_kernel, bias, h0, c0, *, return_sequences, return_state, carry_h=True,
              carry_c=True, reverse=False, pick="last", swap_initial=False, swap_states=False,
              use_initial=True, **step):
    """lstm_forward as a student might write it; the defaults are Keras's."""
    batch, timesteps, _ = x.shape
    units = recurrent_kernel.shape[0]
    zeros = np.zeros((batch, units))
    h, c = (h0, c0) if (use_initial and h0 is not None) else (zeros, zeros)
    if swap_initial:
        h, c = c, h
    start_h, start_c = h, c
    outputs = []
    for t in (range(timesteps - 1, -1, -1) if reverse else range(timesteps)):
        h, c = _lstm_step(x[:, t, :], h if carry_h else start_h, c if carry_c else start_c,
                          kernel, recurrent_kernel, bias, **step)
        outputs.append(h)
    if return_sequences:
        output = np.stack(outputs, axis=1)  # (batch, timesteps, units)
    else:
        output = outputs[0] if pick == "first" else outputs[-1]  # "initial" returns the last output, the first states
    if not return_state:
        return output
    if pick == "initial":
        return [output, start_h, start_c]
    return [output, c, h] if swap_states else [output, h, c]


def _forward_case(rng, part, case_index):
    batch, timesteps, input_dim, units = (int(v) for v in rng.integers(1, 6, size=4))
    timesteps += 1  # at least two steps, so "last" and "first" differ
    units += 1
    x = uniform(rng, (batch, timesteps, input_dim), 1.5)
    options = forward_options(part, case_index)
    with_state = part == "state" and case_index % 3 != 0
    return batch, timesteps, input_dim, units, x, options, with_state


def check_lstm_forward(lstm_forward, part: str = "last_step") -> None:
    """lstm_forward matches Keras's LSTM; `part` is 'last_step', 'sequences' or 'state'."""
    verify_environment()
    require_part(part, FORWARD_PARTS)
    name = "lstm_forward"
    for case_index in range(N_CASES):
        rng = rng_for(f"{name}/{part}", case_index)
        batch, timesteps, input_dim, units, x, options, with_state = _forward_case(rng, part, case_index)
        kernel, recurrent_kernel, bias = recurrent_weights(rng, input_dim, units, blocks=4)
        h0 = uniform(rng, (batch, units)) if with_state else None
        c0 = uniform(rng, (batch, units), 2.0) if with_state else None
        kwargs = dict(options)
        if with_state:
            kwargs["initial_state"] = [h0.copy(), c0.copy()]
        expected = _lstm_forward(x, kernel, recurrent_kernel, bias,
                                 initial_state=[h0, c0] if with_state else None, **options)
        expected = expected if isinstance(expected, list) else [expected]
        got = call_student(lstm_forward, name, x.copy(), kernel.copy(), recurrent_kernel.copy(), bias.copy(),
                           **kwargs)
        _returns(name, got, len(expected), "[output, h, c] with return_state=True, as Keras's LSTM does "
                                           "(an LSTM has two states)")

        def run(**kw):
            return _lstm_run(x, kernel, recurrent_kernel, bias, h0, c0, **options, **kw)

        # loop mistakes first: when lstm_cell_step passes its own test, they are the likelier ones
        mistakes = {
            "the cell state is not carried from one step to the next (each step starts from the initial c), "
            "or the forget-gate term f * c_prev is missing": lambda: run(carry_c=False),
            "the hidden state is not carried from one step to the next (each step starts from the initial h)":
                lambda: run(carry_h=False),
            "the sequence is processed backwards": lambda: run(reverse=True),
        }
        mistakes.update({hint: (lambda kw=kw: run(**kw)) for hint, kw in _lstm_cell_mistakes().items()})
        mistakes["the bias is missing"] = lambda: _lstm_run(x, kernel, recurrent_kernel, 0.0, h0, c0, **options)
        if with_state:
            mistakes["initial_state is ignored (the loop always starts from zeros)"] = lambda: run(use_initial=False)
            mistakes["initial_state is read as [c, h]; Keras passes [h, c]"] = lambda: run(swap_initial=True)
        if not options["return_sequences"]:
            mistakes["the first step is returned instead of the last"] = lambda: run(pick="first")
        if options["return_state"]:
            mistakes["the states are returned as [output, c, h]; Keras returns [output, h, c]"] = (
                lambda: run(swap_states=True))
            mistakes["the final states returned are the initial ones, not the states after the last step"] = (
                lambda: run(pick="initial"))
        case = (f"x shape {x.shape}, units={units}, " + describe_options(options)
                + (", initial_state given" if with_state else ""))
        hints = forward_shape_hints(expected[0].shape, batch, timesteps, units)
        hints[expected[0].shape[:-1] + (4 * units,)] = ("that is all four gate blocks; the output has units "
                                                         "columns")
        compare(name, got, expected, case=case, shape_hints=hints, mistakes=mistakes)


# ============================================================================ GRU
_GRU_ORDER = "zrh"


def _gru_step(x_t, h, kernel, recurrent_kernel, bias, reset_after, *, order=_GRU_ORDER, invert=False,
              reset="keras", bias_rows="ok", candidate=np.tanh, use_reset=True, use_update=True):
    """One GRU step as a student might write it; the defaults are Keras's GRUCell."""
    units = h.shape[-1]
    if reset_after:
        input_bias, recurrent_bias = {"ok": (bias[0], bias[1]), "swapped": (bias[1], bias[0]),
                                      "no_recurrent": (bias[0], 0.0 * bias[1]),
                                      "no_input": (0.0 * bias[0], bias[1]),
                                      "none": (0.0 * bias[0], 0.0 * bias[1])}[bias_rows]
    else:
        input_bias, recurrent_bias = (0.0 * bias if bias_rows == "none" else bias), np.zeros_like(bias)
    position = {gate: k for k, gate in enumerate(order)}  # what the student believes block k to be

    def block(matrix, gate):
        k = position[gate]
        return matrix[..., k * units:(k + 1) * units]

    x_proj = x_t @ kernel + input_bias  # (batch, 3*units)
    h_proj = h @ recurrent_kernel + recurrent_bias  # (batch, 3*units)
    z = sigmoid(block(x_proj, "z") + block(h_proj, "z"))  # (batch, units)
    r = sigmoid(block(x_proj, "r") + block(h_proj, "r")) if use_reset else 1.0
    u_h, b_h = block(recurrent_kernel, "h"), block(recurrent_bias, "h")
    after = reset_after if reset == "keras" else reset == "after"
    if reset == "bias_outside":
        recurrent_h = r * (h @ u_h) + b_h
    elif after:
        recurrent_h = r * (h @ u_h + b_h)
    else:
        recurrent_h = (r * h) @ u_h + b_h
    hh = candidate(block(x_proj, "h") + recurrent_h)  # (batch, units)
    if not use_update:
        return hh
    return (1.0 - z) * h + z * hh if invert else z * h + (1.0 - z) * hh


def _gru_cell_mistakes(reset_after):
    """hint -> keyword arguments of `_gru_step` that reproduce the mistake."""
    mistakes = {
        "the update gate is inverted: Keras computes h = z * h_prev + (1 - z) * candidate (z close to 1 "
        "keeps the old state)": dict(invert=True),
    }
    if reset_after:
        mistakes.update({
            "reset_after=True is ignored: the reset gate is applied before the recurrent matrix product, "
            "(r * h_prev) @ U_h; with reset_after=True Keras computes r * (h_prev @ U_h + recurrent bias)":
                dict(reset="before"),
            "the candidate recurrent bias is added outside the reset gate; with reset_after=True it is inside: "
            "r * (h_prev @ U_h + bias[1] of the candidate block)": dict(reset="bias_outside"),
            "the two bias rows are swapped: bias[0] is the input bias (added to x_t @ kernel), bias[1] the "
            "recurrent bias (added to h_prev @ recurrent_kernel)": dict(bias_rows="swapped"),
            "the recurrent bias row bias[1] is ignored": dict(bias_rows="no_recurrent"),
            "the input bias row bias[0] is ignored": dict(bias_rows="no_input"),
        })
    else:
        mistakes["reset_after=False is ignored: the reset gate is applied after the recurrent matrix product, "
                 "r * (h_prev @ U_h); with reset_after=False Keras computes (r * h_prev) @ U_h"] = dict(reset="after")
    mistakes.update({
        "the bias is missing": dict(bias_rows="none"),
        "the reset gate is not used in the candidate state": dict(use_reset=False),
        "the update gate is not used: the new state is the candidate alone": dict(use_update=False),
        "the candidate state uses sigmoid; it uses tanh (only the gates z, r use sigmoid)": dict(candidate=sigmoid),
        "the tanh on the candidate state is missing": dict(candidate=identity),
    })
    mistakes.update(_gate_orders(_GRU_ORDER, "z, r, h (update gate, reset gate, candidate)"))
    return mistakes


def _gru_weights(rng, input_dim, units, reset_after):
    return recurrent_weights(rng, input_dim, units, blocks=3, bias_shape=(2, 3 * units) if reset_after else None)


_GRU_CELL_PARTS = {"reset_after_true": True, "reset_after_false": False}


def check_gru_cell_step(gru_cell_step, part: str = "reset_after_true") -> None:
    """gru_cell_step(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after=...) returns Keras's h."""
    verify_environment()
    require_part(part, _GRU_CELL_PARTS)
    reset_after = _GRU_CELL_PARTS[part]
    name = "gru_cell_step"
    for case_index in range(N_CASES):
        rng = rng_for(f"{name}/{part}", case_index)
        batch, input_dim, units = (int(v) for v in rng.integers(1, 6, size=3))
        units += 1
        kernel, recurrent_kernel, bias = _gru_weights(rng, input_dim, units, reset_after)
        x_t = uniform(rng, (batch, input_dim), 1.5)
        h_prev = uniform(rng, (batch, units))
        expected = _gru_cell(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after=reset_after)
        # the default (reset_after=True) is exercised by leaving the argument out now and then
        kwargs = {} if (reset_after and case_index % 3 == 0) else {"reset_after": reset_after}
        got = call_student(gru_cell_step, name, x_t.copy(), h_prev.copy(), kernel.copy(), recurrent_kernel.copy(),
                           bias.copy(), **kwargs)
        mistakes = {hint: (lambda kw=kw: _gru_step(x_t, h_prev, kernel, recurrent_kernel, bias, reset_after, **kw))
                    for hint, kw in _gru_cell_mistakes(reset_after).items()}
        compare(name, got, [expected],
                case=f"batch={batch}, input_dim={input_dim}, units={units}, "
                     + (f"reset_after={reset_after}" if kwargs else "reset_after not passed (default True)"),
                shape_hints={(units,): BATCH_DROPPED,
                             (batch, 3 * units): "that is all three blocks; h has units columns"},
                mistakes=mistakes)


def _gru_run(x, kernel, recurrent_kernel, bias, reset_after, h0, *, return_sequences, return_state, carry=True,
             reverse=False, pick="last", use_initial=True, **step):
    """gru_forward as a student might write it; the defaults are Keras's."""
    batch, timesteps, _ = x.shape
    units = recurrent_kernel.shape[0]
    h = h0 if (use_initial and h0 is not None) else np.zeros((batch, units))
    start = h
    outputs = []
    for t in (range(timesteps - 1, -1, -1) if reverse else range(timesteps)):
        h = _gru_step(x[:, t, :], h if carry else start, kernel, recurrent_kernel, bias, reset_after, **step)
        outputs.append(h)
    if return_sequences:
        output = np.stack(outputs, axis=1)  # (batch, timesteps, units)
    else:
        output = outputs[0] if pick == "first" else outputs[-1]  # "initial" returns the last output, the first states
    if not return_state:
        return output
    return [output, start if pick == "initial" else h]


def check_gru_forward(gru_forward, part: str = "last_step") -> None:
    """gru_forward matches Keras's GRU, both reset_after settings; `part` is 'last_step', 'sequences' or 'state'."""
    verify_environment()
    require_part(part, FORWARD_PARTS)
    name = "gru_forward"
    for case_index in range(N_CASES):
        rng = rng_for(f"{name}/{part}", case_index)
        batch, timesteps, input_dim, units, x, options, with_state = _forward_case(rng, part, case_index)
        reset_after = case_index % 4 != 1
        kernel, recurrent_kernel, bias = _gru_weights(rng, input_dim, units, reset_after)
        h0 = uniform(rng, (batch, units)) if with_state else None
        kwargs = dict(options)
        if not (reset_after and case_index % 4 == 0):  # sometimes leave reset_after at its default (True)
            kwargs["reset_after"] = reset_after
        if with_state:
            kwargs["initial_state"] = h0.copy()
        expected = _gru_forward(x, kernel, recurrent_kernel, bias, reset_after=reset_after, initial_state=h0,
                                **options)
        expected = expected if isinstance(expected, list) else [expected]
        got = call_student(gru_forward, name, x.copy(), kernel.copy(), recurrent_kernel.copy(), bias.copy(),
                           **kwargs)
        _returns(name, got, len(expected), "[output, h] with return_state=True, as Keras's GRU does")

        def run(**kw):
            return _gru_run(x, kernel, recurrent_kernel, bias, reset_after, h0, **options, **kw)

        mistakes = {
            "the hidden state is not carried from one step to the next (each step starts from the initial state)":
                lambda: run(carry=False),
            "the sequence is processed backwards": lambda: run(reverse=True),
        }
        mistakes.update({hint: (lambda kw=kw: run(**kw)) for hint, kw in _gru_cell_mistakes(reset_after).items()})
        if with_state:
            mistakes["initial_state is ignored (the loop always starts from zeros)"] = lambda: run(use_initial=False)
        if not options["return_sequences"]:
            mistakes["the first step is returned instead of the last"] = lambda: run(pick="first")
        if options["return_state"]:
            mistakes["the final state returned is the initial state, not the state after the last step"] = (
                lambda: run(pick="initial"))
        case = (f"x shape {x.shape}, units={units}, "
                + (f"reset_after={reset_after}" if "reset_after" in kwargs else "reset_after not passed (default True)")
                + ", " + describe_options(options)
                + (", initial_state given" if with_state else ""))
        hints = forward_shape_hints(expected[0].shape, batch, timesteps, units)
        hints[expected[0].shape[:-1] + (3 * units,)] = "that is all three blocks; the output has units columns"
        compare(name, got, expected, case=case, shape_hints=hints, mistakes=mistakes)


__all__ = ["check_lstm_cell_step", "check_lstm_forward", "check_gru_cell_step", "check_gru_forward"]
