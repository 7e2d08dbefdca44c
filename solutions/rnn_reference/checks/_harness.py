"""What every hidden test shares: calling student code safely, comparing, and naming the mistake.

A check function (one per exercise function, in `checks/aN_*.py`) draws many random cases from a
fixed seed, computes the reference answer, calls the student's function through `call_student`,
and compares with `compare`. When the answer is wrong, `compare` tries a list of *mistake models*
(what a student who transposed the kernel, forgot the bias, ... would have returned) and names
the first one the student's output matches.

Failures are raised as `CheckFailed` (an AssertionError) whose message is written for the
student; it never contains the reference implementation or this module's source.

Everything two check modules need lives here, once: the random cases (`rng_for`, `uniform`,
`recurrent_weights`), the shape hints of recurrent outputs, the options of the forward parts, naming
a mistake (`compare`, `matching_mistakes`), explaining a crash (`call_student_explained`), code that
student functions may call (`compile_outside`), the held-out split of a data set (`crc32_heldout`) and
the trained-model guard's reading of the notebook (`notebook_uses_reference`). What needs Keras is in
`_keras.py`, so that the numpy assignments never import TensorFlow.
"""

from __future__ import annotations

import builtins
import sys
import threading
import zlib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import numpy as np

_PACKAGE_DIR = str(Path(__file__).resolve().parent.parent)  # .../rnn_reference


class CheckFailed(AssertionError):
    """A hidden test failed; the message is meant for the student."""


class UsedReference(CheckFailed):
    """The student's function called into rnn_reference instead of computing the answer itself."""


# --------------------------------------------------------------------------------------------
# The environment must be the genuine one: a notebook that monkeypatches numpy or the assert
# helpers before the hidden tests run must not be able to turn a failure into a pass.
# --------------------------------------------------------------------------------------------
_NUMPY_DIR = str(Path(np.__file__).resolve().parent)
_GUARDED_NUMPY = ("allclose", "isclose", "array_equal", "abs", "max", "asarray", "all", "any",
                  "isfinite", "stack", "zeros", "where", "tanh")
_GUARDED_TESTING = ("assert_allclose", "assert_array_equal", "assert_array_almost_equal",
                    "assert_equal", "assert_almost_equal")
_GUARDED_BUILTINS = ("isinstance", "abs", "max", "min", "len", "callable", "AssertionError",
                     "Exception", "print", "range", "zip", "float", "int", "__import__")
_BUILTINS_SNAPSHOT = {name: getattr(builtins, name) for name in _GUARDED_BUILTINS}


def _is_genuine_numpy(obj) -> bool:
    if isinstance(obj, (np.ufunc, type)) or type(obj).__name__ in {"builtin_function_or_method",
                                                                  "_ArrayFunctionDispatcher"}:
        return True
    code = getattr(obj, "__code__", None)
    if code is None:
        wrapped = getattr(obj, "__wrapped__", None)
        return wrapped is not None and _is_genuine_numpy(wrapped)
    return str(Path(code.co_filename).resolve()).startswith(_NUMPY_DIR)


def verify_environment() -> None:
    """Raise CheckFailed when numpy, numpy.testing, builtins or these checks were replaced."""
    import numpy.testing

    replaced = [f"numpy.{n}" for n in _GUARDED_NUMPY if not _is_genuine_numpy(getattr(np, n, None))]
    replaced += [f"numpy.testing.{n}" for n in _GUARDED_TESTING
                 if not _is_genuine_numpy(getattr(numpy.testing, n, None))]
    replaced += [f"builtins.{n}" for n, obj in _BUILTINS_SNAPSHOT.items() if getattr(builtins, n, None) is not obj]
    if sys.getprofile() is not None and getattr(sys.getprofile(), "__module__", "") != __name__:
        replaced.append("sys.setprofile hook")
    for module_name, module in list(sys.modules.items()):
        if not module_name.startswith("rnn_reference.checks.") or module is None:
            continue
        for name in getattr(module, "__all__", ()):
            fn = getattr(module, name, None)
            if isinstance(fn, type):
                continue
            code = getattr(fn, "__code__", None)
            if code is None or not str(Path(code.co_filename).resolve()).startswith(_PACKAGE_DIR):
                replaced.append(f"{module_name}.{name}")
    if replaced:
        raise CheckFailed(
            "The grading environment was modified before the hidden tests ran ("
            + ", ".join(replaced)
            + " replaced). Hidden tests cannot be trusted in a modified environment, so this test "
            "scores 0. Remove any code that reassigns library functions."
        )


