"""Hidden tests for assignment a05_deep_bidirectional: a Bidirectional wrapper, a stack, the textbook's BiLSTM.

`check_bidirectional_forward` and `check_stacked_forward` run the student's functions (which call
the SimpleRNN the notebook provides) on many random shapes and weights from fixed seeds and compare
with `rnn_reference.bidirectional` / `rnn_reference.stacked`, both tested against Keras. The two
textbook checks compare with the textbook's Bidirectional(LSTM(3)) with constant 0.1 kernels and
Keras's default unit_forget_bias=True (forget-gate bias 1), the setting that reproduces the numbers
Keras prints for it and the notes' 0.6303138 (tests/test_reference_layers.py::test_textbook_numbers_need_forget_bias_one).
numpy only: grading this assignment never imports TensorFlow.
"""

from __future__ import annotations

import numpy as np

from ..bidirectional import bidirectional_forward as _bidirectional_forward
from ..lstm import lstm_forward as _lstm_forward
from ..simple_rnn import simple_rnn_forward as _simple_rnn_forward
from ..stacked import stacked_forward as _stacked_forward
from ._harness import (BATCH_DROPPED, CheckFailed, call_student, call_student_explained, compare, copies,
                       recurrent_weights, require_part, rng_for, uniform, verify_environment)

N_CASES = 30
MERGE_MODES = ("concat", "sum", "ave", "mul")
_ELEMENTWISE = {"sum": lambda a, b: a + b, "ave": lambda a, b: (a + b) / 2, "mul": lambda a, b: a * b}


def _merge(forward, backward, merge_mode):
    if merge_mode == "concat":
        return np.concatenate([forward, backward], axis=-1)
    return _ELEMENTWISE[merge_mode](forward, backward)


# ----------------------------------------------------------------------- bidirectional mistakes
def _bidirectional_mistakes(x, forward_weights, backward_weights, merge_mode, return_sequences, layer_forward):
    """hint -> what a wrong Bidirectional returns, built from the two directions' sequences."""
    def seq(inputs, weights):
        return layer_forward(inputs, *weights, return_sequences=True)  # (batch, timesteps, units)

    forward = seq(x, forward_weights)
    backward_read = seq(x[:, ::-1], backward_weights)   # processing order: row 0 read x[:, -1]
    backward = backward_read[:, ::-1]                    # aligned with x
    backward_forwards = seq(x, backward_weights)          # backward layer reading x forwards
    backward_same_weights = seq(x[:, ::-1], forward_weights)

    def out(f, b_seq_aligned, b_last):
        if return_sequences:
            return _merge(f, b_seq_aligned, merge_mode)
        return _merge(f[:, -1], b_last, merge_mode)

    mistakes = {}
    if return_sequences:
        mistakes["the backward sequence is not flipped back: the backward layer outputs its states in the order "
                 "it reads them (last step first); reverse them again so that position t of both halves belongs "
                 "to x[:, t]"] = lambda: _merge(forward, backward_read, merge_mode)
    else:
        mistakes["the backward half is taken from the wrong end: the backward layer reads x from the last step to "
                 "the first, so its final state is the one after reading x[:, 0] (the last step it processes)"] = (
            lambda: _merge(forward[:, -1], backward[:, -1], merge_mode))
    if merge_mode == "concat":
        mistakes["the halves are in the wrong order: Keras puts the forward half first, [forward | backward]"] = (
            lambda: out(backward, forward, forward[:, -1]) if return_sequences
            else _merge(backward_read[:, -1], forward[:, -1], merge_mode))
    mistakes["the backward layer reads the sequence forwards: it must read it reversed, x[:, ::-1]"] = (
        lambda: out(forward, backward_forwards, backward_forwards[:, -1]))
    if return_sequences:
        mistakes["the backward layer reads the sequence forwards (and its states are then reversed): it must "
                 "read x reversed, x[:, ::-1], and its states be flipped back"] = (
            lambda: _merge(forward, backward_forwards[:, ::-1], merge_mode))
    mistakes["the backward layer uses the forward weights: each direction has its own weights"] = (
        lambda: out(forward, backward_same_weights[:, ::-1], backward_same_weights[:, -1]))
    if merge_mode == "ave":
        mistakes["merge_mode=ave is computed as a sum: ave is (forward + backward) / 2"] = (
            lambda: forward + backward if return_sequences else forward[:, -1] + backward_read[:, -1])
    for other, combine in _ELEMENTWISE.items():
        if merge_mode in _ELEMENTWISE and other != merge_mode and not (merge_mode == "ave" and other == "sum"):
            mistakes[f"merge_mode={merge_mode} is computed as {other}"] = (
                lambda combine=combine: combine(forward, backward) if return_sequences
                else combine(forward[:, -1], backward_read[:, -1]))
    return mistakes


