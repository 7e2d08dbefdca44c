"""The time loop every recurrent layer shares: masking, go_backwards and Keras's return conventions.

A layer supplies only its cell, `step(x_t, states) -> (output_t, new_states)`; this module runs it
over the time axis exactly as Keras 3's TensorFlow backend does (`keras.src.backend.tensorflow.rnn`):

- the sequence is processed from the last step to the first when `go_backwards=True`, and the
  returned sequence stays in *processing* order (Keras does not re-reverse it);
- at a masked step the states are carried over unchanged and the output is the previous step's
  output (zeros before the first step), or zeros when `zero_output_for_mask=True`
  (which `Bidirectional` switches on for layers that return sequences);
- the result is one array, or with `return_state=True` the list `[output, *final_states]` (Keras
  returns the same arrays as a tuple).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

Step = Callable[[np.ndarray, list[np.ndarray]], tuple[np.ndarray, list[np.ndarray]]]


def run(step: Step, x: np.ndarray, states: Sequence[np.ndarray], *, mask: np.ndarray | None = None,
        return_sequences: bool = False, return_state: bool = False, go_backwards: bool = False,
        zero_output_for_mask: bool = False):
    """Run `step` over x (batch, timesteps, input_dim) from `states`; returns Keras's outputs."""
    states = list(states)
    timesteps = x.shape[1]
    order = range(timesteps - 1, -1, -1) if go_backwards else range(timesteps)
    outputs = []  # one (batch, units) array per processed step
    prev_output = None
    for t in order:
        output, new_states = step(x[:, t, :], states)  # (batch, units), [(batch, units), ...]
        if mask is not None:
            keep = mask[:, t][:, None]  # (batch, 1)
            if zero_output_for_mask:
                output = np.where(keep, output, 0.0)
            else:
                output = np.where(keep, output, 0.0 if prev_output is None else prev_output)
            new_states = [np.where(keep, new, old) for new, old in zip(new_states, states)]
        states = list(new_states)
        prev_output = output
        outputs.append(output)
    result = np.stack(outputs, axis=1) if return_sequences else outputs[-1]  # (batch, T, units) | (batch, units)
    if return_state:
        return [result, *states]
    return result
