"""Hidden tests for assignment a08_bptt: rnn_step_backward, rnn_backward, numerical_gradient, clip_by_global_norm.

Every check runs the student's function on many random cases (fixed seeds) and compares it with
`rnn_reference.bptt` and `rnn_reference.gradients`, which tests/test_reference_bptt.py compares
with tf.GradientTape and tf.clip_by_global_norm. When the answer is wrong, mistake models (a
missing tanh derivative, weight gradients not summed over time, a one-sided difference, clipping
each tensor on its own, ...) name the likely mistake. numpy only: grading never imports TensorFlow.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from ..bptt import rnn_backward as _rnn_backward
from ..bptt import rnn_step_backward as _rnn_step_backward
from ..gradients import clip_by_global_norm as _clip_by_global_norm
from ..gradients import numerical_gradient as _numerical_gradient
from ._harness import CheckFailed, call_student, close, compile_outside, rng_for, uniform, verify_environment

N_CASES = 30
TOL = 1e-6  # gradients of float64 inputs: any correct way of writing them agrees far better
STEP_OUTPUTS = ("dx_t", "dh_prev", "dkernel", "drecurrent_kernel", "dbias")
BACKWARD_OUTPUTS = ("dx", "dh0", "dkernel", "drecurrent_kernel", "dbias")


# ============================================================================ comparing tuples of gradients
def _tuple_of_arrays(name: str, got, names: Sequence[str]) -> list[np.ndarray]:
    """The student's tuple as float arrays, or CheckFailed explaining a wrong structure."""
    what = f"the tuple ({', '.join(names)})"
    if got is None:
        raise CheckFailed(f"`{name}` returned None: it must return {what} (is a `return` missing?).")
    if not isinstance(got, (list, tuple)):
        raise CheckFailed(f"`{name}` returned a single {type(got).__name__}; it must return {what}.")
    if len(got) != len(names):
        raise CheckFailed(f"`{name}` returned {len(got)} items; it must return the {len(names)} items of {what}.")
    arrays = []
    for label, item in zip(names, got):
        try:
            arrays.append(np.asarray(item, dtype=float))
        except (TypeError, ValueError):
            raise CheckFailed(f"`{name}`: {label} is a {type(item).__name__}, not a numeric array.") from None
    return arrays


class _Models:
    """Mistake models evaluated once each, lazily: hint -> list of arrays (None when it does not apply)."""

    def __init__(self, mistakes: Mapping[str, Callable[[], list]]):
        self._mistakes = dict(mistakes)
        self._values: dict[str, list | None] = {}

    def hints(self):
        return list(self._mistakes)

    def value(self, hint: str):
        if hint not in self._values:
            try:
                self._values[hint] = [np.asarray(a, dtype=float) for a in self._mistakes[hint]()]
            except Exception:  # a model that does not apply to this case (e.g. a transposed non-square kernel)
                self._values[hint] = None
        return self._values[hint]


def _compare_outputs(name: str, arrays: list[np.ndarray], expected: list[np.ndarray], names: Sequence[str], *,
                     case: str, mistakes: Mapping[str, Callable[[], list]],
                     shape_hints: Mapping[str, Mapping[tuple, str]] | None = None, tol: float = TOL) -> None:
    """Compare named outputs; name the mistake that explains all of them, or one per wrong output."""
    for label, array, want in zip(names, arrays, expected):
        if array.shape != want.shape:
            hint = (shape_hints or {}).get(label, {}).get(array.shape)
            raise CheckFailed(f"`{name}`: {label} has shape {array.shape}, expected {want.shape}"
                              + (f": {hint}" if hint else "") + f".\n  case: {case}")
        if not np.all(np.isfinite(array)):
            raise CheckFailed(f"`{name}`: {label} contains NaN or inf.\n  case: {case}")
    wrong = [i for i, (array, want) in enumerate(zip(arrays, expected)) if not close(array, want, tol)]
    if not wrong:
        return
    listed = ", ".join(names[i] for i in wrong) if len(names) > 1 else "values"
    right = [names[i] for i in range(len(names)) if i not in wrong]
    rest = f" ({', '.join(right)} {'is' if len(right) == 1 else 'are'} right)" if right else ""
    models = _Models(mistakes)
    for hint in models.hints():  # one mistake that explains every output
        model = models.value(hint)
        if model is not None and len(model) == len(arrays) and all(
                close(a, m, tol) for a, m in zip(arrays, model)):
            raise CheckFailed(f"`{name}` returns wrong {listed}{rest}. Likely mistake: {hint}.\n  case: {case}")
    found = []
    for i in wrong:  # several mistakes at once: name one per wrong output where a model explains it
        for hint in models.hints():
            model = models.value(hint)
            if model is not None and close(arrays[i], model[i], tol) and not close(model[i], expected[i], tol):
                found.append(f"{names[i]}: {hint}")
                break
    if found:
        raise CheckFailed(f"`{name}` returns wrong {listed}{rest}. Likely mistakes:\n  - " + "\n  - ".join(found)
                          + f"\n  case: {case}")
    worst = max(float(np.max(np.abs(arrays[i] - expected[i]))) if arrays[i].size else 0.0 for i in wrong)
    raise CheckFailed(f"`{name}` returns wrong {listed}{rest} (largest difference {worst:.3g}); no common mistake "
                      f"matches, so go through the chain rule one product at a time.\n  case: {case}")


