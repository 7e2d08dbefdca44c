"""Assignment a02_keras_outputs: wrong, alternative and cheating submissions (see tests/cases/__init__.py)."""

from . import Case

MAX_SCORE = 20

SHAPES = '''
def keras_output_shapes(layer, units, batch_size, timesteps, input_dim, *, return_sequences=False,
                        return_state=False, bidirectional=False):
    directions = 2 if bidirectional else 1
    features = {features}
    output = (batch_size, timesteps, features) if return_sequences else (batch_size, features)
    if not return_state:
        return {single}
    per_direction = {per_direction}
    state = {state}
    return [output] + [state] * (per_direction * {copies})
'''


def shapes(features="directions * units", single="[output]", per_direction='2 if layer == "lstm" else 1',
           state="(batch_size, units)", copies="directions"):
    return SHAPES.format(features=features, single=single, per_direction=per_direction, state=state,
                         copies=copies)


MODEL = '''
def build_stacked_model(spec):
    classes = {{"simple_rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}}
    layers = [keras.Input(shape=spec["input_shape"])]
    n = len(spec["layers"])
    for index, entry in enumerate(spec["layers"]):
        recurrent = classes[entry["layer"]](entry["units"], return_sequences={return_sequences})
        if {wrap}:
            recurrent = keras.layers.Bidirectional(recurrent)
        layers.append(recurrent)
    layers.append(keras.layers.Dense(spec["dense_units"]{activation}))
    return keras.Sequential(layers)
'''


def model(return_sequences="index < n - 1", wrap='entry.get("bidirectional", False)', activation=""):
    return MODEL.format(return_sequences=return_sequences, wrap=wrap, activation=activation)


ASKS_KERAS = '''
def keras_output_shapes(layer, units, batch_size, timesteps, input_dim, *, return_sequences=False,
                        return_state=False, bidirectional=False):
    kind = {'simple_rnn': keras.layers.SimpleRNN, 'lstm': keras.layers.LSTM, 'gru': keras.layers.GRU}[layer]
    built = kind(units, return_sequences=return_sequences, return_state=return_state)
    if bidirectional:
        built = keras.layers.Bidirectional(built)
    result = built(keras.Input(shape=(timesteps, input_dim), batch_size=batch_size))
    return [tuple(r.shape) for r in (result if isinstance(result, (list, tuple)) else [result])]
'''

WRONG = [
    Case("lstm has one state", {"keras_output_shapes": shapes(per_direction="1")},
         hint="an LSTM returns two states, h and c", visible="an LSTM returns two states, h and c"),
    Case("bidirectional output not doubled", {"keras_output_shapes": shapes(features="units")},
         hint="joins the forward and backward outputs along the last axis",
         visible="concat puts both directions side by side, 2 * units"),
    Case("states keep the time axis", {"keras_output_shapes": shapes(
        state="(batch_size, timesteps, units) if return_sequences else (batch_size, units)")},
        hint="a state has no time axis", visible="a state has no time axis"),
    Case("bidirectional states counted once", {"keras_output_shapes": shapes(copies="1")},
         hint="Bidirectional returns the states of both directions",
         visible="h and c (an LSTM has two) of both directions"),
    Case("one shape not wrapped in a list", {"keras_output_shapes": shapes(single="output")},
         hint="not a list of shapes", visible="return [shape] even for one output"),
    Case("input_dim used for units", {"keras_output_shapes": shapes(features="directions * input_dim")},
         hint="input_dim is used where units belongs",
         visible="did you use input_dim (10) instead of units (3)?"),
    Case("asks keras instead of reasoning", {"keras_output_shapes": ASKS_KERAS}, hint="builds Keras layers",
         visible="keras_output_shapes built Keras objects"),
    Case("every layer returns sequences", {"build_stacked_model": model(return_sequences="True")},
         hint="the last recurrent layer, has return_sequences=True",
         visible="the last recurrent layer must not return sequences"),
    Case("no layer returns sequences", {"build_stacked_model": model(return_sequences="False")},
         hint="a recurrent layer before the last has return_sequences=False",
         visible="every recurrent layer but the last needs return_sequences=True"),
    Case("bidirectional ignored", {"build_stacked_model": model(wrap="False")},
         hint="must be wrapped in keras.layers.Bidirectional",
         visible="so wrap the layer in keras.layers.Bidirectional(...)"),
    Case("dense with sigmoid", {"build_stacked_model": model(activation=', activation="sigmoid"')},
         hint="has none (linear)", visible="the spec's Dense(dense_units) has none (linear)"),
]

