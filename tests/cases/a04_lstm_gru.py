"""Assignment a04_lstm_gru: wrong, alternative and cheating submissions (see tests/cases/__init__.py)."""

from . import Case, edit

MAX_SCORE = 20
MANUAL_POINTS = 0

LSTM_CELL = '''
def lstm_cell_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    units = h_prev.shape[1]
    a = x_t @ kernel + h_prev @ recurrent_kernel + bias
    i = sigmoid(a[:, {i}])
    f = sigmoid(a[:, {f}])
    g = np.tanh(a[:, {c}])
    o = sigmoid(a[:, {o}])
    c = {cell}
    h = {hidden}
    return h, c
'''
BLOCKS = {"i": ":units", "f": "units:2 * units", "c": "2 * units:3 * units", "o": "3 * units:"}


def lstm_cell(order="ifco", cell="f * c_prev + i * g", hidden="o * np.tanh(c)"):
    """An lstm_cell_step that reads block k as gate order[k]."""
    slices = {gate: BLOCKS["ifco"[k]] for k, gate in enumerate(order)}
    return LSTM_CELL.format(cell=cell, hidden=hidden, **slices)


LSTM_FORWARD = '''
def lstm_forward(x, kernel, recurrent_kernel, bias, *, initial_state=None, return_sequences=False,
                 return_state=False):
    batch, timesteps, _ = x.shape
    units = recurrent_kernel.shape[0]
    zeros = np.zeros((batch, units))
    h, c = (zeros, zeros) if initial_state is None else initial_state
    outputs = []
    for t in range(timesteps):
        h, c = lstm_cell_step(x[:, t, :], h, {c_prev}, kernel, recurrent_kernel, bias)
        outputs.append(h)
    output = {output}
    if return_state:
        return [output, h, c]
    return output
'''


def lstm_forward(c_prev="c", output="np.stack(outputs, axis=1) if return_sequences else h"):
    return LSTM_FORWARD.format(c_prev=c_prev, output=output)


GRU_CELL = '''
def gru_cell_step(x_t, h_prev, kernel, recurrent_kernel, bias, *, reset_after=True):
    units = h_prev.shape[1]
    input_bias, recurrent_bias = {biases}
    p = x_t @ kernel + input_bias
    q = h_prev @ recurrent_kernel + recurrent_bias
    z = sigmoid(p[:, :units] + q[:, :units])
    r = sigmoid(p[:, units:2 * units] + q[:, units:2 * units])
    if {after}:
        candidate = np.tanh(p[:, 2 * units:] + r * q[:, 2 * units:])
    else:
        candidate = np.tanh(p[:, 2 * units:] + (r * h_prev) @ recurrent_kernel[:, 2 * units:] + recurrent_bias[2 * units:])
    return {mix}
'''
KERAS_BIASES = "(bias[0], bias[1]) if reset_after else (bias, np.zeros_like(bias))"


def gru_cell(biases=KERAS_BIASES, after="reset_after", mix="z * h_prev + (1 - z) * candidate"):
    return GRU_CELL.format(biases=biases, after=after, mix=mix)


GRU_FORWARD = '''
def gru_forward(x, kernel, recurrent_kernel, bias, *, reset_after=True, initial_state=None,
                return_sequences=False, return_state=False):
    batch, timesteps, _ = x.shape
    h = {start}
    outputs = []
    for t in range(timesteps):
        h = gru_cell_step(x[:, t, :], h, kernel, recurrent_kernel, bias, reset_after=reset_after)
        outputs.append(h)
    output = np.stack(outputs, axis=1) if return_sequences else h
    return [output, h] if return_state else output
'''


def gru_forward(start="np.zeros((batch, recurrent_kernel.shape[0])) if initial_state is None else initial_state"):
    return GRU_FORWARD.format(start=start)


WRONG = [
    Case("lstm gate order i f o c", {"lstm_cell_step": lstm_cell(order="ifoc")},
         hint="wrong gate order: the blocks are read as i, f, o, c",
         visible="blocks 3 and 4 are swapped (read as i, f, o, c)"),
    Case("lstm forget gate dropped", {"lstm_cell_step": lstm_cell(cell="i * g")}, hint="the forget gate is dropped",
         visible="the forget-gate term f * c_prev is missing"),
    Case("lstm output tanh missing", {"lstm_cell_step": lstm_cell(hidden="o * c")},
         hint="the tanh on the output is missing",
         visible="the tanh on the output is missing"),
    Case("lstm cell state not carried", {"lstm_forward": lstm_forward(c_prev="np.zeros_like(c)")},
         hint="the cell state is not carried",
         visible="the cell state is not carried"),
    Case("lstm all steps returned always", {"lstm_forward": lstm_forward(output="np.stack(outputs, axis=1)")},
         hint="you returned every step",
         visible="you returned every step"),
    Case("gru update gate inverted", {"gru_cell_step": gru_cell(mix="(1 - z) * h_prev + z * candidate")},
         hint="the update gate is inverted",
         visible="the update gate is inverted"),
    Case("gru reset_after ignored", {"gru_cell_step": gru_cell(
        biases="(bias[0], bias[1]) if bias.ndim == 2 else (bias, np.zeros_like(bias))", after="False")},
         hint="reset_after=True is ignored",
         visible="the reset gate is applied before the matrix product; with reset_after=True"),
    Case("gru bias rows swapped", {"gru_cell_step": gru_cell(
        biases="(bias[1], bias[0]) if reset_after else (bias, np.zeros_like(bias))")},
         hint="the two bias rows are swapped",
         visible="the two bias rows are swapped"),
    Case("gru initial_state ignored", {"gru_forward": gru_forward(start="np.zeros((batch, recurrent_kernel.shape[0]))")},
         hint="initial_state is ignored",
         visible="initial_state is ignored"),
]

