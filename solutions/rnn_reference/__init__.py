"""rnn_reference: the course's reference solutions, in readable numpy.

Chapters demonstrate these functions and the hidden tests grade students against them
(`rnn_reference.checks`). Nothing here imports TensorFlow except `keras_shapes` and
`sequence_tasks`, each loaded only when one of its names is asked for (and importing Keras only
inside its functions).

Names are loaded lazily: `from rnn_reference import lstm_forward` imports `lstm.py` only.
"""

from __future__ import annotations

import importlib

# public name -> module that defines it (one module per topic, as the chapters are organised)
_EXPORTS = {
    "simple_rnn_cell": "simple_rnn",
    "simple_rnn_forward": "simple_rnn",
    "lstm_forward": "lstm",
    "lstm_cell": "lstm",
    "sigmoid": "lstm",
    "gru_forward": "gru",
    "gru_cell": "gru",
    "bidirectional_forward": "bidirectional",
    "stacked_forward": "stacked",
    "simple_rnn_backward": "bptt",
    "gradient_norms_through_time": "bptt",
    "lstm_backward": "bptt",
    "lstm_gradient_norms_through_time": "bptt",
    "rnn_step_backward": "bptt",
    "rnn_backward": "bptt",
    "numerical_gradient": "gradients",
    "clip_by_global_norm": "gradients",
    "build_many_to_one": "sequence_tasks",
    "build_many_to_many": "sequence_tasks",
    "build_one_to_many": "sequence_tasks",
    "build_encoder_decoder": "sequence_tasks",
    "simple_rnn_params": "params",
    "lstm_params": "params",
    "gru_params": "params",
    "embedding_params": "params",
    "dense_params": "params",
    "bidirectional_params": "params",
    "count_params": "params",
    "ParamCount": "params",
    "build_char_vocab": "data",
    "pad_sequences": "data",
    "encode_and_pad": "data",
    "make_lm_sequences": "data",
    "split_inputs_targets": "data",
    "sample_next": "data",
    "build_word_vocab": "data",
    "load_corpus": "data",
    "load_char_sentiment": "data",
    "load_reviews": "data",
    "data_dir": "data",
    "set_seed": "utils",
    "keras_output_shapes": "keras_shapes",
    "build_stacked_model": "keras_shapes",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'rnn_reference' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(list(globals()) + __all__)
