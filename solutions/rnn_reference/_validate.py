"""Argument checks shared by every layer: clear errors instead of numpy broadcasting failures.

Every message names the argument, the expected shape and the shape received, so a student
(or an instructor reading a grading log) can see what went wrong without a debugger.
"""

from __future__ import annotations

import numpy as np


def float_array(name: str, value, ndim: int | None = None, shape_doc: str = "") -> np.ndarray:
    """Return `value` as a floating-point ndarray, or raise a TypeError/ValueError naming `name`."""
    if isinstance(value, np.ndarray):
        array = value
    else:
        try:
            array = np.asarray(value)
        except (ValueError, TypeError) as err:  # ragged lists and the like
            raise TypeError(f"{name} must be a numeric array, could not convert it: {err}") from None
    if array.dtype.kind != "f":
        raise TypeError(
            f"{name} must be a floating-point array (float32 or float64), got dtype {array.dtype}"
            + (": cast it with .astype('float32')" if array.dtype.kind in "iub" else "")
        )
    if ndim is not None and array.ndim != ndim:
        raise ValueError(
            f"{name} must be {ndim}-D{' ' + shape_doc if shape_doc else ''}, got shape {array.shape}"
        )
    return array


def rnn_input(x) -> np.ndarray:
    """Check that `x` is a float array of shape (batch, timesteps, input_dim) with timesteps >= 1."""
    x = float_array("x", x, ndim=3, shape_doc="(batch, timesteps, input_dim)")
    if x.shape[1] < 1:
        raise ValueError(f"x must have at least one time step, got shape {x.shape}")
    return x


def weights(layer: str, x: np.ndarray, kernel, recurrent_kernel, bias, *, blocks: int,
            bias_shape=None) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Check the three weight arrays against `x`, in the layout `layer.get_weights()` returns.

    `blocks` is the number of weight blocks stacked along the last axis (1 for SimpleRNN,
    4 for LSTM, 3 for GRU). Returns the arrays and `units`.
    """
    input_dim = x.shape[-1]
    recurrent_kernel = float_array("recurrent_kernel", recurrent_kernel, ndim=2,
                                   shape_doc=f"(units, {blocks}*units)" if blocks > 1 else "(units, units)")
    units = recurrent_kernel.shape[0]
    width = blocks * units
    if recurrent_kernel.shape != (units, width):
        raise ValueError(
            f"{layer}: recurrent_kernel must have shape (units, {blocks}*units) = ({units}, {width}), "
            f"got {recurrent_kernel.shape}"
            + (": for this layer the last axis holds the gate blocks side by side" if blocks > 1 else "")
        )
    kernel = float_array("kernel", kernel, ndim=2, shape_doc="(input_dim, blocks*units)")
    if kernel.shape != (input_dim, width):
        hint = ""
        if kernel.shape == (width, input_dim):
            hint = ": it looks transposed (Keras stores the kernel as (input_dim, units))"
        elif kernel.shape[0] != input_dim:
            hint = f": its first axis must match x's input_dim ({input_dim})"
        raise ValueError(
            f"{layer}: kernel must have shape (input_dim, {'%d*units' % blocks if blocks > 1 else 'units'})"
            f" = ({input_dim}, {width}), got {kernel.shape}{hint}"
        )
    expected_bias = bias_shape if bias_shape is not None else (width,)
    bias = float_array("bias", bias)
    if bias.shape != tuple(expected_bias):
        raise ValueError(f"{layer}: bias must have shape {tuple(expected_bias)}, got {bias.shape}")
    return kernel, recurrent_kernel, bias, units


def mask_array(mask, batch: int, timesteps: int) -> np.ndarray | None:
    """Check a boolean mask of shape (batch, timesteps); None passes through."""
    if mask is None:
        return None
    mask = np.asarray(mask)
    if mask.dtype != bool:
        raise TypeError(f"mask must be a boolean array of shape (batch, timesteps), got dtype {mask.dtype}")
    if mask.shape != (batch, timesteps):
        raise ValueError(f"mask must have shape (batch, timesteps) = ({batch}, {timesteps}), got {mask.shape}")
    return mask


def state_arrays(initial_state, batch: int, units: int, names: tuple[str, ...]) -> list[np.ndarray] | None:
    """Check initial states: one (batch, units) array per name; a bare array is accepted for one state."""
    if initial_state is None:
        return None
    if isinstance(initial_state, np.ndarray) or not isinstance(initial_state, (list, tuple)):
        initial_state = [initial_state]
    if len(initial_state) != len(names):
        raise ValueError(
            f"initial_state must hold {len(names)} array(s) ({', '.join(names)}), got {len(initial_state)}"
        )
    states = []
    for name, state in zip(names, initial_state):
        state = float_array(f"initial_state ({name})", state, ndim=2, shape_doc="(batch, units)")
        if state.shape != (batch, units):
            raise ValueError(
                f"initial_state ({name}) must have shape (batch, units) = ({batch}, {units}), got {state.shape}"
            )
        states.append(state)
    return states


def choice(name: str, value, allowed) -> None:
    """Raise a ValueError when `value` is not one of `allowed`."""
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(repr(a) for a in allowed)}; got {value!r}")


def weight_list(name: str, value, layer: str, count: int = 3) -> list:
    """Check a `layer.get_weights()`-style list: exactly `count` arrays [kernel, recurrent_kernel, bias]."""
    if isinstance(value, np.ndarray) or not isinstance(value, (list, tuple)):
        raise TypeError(
            f"{name} must be the list {layer}.get_weights() returns, [kernel, recurrent_kernel, bias], "
            f"got {type(value).__name__}"
        )
    if len(value) != count:
        raise ValueError(
            f"{name} must hold {count} arrays [kernel, recurrent_kernel, bias] as {layer}.get_weights() "
            f"returns them, got {len(value)}"
        )
    return list(value)


def positive_int(name: str, value) -> int:
    """Return `value` as an int if it is a positive integer; bools, floats and 0 are rejected by name."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be a positive int, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive int (>= 1), got {value}")
    return int(value)