# --------------------------------------------------------------------------------------------
# Calling student code
# --------------------------------------------------------------------------------------------
def _reference_frames_hook(flag: list):
    def hook(frame, event, arg):
        if event == "call" and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
            flag.append(frame.f_code.co_name)
    hook.__module__ = __name__
    return hook


def call_student(fn: Callable, name: str, *args, **kwargs):
    """Call the student's `fn`; refuse it when it runs any rnn_reference code; explain crashes."""
    if not callable(fn):
        raise CheckFailed(f"`{name}` must be a function, got {type(fn).__name__}")
    used: list[str] = []
    hook = _reference_frames_hook(used)
    previous = sys.getprofile()
    sys.setprofile(hook)
    threading.setprofile(hook)
    try:
        result = fn(*args, **kwargs)
    except NotImplementedError:
        raise CheckFailed(f"`{name}` is not implemented yet: it still raises NotImplementedError.") from None
    except CheckFailed:
        raise
    except Exception as err:  # the student's crash, reported as a failed test with the inputs
        raise CheckFailed(
            f"`{name}` raised {type(err).__name__}: {err}\n  on inputs: {describe_inputs(args, kwargs)}"
        ) from None
    finally:
        sys.setprofile(previous)
        threading.setprofile(None)
    if used:
        raise UsedReference(
            f"`{name}` calls the reference package (rnn_reference.{used[0]}). Your solution must compute "
            "the answer itself, so this test scores 0. Remove the rnn_reference import and write the code."
        )
    return result


def describe_inputs(args: Iterable, kwargs: Mapping) -> str:
    """A short description of call arguments: shapes for arrays, values for the rest."""
    def one(value):
        if isinstance(value, np.ndarray):
            return f"array{value.shape}"
        if isinstance(value, (list, tuple)):
            inner = ", ".join(one(v) for v in value[:6]) + (", ..." if len(value) > 6 else "")
            return ("[" + inner + "]") if isinstance(value, list) else ("(" + inner + ")")
        text = repr(value)
        return text if len(text) <= 80 else text[:77] + "..."
    parts = [one(a) for a in args] + [f"{k}={one(v)}" for k, v in kwargs.items()]
    return "(" + ", ".join(parts) + ")"


def call_student_explained(fn: Callable, name: str, *args, explain: Callable[[str], str], **kwargs):
    """call_student, with the message of a failed call (a crash, not implemented) rewritten by `explain`.

    `explain(message)` returns the message to raise instead, e.g. with a likely mistake appended.
    A call that uses the reference package is refused unchanged.
    """
    try:
        return call_student(fn, name, *args, **kwargs)
    except UsedReference:
        raise
    except CheckFailed as failure:
        raise CheckFailed(explain(str(failure))) from None


def compile_outside(source: str, filename: str, namespace: dict) -> dict:
    """Run `source` in `namespace` as code of `filename`, not of this package; return the namespace.

    call_student refuses a student function that runs any frame of rnn_reference. A function the
    check hands to student code (a fake model) or wraps around it (a watch on Keras) is compiled
    here under a file name of its own, so that calling it is not taken for using the reference.
    """
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 -- our own source, not the student's
    return namespace


# --------------------------------------------------------------------------------------------
# Comparing, with mistake models
# --------------------------------------------------------------------------------------------
def _as_arrays(value, expected_count: int, name: str) -> list[np.ndarray]:
    """Turn a student's return value into a list of arrays, explaining a wrong structure."""
    if expected_count == 1:
        if isinstance(value, (list, tuple)):
            raise CheckFailed(
                f"`{name}` returned a {type(value).__name__} of {len(value)} items where one array was "
                "expected: with return_state=False, return only the output array."
            )
        values = [value]
    else:
        if not isinstance(value, (list, tuple)):
            raise CheckFailed(
                f"`{name}` returned a single {type(value).__name__} where a list of {expected_count} arrays "
                "was expected: with return_state=True, return (output, *final_states) as Keras does."
            )
        if len(value) != expected_count:
            raise CheckFailed(f"`{name}` returned {len(value)} items, expected {expected_count}.")
        values = list(value)
    arrays = []
    for item in values:
        try:
            array = np.asarray(item, dtype=float)
        except (TypeError, ValueError):
            raise CheckFailed(f"`{name}` returned {type(item).__name__}, which is not a numeric array.") from None
        arrays.append(array)
    return arrays