# ============================================================================ rnn_step_backward
def _slope(kind: str, h_prev, h_t):
    """What a student multiplies dh by to go through the tanh (the right one is 1 - h_t**2)."""
    return {"h_t": lambda: 1.0 - h_t ** 2,
            "none": lambda: np.ones_like(h_t),
            "h_prev": lambda: 1.0 - h_prev ** 2,
            "tanh_again": lambda: 1.0 - np.tanh(h_t) ** 2,
            "not_squared": lambda: 1.0 - h_t,
            "one_minus_squared": lambda: (1.0 - h_t) ** 2}[kind]()


def _step(dh, x_t, h_prev, h_t, kernel, recurrent_kernel, *, slope="h_t", dx_kernel=None, back=None,
          dkernel_t=False, drk=None, dbias=None):
    """One backward step as a student might write it; the defaults are the right one."""
    da = dh * _slope(slope, h_prev, h_t)  # (batch, units)
    dx_t = da @ (kernel.T if dx_kernel is None else dx_kernel)  # (batch, input_dim)
    dh_prev = {None: lambda: da @ recurrent_kernel.T, "untransposed": lambda: da @ recurrent_kernel,
               "dh": lambda: dh @ recurrent_kernel.T, "upstream": lambda: dh}[back]()  # (batch, units)
    dkernel = (da.T @ x_t) if dkernel_t else (x_t.T @ da)  # (input_dim, units)
    drecurrent_kernel = {None: lambda: h_prev.T @ da, "transposed": lambda: da.T @ h_prev,
                         "h_t": lambda: h_t.T @ da}[drk]()  # (units, units)
    db = {None: lambda: da.sum(axis=0), "mean": lambda: da.mean(axis=0),
          "dh": lambda: dh.sum(axis=0)}[dbias]()  # (units,)
    return [dx_t, dh_prev, dkernel, drecurrent_kernel, db]


TANH_MISSING = ("the tanh derivative is missing: h_t = tanh(a), so multiply dh by 1 - h_t**2 before the products "
                "(da = dh * (1 - h_t**2))")
TANH_AT_H_PREV = ("the tanh derivative is taken at the wrong state: it is 1 - h_t**2, at this step's output h_t, "
                  "not 1 - h_prev**2")
TANH_AGAIN = ("tanh is applied twice: h_t is already tanh(a), so the derivative is 1 - h_t**2, "
              "not 1 - tanh(h_t)**2")

