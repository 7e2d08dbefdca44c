"""The a09_sequence_tasks reference and the check logic the notebook round trip does not reach.

- the reference builders give built, uncompiled models of the promised shapes whose outputs are
  distributions, for any lengths; their encoder-decoder depends on the source; bad sizes are refused;
- what the checks rely on in Keras 3 itself: an Embedding fed an id past its last row raises on the
  CPU with the message the checks (and the notebook's helper) read; a Sequential without keras.Input
  has no inputs until it is called;
- messages for what tests/cases/a09_sequence_tasks.py does not submit: a tuple or None instead of a
  model, a model with two outputs or one input too few, outputs above 1, and models whose output
  ignores what it must depend on (the ids, the input vector, the target) or repeats one distribution;
- importing the reference module does not import TensorFlow.

The checks themselves run on the notebook's cells in tests/test_checks_notebooks.py, with every case
of tests/cases/a09_sequence_tasks.py.
"""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

from conftest import tool_env


@pytest.fixture(scope="module")
def keras():
    from rnn_reference.checks._keras import load_keras

    return load_keras()


def _numpy(keras, tensor):
    return np.asarray(keras.ops.convert_to_numpy(tensor))


def _check_fails(check, builder, *fragments, **kwargs):
    from rnn_reference.checks import CheckFailed

    with pytest.raises(CheckFailed) as info:
        check(builder, **kwargs)
    message = str(info.value)
    missing = [fragment for fragment in fragments if fragment not in message]
    assert not missing, f"message {message!r} lacks {missing}"
    return message


# --------------------------------------------------------------------------------------------
# The reference
# --------------------------------------------------------------------------------------------
def test_reference_models_have_the_promised_outputs(keras):
    from rnn_reference.sequence_tasks import (build_encoder_decoder, build_many_to_many, build_many_to_one,
                                              build_one_to_many)

    rng = np.random.default_rng(0)
    for _ in range(2):
        vocab, embed, units, k = (int(v) for v in rng.integers(2, 12, size=4))
        for length in (1, int(rng.integers(2, 9))):
            ids = rng.integers(0, vocab, size=(3, length))  # (batch, timesteps)
            one = _numpy(keras, build_many_to_one(vocab, embed, units, k)(ids))
            tags = _numpy(keras, build_many_to_many(vocab, embed, units, k)(ids))
            assert one.shape == (3, k) and tags.shape == (3, length, k)
            for out in (one, tags):
                assert np.allclose(out.sum(axis=-1), 1, atol=1e-5) and out.min() >= 0
        timesteps = int(rng.integers(1, 7))
        caption = _numpy(keras, build_one_to_many(embed, units, timesteps, k)(rng.normal(size=(3, embed))))
        assert caption.shape == (3, timesteps, k) and np.allclose(caption.sum(axis=-1), 1, atol=1e-5)
        src_vocab, tgt_vocab = vocab, k
        model = build_encoder_decoder(src_vocab, tgt_vocab, embed, units)
        assert [tuple(i.shape) for i in model.inputs] == [(None, None), (None, None)]
        assert not model.compiled
        source, target = rng.integers(0, src_vocab, size=(3, 4)), rng.integers(0, tgt_vocab, size=(3, 6))
        out = _numpy(keras, model([source, target]))
        assert out.shape == (3, 6, tgt_vocab) and np.allclose(out.sum(axis=-1), 1, atol=1e-5)
        other = _numpy(keras, model([(source + 1) % src_vocab, target]))
        assert np.abs(other - out).max() > 0  # the source reaches the decoder through the state


@pytest.mark.parametrize("function, args, fragment", [
    ("build_many_to_one", (0, 4, 8, 3), "vocab_size must be a positive int, got 0"),
    ("build_many_to_one", (10, 4, 8, 1), "num_classes must be at least 2"),
    ("build_many_to_many", (10, 4.0, 8, 3), "embed_dim must be a positive int, got 4.0"),
    ("build_one_to_many", (6, 8, True, 12), "timesteps must be a positive int, got True"),
    ("build_encoder_decoder", (8, 1, 4, 6), "tgt_vocab must be at least 2"),
    ("build_encoder_decoder", (8, 11, 4, -6), "units must be a positive int, got -6"),
])
def test_reference_refuses_bad_sizes(function, args, fragment):
    import rnn_reference.sequence_tasks as reference

    with pytest.raises(ValueError, match=re.escape(fragment)):
        getattr(reference, function)(*args)


