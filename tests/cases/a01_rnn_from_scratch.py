"""Assignment a01_rnn_from_scratch: wrong, alternative and cheating submissions (see tests/cases/__init__.py)."""

from . import Case, edit

MAX_SCORE = 10

CELL = "def rnn_cell_step(x_t, h_prev, kernel, recurrent_kernel, bias):\n    return {body}\n"
FORWARD = '''
def simple_rnn_forward(x, kernel, recurrent_kernel, bias, *, initial_state=None,
                       return_sequences=False, return_state=False):
    batch, timesteps, _ = x.shape
    h = np.zeros((batch, recurrent_kernel.shape[0])) if initial_state is None else initial_state
    start = h
    states = []
    for t in range(timesteps):
        h = rnn_cell_step(x[:, t, :], {prev}, kernel, recurrent_kernel, bias)
        states.append(h)
    output = {output}
    if return_state:
        return [output, h]
    return output
'''


def forward(prev="h", output="np.stack(states, axis=1) if return_sequences else h"):
    return FORWARD.format(prev=prev, output=output)


WRONG = [
    Case("bias missing", {"rnn_cell_step": CELL.format(
        body="np.tanh(x_t @ kernel + h_prev @ recurrent_kernel)")}, hint="the bias is missing",
        visible="the bias (0.3) is missing"),
    Case("recurrent kernel transposed", {"rnn_cell_step": CELL.format(
        body="np.tanh(x_t @ kernel + h_prev @ recurrent_kernel.T + bias)")},
        hint="recurrent kernel is used transposed", visible="the recurrent kernel is used transposed"),
    Case("relu instead of tanh", {"rnn_cell_step": CELL.format(
        body="np.maximum(x_t @ kernel + h_prev @ recurrent_kernel + bias, 0)")},
        hint="relu is used instead of tanh", visible="apply np.tanh to it (relu"),
    Case("state not carried", {"simple_rnn_forward": forward(prev="start")}, hint="not carried",
         visible="the hidden state is not carried from one step to the next"),
    Case("all steps returned always", {"simple_rnn_forward": forward(output="np.stack(states, axis=1)")},
         hint="you returned every step", visible="you returned every step"),
    Case("last step returned for sequences", {"simple_rnn_forward": forward(output="h")},
         hint="you returned only the last step", visible="expected (batch, timesteps, units) = (2, 5, 4), got (2, 4)"),
]

MORE_WRONG = [
    Case("sigmoid instead of tanh", {"rnn_cell_step": CELL.format(
        body="1 / (1 + np.exp(-(x_t @ kernel + h_prev @ recurrent_kernel + bias)))")},
        hint="sigmoid is used instead of tanh", visible="the activation is tanh, not sigmoid"),
    Case("kernel transposed", {"rnn_cell_step": CELL.format(
        body="np.tanh(x_t @ kernel.T + h_prev @ recurrent_kernel + bias)")},
        hint="the kernel is used transposed", visible="is a kernel used transposed"),
    Case("initial_state ignored", {"simple_rnn_forward": edit(
        forward(), "h = np.zeros((batch, recurrent_kernel.shape[0])) if initial_state is None else initial_state",
        "h = np.zeros((batch, recurrent_kernel.shape[0]))")},
        hint="initial_state is ignored", visible="initial_state=[[2.0]] is ignored"),
    Case("first step returned", {"simple_rnn_forward": forward(
        output="np.stack(states, axis=1) if return_sequences else states[0]")},
        hint="the first step is returned instead of the last", visible="that is the first step"),
    Case("final state is the initial state", {"simple_rnn_forward": edit(forward(), "return [output, h]",
                                                                          "return [output, start]")},
         hint="the final state returned is the initial state", visible="the final state returned is h_0"),
    Case("sequence read backwards", {"simple_rnn_forward": edit(forward(), "x[:, t, :]", "x[:, timesteps - 1 - t, :]")},
         hint="the sequence is processed backwards", visible="the sequence is processed backwards"),
]

ALTERNATIVE = [
    Case("einsum and a preallocated array", {
        "rnn_cell_step": (
            "def rnn_cell_step(x_t, h_prev, kernel, recurrent_kernel, bias):\n"
            "    pre = np.einsum('bi,iu->bu', x_t, kernel) + np.einsum('bv,vu->bu', h_prev, recurrent_kernel)\n"
            "    return np.tanh(pre + bias[None, :])\n"),
        "simple_rnn_forward": (
            "def simple_rnn_forward(x, kernel, recurrent_kernel, bias, *, initial_state=None,\n"
            "                       return_sequences=False, return_state=False):\n"
            "    n, steps, _ = x.shape\n"
            "    hidden = np.zeros((n, steps, recurrent_kernel.shape[1]))\n"
            "    state = np.zeros((n, recurrent_kernel.shape[1])) if initial_state is None else np.array(initial_state)\n"
            "    for step in range(steps):\n"
            "        state = np.tanh(x[:, step] @ kernel + state @ recurrent_kernel + bias)\n"
            "        hidden[:, step] = state\n"
            "    result = hidden if return_sequences else hidden[:, -1]\n"
            "    return (result, state) if return_state else result\n"),
    }),
]

CHEAT = [
    Case("imports the reference", {
        "simple_rnn_forward": (
            "from rnn_reference import simple_rnn_forward as _ref\n"
            "def simple_rnn_forward(x, kernel, recurrent_kernel, bias, **options):\n"
            "    return _ref(x, kernel, recurrent_kernel, bias, **options)\n")},
        hint="calls the reference package",
        zero=("test_simple_rnn_forward_last_step_hidden", "test_simple_rnn_forward_sequences_hidden",
              "test_simple_rnn_forward_state_hidden")),
]