# Keras names its layers with counters that are per thread and reset by clear_session (Keras 3.15.1,
# keras/src/backend/common/global_state.py): a rule that read them saw neither of these.
MORE_WRONG = [
    Case("gru has two states", {"keras_output_shapes": shapes(per_direction='2 if layer in ("lstm", "gru") else 1')},
         hint="a GRU has a single state h", visible="a GRU has one state, h"),
    Case("asks keras, then clears the session", {"keras_output_shapes": ASKS_KERAS.replace(
        "    return [tuple(r.shape)", "    keras.utils.clear_session()\n    return [tuple(r.shape)")},
         hint="builds Keras layers", visible="keras_output_shapes built Keras objects"),
    Case("asks keras in another thread", {"keras_output_shapes": ASKS_KERAS.replace(
        "def keras_output_shapes(", "def _ask_keras(") + '''
def keras_output_shapes(*args, **kwargs):
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(_ask_keras, *args, **kwargs).result()
'''}, hint="builds Keras layers", visible="keras_output_shapes built Keras objects"),
]

ALTERNATIVE = [
    Case("lookup tables and a functional model", {
        "keras_output_shapes": (
            "N_STATES = {'simple_rnn': 1, 'gru': 1, 'lstm': 2}\n"
            "def keras_output_shapes(layer, units, batch_size, timesteps, input_dim, *, return_sequences=False,\n"
            "                        return_state=False, bidirectional=False):\n"
            "    width = units * (2 if bidirectional else 1)\n"
            "    out = [batch_size] + ([timesteps] if return_sequences else []) + [width]\n"
            "    result = [tuple(out)]\n"
            "    if return_state:\n"
            "        for _direction in range(2 if bidirectional else 1):\n"
            "            for _state in range(N_STATES[layer]):\n"
            "                result.append((batch_size, units))\n"
            "    return result\n"),
        "build_stacked_model": (
            "def build_stacked_model(spec):\n"
            "    inputs = keras.Input(shape=tuple(spec['input_shape']))\n"
            "    h = inputs\n"
            "    entries = spec['layers']\n"
            "    for i, entry in enumerate(entries):\n"
            "        kind = {'simple_rnn': 'SimpleRNN', 'lstm': 'LSTM', 'gru': 'GRU'}[entry['layer']]\n"
            "        rnn = getattr(keras.layers, kind)(units=entry['units'], return_sequences=(i != len(entries) - 1))\n"
            "        h = (keras.layers.Bidirectional(rnn, merge_mode='concat') if entry.get('bidirectional') else rnn)(h)\n"
            "    outputs = keras.layers.Dense(units=spec['dense_units'], activation=None)(h)\n"
            "    return keras.Model(inputs=inputs, outputs=outputs)\n"),
    }),
]

CHEAT = [
    Case("imports the reference", {
        "keras_output_shapes": (
            "from rnn_reference.keras_shapes import keras_output_shapes\n"),
        "build_stacked_model": (
            "import rnn_reference.keras_shapes as _ref\n"
            "def build_stacked_model(spec):\n"
            "    return _ref.build_stacked_model(spec)\n")},
        hint="calls the reference package",
        zero=("test_keras_output_shapes_outputs_hidden", "test_keras_output_shapes_states_hidden",
              "test_keras_output_shapes_bidirectional_hidden", "test_build_stacked_model_stack_hidden",
              "test_build_stacked_model_bidirectional_hidden")),
]
