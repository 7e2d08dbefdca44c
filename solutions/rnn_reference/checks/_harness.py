"""What every hidden test shares: calling student code safely, comparing, and naming the mistake.

A check function (one per exercise function, in `checks/aN_*.py`) draws many random cases from a
fixed seed, computes the reference answer, calls the student's function through `call_student`,
and compares with `compare`. When the answer is wrong, `compare` tries a list of *mistake models*
(what a student who transposed the kernel, forgot the bias, ... would have returned) and names
the first one the student's output matches.

Failures are raised as `CheckFailed` (an AssertionError) whose message is written for the
student; it never contains the reference implementation or this module's source.
"""

from __future__ import annotations

import builtins
import sys
import threading
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
                "was expected: with return_state=True, return [output, *final_states] as Keras does."
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
    for hint, mistaken in (mistakes or {}).items():
        try:
            mistaken_arrays = mistaken()
        except Exception:  # a mistake model that does not apply to this case
            continue
        if not isinstance(mistaken_arrays, list):
            mistaken_arrays = [mistaken_arrays]
        if len(mistaken_arrays) == len(arrays) and all(
                close(a, m, tol) for a, m in zip(arrays, mistaken_arrays)):
            raise CheckFailed(f"`{name}` returns wrong values. Likely mistake: {hint}.\n  case: {case}")
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