_STEP_MISTAKES = {
    TANH_MISSING: dict(slope="none"),
    TANH_AT_H_PREV: dict(slope="h_prev"),
    TANH_AGAIN: dict(slope="tanh_again"),
    "the tanh derivative is written 1 - h_t; it is 1 - h_t**2": dict(slope="not_squared"),
    "the tanh derivative is written (1 - h_t)**2; it is 1 - h_t**2": dict(slope="one_minus_squared"),
    "dh_prev uses recurrent_kernel untransposed: h_prev is multiplied by recurrent_kernel from the right in the "
    "forward pass, so dh_prev = da @ recurrent_kernel.T": dict(back="untransposed"),
    "dh_prev skips the tanh derivative: it is da @ recurrent_kernel.T with da = dh * (1 - h_t**2)": dict(back="dh"),
    "dh_prev is dh passed on unchanged: it goes back through the step, da @ recurrent_kernel.T": dict(back="upstream"),
    "dkernel is transposed: it is x_t.T @ da, (input_dim, units) like the kernel": dict(dkernel_t=True),
    "drecurrent_kernel is transposed: it is h_prev.T @ da": dict(drk="transposed"),
    "drecurrent_kernel uses h_t; the recurrent kernel multiplies h_prev, so it is h_prev.T @ da": dict(drk="h_t"),
    "dbias is averaged over the batch; the loss adds up the rows, so sum it: da.sum(axis=0)": dict(dbias="mean"),
    "dbias skips the tanh derivative: it is da.sum(axis=0) with da = dh * (1 - h_t**2)": dict(dbias="dh"),
}


def _step_shape_hints(batch: int, input_dim: int, units: int) -> dict:
    dbias = {(batch, units): "sum it over the batch axis: the bias is added to every row, so dbias = da.sum(axis=0), "
                             "(units,)",
             (1, units): "keep dbias 1-D, (units,) like the bias (sum with axis=0, no keepdims)"}
    return {
        "dx_t": {(batch, units): "dx_t goes back through the kernel, da @ kernel.T, (batch, input_dim)",
                 (input_dim, batch): "dx_t is transposed: da @ kernel.T is (batch, input_dim)"},
        "dh_prev": {(batch, input_dim): "dh_prev goes back through the recurrent kernel, da @ recurrent_kernel.T"},
        "dkernel": {(units, input_dim): "dkernel is transposed: it is x_t.T @ da, (input_dim, units) like the kernel"},
        "dbias": dbias,
    }


def _step_case(rng: np.random.Generator, case_index: int):
    batch, input_dim, units = (int(v) for v in rng.integers(1, 7, size=3))
    if case_index % 4 == 0:
        input_dim = units  # a square kernel: a transposed one is recognised by value
    if case_index % 7 == 3:
        batch = 1
    kernel = uniform(rng, (input_dim, units))
    recurrent_kernel = uniform(rng, (units, units))
    bias = uniform(rng, (units,))
    x_t = uniform(rng, (batch, input_dim), 1.5)
    h_prev = uniform(rng, (batch, units), 0.95)
    h_t = np.tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)  # (batch, units)
    dh = uniform(rng, (batch, units), 2.0)
    return dh, x_t, h_prev, h_t, kernel, recurrent_kernel


def check_rnn_step_backward(rnn_step_backward) -> None:
    """rnn_step_backward returns the gradients of one SimpleRNN step, on many random shapes."""
    verify_environment()
    for case_index in range(N_CASES):
        args = _step_case(rng_for("rnn_step_backward", case_index), case_index)
        dh, x_t, h_prev, h_t, kernel, recurrent_kernel = args
        batch, input_dim = x_t.shape
        units = h_t.shape[1]
        expected = [np.asarray(a) for a in _rnn_step_backward(*args)]
        got = call_student(rnn_step_backward, "rnn_step_backward", *(a.copy() for a in args))
        arrays = _tuple_of_arrays("rnn_step_backward", got, STEP_OUTPUTS)
        mistakes = {hint: (lambda options=options: _step(*args, **options)) for hint, options in _STEP_MISTAKES.items()}
        if input_dim == units:
            mistakes["dx_t uses the kernel untransposed: x_t is multiplied by kernel from the right, so "
                     "dx_t = da @ kernel.T"] = lambda: _step(*args, dx_kernel=kernel)
        _compare_outputs("rnn_step_backward", arrays, expected, STEP_OUTPUTS,
                         case=f"batch={batch}, input_dim={input_dim}, units={units}", mistakes=mistakes,
                         shape_hints=_step_shape_hints(batch, input_dim, units))


