"""A stack of recurrent layers, as a `keras.Sequential` of them computes it.

Taught in chapters/04_deep_bidirectional.

Each layer reads the previous layer's output *sequence*, so every layer but the last must
return sequences. A mask (for example from `Masking` or `Embedding(mask_zero=True)`) reaches
every layer unchanged, as Keras propagates it -- even past a `go_backwards=True` layer, whose
output sequence is in reversed order while the mask is not reversed with it.
"""

from __future__ import annotations

from . import _validate
from .bidirectional import LAYERS, MERGE_MODES, bidirectional_forward

_LAYER_OPTIONS = ("return_sequences", "return_state", "go_backwards", "initial_state")
_BIDIRECTIONAL_OPTIONS = ("layer", "merge_mode", "return_sequences", "return_state", "initial_state",
                          "layer_options")
LAYER_NAMES = (*LAYERS, "bidirectional")


def _check_entry(index: int, entry, n_layers: int):
    """Unpack and check layers[index] = (layer_name, weights, options); return them with options a dict."""
    if not isinstance(entry, (list, tuple)) or len(entry) != 3:
        raise ValueError(f"layers[{index}] must be a (layer_name, weights, options) tuple, got {entry!r:.80}")
    layer_name, weights, options = entry
    if layer_name not in LAYER_NAMES:
        raise ValueError(
            f"layers[{index}]: layer_name must be one of {', '.join(map(repr, LAYER_NAMES))}; got {layer_name!r}")
    options = dict(options or {})
    allowed = _BIDIRECTIONAL_OPTIONS if layer_name == "bidirectional" else (
        _LAYER_OPTIONS + LAYERS[layer_name][2])
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ValueError(f"layers[{index}] ({layer_name}): unknown option(s) {unknown}; allowed: {list(allowed)}")
    if layer_name == "bidirectional":
        if "layer" not in options:
            raise ValueError(f"layers[{index}] (bidirectional): options must name the inner layer, "
                             f"e.g. {{'layer': 'lstm', 'merge_mode': 'concat'}}")
        if not isinstance(weights, (list, tuple)) or len(weights) != 2:
            raise ValueError(f"layers[{index}] (bidirectional): weights must be the pair "
                             "(forward_weights, backward_weights)")
    else:
        weights = _validate.weight_list(f"layers[{index}] weights", weights, "layer")
    if index < n_layers - 1:
        if not options.get("return_sequences", False):
            raise ValueError(
                f"layer {index} must return sequences (return_sequences=True) to feed layer {index + 1}")
        if options.get("return_state", False):
            raise ValueError(f"layer {index} has return_state=True; only the last layer of the stack "
                             "may return states")
        if layer_name == "bidirectional" and options.get("merge_mode", "concat") is None:
            raise ValueError(f"layer {index} (bidirectional) has merge_mode=None and returns two sequences; "
                             f"pick a merge_mode from {MERGE_MODES[:-1]} to feed layer {index + 1}")
    return layer_name, weights, options


def stacked_forward(x, layers, *, mask=None):
    """Run a stack of recurrent layers over x, each reading the previous layer's output sequence.

    Shapes: x (batch, timesteps, input_dim); layers a list of (layer_name, weights, options):
    layer_name 'simple_rnn', 'lstm', 'gru' with weights [kernel, recurrent_kernel, bias] (as
    `layer.get_weights()`) and options such as {'return_sequences': True, 'go_backwards': False,
    'reset_after': True}; or 'bidirectional' with weights (forward_weights, backward_weights)
    and options {'layer': 'lstm', 'merge_mode': 'concat', 'return_sequences': ...,
    'layer_options': {...}}; mask (batch, timesteps) bool. Returns the last layer's output, or
    its [output, *states] when it has return_state=True. Taught in chapters/04_deep_bidirectional.
    """
    if not isinstance(layers, (list, tuple)) or not layers:
        raise ValueError("layers must be a non-empty list of (layer_name, weights, options) tuples")
    checked = [_check_entry(index, entry, len(layers)) for index, entry in enumerate(layers)]
    output = x
    for index, (layer_name, weights, options) in enumerate(checked):
        try:
            if layer_name == "bidirectional":
                options = dict(options)
                inner = options.pop("layer")
                output = bidirectional_forward(output, inner, weights[0], weights[1], mask=mask, **options)
            else:
                output = LAYERS[layer_name][0](output, *weights, mask=mask, **options)
        except (ValueError, TypeError) as err:  # say which layer of the stack was given bad input
            raise type(err)(f"layer {index} ({layer_name}): {err}") from None
    return output
