"""Hidden tests for assignment a03_parameter_counting: the parameter count of each layer, by formula.

Each check calls the student's counting function on many random sizes (fixed seeds) and compares
it, exactly, with `rnn_reference.params`. The issue asks for grading "against model.count_params()";
the reference formulas are themselves tested against Keras's `model.count_params()` on hundreds of
random stacks (tests/test_reference_params.py), so these checks compare with the reference and stay
numpy-only and fast: grading this assignment never imports TensorFlow.
"""

from __future__ import annotations

import numbers

import numpy as np

from .. import params as _params
from ._harness import CheckFailed, call_student, compare, rng_for, verify_environment

N_CASES = 120


def _as_count(name: str, value):
    """The student's return value as a number, or CheckFailed saying a count is one whole number."""
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise CheckFailed(f"`{name}` must return one whole number (an int), got {type(value).__name__} "
                          f"{value!r:.60}")
    if value != value or value in (float("inf"), float("-inf")):
        raise CheckFailed(f"`{name}` returned {value}, not a parameter count")
    return value


def _sizes(rng, case_index: int) -> tuple[int, int]:
    """(units, input_dim): small sizes a student can check by hand, and layer sizes seen in practice."""
    high = 12 if case_index % 3 == 0 else 1025
    units, input_dim = (int(v) for v in rng.integers(2, high, size=2))
    return units, input_dim


def _check(name: str, student_fn, reference, mistakes_for, args_for, case_for) -> None:
    """Run `student_fn` on N_CASES argument sets; compare exactly with `reference`."""
    verify_environment()
    for case_index in range(N_CASES):
        rng = rng_for(name, case_index)
        args, kwargs = args_for(rng, case_index)
        expected = reference(*args, **kwargs)
        got = _as_count(name, call_student(student_fn, name, *args, **kwargs))
        if got == expected:
            continue
        if float(got) != int(got):
            raise CheckFailed(f"`{name}` returned {got}, which is not a whole number: a parameter count "
                              f"counts numbers in weight arrays.\n  case: {case_for(args, kwargs)}")
        compare(name, float(got), [np.asarray(float(expected))], case=case_for(args, kwargs), tol=0.0,
                mistakes={hint: (lambda model=model: np.asarray(float(model())))
                          for hint, model in mistakes_for(*args, **kwargs).items()})


def _describe(names, default=None):
    """Describe a call; `default` names the keyword option a call may leave at its default."""
    def case(args, kwargs):
        parts = [f"{n}={v}" for n, v in zip(names, args)] + [f"{k}={v}" for k, v in kwargs.items()]
        if default and default not in kwargs:
            parts.append(f"{default} not passed (its default)")
        return ", ".join(parts)
    return case


# ------------------------------------------------------------------------------------ SimpleRNN
def _simple_rnn_mistakes(units, input_dim):
    u, d = units, input_dim
    return {
        "the bias is missing: SimpleRNN has one bias per unit (+ units)": lambda: u * (d + u),
        "the recurrent kernel is missing: it maps the previous state to the new one, (units, units) "
        "= units * units numbers": lambda: u * (d + 1),
        "the input kernel is missing: it maps each input vector to the units, (input_dim, units)":
            lambda: u * (u + 1),
        "units and input_dim are swapped: the kernel is (input_dim, units), the recurrent kernel "
        "(units, units)": lambda: d * (u + d + 1),
        "the recurrent kernel is counted as (input_dim, units); it is (units, units)": lambda: u * (2 * d + 1),
        "the bias is counted twice (one bias row per unit is enough)": lambda: u * (d + u + 2),
    }


def check_simple_rnn_params(simple_rnn_params) -> None:
    """simple_rnn_params(units, input_dim) equals units * (input_dim + units + 1) on many sizes."""
    _check("simple_rnn_params", simple_rnn_params, _params.simple_rnn_params, _simple_rnn_mistakes,
           lambda rng, i: (_sizes(rng, i), {}), _describe(("units", "input_dim")))


# ------------------------------------------------------------------------------------ LSTM
def _lstm_mistakes(units, input_dim):
    u, d = units, input_dim
    return {
        "three blocks instead of four: an LSTM has four blocks side by side (gates i, f, o and the "
        "candidate cell c)": lambda: 3 * u * (d + u + 1),
        "one block only (a SimpleRNN's count): an LSTM has four blocks, i, f, c, o": lambda: u * (d + u + 1),
        "the bias is missing: each of the four blocks has one bias per unit (4 * units)": lambda: 4 * u * (d + u),
        "the bias is counted once (units) instead of once per block (4 * units)": lambda: 4 * u * (d + u) + u,
        "the recurrent kernel is missing: it is (units, 4 * units)": lambda: 4 * u * (d + 1),
        "the recurrent kernel is counted as (units, units); it is (units, 4 * units), one block per gate":
            lambda: 4 * u * d + u * u + 4 * u,
        "the recurrent kernel is counted as (4 * units, 4 * units); the state it reads has units "
        "numbers, so it is (units, 4 * units)": lambda: 4 * u * d + 16 * u * u + 4 * u,
        "units and input_dim are swapped": lambda: 4 * d * (d + u + 1),
    }


def check_lstm_params(lstm_params) -> None:
    """lstm_params(units, input_dim) equals 4 * units * (input_dim + units + 1) on many sizes."""
    _check("lstm_params", lstm_params, _params.lstm_params, _lstm_mistakes,
           lambda rng, i: (_sizes(rng, i), {}), _describe(("units", "input_dim")))