def _bidirectional_shape_hints(expected_shape, merge_mode, batch, timesteps, units):
    lead = expected_shape[:-1]
    hints = {expected_shape[1:]: BATCH_DROPPED}
    if merge_mode == "concat":
        hints[lead + (units,)] = ("that is one direction only; merge_mode=concat joins the forward and backward "
                                  "halves along the last axis, giving 2*units columns")
        hints[(2 * batch,) + expected_shape[1:-1] + (units,)] = (
            "the halves are joined along the batch axis; join them along the last axis (axis=-1)")
        if len(expected_shape) == 3:
            hints[(batch, 2 * timesteps, units)] = ("the halves are joined along the time axis; join them along "
                                                    "the last axis (axis=-1)")
    else:
        hints[lead + (2 * units,)] = (f"you concatenated the halves; merge_mode={merge_mode} combines them element "
                                      "by element and keeps units columns")
    if len(expected_shape) == 3:
        hints[(batch, expected_shape[2])] = ("you returned only the last step; with return_sequences=True return "
                                             "every step, (batch, timesteps, ...)")
    else:
        hints[(batch, timesteps, expected_shape[1])] = ("you returned every step; with return_sequences=False "
                                                        "return one vector per sequence")
    return hints


_BIDIRECTIONAL_PARTS = ("last_step", "sequences", "merge_modes")


def check_bidirectional_forward(bidirectional_forward, part: str = "last_step") -> None:
    """bidirectional_forward around a SimpleRNN matches Keras; part 'last_step', 'sequences' or 'merge_modes'."""
    verify_environment()
    require_part(part, _BIDIRECTIONAL_PARTS)
    name = "bidirectional_forward"
    for case_index in range(N_CASES):
        rng = rng_for(f"{name}/{part}", case_index)
        batch, timesteps, input_dim, units = (int(v) for v in rng.integers(1, 6, size=4))
        timesteps += 1  # at least two steps, so the two ends of the sequence differ
        x = uniform(rng, (batch, timesteps, input_dim), 1.5)
        forward_weights, backward_weights = recurrent_weights(rng, input_dim, units), recurrent_weights(rng, input_dim, units)
        if part == "merge_modes":
            merge_mode = MERGE_MODES[case_index % 4 - 3]  # sum, ave, mul, concat, ...
            return_sequences = bool(case_index % 3 == 1)
        else:
            merge_mode, return_sequences = "concat", part == "sequences"
        kwargs = {"return_sequences": return_sequences}
        if part == "merge_modes" or case_index % 2:
            kwargs["merge_mode"] = merge_mode  # otherwise left at its default, "concat"
        expected = _bidirectional_forward(x, "simple_rnn", forward_weights, backward_weights, merge_mode=merge_mode,
                                          return_sequences=return_sequences)
        got = call_student(bidirectional_forward, name, x.copy(), copies(forward_weights), copies(backward_weights),
                           **kwargs)
        case = (f"x shape {x.shape}, units={units}, "
                + (f"merge_mode={merge_mode!r}" if "merge_mode" in kwargs else "merge_mode not passed (default 'concat')")
                + f", return_sequences={return_sequences}")
        compare(name, got, [expected], case=case,
                shape_hints=_bidirectional_shape_hints(expected.shape, merge_mode, batch, timesteps, units),
                mistakes=_bidirectional_mistakes(x, forward_weights, backward_weights, merge_mode, return_sequences,
                                                 _simple_rnn_forward))


# ----------------------------------------------------------------------- stacked
def _inputs_described(description: str):
    """A crash report naming the inputs by `description` (the layers list is nested): an `explain` for
    call_student_explained."""
    def explain(message: str) -> str:
        text, marker, _ = message.partition("\n  on inputs: ")
        return f"{text}\n  on inputs: {description}" if marker else message
    return explain