# ============================================================================ rnn_backward
def _bptt(dh_seq, x, h0, h_seq, kernel, recurrent_kernel, *, backwards=True, carry=True, accumulate=True,
          every_step=True, dh0="dh_prev", h_prev="previous", dx_order="time", **step_options):
    """Backpropagation through time as a student might write it; the defaults are the right one."""
    batch, timesteps, _ = x.shape
    grads = [np.zeros_like(kernel), np.zeros_like(recurrent_kernel), np.zeros(recurrent_kernel.shape[0])]
    dx_steps = {}
    dh_next = np.zeros_like(h0)  # (batch, units)
    dh = dh_next
    order = list(reversed(range(timesteps))) if backwards else list(range(timesteps))
    for t in order:
        upstream = dh_seq[:, t] if (every_step or t == timesteps - 1) else 0.0
        dh = upstream + (dh_next if carry else 0.0)  # (batch, units)
        if h_prev == "previous":
            prev = h0 if t == 0 else h_seq[:, t - 1]
        elif h_prev == "zeros_at_start":
            prev = np.zeros_like(h0) if t == 0 else h_seq[:, t - 1]
        elif h_prev == "wraps":  # h_seq[:, t - 1] at t = 0 too: Python reads index -1 as the last state
            prev = h_seq[:, t - 1]
        else:  # "same": the state of this step itself
            prev = h_seq[:, t]
        dx_t, dh_next, *weights = _step(dh, x[:, t], prev, h_seq[:, t], kernel, recurrent_kernel, **step_options)
        dx_steps[t] = dx_t
        grads = [g + w for g, w in zip(grads, weights)] if accumulate else weights
    dx = np.stack([dx_steps[t] for t in (order if dx_order == "processing" else range(timesteps))], axis=1)
    first = {"dh_prev": dh_next, "zeros": np.zeros_like(h0), "dh": dh}[dh0]
    return [dx, first, *grads]


_BACKWARD_MISTAKES = {
    "the weight gradients are not accumulated over time: the same kernel, recurrent kernel and bias act at "
    "every step, so dkernel, drecurrent_kernel and dbias are the sums (+=) of every step's part; yours hold "
    "one step's": dict(accumulate=False),
    "the gradient arriving from the later step is ignored: at step t, dh = dh_seq[:, t] + the dh_prev that "
    "step t+1 returned": dict(carry=False),
    "dh_seq is used at the last step only: every h_t receives its own dh_seq[:, t] (a loss on "
    "return_sequences=True outputs reads every step)": dict(every_step=False),
    "the initial state's gradient is lost: dh0 is the dh_prev that the step at t = 0 returns": dict(dh0="zeros"),
    "dh0 is the gradient with respect to h_1, the dh that goes into the step at t = 0; pass it through that step "
    "and return its dh_prev": dict(dh0="dh"),
    "h0 is not used: the previous state of the step at t = 0 is h0, not zeros": dict(h_prev="zeros_at_start"),
    "the previous state is off by one: step t's h_prev is h_seq[:, t - 1] (h0 at t = 0), not h_seq[:, t]":
        dict(h_prev="same"),
    "at t = 0 the previous state is taken as h_seq[:, t - 1], which is h_seq[:, -1], the LAST state (Python "
    "wraps negative indices); the previous state of step 0 is h0": dict(h_prev="wraps"),
    "the steps are processed forwards in time: BPTT starts at the last step and walks back "
    "(reversed(range(timesteps))), so that the gradient from step t+1 is known at step t": dict(backwards=False),
    "dx's steps are in reverse order: the loop runs backwards, so store dx_t at dx[:, t] (or reverse the list "
    "before stacking)": dict(dx_order="processing"),
    # a mistake of rnn_step_backward, which rnn_backward calls, shows here too
    **{f"{hint} (in rnn_step_backward)": options for hint, options in _STEP_MISTAKES.items()},
}


def _backward_case(rng: np.random.Generator, case_index: int):
    batch, input_dim, units = (int(v) for v in rng.integers(1, 5, size=3))
    timesteps = 1 if case_index % 10 == 9 else int(rng.integers(2, 7))
    kernel = uniform(rng, (input_dim, units))
    recurrent_kernel = uniform(rng, (units, units))
    bias = uniform(rng, (units,))
    x = uniform(rng, (batch, timesteps, input_dim), 1.5)
    h0 = uniform(rng, (batch, units), 0.9)
    states, h = [], h0
    for t in range(timesteps):
        h = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel + bias)  # (batch, units)
        states.append(h)
    h_seq = np.stack(states, axis=1)  # (batch, timesteps, units)
    dh_seq = uniform(rng, (batch, timesteps, units), 2.0)
    last_only = case_index % 3 == 1
    if last_only:  # a loss on the last state only, as in the notebook's plot
        dh_seq[:, :-1] = 0.0
    return (dh_seq, x, h0, h_seq, kernel, recurrent_kernel), last_only