def close(a: np.ndarray, b: np.ndarray, tol: float = 1e-5) -> bool:
    """True when a and b have the same shape and agree to `tol` (absolute and relative)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return False
    return bool(np.all(np.abs(a - b) <= tol + tol * np.abs(b)))


def matching_mistakes(mistakes: Mapping[str, Callable[[], object]], matches: Callable[[object], bool], *,
                      first: bool = False) -> list[str]:
    """The hints whose mistake model returns what the student returned (`matches(model())`), in order.

    A mistake model that raises does not apply to the case and matches nothing. With `first`, stop at
    the first match (the likeliest mistake is listed first).
    """
    hints = []
    for hint, mistaken in mistakes.items():
        try:
            answer = mistaken()
        except Exception:  # a mistake model that does not apply to this case
            continue
        if matches(answer):
            hints.append(hint)
            if first:
                break
    return hints


def compare(name: str, got, expected: list[np.ndarray], *, case: str,
            mistakes: Mapping[str, Callable[[], object]] | None = None,
            shape_hints: Mapping[tuple, str] | None = None, tol: float = 1e-5) -> None:
    """Compare a student's return value with the reference; raise CheckFailed naming the mistake.

    `expected` is the list of reference arrays (one unless the function returns states).
    `mistakes` maps a hint to a zero-argument function computing what that mistake would return;
    they are evaluated lazily, only when the answer is wrong. `shape_hints` maps a wrong shape
    (tuple) to a hint.
    """
    arrays = _as_arrays(got, len(expected), name)
    for index, (array, want) in enumerate(zip(arrays, expected)):
        which = f"output[{index}]" if len(expected) > 1 else "the output"
        if array.shape != want.shape:
            hint = (shape_hints or {}).get(array.shape)
            raise CheckFailed(
                f"`{name}`: {which} has shape {array.shape}, expected {want.shape}"
                + (f": {hint}" if hint else "") + f".\n  case: {case}"
            )
        if not np.all(np.isfinite(array)):
            raise CheckFailed(f"`{name}`: {which} contains NaN or inf.\n  case: {case}")
    if all(close(a, w, tol) for a, w in zip(arrays, expected)):
        return
    def same(mistaken_arrays) -> bool:
        if not isinstance(mistaken_arrays, list):
            mistaken_arrays = [mistaken_arrays]
        return len(mistaken_arrays) == len(arrays) and all(
            close(a, m, tol) for a, m in zip(arrays, mistaken_arrays))

    hints = matching_mistakes(mistakes or {}, same, first=True)
    if hints:
        raise CheckFailed(f"`{name}` returns wrong values. Likely mistake: {hints[0]}.\n  case: {case}")
    worst = max(float(np.max(np.abs(a - w))) if a.size else 0.0 for a, w in zip(arrays, expected))
    raise CheckFailed(
        f"`{name}` returns wrong values (largest difference {worst:.3g}); no common mistake matches, "
        f"so compare your code with the equations step by step.\n  case: {case}"
    )


def rng_for(check_name: str, case_index: int) -> np.random.Generator:
    """A deterministic generator per (check, case): re-grading gives the same cases and score."""
    seed = [case_index] + [ord(ch) for ch in check_name]
    return np.random.default_rng(seed)


def uniform(rng: np.random.Generator, shape, scale: float = 1.0, dtype=np.float64) -> np.ndarray:
    """Random weights or inputs in [-scale, scale)."""
    return (rng.uniform(-scale, scale, size=shape)).astype(dtype)


def recurrent_weights(rng: np.random.Generator, input_dim: int, units: int, *, blocks: int = 1,
                      bias_shape: tuple | None = None) -> list[np.ndarray]:
    """[kernel (input_dim, blocks*units), recurrent_kernel (units, blocks*units), bias], in [-1, 1).

    Keras's layout of `layer.get_weights()`: blocks=1 for SimpleRNN, 4 for LSTM, 3 for GRU; the bias
    is (blocks*units,) unless `bias_shape` says otherwise (a GRU with reset_after=True: (2, 3*units)).
    """
    width = blocks * units
    return [uniform(rng, (input_dim, width)), uniform(rng, (units, width)), uniform(rng, bias_shape or (width,))]


def copies(arrays) -> list[np.ndarray]:
    """Fresh copies of arrays handed to a student function (which may modify its arguments)."""
    return [np.array(a, copy=True) for a in arrays]


def sigmoid(z):
    """The logistic function, without overflow warnings for large negative z (a mistake model may meet them)."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def identity(z):
    return z