def _run_stack(x, layers, return_sequences, *, last_step_only=False):
    """A stack of SimpleRNNs; with last_step_only, each layer after the first reads the previous last state."""
    output = x
    for index, weights in enumerate(layers):
        is_last = index == len(layers) - 1
        if last_step_only and index > 0:
            output = output[:, -1:, :]  # (batch, 1, units)
        output = _simple_rnn_forward(output, *weights, return_sequences=(return_sequences if is_last else True))
    return output


def check_stacked_forward(stacked_forward, part: str = "last_step") -> None:
    """stacked_forward(x, layers, return_sequences) matches a Sequential of SimpleRNNs; part 'last_step'/'sequences'."""
    verify_environment()
    require_part(part, ("last_step", "sequences"))
    return_sequences = part == "sequences"
    name = "stacked_forward"
    for case_index in range(N_CASES):
        rng = rng_for(f"{name}/{part}", case_index)
        n_layers = 1 + case_index % 4 if case_index >= 4 else 2 + case_index % 3  # the first cases have 2-4 layers
        batch, timesteps, input_dim = (int(v) for v in rng.integers(1, 6, size=3))
        timesteps += 1
        if case_index % 3 == 0:  # every size equal: lets a stack in the wrong order be recognised by value
            sizes = [input_dim] * (n_layers + 1)
        else:
            sizes = [input_dim] + [int(v) for v in rng.integers(1, 7, size=n_layers)]
        layers = [recurrent_weights(rng, sizes[k], sizes[k + 1]) for k in range(n_layers)]
        x = uniform(rng, (batch, timesteps, input_dim), 1.5)
        spec = [("simple_rnn", w, {"return_sequences": return_sequences if k == n_layers - 1 else True})
                for k, w in enumerate(layers)]
        expected = _stacked_forward(x, spec)
        kwargs = {"return_sequences": True} if return_sequences else ({} if case_index % 2 else
                                                                       {"return_sequences": False})
        case = (f"x shape {x.shape}, layer sizes (units) {sizes[1:]}, return_sequences={return_sequences}"
                + ("" if kwargs else " (not passed: default False)"))
        got = call_student_explained(stacked_forward, name, x.copy(), [copies(w) for w in layers],
                                     explain=_inputs_described(case), **kwargs)
        units = sizes[-1]
        mistakes = {
            "the layers after the first read only the previous layer's last state: every layer but the last must "
            "return its whole sequence (return_sequences=True) for the next one to read":
                lambda: _run_stack(x, layers, return_sequences, last_step_only=True),
            "only the first layer is applied": lambda: _run_stack(x, layers[:1], return_sequences),
            "only the last layer is applied, or every layer reads the original x instead of the previous layer's "
            "output": lambda: _run_stack(x, layers[-1:], return_sequences),
            "the first layer is skipped": lambda: _run_stack(x, layers[1:], return_sequences),
            "the layers are applied in reverse order: layers[0] reads x":
                lambda: _run_stack(x, layers[::-1], return_sequences),
        }
        if return_sequences:
            hints = {(batch, units): "you returned only the last step; with return_sequences=True the last layer "
                                     "returns every step, (batch, timesteps, units)"}
        else:
            hints = {(batch, timesteps, units): "you returned every step; with return_sequences=False the last "
                                                "layer returns only its last state, (batch, units)"}
        hints[expected.shape[1:]] = BATCH_DROPPED
        if n_layers > 1 and timesteps > 1:
            hints[(batch, 1, units)] = ("one time step only: the layers after the first read only the previous "
                                        "layer's last state; every layer but the last must return its whole "
                                        "sequence (return_sequences=True)")
        compare(name, got, [expected], case=case, shape_hints=hints, mistakes=mistakes)


# ----------------------------------------------------------------------- the textbook's BiLSTM
TEXTBOOK_UNITS, TEXTBOOK_INPUT_DIM = 3, 5


def textbook_weights(forget_bias: float = 1.0) -> list[np.ndarray]:
    """The weights Keras gives LSTM(3) on 5 features with Constant(0.1) kernels and Constant(0) bias."""
    units, input_dim = TEXTBOOK_UNITS, TEXTBOOK_INPUT_DIM
    bias = np.zeros(4 * units)
    bias[units:2 * units] = forget_bias  # unit_forget_bias=True (Keras's default) puts 1 in the f block
    return [np.full((input_dim, 4 * units), 0.1), np.full((units, 4 * units), 0.1), bias]