def check_rnn_backward(rnn_backward) -> None:
    """rnn_backward returns the gradients of a whole SimpleRNN sequence, on many random shapes."""
    verify_environment()
    for case_index in range(N_CASES):
        args, last_only = _backward_case(rng_for("rnn_backward", case_index), case_index)
        dh_seq, x, h0, h_seq, kernel, recurrent_kernel = args
        batch, timesteps, input_dim = x.shape
        units = h0.shape[1]
        expected = [np.asarray(a) for a in _rnn_backward(*args)]
        got = call_student(rnn_backward, "rnn_backward", *(a.copy() for a in args))
        arrays = _tuple_of_arrays("rnn_backward", got, BACKWARD_OUTPUTS)
        mistakes = {hint: (lambda options=options: _bptt(*args, **options))
                    for hint, options in _BACKWARD_MISTAKES.items()}
        shape_hints = {
            "dx": {(batch, input_dim): "return dx for every step, (batch, timesteps, input_dim)",
                   (timesteps, batch, input_dim): "stack the steps along axis 1: dx is (batch, timesteps, input_dim)"},
            "dh0": {(batch, timesteps, units): "dh0 is the gradient of the initial state alone, (batch, units)"},
            "dbias": {(batch, units): "sum dbias over the batch too: (units,)",
                      (timesteps, units): "sum dbias over the steps: (units,)"},
        }
        case = (f"batch={batch}, timesteps={timesteps}, input_dim={input_dim}, units={units}"
                + (", dh_seq zero except at the last step (a loss on h_T)" if last_only else ""))
        _compare_outputs("rnn_backward", arrays, expected, BACKWARD_OUTPUTS, case=case, mistakes=mistakes,
                         shape_hints=shape_hints)


# ============================================================================ numerical_gradient
# The functions handed to the student's numerical_gradient are compiled outside this package:
# call_student refuses a function that runs rnn_reference code, and these run inside the call.
_F_SOURCE = '''
def make_f(kind, shape, params, record, CheckFailed, np):
    """A scalar function of an array of `shape`, with curvature; records the shape of every argument."""
    w, a, v = params

    def f(z):
        seen = np.shape(z)
        if record is not None:
            record.append(seen)
            if seen != shape:
                raise CheckFailed(
                    f"`numerical_gradient` called f with an array of shape {seen}, but x has shape {shape}: "
                    "call f on the whole array x, with one entry moved, not on a flattened copy or a single entry.")
        z = np.asarray(z, dtype=np.float64)
        if kind == "cubes":
            return np.sum(w * z ** 3)
        if kind == "sines":
            return np.sum(np.sin(w * z)) + 0.5 * np.sum(z ** 2)
        if kind == "coupled":
            return np.sum(w * z) ** 3 / 3.0 + np.sum(np.sin(z))
        return np.sum(v * np.tanh(z.reshape(-1) @ a))  # "layer": every output reads every entry
    return f
'''
_make_f = compile_outside(_F_SOURCE, "<a08 check: the function f>", {})["make_f"]
_F_KINDS = ("cubes", "sines", "coupled", "layer")
_EPS_CHOICES = (None, 1e-3, 1e-2, 1e-4, 1e-5)  # None: the default, 1e-5


def _difference(f, x, eps, *, kind="central", restore=True):
    """A numerical gradient as a student might write it, on a copy of x; the defaults are the right one."""
    x = x.copy()
    base = f(x)  # f at the unmoved x: what a one-sided difference subtracts
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + eps
        above = f(x)
        if kind == "backward":
            above = base
        if kind == "half_forward":  # moved up and back, never down to saved - eps
            x[index] = saved
            below = f(x)
        else:
            x[index] = saved - eps
            below = f(x)
        if restore:
            x[index] = saved
        grad[index] = {"central": (above - below) / (2 * eps),
                       "no_two": (above - below) / eps,
                       "forward": (above - base) / eps,
                       "backward": (above - below) / eps,
                       "half_forward": (above - below) / (2 * eps)}[kind]
    return [grad]


