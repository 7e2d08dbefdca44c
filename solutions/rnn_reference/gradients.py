"""Checking and clipping gradients, in numpy: the numerical gradient and clipping by the global norm.

`numerical_gradient` is how a hand-written backward pass is tested (chapters/06_lstm computes
BPTT; a08_bptt has students check theirs with it); `clip_by_global_norm` is
`tf.clip_by_global_norm`, the clipping Keras's `global_clipnorm` applies (chapters/09_training).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from . import _validate


def numerical_gradient(f: Callable[[np.ndarray], float], x, eps: float = 1e-5) -> np.ndarray:
    """Central-difference gradient of a scalar function f at x: (f(x + eps e_i) - f(x - eps e_i)) / (2 eps).

    Shapes: x any float array; returns an array of x's shape. f is called 2 * x.size times, each
    time with x itself (one entry moved by +-eps), and must return a scalar. Each entry is put back
    to its saved value, so x is bit-for-bit unchanged afterwards, even when f raises.
    Taught in chapters/06_lstm; graded in a08_bptt.
    """
    if not callable(f):
        raise TypeError(f"f must be a function of x returning a scalar, got {type(f).__name__}")
    if not isinstance(x, np.ndarray):
        raise TypeError(f"x must be a numpy array (its entries are moved in place and put back), "
                        f"got {type(x).__name__}")
    x = _validate.float_array("x", x)
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.floating, np.integer)) \
            or not math.isfinite(eps) or eps <= 0:
        raise ValueError(f"eps must be a positive finite number, got {eps!r}")
    if not x.flags.writeable:
        raise ValueError("x must be writeable: its entries are moved in place and put back")

    def value_at() -> float:
        value = np.asarray(f(x))
        if value.size != 1:
            raise ValueError(f"f must return a scalar, got an array of shape {value.shape}")
        return float(value.reshape(()))

    grad = np.zeros(x.shape, dtype=np.float64)  # x's shape
    for index in np.ndindex(x.shape):
        saved = x[index]
        try:
            x[index] = saved + eps
            above = value_at()
            x[index] = saved - eps
            below = value_at()
        finally:
            x[index] = saved  # the saved value, not saved + eps - eps: no rounding left behind
        grad[index] = (above - below) / (2 * eps)
    return grad


def clip_by_global_norm(grads: Sequence, max_norm: float) -> tuple[list, float]:
    """Scale every array by one factor so their global norm is at most max_norm: tf.clip_by_global_norm.

    grads: a list (or tuple) of float arrays of any shapes, or None entries. Returns (clipped,
    global_norm): clipped[i] = grads[i] * max_norm / max(global_norm, max_norm), a new array of
    grads[i]'s shape and dtype (None stays None), and global_norm = sqrt(sum ||grads[i]||^2)
    computed *before* clipping, a float. As in TensorFlow (tensorflow/python/ops/clip_ops.py):
    None entries are ignored; no entries give ([...], 0.0); a global norm of 0 leaves the arrays
    as they are; an infinite or NaN global norm makes every clipped entry NaN, to signal the
    error. Unlike TensorFlow, max_norm must be positive and finite (TF does not check, and with a
    negative max_norm it returns the arrays unscaled); the inputs are never modified.
    Taught in chapters/09_training; graded in a08_bptt.
    """
    if isinstance(grads, np.ndarray) or not isinstance(grads, (list, tuple)):
        raise TypeError(f"grads must be a list (or tuple) of arrays, got {type(grads).__name__}")
    if isinstance(max_norm, bool) or not isinstance(max_norm, (int, float, np.floating, np.integer)) \
            or not math.isfinite(max_norm) or max_norm <= 0:
        raise ValueError(f"max_norm must be a positive finite number, got {max_norm!r}")
    arrays = [None if g is None else _validate.float_array(f"grads[{i}]", g) for i, g in enumerate(grads)]
    with np.errstate(over="ignore", invalid="ignore"):  # an overflowing norm is inf, as in TF
        squares = [np.sum(np.square(g, dtype=np.float64)) for g in arrays if g is not None]
        global_norm = float(np.sqrt(np.sum(squares))) if squares else 0.0
    if math.isfinite(global_norm):
        scale = max_norm / max(global_norm, max_norm)  # 1.0 when global_norm <= max_norm
    else:
        scale = math.nan  # TF: `scale + (use_norm - use_norm)` turns an inf or NaN norm into NaN
    clipped = [None if g is None else np.asarray(g * scale).astype(g.dtype, copy=False) for g in arrays]
    return clipped, global_norm
