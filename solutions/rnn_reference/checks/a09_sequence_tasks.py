"""Hidden tests for assignment a09_sequence_tasks: the four kinds of sequence task as Keras models.

Each check builds the student's model for a few sizes and judges it by what it does, not by its
layer list (an LSTM for a SimpleRNN, a Sequential for a functional model, TimeDistributed(Dense) for
Dense, a compiled model: all fine). Per case: the model is a built keras.Model with the right number
of inputs; it runs on small batches of random ids (the largest id, vocab_size - 1, included) or
vectors, of two lengths; the output has the expected shape, is finite, and is one probability
distribution per example or per step (values in [0, 1] summing to 1 over the last axis). Then what
each kind must do: a tagger and a captioner give different distributions at different steps, a
captioner's output depends on its input vector, and an encoder-decoder's output changes when only
the source changes (the decoder starts from the encoder's state) and when only the target changes.

A failure names the likely mistake: a missing return_sequences, a RepeatVector with the wrong count,
a decoder not given the encoder's state, a sigmoid or no activation where a softmax belongs, a Dense
or an Embedding of the wrong size, inputs in the wrong order, an unbuilt model.

The model is called directly (`model(x)`, no fit, no predict), once per batch: each check takes about
a second. Weights are drawn from `keras.utils.set_random_seed` before each build, so a re-grade gives
the same messages. Keras is imported inside the check functions.
"""

from __future__ import annotations

import re

import numpy as np

from ._harness import CheckFailed, call_student, require_part, rng_for, verify_environment
from ._keras import load_keras

SUM_TOLERANCE = 1e-4  # float32 softmax sums are within ~1e-6 of 1 at these widths
BATCH = 4

# Sizes per case, chosen so that no two arguments of a case are equal (a wrong axis names the argument
# it came from) and so that each vocabulary is larger than the other in some case (a swapped Embedding
# fails on the largest id).
MANY_TO_ONE_CASES = [dict(vocab_size=13, embed_dim=4, units=6, num_classes=3),
                     dict(vocab_size=31, embed_dim=7, units=5, num_classes=9),
                     dict(vocab_size=8, embed_dim=3, units=10, num_classes=2)]
MANY_TO_MANY_CASES = [dict(vocab_size=12, embed_dim=5, units=7, num_tags=4),
                      dict(vocab_size=25, embed_dim=3, units=9, num_tags=6),
                      dict(vocab_size=9, embed_dim=6, units=4, num_tags=3)]
ONE_TO_MANY_CASES = [dict(input_dim=6, units=8, timesteps=5, vocab_size=11),
                     dict(input_dim=9, units=5, timesteps=7, vocab_size=4),
                     dict(input_dim=3, units=10, timesteps=2, vocab_size=14)]
ENCODER_DECODER_CASES = [dict(src_vocab=11, tgt_vocab=17, embed_dim=4, units=6),
                         dict(src_vocab=23, tgt_vocab=9, embed_dim=5, units=7),
                         dict(src_vocab=14, tgt_vocab=19, embed_dim=3, units=8)]
ID_LENGTHS = (6, 3)                       # many-to-one and tagging: two lengths, the model reads both
SOURCE_TARGET_LENGTHS = ((5, 8), (10, 3))  # (Ts, Tt): the target longer, then shorter, than the source


# --------------------------------------------------------------------------------------------
# What every kind shares: a built model, a call that runs, one distribution per example or step
# --------------------------------------------------------------------------------------------
def _call(sizes: dict) -> str:
    return "(" + ", ".join(f"{name}={value}" for name, value in sizes.items()) + ")"