def require_part(part: str, parts) -> None:
    """ValueError when a hidden test names a `part` its check does not have (a mistake in the notebook)."""
    if part not in parts:
        raise ValueError(f"part must be one of {sorted(parts)}, got {part!r}")


# The three parts of a forward-pass check (SimpleRNN in a01, LSTM and GRU in a04): the options each passes.
FORWARD_PARTS = {
    "last_step": dict(return_sequences=False, return_state=False),
    "sequences": dict(return_sequences=True, return_state=False),
    "state": None,  # return_state=True, with and without return_sequences and initial_state
}


def forward_options(part: str, case_index: int) -> dict:
    """The return_sequences / return_state options of one case of a forward-pass part."""
    return dict(FORWARD_PARTS[part] or dict(return_sequences=bool(case_index % 2), return_state=True))


def describe_options(options: Mapping) -> str:
    return ", ".join(f"{k}={v}" for k, v in options.items())


BATCH_DROPPED = "did you drop the batch axis? Keep the first axis (batch)"


def sequence_shape_hints(expected_shape: tuple) -> dict:
    """Hints for the wrong shapes of a (batch, units) state or a (batch, timesteps, units) sequence."""
    hints = {tuple(expected_shape[1:]): BATCH_DROPPED}
    if len(expected_shape) == 3:
        batch, timesteps, units = expected_shape
        hints[(batch, units)] = ("you returned only the last step; with return_sequences=True return the "
                                 "hidden state of every step, (batch, timesteps, units)")
        hints[(batch, units, timesteps)] = "the time and units axes are swapped"
        hints[(timesteps, batch, units)] = "the batch and time axes are swapped: stack the steps along axis 1"
    return hints


def last_step_shape_hints(batch: int, timesteps: int, units: int) -> dict:
    """Hints for the wrong shapes of the last step, (batch, units), of a return_sequences=False layer."""
    return {(batch, timesteps, units): "you returned every step; with return_sequences=False return only the "
                                       "last hidden state, (batch, units)",
            (units,): BATCH_DROPPED}


def forward_shape_hints(expected_shape: tuple, batch: int, timesteps: int, units: int) -> dict:
    """The shape hints of a forward pass's output: of a sequence or of the last step."""
    if len(expected_shape) == 3:
        return sequence_shape_hints(expected_shape)
    return last_step_shape_hints(batch, timesteps, units)


# --------------------------------------------------------------------------------------------
# Held-out data: what a trained model is scored on, never shipped to students
# --------------------------------------------------------------------------------------------
def crc32_heldout(texts: list[str], every: int, units: Callable[[str], Iterable[str]]) -> list[bool]:
    """Which of `texts` are held out: crc32(text) % every == 0, and every unit of it occurs in training.

    `units(text)` gives what a model must have seen (a06: the characters; a07: the words); a candidate
    with a unit that only held-out texts contain stays in training, since the model could not read it.
    The split depends on each text alone, so it is the same on every machine and every run.
    """
    candidate = [zlib.crc32(text.encode("utf-8")) % every == 0 for text in texts]
    seen = {unit for text, held in zip(texts, candidate) if not held for unit in units(text)}
    return [held and set(units(text)) <= seen for text, held in zip(texts, candidate)]


# --------------------------------------------------------------------------------------------
# Trained models: the notebook's own code must not use the reference package
# --------------------------------------------------------------------------------------------
def notebook_uses_reference() -> str:
    """The first line of the notebook's executed cells that uses rnn_reference ('' if none or not in IPython).

    A trained model is not a function call_student can watch, so a check that scores one (a6, a7) reads
    the kernel's input history instead: training on data loaded with the reference package (which could
    include held-out examples) scores 0. Lines importing the hidden tests' checks are allowed.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return ""
    shell = get_ipython()
    if shell is None:
        return ""
    import re

    hidden_import = re.compile(r"from rnn_reference\.checks\.a\w+ import check_\w+(, check_\w+)*")
    for source in shell.user_ns.get("In", []) or []:
        for line in str(source).splitlines():
            if "rnn_reference" in line and not hidden_import.fullmatch(line.strip()):
                return line.strip()
    return ""
