"""The four kinds of sequence task as Keras models: many-to-one, tagging, one-to-many, encoder-decoder.

Taught in chapters/03_rnn_tasks; assignment a09_sequence_tasks grades a student's version of each.

Every builder returns a built, uncompiled Keras model whose output is a softmax distribution:

- `build_many_to_one`: ids (batch, timesteps) -> (batch, num_classes), from the last hidden state;
- `build_many_to_many`: ids (batch, timesteps) -> (batch, timesteps, num_tags), one per step;
- `build_one_to_many`: a vector (batch, input_dim) -> (batch, timesteps, vocab_size), via RepeatVector;
- `build_encoder_decoder`: [source ids (batch, Ts), target ids (batch, Tt)] -> (batch, Tt, tgt_vocab),
  the decoder starting from the encoder's final state.

The time axes of the id inputs are None, so one model reads sequences of any length. Keras is
imported inside the functions: importing this module does not load TensorFlow.
"""

from __future__ import annotations


def _sizes(function: str, **sizes) -> None:
    """ValueError unless every size is a positive int."""
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{function}: {name} must be a positive int, got {value!r}")


def _softmax_width(function: str, name: str, value: int) -> None:
    """ValueError unless a softmax has at least 2 outputs (over one class it is always 1)."""
    if value < 2:
        raise ValueError(f"{function}: {name} must be at least 2 (a softmax over {value} class always "
                         f"outputs 1), got {value}")


def build_many_to_one(vocab_size, embed_dim, units, num_classes):
    """Embedding -> SimpleRNN (last state) -> Dense softmax: ids (batch, timesteps) -> (batch, num_classes).

    Taught in chapters/03_rnn_tasks (many-to-one: sentiment classification).
    """
    _sizes("build_many_to_one", vocab_size=vocab_size, embed_dim=embed_dim, units=units, num_classes=num_classes)
    _softmax_width("build_many_to_one", "num_classes", num_classes)
    import keras

    ids = keras.Input(shape=(None,), dtype="int32", name="ids")               # (batch, timesteps)
    vectors = keras.layers.Embedding(vocab_size, embed_dim)(ids)              # (batch, timesteps, embed_dim)
    h = keras.layers.SimpleRNN(units)(vectors)                                # (batch, units): last step
    probabilities = keras.layers.Dense(num_classes, activation="softmax")(h)  # (batch, num_classes)
    return keras.Model(ids, probabilities, name="many_to_one")


def build_many_to_many(vocab_size, embed_dim, units, num_tags):
    """A tagger: Embedding -> SimpleRNN(return_sequences) -> Dense softmax per step: (batch, timesteps, num_tags).

    Taught in chapters/03_rnn_tasks (synchronized many-to-many: tagging).
    """
    _sizes("build_many_to_many", vocab_size=vocab_size, embed_dim=embed_dim, units=units, num_tags=num_tags)
    _softmax_width("build_many_to_many", "num_tags", num_tags)
    import keras

    ids = keras.Input(shape=(None,), dtype="int32", name="ids")                  # (batch, timesteps)
    vectors = keras.layers.Embedding(vocab_size, embed_dim)(ids)                 # (batch, timesteps, embed_dim)
    h = keras.layers.SimpleRNN(units, return_sequences=True)(vectors)            # (batch, timesteps, units)
    probabilities = keras.layers.Dense(num_tags, activation="softmax")(h)        # (batch, timesteps, num_tags)
    return keras.Model(ids, probabilities, name="many_to_many")


def build_one_to_many(input_dim, units, timesteps, vocab_size):
    """A captioner: one vector (batch, input_dim) -> RepeatVector -> SimpleRNN -> (batch, timesteps, vocab_size).

    Taught in chapters/03_rnn_tasks (one-to-many: image captioning).
    """
    _sizes("build_one_to_many", input_dim=input_dim, units=units, timesteps=timesteps, vocab_size=vocab_size)
    _softmax_width("build_one_to_many", "vocab_size", vocab_size)
    import keras

    features = keras.Input(shape=(input_dim,), name="features")                 # (batch, input_dim)
    repeated = keras.layers.RepeatVector(timesteps)(features)                   # (batch, timesteps, input_dim)
    h = keras.layers.SimpleRNN(units, return_sequences=True)(repeated)          # (batch, timesteps, units)
    probabilities = keras.layers.Dense(vocab_size, activation="softmax")(h)     # (batch, timesteps, vocab_size)
    return keras.Model(features, probabilities, name="one_to_many")


def build_encoder_decoder(src_vocab, tgt_vocab, embed_dim, units):
    """Encoder-decoder: [source (batch, Ts), target (batch, Tt)] ids -> (batch, Tt, tgt_vocab).

    The encoder's final state (return_state=True) is the decoder's initial_state, the only path from
    the source to the output; the decoder reads the target ids (teacher forcing). Ts and Tt are free.
    Taught in chapters/03_rnn_tasks (sequence-to-sequence: translation).
    """
    _sizes("build_encoder_decoder", src_vocab=src_vocab, tgt_vocab=tgt_vocab, embed_dim=embed_dim, units=units)
    _softmax_width("build_encoder_decoder", "tgt_vocab", tgt_vocab)
    import keras

    source = keras.Input(shape=(None,), dtype="int32", name="source")           # (batch, Ts)
    target = keras.Input(shape=(None,), dtype="int32", name="target")           # (batch, Tt)
    source_vectors = keras.layers.Embedding(src_vocab, embed_dim)(source)       # (batch, Ts, embed_dim)
    _, state = keras.layers.SimpleRNN(units, return_state=True, name="encoder")(source_vectors)  # (batch, units)
    target_vectors = keras.layers.Embedding(tgt_vocab, embed_dim)(target)       # (batch, Tt, embed_dim)
    h = keras.layers.SimpleRNN(units, return_sequences=True, name="decoder")(
        target_vectors, initial_state=state)                                    # (batch, Tt, units)
    probabilities = keras.layers.Dense(tgt_vocab, activation="softmax")(h)      # (batch, Tt, tgt_vocab)
    return keras.Model([source, target], probabilities, name="encoder_decoder")


__all__ = ["build_many_to_one", "build_many_to_many", "build_one_to_many", "build_encoder_decoder"]