def _built_model(model, what: str, n_inputs: int, first_input: str):
    """The keras module, once `model` is a built keras.Model with `n_inputs` inputs."""
    keras = load_keras()
    if isinstance(model, (list, tuple)):
        raise CheckFailed(f"{what} returned a {type(model).__name__} of {len(model)} items; return the Keras model "
                          "itself (keras.Sequential([...]) or keras.Model(inputs, outputs)).")
    if not isinstance(model, keras.Model):
        raise CheckFailed(f"{what} returned {type(model).__name__}; it must return a Keras model "
                          "(keras.Sequential([...]) or keras.Model(inputs, outputs)).")
    try:
        inputs = list(model.inputs)
    except (AttributeError, ValueError):
        inputs = []
    if not inputs:
        raise CheckFailed(f"{what} returned a model that is not built: it has no inputs yet (a keras.Sequential "
                          f"without keras.Input is built only when first called). Start it with {first_input}, "
                          "so that the model's input and output shapes are defined when it is returned.")
    if len(inputs) != n_inputs:
        raise CheckFailed(f"{what} returned a model with {len(inputs)} input(s), expected {n_inputs}"
                          + (": keras.Model([source, target], outputs), the source ids first"
                             if n_inputs == 2 else "") + ".")
    return keras


def _first_line(err: Exception) -> str:
    """The useful line of a Keras/TensorFlow error: ANSI colours and TF node names removed."""
    full = re.sub(r"\x1b\[[0-9;]*m|\{\{[^}]*\}\}\s*", "", str(err))
    lines = [line.strip() for line in full.splitlines() if line.strip()]
    line = next((ln for ln in lines if "indices" in ln), None)
    line = line or next((ln for ln in lines if not ln.startswith("Exception encountered")), lines[0] if lines else "")
    return line[:300]


def _explain_crash(err: Exception, vocabularies: dict, sizes: dict) -> str:
    """The likely mistake behind a model that fails on valid input ('' when none is recognised)."""
    text = str(err)
    found = re.search(r"indices\[[^\]]*\] = (-?\d+) is not in \[0, (\d+)\)", text)
    if found:
        id_, rows = int(found.group(1)), int(found.group(2))
        # Keras 3 on TensorFlow (CPU) raises InvalidArgumentError 'indices[i,j] = id is not in [0, rows)'
        # for an id past the Embedding's last row (tests/test_checks_a09_sequence_tasks.py runs it)
        said = f"an Embedding has {rows} rows (input_dim={rows}) but receives the id {id_}"
        short = [name for name, size in vocabularies.items() if rows == size - 1]
        other = [name for name, size in sizes.items() if rows == size]
        if short:
            why = (f"Embedding({short[0]} - 1, ...) is one row short: ids run from 0 to {short[0]} - 1, so the "
                   f"Embedding needs input_dim={short[0]}")
        elif other and other[0] in vocabularies:
            why = (f"its input_dim is {other[0]} ({rows}), the other vocabulary's size: each Embedding needs the size "
                   "of the vocabulary whose ids it reads")
        elif other:
            why = (f"its input_dim is {other[0]} ({rows}): the arguments are Embedding(input_dim=vocabulary size, "
                   "output_dim=embed_dim), in that order")
        else:
            why = "its input_dim must be the vocabulary size, one row per possible id"
        return f"Likely mistake: {said}; {why}."
    if isinstance(err, IndexError) and "LSTM" in text:
        return ("Likely mistake: an LSTM decoder given one state. An LSTM has two states: take both from the "
                "encoder, `_, state_h, state_c = LSTM(units, return_state=True)(...)`, and pass "
                "initial_state=[state_h, state_c].")
    if "expected ndim=3" in text:
        return ("Likely mistake: a recurrent layer received (batch, features) instead of a sequence "
                "(batch, timesteps, features): one vector must be turned into a sequence first (RepeatVector), "
                "or ids into vectors (Embedding).")
    return ""