def _unchanged_message(x_before: np.ndarray, x_after: np.ndarray, eps: float) -> str:
    """Why x differs after the call: moved by +-eps and not put back, or changed by rounding."""
    change = x_after - x_before
    largest = float(np.max(np.abs(change)))
    if np.allclose(change, -eps, rtol=1e-6, atol=0.0) or np.allclose(change, eps, rtol=1e-6, atol=0.0):
        return (f"x is changed afterwards: every entry is left moved by {change.flat[0]:+.3g} (eps = {eps:g}). "
                "After evaluating f, put each entry back to its saved value (saved = x[i]; ...; x[i] = saved)")
    if largest <= 1e-9 * (1.0 + float(np.max(np.abs(x_before)))):
        return (f"x is changed afterwards by rounding (largest change {largest:.2g}): adding and subtracting eps "
                "does not give the same float back (2.0 + 0.01 - 0.02 + 0.01 != 2.0). Save each entry and assign "
                "the saved value back")
    return (f"x is changed afterwards (largest change {largest:.3g}): numerical_gradient must leave x as it was; "
            "move one entry at a time and put it back to its saved value")


def check_numerical_gradient(numerical_gradient) -> None:
    """numerical_gradient returns the central difference of many functions with curvature; x is unchanged."""
    verify_environment()
    for case_index in range(20):
        rng = rng_for("numerical_gradient", case_index)
        ndim = 1 + case_index % 3
        shape = tuple(int(v) for v in rng.integers(1, 5 if ndim < 3 else 3, size=ndim))
        size = int(np.prod(shape))
        kind = _F_KINDS[case_index % len(_F_KINDS)]
        params = (uniform(rng, shape, 1.0) + np.where(rng.random(shape) < 0.5, -0.5, 0.5),  # w, away from 0
                  uniform(rng, (size, 3)), uniform(rng, (3,)))
        x = uniform(rng, shape, 1.5)
        eps = _EPS_CHOICES[case_index % len(_EPS_CHOICES)]
        eps_value = 1e-5 if eps is None else eps
        record: list = []
        f_student = _make_f(kind, shape, params, record, CheckFailed, np)
        f_plain = _make_f(kind, shape, params, None, CheckFailed, np)
        expected = _numerical_gradient(f_plain, x.copy(), eps_value)
        given = x.copy()
        kwargs = {} if eps is None else {"eps": eps}
        got = call_student(numerical_gradient, "numerical_gradient", f_student, given, **kwargs)
        case = f"x of shape {shape}, " + ("eps left at its default" if eps is None else f"eps={eps}") + f", f: {kind}"
        if not np.array_equal(given, x):
            raise CheckFailed(f"`numerical_gradient`: {_unchanged_message(x, given, eps_value)}.\n  case: {case}")
        if not record:
            raise CheckFailed(f"`numerical_gradient` never called f: the gradient is built from values of f at x "
                              f"with one entry moved by +eps and by -eps.\n  case: {case}")
        if got is None:
            raise CheckFailed(f"`numerical_gradient` returned None: return the gradient array.\n  case: {case}")
        if isinstance(got, (list, tuple)):
            raise CheckFailed(f"`numerical_gradient` returned a {type(got).__name__}; return one array of x's shape "
                              f"{shape}.\n  case: {case}")
        mistakes = {
            "a one-sided (forward) difference (f(x + eps) - f(x)) / eps; the central difference "
            "(f(x + eps) - f(x - eps)) / (2 * eps) is far more accurate":
                lambda: _difference(f_plain, x, eps_value, kind="forward"),
            "a one-sided (backward) difference (f(x) - f(x - eps)) / eps; use the central difference "
            "(f(x + eps) - f(x - eps)) / (2 * eps)": lambda: _difference(f_plain, x, eps_value, kind="backward"),
            "the difference is divided by eps; the central difference divides by 2 * eps, the distance between "
            "x - eps and x + eps": lambda: _difference(f_plain, x, eps_value, kind="no_two"),
            "f is never evaluated at x - eps: the entry is moved to x + eps and back to x, so this is half a forward "
            "difference; move it to saved - eps for the second value":
                lambda: _difference(f_plain, x, eps_value, kind="half_forward"),
            "the entries are not put back: each f call must see x with exactly one entry moved, so restore the "
            "saved value before moving the next entry": lambda: _difference(f_plain, x, eps_value, restore=False),
            "the gradient is all zeros: f is evaluated at the unmoved x; call f on the array whose entry you moved":
                lambda: [np.zeros(shape)],
        }
        if eps is not None and eps != 1e-5:
            mistakes[f"the eps argument ({eps}) is ignored; use the eps you are given, not 1e-5"] = (
                lambda: _difference(f_plain, x, 1e-5))
        array = np.asarray(got, dtype=float) if not isinstance(got, np.ndarray) else got.astype(float)
        shape_hints = {"the gradient": {(size,): "return the gradient in x's shape, not flattened "
                                                 "(np.zeros_like(x), filled entry by entry)"}}
        _compare_outputs("numerical_gradient", [array], [expected], ["the gradient"], case=case,
                         mistakes=mistakes, shape_hints=shape_hints, tol=1e-7)


