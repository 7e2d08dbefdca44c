"""The Keras side of the reference-vs-Keras tests: random configurations, real layers, comparison.

Every configuration is drawn from its own seed (`np.random.default_rng(seed)`), so a failure
message naming the seed is enough to reproduce it. The weights are drawn on the numpy side and
loaded into the Keras layer with `set_weights`, in float32, so the oracle is independent of
Keras's initialisers. Keras is imported lazily: importing this module does not load TensorFlow.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

ATOL = RTOL = 1e-5
CONFIGS_PER_CASE = 20  # random configurations checked by one test case
N_CASES = 10  # test cases per function: 10 x 20 = 200 configurations
FLOAT = np.float32

BLOCKS = {"simple_rnn": 1, "lstm": 4, "gru": 3}  # weight blocks along the last axis
N_STATES = {"simple_rnn": 1, "lstm": 2, "gru": 1}
MERGE_MODES = ("concat", "sum", "mul", "ave", None)
_threads_set = False


def seeds(case: int) -> range:
    """The seeds of one test case: case 0 checks seeds 0..19, case 1 seeds 20..39, ..."""
    return range(case * CONFIGS_PER_CASE, (case + 1) * CONFIGS_PER_CASE)


def keras():
    """Import Keras (and TensorFlow) quietly, only when a test needs it."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    global _threads_set
    if not _threads_set:  # tiny ops: one thread each is faster, and pytest -n already uses every core
        try:
            tf.config.threading.set_intra_op_parallelism_threads(1)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        except RuntimeError:  # TensorFlow already initialised elsewhere: keep its threads
            pass
        _threads_set = True
    import keras as keras_module

    return keras_module


def keras_layer_class(layer: str):
    k = keras()
    return {"simple_rnn": k.layers.SimpleRNN, "lstm": k.layers.LSTM, "gru": k.layers.GRU}[layer]


# ---------------------------------------------------------------- random configurations

def random_weights(rng, layer: str, input_dim: int, units: int, reset_after: bool = True) -> list[np.ndarray]:
    """[kernel, recurrent_kernel, bias] in the layout `layer.get_weights()` returns, float32."""
    width = BLOCKS[layer] * units
    bias_shape = (2, width) if layer == "gru" and reset_after else (width,)
    return [rng.normal(0.0, 0.6, (input_dim, width)).astype(FLOAT),  # kernel (input_dim, width)
            rng.normal(0.0, 0.6, (units, width)).astype(FLOAT),  # recurrent_kernel (units, width)
            rng.normal(0.0, 0.5, bias_shape).astype(FLOAT)]  # bias


def random_mask(rng, batch: int, timesteps: int) -> np.ndarray | None:
    """None, or one of the mask patterns that exercise Keras's masking rules."""
    kind = rng.choice(["none", "none", "random", "post_padded", "pre_padded", "edges"])
    if kind == "none":
        return None
    if kind == "random":
        return rng.random((batch, timesteps)) < 0.7  # (batch, timesteps)
    lengths = rng.integers(0, timesteps + 1, size=batch)  # length 0: a fully masked row
    steps = np.arange(timesteps)[None, :]  # (1, timesteps)
    if kind == "post_padded":
        return steps < lengths[:, None]
    if kind == "pre_padded":
        return steps >= (timesteps - lengths)[:, None]
    mask = np.ones((batch, timesteps), dtype=bool)  # first and/or last step masked
    mask[:, 0] = rng.random(batch) < 0.5
    mask[:, -1] = rng.random(batch) < 0.5
    return mask


def random_states(rng, n_states: int, batch: int, units: int) -> list[np.ndarray]:
    return [rng.normal(0.0, 0.8, (batch, units)).astype(FLOAT) for _ in range(n_states)]


@dataclass
class LayerCase:
    """One random configuration of a single recurrent layer."""

    seed: int
    layer: str
    x: np.ndarray  # (batch, timesteps, input_dim)
    units: int
    weights: list
    mask: np.ndarray | None
    initial_state: object  # None, a bare (batch, units) array, or a list of them
    options: dict = field(default_factory=dict)  # return_sequences, return_state, go_backwards, ...

    def describe(self) -> str:
        batch, timesteps, input_dim = self.x.shape
        mask = "none" if self.mask is None else self.mask.astype(int).tolist()
        init = "none" if self.initial_state is None else type(self.initial_state).__name__
        return (f"seed={self.seed} layer={self.layer} batch={batch} timesteps={timesteps} input_dim={input_dim} "
                f"units={self.units} options={self.options} initial_state={init} mask={mask}")