def _run(model, inputs, what: str, vocabularies: dict, sizes: dict) -> np.ndarray:
    """The model's output on `inputs` as a float64 array, or a CheckFailed naming why it failed."""
    keras = load_keras()
    shapes = " and ".join(str(x.shape) for x in inputs) if isinstance(inputs, list) else str(inputs.shape)
    try:
        output = model(inputs)
    except Exception as err:  # noqa: BLE001 -- the student's model failed on valid input
        hint = _explain_crash(err, vocabularies, sizes)
        raise CheckFailed(f"{what}: the model failed on inputs of shape {shapes}: {type(err).__name__}: "
                          f"{_first_line(err)}" + (f"\n  {hint}" if hint else "")) from None
    if isinstance(output, (list, tuple, dict)):
        raise CheckFailed(f"{what}: the model returns {len(output)} outputs; it must return only the probabilities "
                          "(an encoder's states are passed to the decoder, not returned).")
    return np.asarray(keras.ops.convert_to_numpy(output), dtype=np.float64)


def _name_of(value: int, sizes: dict, skip: str) -> str:
    names = [name for name, size in sizes.items() if size == value and name != skip]
    return f" ({' = '.join(names)})" if names else ""


def _check_shape(out: np.ndarray, expected: tuple, what: str, sizes: dict, width_name: str, hints: dict) -> None:
    """CheckFailed when out.shape != expected, naming the mistake a known wrong shape comes from."""
    if out.shape == expected:
        return
    hint = hints.get(out.shape, "")
    if not hint and out.shape[:-1] == expected[:-1]:
        width = out.shape[-1]
        if width == sizes.get("units"):
            hint = (f"the last axis has units = {width} values: the recurrent layer's states come out directly; "
                    f"end with Dense({width_name}, activation='softmax')")
        else:
            hint = (f"the last axis has {width} values{_name_of(width, sizes, width_name)} where {width_name} = "
                    f"{expected[-1]} probabilities belong: the last layer must be "
                    f"Dense({width_name}, activation='softmax')")
    raise CheckFailed(f"{what}: the output has shape {out.shape}, expected {expected}" + (f": {hint}" if hint else "")
                      + ".")


def _check_distributions(out: np.ndarray, what: str, width_name: str) -> None:
    """CheckFailed unless every row along the last axis is a probability distribution (a softmax)."""
    if not np.all(np.isfinite(out)):
        raise CheckFailed(f"{what}: the output contains NaN or inf.")
    sums = out.sum(axis=-1)
    if np.all(out >= -1e-6) and np.allclose(sums, 1.0, rtol=0, atol=SUM_TOLERANCE):
        return
    lowest, highest = float(out.min()), float(out.max())
    over = f"over the last axis (the {width_name} axis)"
    if lowest < 0:
        raise CheckFailed(f"{what}: the output has negative values (down to {lowest:.3g}), so it is not a probability "
                          "distribution. Likely mistake: the last Dense has no activation, so it outputs logits "
                          f"(or one such as tanh that allows negatives): use activation='softmax' {over}.")
    if out.ndim == 3 and np.allclose(out.sum(axis=1), 1.0, rtol=0, atol=SUM_TOLERANCE):
        raise CheckFailed(f"{what}: the probabilities sum to 1 over the time axis (axis 1), not over the "
                          f"{width_name} axis. Likely mistake: a softmax over the wrong axis; the softmax must run "
                          f"{over}, one distribution per step (Dense(..., activation='softmax') does).")
    if highest <= 1:
        raise CheckFailed(f"{what}: every value is in [0, 1] but a distribution sums to between {sums.min():.3g} and "
                          f"{sums.max():.3g}, not 1. Likely mistake: a sigmoid where a softmax belongs: a sigmoid "
                          f"gives each class its own independent probability; use activation='softmax' {over}, "
                          "so that the classes compete and sum to 1.")
    raise CheckFailed(f"{what}: the output has values above 1 (up to {highest:.3g}), so it is not a probability "
                      f"distribution: use activation='softmax' {over}.")


def _ids(rng: np.random.Generator, batch: int, length: int, vocab_size: int) -> np.ndarray:
    """Random ids (batch, length) that include 0 and the largest id, vocab_size - 1."""
    ids = rng.integers(0, vocab_size, size=(batch, length))
    ids[0, -1] = vocab_size - 1
    ids[-1, 0] = vocab_size - 1
    ids[1 % batch, 0] = 0
    return ids.astype("int32")


