"""Parameter counts of recurrent models, by formula, as `model.count_params()` reports them.

Taught in chapters/05_counting_parameters (the stacked and Bidirectional examples come from
chapters/04_deep_bidirectional). Every formula is (inputs + recurrent inputs + bias) x outputs,
once per weight block in the Keras layout:

    SimpleRNN   units * (input_dim + units + 1)
    LSTM        4 * units * (input_dim + units + 1)            (gates i, f, c, o)
    GRU         3 * units * (input_dim + units + 2)            reset_after=True (Keras default:
                3 * units * (input_dim + units + 1)            two bias rows), reset_after=False
    Embedding   input_dim * output_dim                         (one row per token id)
    Dense       input_dim * units + units                      (no "+ units" without bias)
    Bidirectional(layer)   2 * params(layer)                   (a forward and a backward copy)

`count_params` applies them to a whole Sequential stack written as plain data (see its
docstring for the format). Never imports TensorFlow: safe on the grading path of numpy assignments.
"""

from __future__ import annotations

from typing import NamedTuple

from . import _validate

RECURRENT = ("simple_rnn", "lstm", "gru")
LAYERS = ("embedding", *RECURRENT, "dense", "bidirectional")
MERGE_MODES = ("concat", "sum", "mul", "ave")

# "SimpleRNN", "simple_rnn", "simplernn" all mean the same layer
_ALIASES = {name.replace("_", ""): name for name in LAYERS}

# the keys each layer dict may carry (besides "layer" and "name"); anything else is a typo
_KEYS = {
    "embedding": {"input_dim", "output_dim"},
    "simple_rnn": {"units", "return_sequences", "input_dim"},
    "lstm": {"units", "return_sequences", "input_dim"},
    "gru": {"units", "return_sequences", "reset_after", "input_dim"},
    "dense": {"units", "use_bias", "input_dim"},
    "bidirectional": {"inner", "merge_mode", "input_dim"},
}


def simple_rnn_params(units: int, input_dim: int) -> int:
    """Parameters of `SimpleRNN(units)` on inputs of size input_dim: units * (input_dim + units + 1).

    kernel (input_dim, units) + recurrent_kernel (units, units) + bias (units,).
    Taught in chapters/05_counting_parameters.

    >>> simple_rnn_params(3, input_dim=10)        # SimpleRNN(3, input_shape=(2, 10))
    42
    >>> simple_rnn_params(3, 5), simple_rnn_params(3, 3)   # two stacked SimpleRNN(3)
    (27, 21)
    >>> simple_rnn_params(128, 100)               # after Embedding(5000, 100)
    29312
    """
    units = _validate.positive_int("units", units)
    input_dim = _validate.positive_int("input_dim", input_dim)
    return units * input_dim + units * units + units


def lstm_params(units: int, input_dim: int) -> int:
    """Parameters of `LSTM(units)` on inputs of size input_dim: 4 * units * (input_dim + units + 1).

    kernel (input_dim, 4*units) + recurrent_kernel (units, 4*units) + bias (4*units,), one block
    per gate. Taught in chapters/05_counting_parameters.

    >>> lstm_params(3, 5)
    108
    >>> lstm_params(128, 100)
    117248
    """
    units = _validate.positive_int("units", units)
    input_dim = _validate.positive_int("input_dim", input_dim)
    return 4 * (units * input_dim + units * units + units)


def gru_params(units: int, input_dim: int, reset_after: bool = True) -> int:
    """Parameters of `GRU(units, reset_after=...)`: 3 * units * (input_dim + units + bias rows).

    kernel (input_dim, 3*units) + recurrent_kernel (units, 3*units) + bias: shape (2, 3*units)
    with reset_after=True (Keras's default: separate input and recurrent biases) or (3*units,)
    with reset_after=False. Taught in chapters/05_counting_parameters.

    >>> gru_params(3, 5)                     # Keras default, reset_after=True
    90
    >>> gru_params(3, 5, reset_after=False)  # the original GRU paper's form
    81
    """
    units = _validate.positive_int("units", units)
    input_dim = _validate.positive_int("input_dim", input_dim)
    if not isinstance(reset_after, bool):
        raise TypeError(f"reset_after must be True or False, got {type(reset_after).__name__} {reset_after!r}")
    bias_rows = 2 if reset_after else 1
    return 3 * (units * input_dim + units * units + bias_rows * units)