def random_layer_case(seed: int, layer: str) -> LayerCase:
    rng = np.random.default_rng(seed)
    batch, timesteps, input_dim, units = (int(rng.integers(1, 5)), int(rng.integers(1, 8)),
                                          int(rng.integers(1, 6)), int(rng.integers(1, 7)))
    x = rng.normal(0.0, 1.0, (batch, timesteps, input_dim)).astype(FLOAT)  # (batch, timesteps, input_dim)
    options = {name: bool(rng.random() < 0.5)
               for name in ("return_sequences", "return_state", "go_backwards", "zero_output_for_mask")}
    if layer == "gru":
        options["reset_after"] = bool(rng.random() < 0.5)
    weights = random_weights(rng, layer, input_dim, units, options.get("reset_after", True))
    mask = random_mask(rng, batch, timesteps)
    initial_state = None
    if rng.random() < 0.5:
        initial_state = random_states(rng, N_STATES[layer], batch, units)
        if len(initial_state) == 1 and rng.random() < 0.5:
            initial_state = initial_state[0]  # a bare array, as Keras also accepts
    return LayerCase(seed, layer, x, units, weights, mask, initial_state, options)


@dataclass
class BidirectionalCase:
    """One random configuration of `Bidirectional(inner layer)`."""

    seed: int
    layer: str
    x: np.ndarray
    units: int
    forward_weights: list
    backward_weights: list
    mask: np.ndarray | None
    initial_state: list | None  # flat Keras order [*forward_states, *backward_states]
    merge_mode: str | None
    return_sequences: bool
    return_state: bool
    layer_options: dict

    def describe(self) -> str:
        batch, timesteps, input_dim = self.x.shape
        mask = "none" if self.mask is None else self.mask.astype(int).tolist()
        return (f"seed={self.seed} layer={self.layer} merge_mode={self.merge_mode} "
                f"return_sequences={self.return_sequences} return_state={self.return_state} "
                f"layer_options={self.layer_options} batch={batch} timesteps={timesteps} "
                f"input_dim={input_dim} units={self.units} initial_state={self.initial_state is not None} "
                f"mask={mask}")