def _different_ids(rng: np.random.Generator, ids: np.ndarray, vocab_size: int) -> np.ndarray:
    """Ids that differ from `ids` at every position."""
    return ((ids + rng.integers(1, vocab_size, size=ids.shape)) % vocab_size).astype("int32")


def _build(builder, name: str, sizes: dict, case_index: int):
    keras = load_keras()
    keras.utils.set_random_seed(1000 + case_index)  # the same weights, and messages, on every re-grade
    return call_student(builder, name, *sizes.values())


def _steps_identical(out: np.ndarray) -> bool:
    """True when, for every example, every step of out (batch, timesteps, k) is the same distribution."""
    return out.shape[1] > 1 and bool(np.all(np.abs(out - out[:, :1]).max(axis=(1, 2)) == 0.0))


# --------------------------------------------------------------------------------------------
# many-to-one
# --------------------------------------------------------------------------------------------
def check_build_many_to_one(build_many_to_one) -> None:
    """build_many_to_one(vocab_size, embed_dim, units, num_classes): ids (batch, T) -> (batch, num_classes) softmax."""
    verify_environment()
    for case_index, sizes in enumerate(MANY_TO_ONE_CASES):
        rng = rng_for("build_many_to_one", case_index)
        what = f"`build_many_to_one{_call(sizes)}`"
        model = _build(build_many_to_one, "build_many_to_one", sizes, case_index)
        _built_model(model, what, 1, "keras.Input(shape=(None,), dtype='int32')")
        vocab = {"vocab_size": sizes["vocab_size"]}
        outputs = []
        for length in ID_LENGTHS:
            ids = _ids(rng, BATCH + 1, length, sizes["vocab_size"])
            out = _run(model, ids, what, vocab, sizes)
            expected = (BATCH + 1, sizes["num_classes"])
            _check_shape(out, expected, what, sizes, "num_classes", {
                (BATCH + 1, length, sizes["num_classes"]):
                    f"one distribution per step, where a many-to-one model gives one per sequence: the recurrent "
                    f"layer has return_sequences=True; keep the default (False), so that only its last state "
                    f"reaches the Dense layer"})
            _check_distributions(out, what, "num_classes")
            outputs.append(out)
        if np.all(np.abs(outputs[0] - outputs[0][:1]).max(axis=1) == 0.0):
            raise CheckFailed(f"{what}: every sequence of a batch gets the same distribution, so the output does "
                              "not depend on the ids: the ids must go through Embedding and the recurrent layer.")


# --------------------------------------------------------------------------------------------
# many-to-many (a tagger)
# --------------------------------------------------------------------------------------------
def check_build_many_to_many(build_many_to_many) -> None:
    """build_many_to_many(vocab_size, embed_dim, units, num_tags): ids (batch, T) -> (batch, T, num_tags), per step."""
    verify_environment()
    for case_index, sizes in enumerate(MANY_TO_MANY_CASES):
        rng = rng_for("build_many_to_many", case_index)
        what = f"`build_many_to_many{_call(sizes)}`"
        model = _build(build_many_to_many, "build_many_to_many", sizes, case_index)
        _built_model(model, what, 1, "keras.Input(shape=(None,), dtype='int32')")
        vocab = {"vocab_size": sizes["vocab_size"]}
        for length in ID_LENGTHS:
            ids = _ids(rng, BATCH, length, sizes["vocab_size"])
            out = _run(model, ids, what, vocab, sizes)
            tags = sizes["num_tags"]
            _check_shape(out, (BATCH, length, tags), what, sizes, "num_tags", {
                (BATCH, tags): "one distribution per sequence, where a tagger gives one per step. Likely mistake: "
                               "the recurrent layer is missing return_sequences=True, so only its last state reaches "
                               "the Dense layer"})
            _check_distributions(out, what, "num_tags")
            if _steps_identical(out):
                raise CheckFailed(f"{what}: every step of a sentence gets the same tag distribution although its ids "
                                  "differ: the tags must come from the hidden state of each step (return_sequences=True "
                                  "and a Dense applied at every step), not from one vector repeated.")