GRU_GATES = "z = sigmoid(p[:, :units] + q[:, :units])\n    r = sigmoid(p[:, units:2 * units] + q[:, units:2 * units])"

MORE_WRONG = [
    Case("lstm gate order f i c o", {"lstm_cell_step": lstm_cell(order="fico")}, hint="the blocks are read as f, i, c, o",
         visible="blocks 1 and 2 are swapped (read as f, i, c, o)"),
    Case("lstm gate order i c f o", {"lstm_cell_step": lstm_cell(order="icfo")}, hint="the blocks are read as i, c, f, o",
         visible="the blocks are read as i, c, f, o"),
    Case("lstm input gate dropped", {"lstm_cell_step": lstm_cell(cell="f * c_prev + g")}, hint="the input gate is dropped",
         visible="the input gate is dropped"),
    Case("lstm output gate missing", {"lstm_cell_step": lstm_cell(hidden="np.tanh(c)")},
         hint="the output gate is missing",
         visible="the output gate is missing"),
    Case("lstm candidate with sigmoid", {"lstm_cell_step": edit(lstm_cell(), "g = np.tanh(", "g = sigmoid(")},
         hint="the candidate cell uses sigmoid",
         visible="the candidate cell uses sigmoid"),
    Case("lstm h and c swapped", {"lstm_cell_step": edit(lstm_cell(), "return h, c", "return c, h")},
         hint="h and c are swapped",
         visible="h and c are swapped; return the pair (h, c)"),
    Case("lstm gates interleaved", {"lstm_cell_step": LSTM_CELL.format(
        i="0::4", f="1::4", c="2::4", o="3::4", cell="f * c_prev + i * g", hidden="o * np.tanh(c)")},
         hint="the gate blocks are read interleaved",
         visible="each gate's block is units consecutive columns"),
    Case("lstm initial state read as c, h", {"lstm_forward": edit(lstm_forward(), "h, c = (zeros, zeros)",
                                                                   "c, h = (zeros, zeros)")},
         hint="initial_state is read as [c, h]",
         visible="used initial_state as [c_0, h_0]"),
    Case("lstm states returned as c, h", {"lstm_forward": edit(lstm_forward(), "return [output, h, c]",
                                                                "return [output, c, h]")},
         hint="the states are returned as [output, c, h]",
         visible="h and c are swapped; Keras returns (output, h, c)"),
    Case("lstm final states are the initial ones", {"lstm_forward": edit(
        lstm_forward(), "return [output, h, c]",
        "return [output, *((zeros, zeros) if initial_state is None else initial_state)]")},
         hint="the final states returned are the initial ones",
         visible="the states returned are the initial ones"),
    Case("lstm returns one state", {"lstm_forward": edit(lstm_forward(), "return [output, h, c]", "return [output, h]")},
         hint="it must return [output, h, c]",
         visible="a tuple or list of three arrays (an LSTM has two states)"),
    Case("lstm first step returned", {"lstm_forward": lstm_forward(
        output="np.stack(outputs, axis=1) if return_sequences else outputs[0]")},
         hint="the first step is returned instead of the last",
         visible="got h_1, the first step's state"),
    Case("lstm gates with tanh", {"lstm_cell_step": edit(edit(edit(lstm_cell(), "i = sigmoid(", "i = np.tanh("),
                                                          "f = sigmoid(", "f = np.tanh("), "o = sigmoid(", "o = np.tanh(")},
         hint="the gates use tanh", visible="the gates use tanh; the gates i, f, o use sigmoid"),
    Case("lstm sequence read backwards", {"lstm_forward": edit(lstm_forward(), "x[:, t, :]", "x[:, timesteps - 1 - t, :]")},
         hint="the sequence is processed backwards", visible="the sequence is processed backwards"),
    Case("gru reset_after=False ignored", {"gru_cell_step": gru_cell(after="True")}, hint="reset_after=False is ignored",
         visible="two units: reset_after=False is ignored"),
    Case("gru recurrent bias row ignored", {"gru_cell_step": gru_cell(
        biases="(bias[0], 0 * bias[1]) if reset_after else (bias, np.zeros_like(bias))")},
         hint="the recurrent bias row bias[1] is ignored",
         visible="the recurrent bias row bias[1] is ignored"),
    Case("gru update gate unused", {"gru_cell_step": gru_cell(mix="candidate")}, hint="the update gate is not used",
         visible="the update gate z is not used"),
    Case("gru reset gate unused", {"gru_cell_step": edit(
        gru_cell(), "r = sigmoid(p[:, units:2 * units] + q[:, units:2 * units])", "r = 1.0")},
         hint="the reset gate is not used",
         visible="the reset gate r is not used"),
    Case("gru gates z and r swapped", {"gru_cell_step": edit(
        gru_cell(), GRU_GATES, GRU_GATES.replace("z =", "Z =").replace("r =", "z =").replace("Z =", "r ="))},
         hint="the blocks are read as r, z, h",
         visible="z and r are swapped (the blocks are read as r, z, h)"),
    Case("gru sequence read backwards", {"gru_forward": edit(gru_forward(), "x[:, t, :]", "x[:, -1 - t, :]")},
         hint="the sequence is processed backwards",
         visible="the sequence is processed backwards"),
]