def random_bidirectional_case(seed: int) -> BidirectionalCase:
    rng = np.random.default_rng(seed)
    layer = ("simple_rnn", "lstm", "gru")[seed % 3]
    merge_mode = MERGE_MODES[(seed // 3) % len(MERGE_MODES)]  # every (layer, merge_mode) pair, in turn
    batch, timesteps, input_dim, units = (int(rng.integers(1, 5)), int(rng.integers(1, 8)),
                                          int(rng.integers(1, 6)), int(rng.integers(1, 7)))
    x = rng.normal(0.0, 1.0, (batch, timesteps, input_dim)).astype(FLOAT)
    layer_options = {"reset_after": bool(rng.random() < 0.5)} if layer == "gru" else {}
    reset_after = layer_options.get("reset_after", True)
    forward_weights = random_weights(rng, layer, input_dim, units, reset_after)
    backward_weights = random_weights(rng, layer, input_dim, units, reset_after)
    mask = random_mask(rng, batch, timesteps)
    initial_state = random_states(rng, 2 * N_STATES[layer], batch, units) if rng.random() < 0.4 else None
    return BidirectionalCase(seed, layer, x, units, forward_weights, backward_weights, mask, initial_state,
                             merge_mode, bool(rng.random() < 0.5), bool(rng.random() < 0.5), layer_options)


# ---------------------------------------------------------------- running Keras

def run_keras_layer(case: LayerCase):
    """Build the real Keras layer for `case`, load its weights and call it eagerly."""
    klayer = keras_layer_class(case.layer)(case.units, **case.options)
    klayer.build(case.x.shape)
    klayer.set_weights(case.weights)
    return klayer(case.x, mask=case.mask, initial_state=case.initial_state)


def run_keras_bidirectional(case: BidirectionalCase):
    k = keras()
    inner = keras_layer_class(case.layer)(case.units, return_sequences=case.return_sequences,
                                          return_state=case.return_state, **case.layer_options)
    bi = k.layers.Bidirectional(inner, merge_mode=case.merge_mode)
    bi.build(case.x.shape)
    bi.forward_layer.set_weights(case.forward_weights)
    bi.backward_layer.set_weights(case.backward_weights)
    return bi(case.x, mask=case.mask, initial_state=case.initial_state)


def assert_matches(keras_out, ref, context: str) -> None:
    """Same structure (one array or a list of the same length), shapes, dtype float32 and values."""
    k = keras()
    if isinstance(keras_out, (list, tuple)):
        assert isinstance(ref, list), f"{context}: Keras returns a list of {len(keras_out)}, reference {type(ref)}"
        assert len(ref) == len(keras_out), f"{context}: Keras returns {len(keras_out)} arrays, reference {len(ref)}"
    else:
        assert isinstance(ref, np.ndarray), f"{context}: Keras returns one array, reference {type(ref).__name__}"
        keras_out, ref = [keras_out], [ref]
    for index, (expected, got) in enumerate(zip(keras_out, ref)):
        expected = k.ops.convert_to_numpy(expected)
        assert got.shape == expected.shape, f"{context}: output {index} shape {got.shape} != Keras {expected.shape}"
        assert got.dtype == expected.dtype, f"{context}: output {index} dtype {got.dtype} != Keras {expected.dtype}"
        np.testing.assert_allclose(got, expected, atol=ATOL, rtol=RTOL, err_msg=f"{context}: output {index}")


# ---------------------------------------------------------------- stacks

@dataclass
class StackCase:
    """A random stack of 1 to 3 recurrent layers, optionally behind a `Masking` layer."""

    seed: int
    x: np.ndarray
    mask: np.ndarray | None  # what Masking(0.0) computes from x, or None without Masking
    layers: list  # (layer_name, weights, options) as stacked_forward takes them

    def describe(self) -> str:
        summary = [(name, options) for name, _, options in self.layers]
        mask = "none" if self.mask is None else self.mask.astype(int).tolist()
        return f"seed={self.seed} x.shape={self.x.shape} layers={summary} mask={mask}"


def random_stack_case(seed: int) -> StackCase:
    rng = np.random.default_rng(seed)
    batch, timesteps, input_dim = int(rng.integers(1, 4)), int(rng.integers(1, 7)), int(rng.integers(1, 5))
    x = rng.normal(0.0, 1.0, (batch, timesteps, input_dim)).astype(FLOAT)
    mask = None
    if rng.random() < 0.5:  # padded sequences: all-zero steps that Masking(0.0) masks
        mask = random_mask(rng, batch, timesteps)
        if mask is None:
            mask = np.ones((batch, timesteps), dtype=bool)
        x = np.where(mask[:, :, None], x, 0.0).astype(FLOAT)
    n_layers = int(rng.integers(1, 4))
    layers, width = [], input_dim
    for index in range(n_layers):
        last = index == n_layers - 1
        name = ("simple_rnn", "lstm", "gru", "bidirectional")[int(rng.integers(0, 4))]
        units = int(rng.integers(1, 6))
        options = {"return_sequences": bool(rng.random() < 0.5) if last else True,
                   "return_state": bool(rng.random() < 0.5) if last else False}
        if name == "bidirectional":
            inner = ("simple_rnn", "lstm", "gru")[int(rng.integers(0, 3))]
            merge_mode = MERGE_MODES[int(rng.integers(0, 5 if last else 4))]
            layer_options = {"reset_after": bool(rng.random() < 0.5)} if inner == "gru" else {}
            reset_after = layer_options.get("reset_after", True)
            weights = (random_weights(rng, inner, width, units, reset_after),
                       random_weights(rng, inner, width, units, reset_after))
            options.update(layer=inner, merge_mode=merge_mode, layer_options=layer_options)
            width = 2 * units if merge_mode == "concat" else units
        else:
            options["go_backwards"] = bool(rng.random() < 0.3)
            if name == "gru":
                options["reset_after"] = bool(rng.random() < 0.5)
            weights = random_weights(rng, name, width, units, options.get("reset_after", True))
            width = units
        layers.append((name, weights, options))
    return StackCase(seed, x, mask, layers)


def run_keras_stack(case: StackCase):
    """Build the stack with the functional API (Input -> [Masking] -> layers), load weights, call it."""
    k = keras()
    inputs = k.Input(shape=case.x.shape[1:])
    y = k.layers.Masking(mask_value=0.0)(inputs) if case.mask is not None else inputs
    loaders = []
    for name, weights, options in case.layers:
        options = dict(options)
        if name == "bidirectional":
            inner_class = keras_layer_class(options.pop("layer"))
            merge_mode = options.pop("merge_mode")
            layer_options = options.pop("layer_options")
            units = weights[0][1].shape[0]  # forward recurrent_kernel (units, blocks*units)
            layer = k.layers.Bidirectional(inner_class(units, **layer_options, **options), merge_mode=merge_mode)
            loaders.append(lambda layer=layer, weights=weights: (layer.forward_layer.set_weights(weights[0]),
                                                                 layer.backward_layer.set_weights(weights[1])))
        else:
            layer = keras_layer_class(name)(weights[1].shape[0], **options)
            loaders.append(lambda layer=layer, weights=weights: layer.set_weights(weights))
        y = layer(y)
    model = k.Model(inputs, y)
    for load in loaders:
        load()
    return model(case.x)