# --------------------------------------------------------------------------------------------
# one-to-many (a captioner)
# --------------------------------------------------------------------------------------------
def check_build_one_to_many(build_one_to_many) -> None:
    """build_one_to_many(input_dim, units, timesteps, vocab_size): (batch, input_dim) -> (batch, timesteps, vocab_size)."""
    verify_environment()
    for case_index, sizes in enumerate(ONE_TO_MANY_CASES):
        rng = rng_for("build_one_to_many", case_index)
        what = f"`build_one_to_many{_call(sizes)}`"
        model = _build(build_one_to_many, "build_one_to_many", sizes, case_index)
        _built_model(model, what, 1, "keras.Input(shape=(input_dim,))")
        input_dim, timesteps, vocab_size = sizes["input_dim"], sizes["timesteps"], sizes["vocab_size"]
        features = rng.uniform(-1, 1, size=(BATCH, input_dim)).astype("float32")  # (batch, input_dim)
        out = _run(model, features, what, {}, sizes)
        hints = {(BATCH, vocab_size): "one distribution per example, where a captioner gives one per step. Likely "
                                      "mistake: the recurrent layer is missing return_sequences=True"}
        if out.ndim == 3 and out.shape[0] == BATCH and out.shape[1] != timesteps:
            count = out.shape[1]
            hints[out.shape] = (
                f"the sequence has {count} steps{_name_of(count, sizes, 'timesteps')}, not timesteps = "
                f"{timesteps}. Likely mistake: RepeatVector with the wrong count: RepeatVector(n) copies the "
                "vector n times, so it sets the number of steps; use RepeatVector(timesteps)")
        _check_shape(out, (BATCH, timesteps, vocab_size), what, sizes, "vocab_size", hints)
        _check_distributions(out, what, "vocab_size")
        if _steps_identical(out):
            raise CheckFailed(f"{what}: every step gives the same distribution, so the caption would repeat one word. "
                              "Likely mistake: RepeatVector after the Dense (or no recurrent layer after it) copies "
                              "one distribution; repeat the input vector, then let the recurrent layer "
                              "(return_sequences=True) make each step from its own hidden state.")
        other = _run(model, rng.uniform(-1, 1, size=features.shape).astype("float32"), what, {}, sizes)
        if np.all(np.abs(other - out) == 0.0):
            raise CheckFailed(f"{what}: two different input vectors give the same output: the caption must depend "
                              "on the input vector (RepeatVector copies it to every step of the recurrent layer).")


# --------------------------------------------------------------------------------------------
# encoder-decoder
# --------------------------------------------------------------------------------------------
ENCODER_DECODER_PARTS = ("outputs", "state")
WRONG_ORDER = ("Likely mistake: the inputs are in the wrong order; the model is called as model([source, target]), "
               "so build it with keras.Model([source_input, target_input], outputs)")


def _wrong_order(model, source, target, expected, vocabularies, sizes) -> bool:
    """True when the model, given [target, source], returns what [source, target] should return."""
    try:
        swapped = _run(model, [target, source], "", vocabularies, sizes)
    except CheckFailed:
        return False
    return swapped.shape == expected


def _run_seq2seq(model, source, target, what, vocabularies, sizes) -> np.ndarray:
    """The output for [source, target]; a model that fails on it but works on [target, source] is named."""
    try:
        return _run(model, [source, target], what, vocabularies, sizes)
    except CheckFailed as failure:
        expected = (source.shape[0], target.shape[1], sizes["tgt_vocab"])
        if _wrong_order(model, source, target, expected, vocabularies, sizes):
            crash = str(failure).splitlines()[0]
            raise CheckFailed(f"{crash}\n  It works on [target, source]. {WRONG_ORDER}.") from None
        raise