# ============================================================================ clip_by_global_norm
def _clip(grads, max_norm, *, norm="global", per_tensor=False, always=False, inverted=False,
          report="before", values=False):
    """Clipping as a student might write it; the defaults are tf.clip_by_global_norm."""
    norms = [float(np.sqrt(np.sum(g ** 2))) for g in grads]
    total = {"global": lambda: float(np.sqrt(sum(n ** 2 for n in norms))),
             "sum_of_norms": lambda: float(sum(norms)),
             "no_sqrt": lambda: float(sum(n ** 2 for n in norms)),
             "largest": lambda: float(max(norms)),
             "mean": lambda: float(np.sqrt(np.mean(np.concatenate([g.ravel() ** 2 for g in grads]))))}[norm]()
    if values:
        clipped = [np.clip(g, -max_norm, max_norm) for g in grads]
    elif per_tensor:
        clipped = [g * (max_norm / max(n, max_norm)) for g, n in zip(grads, norms)]
    elif always:
        clipped = [g * (max_norm / total) for g in grads]
    elif inverted:
        clipped = [g * (max(total, max_norm) / max_norm) for g in grads]
    else:
        clipped = [g * (max_norm / max(total, max_norm)) for g in grads]
    after = float(np.sqrt(sum(np.sum(c ** 2) for c in clipped)))
    return [*clipped, np.asarray(total if report == "before" else after)]


_CLIP_MISTAKES = {
    "each tensor is clipped by its own norm (what Keras's clipnorm does); clip_by_global_norm multiplies every "
    "tensor by one factor, max_norm / max(global_norm, max_norm), so the direction is kept": dict(per_tensor=True),
    "the norm returned is the norm after clipping; tf.clip_by_global_norm returns the global norm of the "
    "gradients before clipping": dict(report="after"),
    "the gradients are rescaled even when global_norm <= max_norm; then they must be left as they are (the "
    "factor is max_norm / max(global_norm, max_norm))": dict(always=True),
    "the global norm is the sum of the tensors' norms; it is sqrt(sum of their squared norms), the norm of all "
    "the numbers as one vector": dict(norm="sum_of_norms"),
    "the global norm is missing its square root: sqrt(sum of the squared norms)": dict(norm="no_sqrt"),
    "the largest tensor norm is used; the global norm is sqrt(sum of every tensor's squared norm)":
        dict(norm="largest"),
    "the squares are averaged; the global norm sums them: sqrt(sum of the squared norms)": dict(norm="mean"),
    "the factor is inverted: multiply by max_norm / max(global_norm, max_norm), not by global_norm / max_norm":
        dict(inverted=True),
    "every number is clipped to [-max_norm, max_norm] (that is clipvalue); clip_by_global_norm rescales whole "
    "tensors by one factor": dict(values=True),
}


