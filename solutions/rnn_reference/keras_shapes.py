"""What Keras's recurrent layers return, and a stacked model built from a plain-data spec.

Taught in chapters/02_keras_shapes and chapters/04_deep_bidirectional.

`keras_output_shapes` reasons out the shapes a `SimpleRNN`, `LSTM` or `GRU` call returns (optionally
wrapped in `Bidirectional`), without running Keras. `build_stacked_model` builds a
`keras.Sequential` from a small spec, with `return_sequences=True` on every recurrent layer but the
last. Assignment a02_keras_outputs grades both. The only reference module that uses Keras: it
imports Keras inside `build_stacked_model`, so importing this module does not load TensorFlow.
"""

from __future__ import annotations

RECURRENT = ("simple_rnn", "lstm", "gru")
N_STATES = {"simple_rnn": 1, "lstm": 2, "gru": 1}  # an LSTM carries h and c; the others only h
SPEC_KEYS = ("input_shape", "layers", "dense_units")
LAYER_KEYS = ("layer", "units", "bidirectional")


def keras_output_shapes(layer, units, batch_size, timesteps, input_dim, *, return_sequences=False,
                        return_state=False, bidirectional=False) -> list[tuple]:
    """The shapes of what a Keras recurrent layer returns on x (batch_size, timesteps, input_dim), as a list.

    layer: 'simple_rnn', 'lstm' or 'gru'; bidirectional=True wraps it in
    `keras.layers.Bidirectional` (merge_mode='concat'). batch_size and timesteps may be None
    (any size), as in `keras.Input(shape=(None, input_dim))`. Always returns a list of tuples:
    one shape without return_state, else [output, *states] -- Keras's order, forward states before
    backward ones. A state is always (batch_size, units): return_sequences changes only the output,
    and concat merges only the output.
    Taught in chapters/02_keras_shapes (return_sequences, return_state),
    chapters/04_deep_bidirectional (Bidirectional), chapters/06_lstm and
    chapters/08_reading_outputs (an LSTM's two states; the order of a Bidirectional layer's).

    >>> keras_output_shapes("lstm", 8, 4, 10, 3, return_state=True)
    [(4, 8), (4, 8), (4, 8)]
    >>> keras_output_shapes("gru", 8, 4, 10, 3, return_sequences=True, bidirectional=True)
    [(4, 10, 16)]
    """
    if layer not in RECURRENT:
        raise ValueError(f"layer must be one of {', '.join(map(repr, RECURRENT))}, got {layer!r}")
    for name, value, allow_none in (("units", units, False), ("batch_size", batch_size, True),
                                    ("timesteps", timesteps, True), ("input_dim", input_dim, False)):
        if value is None and allow_none:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int{' or None' if allow_none else ''}, got {value!r}")
    directions = 2 if bidirectional else 1
    features = directions * units  # concat puts the forward and backward outputs side by side
    output = (batch_size, timesteps, features) if return_sequences else (batch_size, features)
    if not return_state:
        return [output]
    states = [(batch_size, units)] * (N_STATES[layer] * directions)  # [h(, c)] forward, then backward
    return [output, *states]


def _check_spec(spec) -> tuple[tuple, list[dict], int]:
    """Validate a build_stacked_model spec; return (input_shape, layers, dense_units)."""
    if not isinstance(spec, dict):
        raise TypeError(f"spec must be a dict with keys {', '.join(SPEC_KEYS)}, got {type(spec).__name__}")
    unknown = sorted(set(spec) - set(SPEC_KEYS))
    missing = [key for key in SPEC_KEYS if key not in spec]
    if unknown or missing:
        raise ValueError(f"spec must have exactly the keys {', '.join(SPEC_KEYS)}; "
                         f"missing {missing}, unknown {unknown}")
    input_shape = tuple(spec["input_shape"])
    if len(input_shape) != 2:
        raise ValueError(f"spec['input_shape'] must be (timesteps, input_dim), got {spec['input_shape']!r}")
    layers = spec["layers"]
    if not isinstance(layers, (list, tuple)) or not layers:
        raise ValueError("spec['layers'] must be a non-empty list of recurrent layer dicts")
    for index, entry in enumerate(layers):
        if not isinstance(entry, dict) or set(entry) - set(LAYER_KEYS) or not {"layer", "units"} <= set(entry):
            raise ValueError(f"spec['layers'][{index}] must be a dict like "
                             f"{{'layer': 'lstm', 'units': 8, 'bidirectional': False}}, got {entry!r}")
        if entry["layer"] not in RECURRENT:
            raise ValueError(f"spec['layers'][{index}]['layer'] must be one of {RECURRENT}, got {entry['layer']!r}")
    return input_shape, list(layers), int(spec["dense_units"])


def build_stacked_model(spec):
    """A keras.Sequential for `spec`: Input, the recurrent layers in order, then Dense(dense_units).

    spec = {"input_shape": (timesteps, input_dim),            # timesteps may be None
            "layers": [{"layer": "lstm", "units": 16, "bidirectional": True},
                       {"layer": "gru", "units": 8}],        # "bidirectional" defaults to False
            "dense_units": 1}

    Every recurrent layer but the last gets return_sequences=True, so that the next one receives a
    sequence; the last returns only its final output, (batch, units) -- (batch, 2 * units) when
    bidirectional, since Bidirectional concatenates both directions. The Dense layer has no
    activation. The output shape is (None, dense_units). Taught in chapters/04_deep_bidirectional.
    """
    import keras

    input_shape, layers, dense_units = _check_spec(spec)
    classes = {"simple_rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}
    stack = [keras.Input(shape=input_shape)]  # (batch, timesteps, input_dim)
    for index, entry in enumerate(layers):
        is_last = index == len(layers) - 1
        recurrent = classes[entry["layer"]](entry["units"], return_sequences=not is_last)
        stack.append(keras.layers.Bidirectional(recurrent) if entry.get("bidirectional", False) else recurrent)
    stack.append(keras.layers.Dense(dense_units))  # (batch, dense_units)
    return keras.Sequential(stack)


__all__ = ["keras_output_shapes", "build_stacked_model"]