def embedding_params(input_dim: int, output_dim: int) -> int:
    """Parameters of `Embedding(input_dim, output_dim)`: one output_dim vector per token id.

    input_dim is the vocabulary size (number of token ids, padding id 0 included), as in Keras.
    Taught in chapters/05_counting_parameters.

    >>> embedding_params(5000, 100)
    500000
    """
    input_dim = _validate.positive_int("input_dim", input_dim)
    output_dim = _validate.positive_int("output_dim", output_dim)
    return input_dim * output_dim


def dense_params(input_dim: int, units: int, use_bias: bool = True) -> int:
    """Parameters of `Dense(units)` on inputs of size input_dim: input_dim * units (+ units bias).

    On a 3-D input (batch, timesteps, input_dim) Dense acts on the last axis, with the same
    weights at every step, so the count does not depend on timesteps.
    Taught in chapters/05_counting_parameters.

    >>> dense_params(128, 1)
    129
    >>> dense_params(128, 1, use_bias=False)
    128
    """
    input_dim = _validate.positive_int("input_dim", input_dim)
    units = _validate.positive_int("units", units)
    if not isinstance(use_bias, bool):
        raise TypeError(f"use_bias must be True or False, got {type(use_bias).__name__} {use_bias!r}")
    return input_dim * units + (units if use_bias else 0)


def bidirectional_params(inner_params: int) -> int:
    """Parameters of `Bidirectional(layer)`: twice the wrapped layer's, one copy per direction.

    The merge mode (concat, sum, ...) adds no weights; it only changes the output size that the
    next layer sees (2*units for concat).
    Taught in chapters/04_deep_bidirectional and chapters/05_counting_parameters.

    >>> bidirectional_params(simple_rnn_params(128, 10))   # Bidirectional(SimpleRNN(128)) on (2, 10)
    35584
    """
    inner_params = _validate.positive_int("inner_params", inner_params)
    return 2 * inner_params


class ParamCount(NamedTuple):
    """What `count_params` returns: `per_layer` [(name, count), ...] in stack order, and `total`."""

    per_layer: list[tuple[str, int]]
    total: int

    def summary(self) -> str:
        """A small table like the "Param #" column of `model.summary()`."""
        width = max([len("Layer")] + [len(name) for name, _ in self.per_layer])
        lines = [f"{'Layer':<{width}}  {'Param #':>12}"]
        lines += [f"{name:<{width}}  {count:>12,}" for name, count in self.per_layer]
        lines.append(f"{'Total':<{width}}  {self.total:>12,}")
        return "\n".join(lines)