def _clip_case(rng: np.random.Generator, case_index: int):
    count = 1 if case_index % 6 == 5 else int(rng.integers(2, 6))
    grads = []
    for _ in range(count):
        shape = tuple(int(v) for v in rng.integers(1, 5, size=int(rng.integers(1, 4))))
        grads.append(rng.normal(0.0, float(rng.uniform(0.2, 5.0)), size=shape))
    if case_index == 7:
        grads = [np.zeros_like(g) for g in grads]  # no gradient at all: global norm 0
    global_norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
    if case_index % 2 == 0:
        max_norm = global_norm * float(rng.uniform(0.05, 0.9))  # clipped
    else:
        max_norm = global_norm * float(rng.uniform(1.1, 3.0))  # left alone
    if global_norm == 0.0:
        max_norm = 1.0
    return grads, max_norm


def check_clip_by_global_norm(clip_by_global_norm) -> None:
    """clip_by_global_norm(grads, max_norm) returns (clipped, global_norm) as tf.clip_by_global_norm does."""
    verify_environment()
    for case_index in range(N_CASES):
        grads, max_norm = _clip_case(rng_for("clip_by_global_norm", case_index), case_index)
        clipped, global_norm = _clip_by_global_norm(grads, max_norm)
        given = [g.copy() for g in grads]
        with np.errstate(divide="ignore", invalid="ignore"):  # a 0 / 0 is judged by its NaN, not its warning
            got = call_student(clip_by_global_norm, "clip_by_global_norm", given, max_norm)
        shapes = ", ".join(str(g.shape) for g in grads)
        state = ("all zero" if global_norm == 0 else
                 "clipped" if global_norm > max_norm else "not clipped: global norm below max_norm")
        case = (f"{len(grads)} arrays of shapes {shapes}, global norm {global_norm:.4g}, "
                f"max_norm {max_norm:.4g} ({state})")
        if not isinstance(got, (list, tuple)) or len(got) != 2:
            raise CheckFailed("`clip_by_global_norm` must return the pair (clipped, global_norm), the list of clipped "
                              "arrays and the global norm before clipping, as tf.clip_by_global_norm does."
                              f"\n  case: {case}")
        out, norm = got
        if isinstance(norm, (list, tuple)) and not isinstance(out, (list, tuple)):
            raise CheckFailed("`clip_by_global_norm` returns (global_norm, clipped); the order is (clipped, "
                              f"global_norm), as in tf.clip_by_global_norm.\n  case: {case}")
        if not isinstance(out, (list, tuple)) or len(out) != len(grads):
            raise CheckFailed(f"`clip_by_global_norm`: clipped must be a list of {len(grads)} arrays, one per "
                              f"gradient, got {type(out).__name__}"
                              + (f" of {len(out)}" if isinstance(out, (list, tuple)) else "") + f".\n  case: {case}")
        if np.ndim(norm) != 0:
            raise CheckFailed(f"`clip_by_global_norm`: global_norm must be one number, got shape {np.shape(norm)}."
                              f"\n  case: {case}")
        changed = [i for i, (g, g0) in enumerate(zip(given, grads)) if not np.array_equal(g, g0)]
        if changed:
            raise CheckFailed(f"`clip_by_global_norm` modified the arrays it was given (grads[{changed[0]}]): return "
                              f"new arrays (g * factor), do not scale them in place (g *= factor).\n  case: {case}")
        arrays = [np.asarray(a, dtype=float) for a in out] + [np.asarray(norm, dtype=float)]
        if global_norm == 0.0 and not all(np.all(np.isfinite(a)) for a in arrays):
            raise CheckFailed("`clip_by_global_norm` returns NaN when every gradient is zero (global norm 0): "
                              "divide by max(global_norm, max_norm), never by global_norm alone, so the arrays "
                              f"are left as they are.\n  case: {case}")
        names = [f"clipped[{i}]" for i in range(len(grads))] + ["global_norm"]
        mistakes = {hint: (lambda options=options: _clip(grads, max_norm, **options))
                    for hint, options in _CLIP_MISTAKES.items()}
        _compare_outputs("clip_by_global_norm", arrays, [*clipped, np.asarray(global_norm)], names, case=case,
                         mistakes=mistakes)


__all__ = ["check_rnn_step_backward", "check_rnn_backward", "check_numerical_gradient", "check_clip_by_global_norm"]
