"""Hidden tests for assignment a02_keras_outputs: keras_output_shapes and build_stacked_model.

The expected shapes come from Keras itself: each case builds the real layer on a symbolic
`keras.Input` and reads the shapes of what the call returns (an oracle independent of the
reference's reasoning). The expected model is the reference `build_stacked_model`; the student's
model is compared with it layer by layer (type, units, return_sequences, Bidirectional wrapping),
then by output shape and parameter count. Keras is imported inside the check functions.

Part 1 asks for the shapes to be reasoned out, so `keras_output_shapes` scores 0 when it builds a
Keras layer: the call runs inside `_keras.keras_objects_built()`, which sees every layer built.
"""

from __future__ import annotations

import copy
import functools

from ..keras_shapes import RECURRENT, build_stacked_model as _reference_model
from ._harness import (CheckFailed, call_student, call_student_explained, matching_mistakes, require_part, rng_for,
                       verify_environment)
from ._keras import keras_objects_built, load_keras

_LABEL = {"simple_rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}
_PARTS = ("outputs", "states", "bidirectional")
N_SHAPE_CASES = 16


@functools.lru_cache(maxsize=None)
def _keras_shapes(layer, units, batch_size, timesteps, input_dim, return_sequences, return_state,
                  bidirectional) -> list[tuple]:
    """The oracle: build the Keras layer on a symbolic input and read the shapes it returns."""
    keras = load_keras()
    classes = {"simple_rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}
    x = keras.Input(shape=(timesteps, input_dim), batch_size=batch_size)
    built = classes[layer](units, return_sequences=return_sequences, return_state=return_state)
    if bidirectional:
        built = keras.layers.Bidirectional(built)
    result = built(x)
    results = list(result) if isinstance(result, (list, tuple)) else [result]
    return [tuple(r.shape) for r in results]


# --------------------------------------------------------------------------------------------
# keras_output_shapes
# --------------------------------------------------------------------------------------------
def _reasoned(layer, units, b, t, d, rs, st, bi, *, ignore_rs=False, time_always=False, lstm_one_state=False,
              all_two_states=False, state_has_time=False, states_always=False, no_output=False,
              bi_output_single=False, bi_states_once=False, bi_states_doubled=False, swap_batch_time=False,
              input_dim_for_units=False):
    """What a student reasoning with one specific mistake would answer."""
    u = d if input_dim_for_units else units
    directions = 2 if bi else 1
    features = u if bi_output_single else directions * u
    with_time = (rs and not ignore_rs) or time_always
    first, second = (t, b) if swap_batch_time else (b, t)
    output = (first, second, features) if with_time else (b, features)
    if not (st or states_always):
        return [output]
    n_states = 2 if (layer == "lstm" and not lstm_one_state) or all_two_states else 1
    copies = 1 if bi_states_once else directions
    state_units = 2 * u if bi_states_doubled else u
    state = (b, t, state_units) if state_has_time else (b, state_units)
    states = [state] * (n_states * copies)
    return states if no_output else [output, *states]


def _shape_mistakes(layer, units, b, t, d, rs, st, bi) -> dict:
    args = (layer, units, b, t, d, rs, st, bi)
    mistakes = {}
    if rs:
        mistakes["return_sequences=True is ignored: it keeps the time axis, so the output is "
                  "(batch_size, timesteps, units)"] = dict(ignore_rs=True)
        mistakes["the batch and time axes are swapped: the output of return_sequences=True is "
                  "(batch_size, timesteps, units)"] = dict(swap_batch_time=True)
    else:
        mistakes["the output has a time axis although return_sequences=False: then the layer returns only "
                  "the last step, (batch_size, units)"] = dict(time_always=True)
    if st:
        if layer == "lstm":
            mistakes["an LSTM returns two states, h and c: [output, h, c]"] = dict(lstm_one_state=True)
        else:
            mistakes[f"a {_LABEL[layer]} has a single state h (only the LSTM also returns c): [output, h]"] = dict(
                all_two_states=True)
        mistakes["a state has no time axis: it is always (batch_size, units), return_sequences changes "
                 "only the output"] = dict(state_has_time=True)
        mistakes["return_state=True returns the output first, then the states: [output, *states]"] = dict(
            no_output=True)
    else:
        mistakes["with return_state=False the layer returns only its output: a list of one shape"] = dict(
            states_always=True)
    if bi:
        mistakes["Bidirectional with merge_mode='concat' joins the forward and backward outputs along the last "
                 "axis, so the output has 2 * units features"] = dict(bi_output_single=True)
        if st:
            mistakes["Bidirectional returns the states of both directions, forward ones first: "
                     "[output, *forward_states, *backward_states], each (batch_size, units)"] = dict(bi_states_once=True)
            mistakes["Bidirectional does not concatenate the states: each of them is (batch_size, units); only "
                     "the output is concatenated"] = dict(bi_states_doubled=True)
    if units != d:
        mistakes["input_dim is used where units belongs: the last axis of every output and state depends on "
                 "units, not on input_dim"] = dict(input_dim_for_units=True)
    return {hint: (lambda flags=flags: _reasoned(*args, **flags)) for hint, flags in mistakes.items()}


def _as_shape_list(got, name: str) -> list[tuple]:
    """The student's answer as a list of tuples, or a CheckFailed explaining its structure."""
    if isinstance(got, (list, tuple)) and got and all(
            v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in got):
        raise CheckFailed(f"`{name}` returned one shape {tuple(got)!r}, not a list of shapes: return a list "
                          f"even when the layer returns one array, e.g. [{tuple(got)!r}].")
    if not isinstance(got, (list, tuple)):
        raise CheckFailed(f"`{name}` returned {type(got).__name__}; expected a list of shapes (tuples), "
                          "e.g. [(4, 8)] or [(4, 8), (4, 8)].")
    shapes = []
    for index, item in enumerate(got):
        if not isinstance(item, (list, tuple)):
            raise CheckFailed(f"`{name}`: item {index} of the list is {type(item).__name__} {item!r}, "
                              "expected a shape tuple such as (4, 8).")
        shape = []
        for value in item:
            if value is not None and (isinstance(value, bool) or not hasattr(value, "__index__")):
                raise CheckFailed(f"`{name}`: shape {tuple(item)!r} holds {value!r}; a shape holds ints "
                                  "(or None for a size Keras does not know).")
            shape.append(None if value is None else int(value))
        shapes.append(tuple(shape))
    return shapes


def _shape_case(part: str, case_index: int):
    rng = rng_for(f"keras_output_shapes/{part}", case_index)
    layer = RECURRENT[case_index % 3]
    units, timesteps, input_dim = (int(v) for v in rng.integers(2, 20, size=3))
    batch_size = None if case_index % 4 == 3 else int(rng.integers(1, 65))
    return_sequences = bool((case_index // 3) % 2)
    return_state = part == "states" or (part == "bidirectional" and case_index % 2 == 1)
    bidirectional = part == "bidirectional"
    return layer, units, batch_size, timesteps, input_dim, return_sequences, return_state, bidirectional


def check_keras_output_shapes(keras_output_shapes, part: str = "outputs") -> None:
    """keras_output_shapes agrees with real Keras layers; part is 'outputs', 'states' or 'bidirectional'."""
    verify_environment()
    require_part(part, _PARTS)
    for case_index in range(N_SHAPE_CASES):
        layer, units, b, t, d, rs, st, bi = _shape_case(part, case_index)
        expected = _keras_shapes(layer, units, b, t, d, rs, st, bi)
        call = (f"keras_output_shapes({layer!r}, units={units}, batch_size={b}, timesteps={t}, input_dim={d}, "
                f"return_sequences={rs}, return_state={st}, bidirectional={bi})")
        with keras_objects_built() as built:
            got = call_student(keras_output_shapes, "keras_output_shapes", layer, units, b, t, d,
                               return_sequences=rs, return_state=st, bidirectional=bi)
        if built:
            raise CheckFailed("`keras_output_shapes` builds Keras layers to find the shapes. Part 1 asks you to "
                              "reason them out without Keras (the rules of the output list, the states and "
                              f"Bidirectional are enough), so this test scores 0.\n  call: {call}")
        shapes = _as_shape_list(got, "keras_output_shapes")
        if shapes == expected:
            continue
        # several mistakes can give the same shapes (Bidirectional(LSTM) with one state per direction, or
        # with h and c of one direction only): name every one that matches
        hints = matching_mistakes(_shape_mistakes(layer, units, b, t, d, rs, st, bi),
                                  lambda mistaken: mistaken == shapes)
        if hints:
            raise CheckFailed(f"`keras_output_shapes` returned {shapes}, Keras returns {expected}. "
                              f"Likely mistake: {'; or '.join(hints)}.\n  call: {call}")
        raise CheckFailed(f"`keras_output_shapes` returned {shapes}, Keras returns {expected}; no common "
                          f"mistake matches: build this layer in Keras and print the shapes.\n  call: {call}")


# --------------------------------------------------------------------------------------------
# build_stacked_model
# --------------------------------------------------------------------------------------------
def _describe(model) -> tuple[list[dict], list[str]]:
    """(recurrent layer rows, other layer names) of a Keras model, InputLayers skipped."""
    keras = load_keras()
    kinds = ((keras.layers.LSTM, "lstm"), (keras.layers.GRU, "gru"), (keras.layers.SimpleRNN, "simple_rnn"))

    def kind_of(layer):
        return next((kind for cls, kind in kinds if isinstance(layer, cls)), type(layer).__name__)

    rows = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if isinstance(layer, keras.layers.Bidirectional):
            inner = layer.forward_layer
            rows.append(dict(kind=kind_of(inner), units=getattr(inner, "units", None), bidirectional=True,
                             merge_mode=layer.merge_mode, return_sequences=bool(layer.return_sequences),
                             return_state=bool(layer.return_state)))
        elif isinstance(layer, keras.layers.RNN):
            rows.append(dict(kind=kind_of(layer), units=getattr(layer, "units", None), bidirectional=False,
                             merge_mode=None, return_sequences=bool(layer.return_sequences),
                             return_state=bool(layer.return_state)))
        elif isinstance(layer, keras.layers.Dense):
            activation = getattr(layer.activation, "__name__", str(layer.activation))
            rows.append(dict(kind="dense", units=layer.units, activation=activation))
        else:
            rows.append(dict(kind=type(layer).__name__))
    return rows


def _compare_models(model, reference, spec) -> None:
    keras = load_keras()
    where = f"\n  spec: {spec!r}"
    if not isinstance(model, keras.Model):
        raise CheckFailed(f"`build_stacked_model` returned {type(model).__name__}; it must return the Keras model "
                          f"(keras.Sequential([...]) or keras.Model(inputs, outputs)).{where}")
    try:
        input_shape = tuple(model.input_shape)
    except Exception:  # a Sequential without keras.Input has no input shape
        raise CheckFailed("`build_stacked_model` returned a model without an input shape: start it with "
                          f"keras.Input(shape=spec['input_shape']).{where}") from None
    want_input = (None, *spec["input_shape"])
    if input_shape != want_input:
        raise CheckFailed(f"the model's input shape is {input_shape}, expected {want_input}: declare "
                          f"keras.Input(shape=spec['input_shape']), which is (timesteps, input_dim) without the "
                          f"batch axis.{where}")
    got, want = _describe(model), _describe(reference)
    got_recurrent = [row for row in got if row["kind"] in RECURRENT]
    want_recurrent = [row for row in want if row["kind"] in RECURRENT]
    if len(got_recurrent) != len(want_recurrent):
        raise CheckFailed(f"the model has {len(got_recurrent)} recurrent layer(s), the spec lists "
                          f"{len(want_recurrent)}: add one layer per entry of spec['layers'], in order.{where}")
    last = len(want_recurrent) - 1
    for index, (g, w) in enumerate(zip(got_recurrent, want_recurrent)):
        label = f"recurrent layer {index} (spec['layers'][{index}])"
        if g["bidirectional"] != w["bidirectional"]:
            raise CheckFailed(
                f"{label} " + ("must be wrapped in keras.layers.Bidirectional(...): the spec says "
                               "bidirectional=True" if w["bidirectional"] else
                               "is wrapped in Bidirectional, but the spec does not ask for it")
                + f".{where}")
        if g["kind"] != w["kind"]:
            raise CheckFailed(f"{label} is a {_LABEL.get(g['kind'], g['kind'])}, the spec asks for a "
                              f"{_LABEL[w['kind']]} (spec 'layer': {w['kind']!r}).{where}")
        if g["units"] != w["units"]:
            raise CheckFailed(f"{label} has {g['units']} units, the spec asks for {w['units']}.{where}")
        if g["merge_mode"] != w["merge_mode"]:
            raise CheckFailed(f"{label}: Bidirectional must keep merge_mode='concat' (the default), got "
                              f"{g['merge_mode']!r}.{where}")
        if g["return_state"]:
            raise CheckFailed(f"{label} has return_state=True; no layer of the stack returns states.{where}")
        if g["return_sequences"] != w["return_sequences"]:
            if index == last:
                raise CheckFailed(
                    f"{label}, the last recurrent layer, has return_sequences=True: the last one must return only "
                    f"its final output, so that Dense reads (batch, units) and the model outputs "
                    f"(batch, dense_units).{where}")
            raise CheckFailed(f"{label} has return_sequences=False: every recurrent layer but the last must "
                              f"return the whole sequence for the next one to read.{where}")
    others = [row for row in got if row["kind"] not in RECURRENT]
    if [row["kind"] for row in others] != ["dense"] or got[-1]["kind"] != "dense":
        names = [row["kind"] for row in others]
        raise CheckFailed(f"after the recurrent layers the model must end with exactly one Dense layer; its other "
                          f"layers are {names}.{where}")
    dense, want_dense = got[-1], want[-1]
    if dense["units"] != want_dense["units"]:
        raise CheckFailed(f"the Dense layer has {dense['units']} units, the spec asks for "
                          f"dense_units={want_dense['units']}.{where}")
    if dense["activation"] != want_dense["activation"]:
        raise CheckFailed(f"the Dense layer has activation {dense['activation']!r}; the spec's Dense(dense_units) has "
                          f"none (linear).{where}")
    if tuple(model.output_shape) != tuple(reference.output_shape):
        raise CheckFailed(f"the model's output shape is {tuple(model.output_shape)}, expected "
                          f"{tuple(reference.output_shape)}.{where}")
    if model.count_params() != reference.count_params():
        raise CheckFailed(f"the model has {model.count_params():,} parameters, the spec's model has "
                          f"{reference.count_params():,}: compare the layers' options with the spec.{where}")


def _random_spec(part: str, case_index: int) -> dict:
    rng = rng_for(f"build_stacked_model/{part}", case_index)
    n_layers = [1, 2, 3, 2][case_index % 4]
    layers = []
    for index in range(n_layers):
        entry = {"layer": RECURRENT[int(rng.integers(0, 3))], "units": int(rng.integers(2, 9))}
        if part == "bidirectional":
            entry["bidirectional"] = bool((index + case_index) % 2 == 0)
        elif case_index % 2:
            entry["bidirectional"] = False  # the key may be given as False or left out
        layers.append(entry)
    timesteps = None if case_index % 3 == 2 else int(rng.integers(2, 8))
    return {"input_shape": (timesteps, int(rng.integers(1, 6))), "layers": layers,
            "dense_units": int(rng.integers(1, 5))}


_MODEL_PARTS = {"stack": 4, "bidirectional": 4}


def _explain_unstackable(message: str) -> str:
    if "expected ndim=3, found ndim=2" not in message:
        return message
    return message + ("\n  Likely mistake: a recurrent layer before the last has return_sequences=False, so the next "
                      "recurrent layer receives (batch, units) instead of a sequence: give every recurrent layer but "
                      "the last return_sequences=True.")


def check_build_stacked_model(build_stacked_model, part: str = "stack") -> None:
    """build_stacked_model builds the spec's layers, in order, with the right return_sequences.

    part: 'stack' (unidirectional stacks of 1-3 layers) or 'bidirectional' (some layers wrapped).
    """
    verify_environment()
    require_part(part, _MODEL_PARTS)
    for case_index in range(_MODEL_PARTS[part]):
        spec = _random_spec(part, case_index)
        reference = _reference_model(copy.deepcopy(spec))
        model = call_student_explained(build_stacked_model, "build_stacked_model", copy.deepcopy(spec),
                                       explain=_explain_unstackable)
        _compare_models(model, reference, spec)


__all__ = ["check_keras_output_shapes", "check_build_stacked_model"]