_UNIT_FORGET_BIAS = ("Keras's LSTM has unit_forget_bias=True by default: even with bias_initializer=Constant(0) it "
                     "sets the forget-gate block of the bias, bias[units:2*units], to 1")


def _textbook_weight_mistakes():
    units = TEXTBOOK_UNITS
    mistakes = {f"the bias is all zeros: {_UNIT_FORGET_BIAS}": lambda: textbook_weights(0.0)}
    for block, gate in ((0, "input gate"), (2, "candidate cell"), (3, "output gate")):
        def wrong(block=block):
            weights = textbook_weights(0.0)
            weights[2][block * units:(block + 1) * units] = 1.0
            return weights
        mistakes[f"the 1s are in the {gate} block; the forget gate is the second block of the bias (order i, f, c, o), "
                 "bias[units:2*units]"] = wrong
    mistakes["the whole bias is 1; only the forget-gate block bias[units:2*units] is 1"] = (
        lambda: [*textbook_weights()[:2], np.ones(4 * units)])
    return mistakes


def check_textbook_lstm_weights(textbook_lstm_weights) -> None:
    """textbook_lstm_weights() returns [kernel, recurrent_kernel, bias] as Keras initialises the textbook's LSTM(3)."""
    verify_environment()
    name = "textbook_lstm_weights"
    got = call_student(textbook_lstm_weights, name)
    if not isinstance(got, (list, tuple)) or len(got) != 3:
        raise CheckFailed(f"`{name}` must return the list [kernel, recurrent_kernel, bias], as "
                          "layer.get_weights() does")
    units, input_dim = TEXTBOOK_UNITS, TEXTBOOK_INPUT_DIM
    hint = "an LSTM weight holds its four gate blocks side by side: "
    compare(name, got, textbook_weights(), case="LSTM(3) reading 5 features per step",
            shape_hints={(input_dim, units): hint + "kernel (input_dim, 4*units) = (5, 12)",
                         (units, units): hint + "recurrent_kernel (units, 4*units) = (3, 12)",
                         (units,): hint + "bias (4*units,) = (12,)",
                         (4 * units, input_dim): "the kernel is transposed: Keras stores it as (input_dim, 4*units)"},
            mistakes=_textbook_weight_mistakes())


def _ignores_layer_forward(message: str) -> str:
    if " raised " not in message:
        return message
    return (f"{message}\n  If your bidirectional_forward always calls simple_rnn_forward, it ignores "
            "layer_forward=lstm_forward: call layer_forward for both directions.")


def check_textbook_bilstm(textbook_bilstm) -> None:
    """textbook_bilstm(x) equals the textbook's Bidirectional(LSTM(3, return_sequences=True)) on random inputs."""
    verify_environment()
    name = "textbook_bilstm"
    weights = textbook_weights()
    for case_index in range(12):
        rng = rng_for(name, case_index)
        batch, timesteps = int(rng.integers(1, 4)), int(rng.integers(2, 7))
        x = rng.uniform(0.0, 4.5, (batch, timesteps, TEXTBOOK_INPUT_DIM))  # like the textbook's input
        expected = _bidirectional_forward(x, "lstm", weights, weights, return_sequences=True)
        got = call_student_explained(textbook_bilstm, name, x.copy(), explain=_ignores_layer_forward)
        weights_0 = textbook_weights(0.0)
        mistakes = {f"the forget-gate bias is 0: {_UNIT_FORGET_BIAS}":
                    lambda: _bidirectional_forward(x, "lstm", weights_0, weights_0, return_sequences=True)}
        mistakes.update(_bidirectional_mistakes(x, weights, weights, "concat", True, _lstm_forward))
        for hint, model in _bidirectional_mistakes(x, weights_0, weights_0, "concat", True, _lstm_forward).items():
            mistakes[f"{hint}; and the forget-gate bias is 0 ({_UNIT_FORGET_BIAS})"] = model
        units = TEXTBOOK_UNITS
        compare(name, got, [expected], case=f"x shape {x.shape}",
                shape_hints={(batch, 2 * units): "you returned only the last step; the textbook's layer has "
                                                 "return_sequences=True, (batch, timesteps, 6)",
                             (batch, timesteps, units): "that is one direction only; concatenate forward and "
                                                        "backward, (batch, timesteps, 6)"},
                mistakes=mistakes)


__all__ = ["check_bidirectional_forward", "check_stacked_forward", "check_textbook_lstm_weights",
           "check_textbook_bilstm"]