ALTERNATIVE = [
    Case("np.split, einsum and preallocated outputs", {
        "lstm_cell_step": '''
def lstm_cell_step(x_t, h_prev, c_prev, kernel, recurrent_kernel, bias):
    pre = np.einsum("bi,ig->bg", x_t, kernel) + np.einsum("bu,ug->bg", h_prev, recurrent_kernel) + bias[None]
    gate_i, gate_f, cand, gate_o = np.split(pre, 4, axis=-1)
    cell = sigmoid(gate_f) * c_prev + sigmoid(gate_i) * np.tanh(cand)
    return sigmoid(gate_o) * np.tanh(cell), cell
''',
        "lstm_forward": '''
def lstm_forward(x, kernel, recurrent_kernel, bias, *, initial_state=None, return_sequences=False,
                 return_state=False):
    n, steps, _ = x.shape
    size = recurrent_kernel.shape[0]
    states = [np.zeros((n, size)), np.zeros((n, size))] if initial_state is None else [np.array(s) for s in initial_state]
    seq = np.empty((n, steps, size))
    for step in range(steps):
        states = list(lstm_cell_step(x[:, step], states[0], states[1], kernel, recurrent_kernel, bias))
        seq[:, step] = states[0]
    out = seq if return_sequences else seq[:, -1]
    return (out, *states) if return_state else out
''',
        "gru_cell_step": '''
def gru_cell_step(x_t, h_prev, kernel, recurrent_kernel, bias, *, reset_after=True):
    b_x, b_h = (bias[0], bias[1]) if reset_after else (bias, 0.0 * bias)
    wz, wr, wh = np.split(kernel, 3, axis=1)
    uz, ur, uh = np.split(recurrent_kernel, 3, axis=1)
    bxz, bxr, bxh = np.split(b_x, 3)
    bhz, bhr, bhh = np.split(b_h, 3)
    update = sigmoid(x_t @ wz + bxz + h_prev @ uz + bhz)
    reset = sigmoid(x_t @ wr + bxr + h_prev @ ur + bhr)
    if reset_after:
        proposal = np.tanh(x_t @ wh + bxh + reset * (h_prev @ uh + bhh))
    else:
        proposal = np.tanh(x_t @ wh + bxh + (reset * h_prev) @ uh)
    return update * h_prev + (1.0 - update) * proposal
''',
        "gru_forward": '''
def gru_forward(x, kernel, recurrent_kernel, bias, *, reset_after=True, initial_state=None,
                return_sequences=False, return_state=False):
    state = np.zeros((x.shape[0], recurrent_kernel.shape[0])) if initial_state is None else np.array(initial_state)
    history = []
    for x_t in np.moveaxis(x, 1, 0):
        state = gru_cell_step(x_t, state, kernel, recurrent_kernel, bias, reset_after=reset_after)
        history.append(state)
    out = np.stack(history, 1) if return_sequences else history[-1]
    if return_state:
        return (out, state)
    return out
''',
    }),
]

CHEAT = [
    Case("imports the reference", {
        "gru_forward": (
            "from rnn_reference import gru_forward as _ref\n"
            "def gru_forward(x, kernel, recurrent_kernel, bias, **options):\n"
            "    return _ref(x, kernel, recurrent_kernel, bias, **options)\n")},
        hint="calls the reference package",
        zero=("test_gru_forward_last_step_hidden", "test_gru_forward_sequences_hidden",
              "test_gru_forward_state_hidden")),
]