# ------------------------------------------------------------------------------------ GRU
def _gru_mistakes(units, input_dim, reset_after=True):
    u, d = units, input_dim
    rows = 2 if reset_after else 1
    mistakes = {}
    if reset_after:
        mistakes["reset_after=True is ignored: with reset_after=True (Keras's default) the bias has two "
                 "rows, shape (2, 3 * units), an input bias and a recurrent bias"] = lambda: 3 * u * (d + u + 1)
    else:
        mistakes["reset_after=False is ignored: with reset_after=False the bias is a single row, "
                 "shape (3 * units,)"] = lambda: 3 * u * (d + u + 2)
    mistakes.update({
        "four blocks (an LSTM's count) instead of three: a GRU has the update gate z, the reset gate r "
        "and the candidate state": lambda: 4 * u * (d + u + rows),
        "two blocks instead of three: a GRU has z, r and the candidate state": lambda: 2 * u * (d + u + rows),
        "the bias is missing": lambda: 3 * u * (d + u),
        "the bias is counted once (units or 2 * units) instead of once per block (3 * units per row)":
            lambda: 3 * u * (d + u) + rows * u,
        "the recurrent kernel is missing: it is (units, 3 * units)": lambda: 3 * u * (d + rows),
        "units and input_dim are swapped": lambda: 3 * d * (d + u + rows),
    })
    return mistakes


def _gru_args(rng, case_index):
    units, input_dim = _sizes(rng, case_index)
    form = case_index % 3
    if form == 0:
        return (units, input_dim), {}  # Keras's default, reset_after=True
    return (units, input_dim), {"reset_after": form == 1}


def check_gru_params(gru_params) -> None:
    """gru_params(units, input_dim, reset_after) equals 3 * units * (input_dim + units + 2 or 1)."""
    _check("gru_params", gru_params, _params.gru_params, _gru_mistakes, _gru_args,
           _describe(("units", "input_dim"), "reset_after"))


# ------------------------------------------------------------------------------------ Embedding
def _embedding_mistakes(input_dim, output_dim):
    v, e = input_dim, output_dim
    return {
        "one row too many, or a bias: an Embedding is only its table, one row per token id, shape "
        "(input_dim, output_dim), and input_dim already counts every id (the padding id 0 included)":
            lambda: (v + 1) * e,
        "the sizes are added instead of multiplied: the table has one row of output_dim numbers per "
        "token id": lambda: v + e,
        "only one row is counted: the table has input_dim rows (one per token id) of output_dim numbers":
            lambda: e,
    }


def _embedding_args(rng, case_index):
    vocab = int(rng.integers(2, 60 if case_index % 3 == 0 else 50_001))
    dim = int(rng.integers(2, 12 if case_index % 3 == 0 else 513))
    return (vocab, dim), {}


def check_embedding_params(embedding_params) -> None:
    """embedding_params(input_dim, output_dim) equals input_dim * output_dim on many sizes."""
    _check("embedding_params", embedding_params, _params.embedding_params, _embedding_mistakes,
           _embedding_args, _describe(("input_dim", "output_dim")))


# ------------------------------------------------------------------------------------ Dense
def _dense_mistakes(input_dim, units, use_bias=True):
    d, u = input_dim, units
    if not use_bias:
        return {"use_bias=False is ignored: without a bias a Dense layer has only its kernel, "
                "(input_dim, units)": lambda: d * u + u,
                "the sizes are added instead of multiplied": lambda: d + u}
    return {
        "the bias is missing: with use_bias=True (the default) Dense has one bias per unit (+ units)":
            lambda: d * u,
        "the bias is counted per input (+ input_dim); it is one per unit (+ units)": lambda: d * u + d,
        "one bias in total (+ 1); there is one bias per unit (+ units)": lambda: d * u + 1,
        "the sizes are added instead of multiplied: the kernel is (input_dim, units)": lambda: d + u + u,
    }


def _dense_args(rng, case_index):
    input_dim = int(rng.integers(2, 12 if case_index % 3 == 0 else 1025))
    units = int(rng.integers(2, 12 if case_index % 3 == 0 else 257))
    form = case_index % 3
    if form == 0:
        return (input_dim, units), {}  # default use_bias=True
    return (input_dim, units), {"use_bias": form == 1}


def check_dense_params(dense_params) -> None:
    """dense_params(input_dim, units, use_bias) equals input_dim * units (+ units with a bias)."""
    _check("dense_params", dense_params, _params.dense_params, _dense_mistakes, _dense_args,
           _describe(("input_dim", "units"), "use_bias"))


# ------------------------------------------------------------------------------------ Bidirectional
def _bidirectional_mistakes(inner_params):
    return {
        "the count is not doubled: Bidirectional holds two separate copies of the layer, a forward "
        "and a backward one, each with its own weights": lambda: inner_params,
        "the count is multiplied by 4: Bidirectional has two copies of the layer, no more":
            lambda: 4 * inner_params,
        "the count is squared; Bidirectional holds two copies of the layer": lambda: inner_params ** 2,
    }


def _bidirectional_args(rng, case_index):
    units, input_dim = _sizes(rng, case_index)
    inner = (_params.simple_rnn_params, _params.lstm_params, _params.gru_params)[case_index % 3]
    return (inner(units, input_dim),), {}


def check_bidirectional_params(bidirectional_params) -> None:
    """bidirectional_params(inner_params) equals 2 * inner_params on the counts of many layers."""
    _check("bidirectional_params", bidirectional_params, _params.bidirectional_params,
           _bidirectional_mistakes, _bidirectional_args, _describe(("inner_params",)))


__all__ = ["check_simple_rnn_params", "check_lstm_params", "check_gru_params", "check_embedding_params",
           "check_dense_params", "check_bidirectional_params"]