def _check_seq2seq_outputs(model, source, target, what, vocabularies, sizes) -> None:
    """The output for [source, target] is (batch, Tt, tgt_vocab), one distribution per target step."""
    (batch, source_length), target_length = source.shape, target.shape[1]
    tgt_vocab = sizes["tgt_vocab"]
    expected = (batch, target_length, tgt_vocab)
    out = _run_seq2seq(model, source, target, what, vocabularies, sizes)
    if out.shape != expected and _wrong_order(model, source, target, expected, vocabularies, sizes):
        raise CheckFailed(f"{what}: the output has shape {out.shape} for [source, target], and {expected} for "
                          f"[target, source]. {WRONG_ORDER}.")
    hints = {(batch, tgt_vocab): "one distribution per sentence, where the decoder gives one per target step. "
                                 "Likely mistake: the decoder is missing return_sequences=True",
             (batch, source_length, tgt_vocab): (
                 f"the output has the source's length (Ts = {source_length}), not the target's (Tt = "
                 f"{target_length}): the decoder reads the source; it must read the target ids, the second input")}
    _check_shape(out, expected, what, sizes, "tgt_vocab", hints)
    _check_distributions(out, what, "tgt_vocab")


def _check_seq2seq_state(model, rng, source, target, what, vocabularies, sizes) -> None:
    """The output changes when only the source changes, and when only the target changes."""
    out = _run_seq2seq(model, source, target, what, vocabularies, sizes)
    other_source = _different_ids(rng, source, sizes["src_vocab"])
    changed = _run(model, [other_source, target], what, vocabularies, sizes)
    if changed.shape == out.shape and np.all(np.abs(changed - out) == 0.0):
        raise CheckFailed(
            f"{what}: a different source with the same target gives exactly the same output, so nothing of the "
            "source reaches the decoder. Likely mistake: the decoder is not given the encoder's state: take the "
            "encoder's final state (return_state=True) and start the decoder from it, "
            "decoder(target_vectors, initial_state=state) (for an LSTM, initial_state=[state_h, state_c]).")
    other_target = _different_ids(rng, target, sizes["tgt_vocab"])
    changed = _run(model, [source, other_target], what, vocabularies, sizes)
    if changed.shape == out.shape and np.all(np.abs(changed - out) == 0.0):
        raise CheckFailed(f"{what}: a different target with the same source gives exactly the same output: the "
                          "decoder must read the target ids (through their own Embedding), one per step.")


def check_build_encoder_decoder(build_encoder_decoder, part: str = "outputs") -> None:
    """build_encoder_decoder(src_vocab, tgt_vocab, embed_dim, units): [source, target] ids -> (batch, Tt, tgt_vocab).

    part 'outputs': two inputs in the order [source, target], one distribution per target step, for
    source and target lengths that differ. part 'state': the output changes when only the source
    changes (the decoder starts from the encoder's state) and when only the target changes.
    """
    verify_environment()
    require_part(part, ENCODER_DECODER_PARTS)
    for case_index, sizes in enumerate(ENCODER_DECODER_CASES):
        rng = rng_for(f"build_encoder_decoder/{part}", case_index)
        what = f"`build_encoder_decoder{_call(sizes)}`"
        model = _build(build_encoder_decoder, "build_encoder_decoder", sizes, case_index)
        _built_model(model, what, 2, "keras.Input(shape=(None,), dtype='int32') for each of the source and the target")
        src_vocab, tgt_vocab = sizes["src_vocab"], sizes["tgt_vocab"]
        vocabularies = {"src_vocab": src_vocab, "tgt_vocab": tgt_vocab}
        for source_length, target_length in SOURCE_TARGET_LENGTHS:
            source = _ids(rng, BATCH, source_length, src_vocab)   # (batch, Ts)
            target = _ids(rng, BATCH, target_length, tgt_vocab)   # (batch, Tt)
            if part == "outputs":
                _check_seq2seq_outputs(model, source, target, what, vocabularies, sizes)
            else:
                _check_seq2seq_state(model, rng, source, target, what, vocabularies, sizes)


__all__ = ["check_build_many_to_one", "check_build_many_to_many", "check_build_one_to_many",
           "check_build_encoder_decoder"]