def count_params(spec) -> ParamCount:
    """Count the parameters of a Sequential stack described as plain data, layer by layer.

    `spec` is a list with one dict per layer, in order, using Keras's argument names.
    Taught in chapters/05_counting_parameters.

        {"layer": "embedding", "input_dim": vocab_size, "output_dim": dim}   (first layer only)
        {"layer": "simple_rnn" | "lstm" | "gru", "units": n,
         "return_sequences": False, "reset_after": True (gru only)}
        {"layer": "dense", "units": n, "use_bias": True}
        {"layer": "bidirectional", "inner": {<a simple_rnn / lstm / gru dict>},
         "merge_mode": "concat" | "sum" | "mul" | "ave"}

    Keys after the first two are optional, with Keras's defaults. The input size of every layer
    comes from the layer before it, so only the first layer needs one: an Embedding's input is
    token ids, anything else takes `"input_dim"`: the number of features per time step, as in
    `keras.Input(shape=(timesteps, input_dim))` (the textbook's `input_shape=(2, 10)` means
    input_dim 10; timesteps never changes a count). Layer names are case- and
    underscore-insensitive ("SimpleRNN" works); an optional "name" key labels the row, otherwise
    rows are named as Keras names a new model's layers (simple_rnn, simple_rnn_1, ...).

    A recurrent layer needs a sequence: one placed after a recurrent layer that does not return
    sequences raises ValueError, as Keras would. Returns a ParamCount (per_layer, total).

    >>> count_params([{"layer": "simple_rnn", "units": 3, "input_dim": 10}]).total
    42
    >>> count_params([{"layer": "simple_rnn", "units": 3, "input_dim": 5, "return_sequences": True},
    ...               {"layer": "simple_rnn", "units": 3}]).per_layer
    [('simple_rnn', 27), ('simple_rnn_1', 21)]
    >>> count_params([{"layer": "bidirectional", "inner": {"layer": "simple_rnn", "units": 128},
    ...                "input_dim": 10}]).total
    35584
    >>> deep = [{"layer": "bidirectional", "input_dim": 10,
    ...          "inner": {"layer": "simple_rnn", "units": 128, "return_sequences": True}}]
    >>> deep += [{"layer": "bidirectional",
    ...           "inner": {"layer": "simple_rnn", "units": 128, "return_sequences": True}}] * 3
    >>> count_params(deep).total
    331264
    >>> result = count_params([{"layer": "embedding", "input_dim": 5000, "output_dim": 100},
    ...                        {"layer": "simple_rnn", "units": 128},
    ...                        {"layer": "dense", "units": 1}])
    >>> result.per_layer
    [('embedding', 500000), ('simple_rnn', 29312), ('dense', 129)]
    >>> result.total
    529441
    >>> count_params([{"layer": "gru", "units": 3, "input_dim": 5}]).total
    90
    >>> count_params([{"layer": "gru", "units": 3, "input_dim": 5, "reset_after": False}]).total
    81
    """
    if isinstance(spec, dict) or not isinstance(spec, (list, tuple)):
        raise TypeError(
            "spec must be a list of layer dicts, e.g. [{'layer': 'simple_rnn', 'units': 3, "
            f"'input_dim': 10}}], got {type(spec).__name__}"
        )
    if not spec:
        raise ValueError("spec must describe at least one layer, got an empty list")

    per_layer: list[tuple[str, int]] = []
    used_names: dict[str, int] = {}
    features: int | None = None  # size of the last axis of the current tensor
    is_sequence: bool | None = None  # 3-D (batch, timesteps, features)? None: unknown (first Dense)
    previous = ""
    for index, layer in enumerate(spec):
        where = f"spec[{index}]"
        kind = _layer_kind(where, layer, allowed=LAYERS)
        _check_keys(where, layer, kind)
        if kind == "bidirectional" and isinstance(layer.get("inner"), dict) and "input_dim" in layer["inner"]:
            raise ValueError(f"{where}['inner']: put input_dim on the bidirectional dict itself, not on the "
                             "layer it wraps")
        if kind == "embedding" and index > 0:
            raise ValueError(f"{where}: an embedding takes token ids, so it must be the first layer")
        if "input_dim" in layer and index > 0:
            raise ValueError(
                f"{where}: only the first layer takes input_dim; {kind} gets its input size "
                f"from the layer before it ({previous})"
            )
        if index == 0 and kind != "embedding":
            if "input_dim" not in layer:
                raise ValueError(
                    f"{where}: the first layer ({kind}) needs input_dim, the number of features "
                    "per time step (the last number of keras.Input(shape=(timesteps, input_dim)))"
                )
            features = _validate.positive_int(f"{where} input_dim", layer["input_dim"])
            is_sequence = True if kind != "dense" else None
        if kind in (*RECURRENT, "bidirectional") and is_sequence is False:
            raise ValueError(
                f"{where}: {kind} needs a sequence (batch, timesteps, features), but the layer "
                f"before it ({previous}) returns only its last output: give it return_sequences=True"
            )

        if kind == "embedding":
            count = embedding_params(_get_int(where, layer, "input_dim"), _get_int(where, layer, "output_dim"))
            features, is_sequence = layer["output_dim"], True
        elif kind == "dense":
            units = _get_int(where, layer, "units")
            count = dense_params(features, units, use_bias=_get_bool(where, layer, "use_bias", True))
            features = units
        elif kind in RECURRENT:
            count, features, is_sequence = _recurrent(where, layer, kind, features)
        else:  # bidirectional
            inner = layer.get("inner")
            if inner is None:
                raise ValueError(f"{where}: bidirectional needs 'inner', the recurrent layer dict it wraps")
            inner_where = f"{where}['inner']"
            inner_kind = _layer_kind(inner_where, inner, allowed=RECURRENT)
            _check_keys(inner_where, inner, inner_kind, extra_forbidden=("input_dim", "name"))
            inner_count, units, is_sequence = _recurrent(inner_where, inner, inner_kind, features)
            count = bidirectional_params(inner_count)
            merge_mode = layer.get("merge_mode", "concat")
            if merge_mode is None:
                raise ValueError(f"{where}: merge_mode=None (two separate outputs) cannot feed a Sequential "
                                 f"stack; use one of {', '.join(repr(m) for m in MERGE_MODES)}")
            _validate.choice(f"{where} merge_mode", merge_mode, MERGE_MODES)
            features = 2 * units if merge_mode == "concat" else units

        name = layer.get("name")
        if name is None:
            seen = used_names.get(kind, 0)
            name = kind if seen == 0 else f"{kind}_{seen}"
            used_names[kind] = seen + 1
        elif not isinstance(name, str) or not name:
            raise TypeError(f"{where}: name must be a non-empty str, got {name!r}")
        per_layer.append((name, count))
        previous = f"spec[{index}], {kind}"
    return ParamCount(per_layer, sum(count for _, count in per_layer))


