"""Keras's `Bidirectional` wrapper in numpy. Taught in chapters/04_deep_bidirectional.

What `keras.layers.Bidirectional(layer)` does, step by step:

1. it runs a copy of `layer` forward over x, and a second copy with `go_backwards=True`
   (separate weights: `bi.forward_layer.get_weights()`, `bi.backward_layer.get_weights()`);
2. both copies get `zero_output_for_mask = return_sequences`, so masked steps are zeros in
   a returned sequence whatever the wrapped layer said;
3. with return_sequences=True the backward sequence, which comes out in processing order
   (last step first), is flipped back so that position t of both halves refers to x[:, t];
4. the halves are merged by `merge_mode`; with return_state the states follow the output,
   forward states first: [output, *forward_states, *backward_states] (a list here; Keras
   returns a tuple).
"""

from __future__ import annotations

import numpy as np

from . import _validate
from .gru import gru_forward
from .lstm import lstm_forward
from .simple_rnn import simple_rnn_forward

# layer name -> (numpy forward function, names of its states, options it accepts in layer_options)
LAYERS = {
    "simple_rnn": (simple_rnn_forward, ("h",), ()),
    "lstm": (lstm_forward, ("h", "c"), ()),
    "gru": (gru_forward, ("h",), ("reset_after",)),
}
MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _merge(y, y_rev, merge_mode):
    """Combine the forward and (re-ordered) backward outputs as Bidirectional's merge_mode says."""
    if merge_mode == "concat":
        return np.concatenate([y, y_rev], axis=-1)  # (..., 2*units)
    if merge_mode == "sum":
        return y + y_rev  # (..., units)
    if merge_mode == "mul":
        return y * y_rev  # (..., units)
    if merge_mode == "ave":
        return (y + y_rev) / 2  # (..., units)
    return [y, y_rev]  # merge_mode=None: two (..., units) arrays


def bidirectional_forward(x, layer, forward_weights, backward_weights, *, merge_mode="concat",
                          return_sequences=False, return_state=False, mask=None, initial_state=None,
                          layer_options=None):
    """Run `keras.layers.Bidirectional` around a SimpleRNN, LSTM or GRU over x.

    Shapes: x (batch, timesteps, input_dim); forward_weights and backward_weights are the lists
    `bi.forward_layer.get_weights()` / `bi.backward_layer.get_weights()` return ([kernel,
    recurrent_kernel, bias]); layer is 'simple_rnn', 'lstm' or 'gru'; layer_options may hold
    {'reset_after': bool} for 'gru'; mask (batch, timesteps) bool; initial_state the flat
    Keras list [*forward_states, *backward_states], each (batch, units) (for LSTM [h_f, c_f,
    h_b, c_b]). Returns what Keras returns, in its order: the merged output -- (batch, 2*units)
    for 'concat', (batch, units) for 'sum'/'mul'/'ave', with a timesteps axis after batch when
    return_sequences -- or the list [forward, backward] for merge_mode=None; with return_state
    the list [*output(s), *forward_states, *backward_states]. Keras returns the same arrays, as
    tuples where this returns lists. Taught in chapters/04_deep_bidirectional.
    """
    _validate.choice("layer", layer, tuple(LAYERS))
    _validate.choice("merge_mode", merge_mode, MERGE_MODES)
    forward_fn, state_names, allowed_options = LAYERS[layer]
    layer_options = dict(layer_options or {})
    unknown = sorted(set(layer_options) - set(allowed_options))
    if unknown:
        raise ValueError(
            f"layer_options for layer={layer!r} may only hold {list(allowed_options)}, got {unknown}"
            + ("; return_sequences, return_state, mask and initial_state are arguments of "
               "bidirectional_forward itself" if set(unknown) & {"return_sequences", "return_state",
                                                                 "mask", "initial_state"} else "")
        )
    x = _validate.rnn_input(x)
    batch, timesteps, _ = x.shape
    mask = _validate.mask_array(mask, batch, timesteps)
    forward_weights = _validate.weight_list("forward_weights", forward_weights, "bi.forward_layer")
    backward_weights = _validate.weight_list("backward_weights", backward_weights, "bi.backward_layer")

    n_states = len(state_names)
    forward_state = backward_state = None
    if initial_state is not None:
        if isinstance(initial_state, np.ndarray) or not isinstance(initial_state, (list, tuple)) \
                or len(initial_state) != 2 * n_states:
            names = [f"{name}_forward" for name in state_names] + [f"{name}_backward" for name in state_names]
            got = len(initial_state) if isinstance(initial_state, (list, tuple)) else type(initial_state).__name__
            raise ValueError(
                f"initial_state for a bidirectional {layer} must be a list of {2 * n_states} arrays "
                f"[{', '.join(names)}], each (batch, units), got {got}"
            )
        forward_state, backward_state = list(initial_state[:n_states]), list(initial_state[n_states:])

    common = dict(mask=mask, return_sequences=return_sequences, return_state=return_state,
                  zero_output_for_mask=return_sequences, **layer_options)
    results = []
    for direction, weights, state, go_backwards in (("forward", forward_weights, forward_state, False),
                                                    ("backward", backward_weights, backward_state, True)):
        try:
            results.append(forward_fn(x, *weights, initial_state=state, go_backwards=go_backwards, **common))
        except (ValueError, TypeError) as err:  # say which half of the wrapper was given bad input
            raise type(err)(f"{direction} layer: {err}") from None
    y, y_rev = results
    forward_states = backward_states = []
    if return_state:
        y, *forward_states = y  # (batch, [timesteps,] units), n_states x (batch, units)
        y_rev, *backward_states = y_rev
    if return_sequences:
        y_rev = y_rev[:, ::-1, :]  # (batch, timesteps, units): back to the order of x
    output = _merge(y, y_rev, merge_mode)
    outputs = output if merge_mode is None else [output]
    if return_state:
        return [*outputs, *forward_states, *backward_states]
    return output