def test_importing_the_reference_does_not_load_tensorflow():
    code = ("import sys, rnn_reference\n"
            "from rnn_reference import build_many_to_one, build_encoder_decoder\n"
            "import rnn_reference.checks.a09_sequence_tasks\n"
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TensorFlow was imported'\n")
    result = subprocess.run([sys.executable, "-c", code], env=tool_env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]


# --------------------------------------------------------------------------------------------
# What the checks read from Keras
# --------------------------------------------------------------------------------------------
def test_an_id_past_the_embedding_raises_with_the_message_the_checks_read(keras):
    """Keras 3 on TensorFlow (CPU): an id == input_dim raises, naming the id and the rows; -1 wraps around."""
    from rnn_reference.checks.a09_sequence_tasks import _explain_crash

    embedding = keras.layers.Embedding(5, 3)
    with pytest.raises(Exception) as info:
        embedding(np.array([[0, 5]], dtype="int32"))
    assert re.search(r"indices\[[^\]]*\] = 5 is not in \[0, 5\)", str(info.value)), str(info.value)
    hint = _explain_crash(info.value, {"vocab_size": 6}, {"vocab_size": 6, "embed_dim": 3})
    assert "one row short" in hint and "input_dim=vocab_size" in hint
    last, wrapped = _numpy(keras, embedding(np.array([[4, -1]], dtype="int32")))[0]
    assert np.array_equal(last, wrapped)  # so the checks feed ids from 0 up, never negative ones


def test_a_sequential_without_input_has_no_inputs_until_called(keras):
    from rnn_reference.checks.a09_sequence_tasks import check_build_many_to_one

    def unbuilt(vocab_size, embed_dim, units, num_classes):
        return keras.Sequential([keras.layers.Embedding(vocab_size, embed_dim), keras.layers.SimpleRNN(units),
                                 keras.layers.Dense(num_classes, activation="softmax")])

    model = unbuilt(5, 2, 3, 2)
    with pytest.raises(AttributeError):
        model.inputs
    _check_fails(check_build_many_to_one, unbuilt, "not built", "keras.Input(shape=(None,), dtype='int32')")
    model(np.zeros((1, 4), dtype="int32"))
    assert model.inputs  # built by the call: why the check asks before it calls


# --------------------------------------------------------------------------------------------
# Messages for what the cases do not submit
# --------------------------------------------------------------------------------------------
def test_not_a_model(keras):
    from rnn_reference.checks.a09_sequence_tasks import check_build_many_to_many, check_build_one_to_many

    def as_tuple(vocab_size, embed_dim, units, num_tags):
        ids = keras.Input(shape=(None,), dtype="int32")
        out = keras.layers.Dense(num_tags, activation="softmax")(keras.layers.Embedding(vocab_size, embed_dim)(ids))
        return keras.Model(ids, out), ids

    _check_fails(check_build_many_to_many, as_tuple, "returned a tuple of 2 items", "the Keras model itself")
    _check_fails(check_build_one_to_many, lambda *sizes: None, "returned NoneType", "must return a Keras model")


def test_a_model_that_returns_its_states_too(keras):
    from rnn_reference.checks.a09_sequence_tasks import check_build_encoder_decoder

    def with_state(src_vocab, tgt_vocab, embed_dim, units):
        source = keras.Input(shape=(None,), dtype="int32")
        target = keras.Input(shape=(None,), dtype="int32")
        _, state = keras.layers.SimpleRNN(units, return_state=True)(keras.layers.Embedding(src_vocab, embed_dim)(source))
        decoded = keras.layers.SimpleRNN(units, return_sequences=True)(
            keras.layers.Embedding(tgt_vocab, embed_dim)(target), initial_state=state)
        return keras.Model([source, target], [keras.layers.Dense(tgt_vocab, activation="softmax")(decoded), state])

    _check_fails(check_build_encoder_decoder, with_state, "returns 2 outputs", "only the probabilities")


def test_an_encoder_decoder_with_one_input(keras):
    from rnn_reference.checks.a09_sequence_tasks import check_build_encoder_decoder

    def one_input(src_vocab, tgt_vocab, embed_dim, units):
        source = keras.Input(shape=(None,), dtype="int32")
        decoded = keras.layers.SimpleRNN(units, return_sequences=True)(keras.layers.Embedding(src_vocab, embed_dim)(source))
        return keras.Model(source, keras.layers.Dense(tgt_vocab, activation="softmax")(decoded))

    _check_fails(check_build_encoder_decoder, one_input, "1 input(s), expected 2", "keras.Model([source, target]",
                 part="state")


def test_values_above_one(keras):
    from rnn_reference.checks.a09_sequence_tasks import check_build_many_to_one

    def exponential(vocab_size, embed_dim, units, num_classes):
        return keras.Sequential([keras.Input(shape=(None,), dtype="int32"), keras.layers.Embedding(vocab_size, embed_dim),
                                 keras.layers.SimpleRNN(units), keras.layers.Dense(num_classes, activation="exponential")])

    _check_fails(check_build_many_to_one, exponential, "values above 1", "activation='softmax'")


def test_a_many_to_one_model_that_ignores_the_ids(keras):
    from rnn_reference.checks.a09_sequence_tasks import check_build_many_to_one

    def ignores_ids(vocab_size, embed_dim, units, num_classes):
        ids = keras.Input(shape=(None,), dtype="int32")
        h = keras.layers.SimpleRNN(units)(keras.layers.Embedding(vocab_size, embed_dim)(ids))
        return keras.Model(ids, keras.layers.Dense(num_classes, activation="softmax")(keras.ops.zeros_like(h) + 1.0))

    _check_fails(check_build_many_to_one, ignores_ids, "every sequence of a batch gets the same distribution")


def test_a_tagger_that_repeats_one_distribution(keras):
    from rnn_reference.checks.a09_sequence_tasks import check_build_many_to_many

    def repeats(vocab_size, embed_dim, units, num_tags):
        ids = keras.Input(shape=(None,), dtype="int32")
        h = keras.layers.SimpleRNN(units)(keras.layers.Embedding(vocab_size, embed_dim)(ids))  # (batch, units)
        p = keras.layers.Dense(num_tags, activation="softmax")(h)                            # (batch, num_tags)
        steps = keras.ops.expand_dims(keras.ops.ones_like(ids, dtype="float32"), -1)         # (batch, timesteps, 1)
        return keras.Model(ids, keras.ops.expand_dims(p, 1) * steps)                         # (batch, timesteps, num_tags)

    _check_fails(check_build_many_to_many, repeats, "every step of a sentence gets the same tag distribution")


def test_a_captioner_that_ignores_its_vector(keras):
    from rnn_reference.checks.a09_sequence_tasks import check_build_one_to_many

    def ignores_vector(input_dim, units, timesteps, vocab_size):
        features = keras.Input(shape=(input_dim,))
        steps = keras.layers.RepeatVector(timesteps)(keras.ops.zeros_like(features) + 1.0)
        h = keras.layers.SimpleRNN(units, return_sequences=True)(steps)
        return keras.Model(features, keras.layers.Dense(vocab_size, activation="softmax")(h))

    _check_fails(check_build_one_to_many, ignores_vector, "two different input vectors give the same output")


def test_a_decoder_that_ignores_the_target(keras):
    from rnn_reference.checks.a09_sequence_tasks import check_build_encoder_decoder

    def ignores_target(src_vocab, tgt_vocab, embed_dim, units):
        source = keras.Input(shape=(None,), dtype="int32")
        target = keras.Input(shape=(None,), dtype="int32")
        _, state = keras.layers.SimpleRNN(units, return_state=True)(keras.layers.Embedding(src_vocab, embed_dim)(source))
        blank = keras.ops.zeros_like(keras.layers.Embedding(tgt_vocab, embed_dim)(target))  # (batch, Tt, embed_dim)
        decoded = keras.layers.SimpleRNN(units, return_sequences=True)(blank, initial_state=state)
        return keras.Model([source, target], keras.layers.Dense(tgt_vocab, activation="softmax")(decoded))

    _check_fails(check_build_encoder_decoder, ignores_target, "a different target with the same source",
                 part="state")
    check_build_encoder_decoder(ignores_target, part="outputs")  # its shapes and distributions are right: only the state part fails


def test_the_checks_give_the_same_message_on_every_run(keras):
    from rnn_reference.checks.a09_sequence_tasks import check_build_many_to_one

    def sigmoid(vocab_size, embed_dim, units, num_classes):
        return keras.Sequential([keras.Input(shape=(None,), dtype="int32"), keras.layers.Embedding(vocab_size, embed_dim),
                                 keras.layers.SimpleRNN(units), keras.layers.Dense(num_classes, activation="sigmoid")])

    first = _check_fails(check_build_many_to_one, sigmoid, "a sigmoid where a softmax belongs")
    keras.utils.set_random_seed(12345)  # whatever the notebook seeded before: the check seeds each build
    assert _check_fails(check_build_many_to_one, sigmoid, "a sigmoid where a softmax belongs") == first


def test_an_unknown_part_is_refused():
    from rnn_reference.checks.a09_sequence_tasks import check_build_encoder_decoder

    with pytest.raises(ValueError, match="part must be one of"):
        check_build_encoder_decoder(lambda *sizes: None, part="states")


def test_any_wrong_repeat_count_is_named(keras):
    """A RepeatVector count that is none of the arguments is named too (the cases use input_dim)."""
    from rnn_reference.checks.a09_sequence_tasks import check_build_one_to_many

    def doubled(input_dim, units, timesteps, vocab_size):
        return keras.Sequential([keras.Input(shape=(input_dim,)), keras.layers.RepeatVector(2 * timesteps),
                                 keras.layers.SimpleRNN(units, return_sequences=True),
                                 keras.layers.Dense(vocab_size, activation="softmax")])

    _check_fails(check_build_one_to_many, doubled, "the sequence has 10 steps, not timesteps = 5",
                 "RepeatVector with the wrong count")