def _layer_kind(where: str, layer, allowed) -> str:
    """The canonical layer name of a layer dict, or a clear error."""
    if not isinstance(layer, dict):
        raise TypeError(
            f"{where} must be a dict like {{'layer': 'lstm', 'units': 8}}, got {type(layer).__name__}"
        )
    if "layer" not in layer:
        raise ValueError(f"{where} needs a 'layer' key, one of {', '.join(allowed)}; got keys {sorted(layer)}")
    raw = layer["layer"]
    kind = _ALIASES.get(raw.lower().replace("_", "")) if isinstance(raw, str) else None
    if kind not in allowed:
        raise ValueError(f"{where}: unknown layer {raw!r}; expected one of {', '.join(allowed)}")
    return kind


def _check_keys(where: str, layer: dict, kind: str, extra_forbidden=()) -> None:
    """Reject keys a layer does not take (a typo such as 'unit' would otherwise be ignored)."""
    allowed = (_KEYS[kind] | {"layer", "name"}) - set(extra_forbidden)
    unknown = sorted(set(layer) - allowed)
    if unknown:
        raise ValueError(
            f"{where}: {kind} does not take {', '.join(repr(k) for k in unknown)}; "
            f"its keys are {', '.join(sorted(allowed))}"
        )


def _get_int(where: str, layer: dict, key: str) -> int:
    if key not in layer:
        raise ValueError(f"{where}: {layer['layer']!r} needs {key!r}")
    return _validate.positive_int(f"{where} {key}", layer[key])


def _get_bool(where: str, layer: dict, key: str, default: bool) -> bool:
    value = layer.get(key, default)
    if not isinstance(value, bool):
        raise TypeError(f"{where} {key} must be True or False, got {type(value).__name__} {value!r}")
    return value


def _recurrent(where: str, layer: dict, kind: str, input_dim: int) -> tuple[int, int, bool]:
    """(params, units, return_sequences) of a SimpleRNN / LSTM / GRU layer dict."""
    units = _get_int(where, layer, "units")
    return_sequences = _get_bool(where, layer, "return_sequences", False)
    if kind == "simple_rnn":
        count = simple_rnn_params(units, input_dim)
    elif kind == "lstm":
        count = lstm_params(units, input_dim)
    else:
        count = gru_params(units, input_dim, reset_after=_get_bool(where, layer, "reset_after", True))
    return count, units, return_sequences
