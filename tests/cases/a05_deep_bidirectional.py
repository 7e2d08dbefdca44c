"""Assignment a05_deep_bidirectional: wrong, alternative and cheating submissions (see tests/cases/__init__.py)."""

from . import Case, edit

MAX_SCORE = 20
MANUAL_POINTS = 0

BIDIRECTIONAL = '''
def bidirectional_forward(x, forward_weights, backward_weights, *, merge_mode="concat",
                          return_sequences=False, layer_forward=simple_rnn_forward):
    forward = layer_forward(x, *forward_weights, return_sequences={forward_sequences})
    backward = layer_forward({backward_input}, *backward_weights, return_sequences={forward_sequences})
    {align}
    if merge_mode == "concat":
        return np.concatenate({halves}, axis=-1)
    if merge_mode == "sum":
        return forward + backward
    if merge_mode == "ave":
        return {ave}
    return forward * backward
'''
FLIP_BACK = "if return_sequences:\n        backward = backward[:, ::-1]"


def bidirectional(forward_sequences="return_sequences", backward_input="x[:, ::-1]", align=FLIP_BACK,
                  halves="[forward, backward]", ave="(forward + backward) / 2"):
    return BIDIRECTIONAL.format(forward_sequences=forward_sequences, backward_input=backward_input, align=align,
                                halves=halves, ave=ave)


STACKED = '''
def stacked_forward(x, layers, *, return_sequences=False):
    output = x
    for index, weights in enumerate(layers):
        last = index == len(layers) - 1
        {feed}
        output = simple_rnn_forward(output, *weights, return_sequences={sequences})
    return output
'''


def stacked(feed="pass", sequences="return_sequences if last else True"):
    return STACKED.format(feed=feed, sequences=sequences)


WEIGHTS = '''
def textbook_lstm_weights():
    bias = np.zeros(12)
    {bias}
    return [np.full((5, 12), 0.1), np.full((3, 12), 0.1), bias]
'''

WRONG = [
    Case("backward states not flipped back", {"bidirectional_forward": bidirectional(align="pass")},
         hint="the backward sequence is not flipped back",
         visible="flip the backward states back to the order of x"),
    Case("halves in the wrong order", {"bidirectional_forward": bidirectional(halves="[backward, forward]")},
         hint="the halves are in the wrong order",
         visible="the backward half comes first: Keras concatenates [forward, backward]"),
    Case("backward layer reads forwards", {"bidirectional_forward": bidirectional(backward_input="x", align="pass")},
         hint="the backward layer reads the sequence forwards",
         visible="the backward layer read x forwards"),
    Case("ave computed as a sum", {"bidirectional_forward": bidirectional(ave="forward + backward")},
         hint="merge_mode=ave is computed as a sum",
         visible="merge_mode='ave' returned the sum"),
    Case("last step of backward taken from the wrong end", {"bidirectional_forward": bidirectional(
        forward_sequences="True",
        align="backward = backward[:, ::-1]\n"
              "    if not return_sequences:\n"
              "        forward, backward = forward[:, -1], backward[:, -1]")},
         hint="the backward half is taken from the wrong end",
         visible="the backward layer's final state is the one after reading x1"),
    Case("stack without return_sequences between layers", {"stacked_forward": stacked(sequences="return_sequences")},
         hint="It needs return_sequences=True",
         visible="does the layer before it return only its last step? It needs return_sequences=True"),
    Case("stack feeds the last state on", {"stacked_forward": stacked(
        feed="output = output if index == 0 else output[:, -1:, :]")},
         hint="the layers after the first read only the previous layer",
         visible="layer 2 read only layer 1's last state"),
    Case("stack last layer always returns sequences", {"stacked_forward": stacked(sequences="True")},
         hint="you returned every step",
         visible="with return_sequences=False return only the last step"),
    Case("forget-gate bias left at 0", {"textbook_lstm_weights": WEIGHTS.format(bias="pass")},
         hint="the bias is all zeros",
         visible="look again at how Keras initialises the LSTM's bias"),
]

MORE_WRONG = [
    Case("mul computed as a sum", {"bidirectional_forward": edit(bidirectional(), "return forward * backward",
                                                                  "return forward + backward")},
         hint="merge_mode=mul is computed as sum",
         visible="merge_mode='mul' returned the sum"),
    Case("backward layer with the forward weights", {"bidirectional_forward": edit(
        bidirectional(), "*backward_weights", "*forward_weights")},
         hint="the backward layer uses the forward weights",
         visible="the backward layer must use backward_weights"),
    Case("halves joined along the batch axis", {"bidirectional_forward": edit(bidirectional(), "axis=-1", "axis=0")},
         hint="the halves are joined along the batch axis",
         visible="the halves are joined along the batch axis"),
    Case("halves joined along the time axis", {"bidirectional_forward": edit(bidirectional(), "axis=-1", "axis=1")},
         hint="the halves are joined along the time axis", visible="the halves are joined along the time axis"),
    Case("last steps taken before flipping back", {"bidirectional_forward": edit(
        bidirectional(align="pass", forward_sequences="True"), 'if merge_mode == "concat"',
        "if not return_sequences:\n        forward, backward = forward[:, -1], backward[:, -1]\n    if merge_mode == \"concat\"")},
         hint="the backward sequence is not flipped back",
         visible="flip the backward states back to the order of x"),
    Case("layer_forward ignored", {"bidirectional_forward": edit(bidirectional(), "layer_forward(", "simple_rnn_forward(")},
         hint="it ignores layer_forward=lstm_forward",
         visible="bidirectional_forward ignores layer_forward"),
    Case("stack in reverse order", {"stacked_forward": edit(stacked(), "enumerate(layers)", "enumerate(layers[::-1])")},
         hint="the layers are applied in reverse order",
         visible="the layers are applied in reverse order"),
    Case("every layer reads x", {"stacked_forward": edit(stacked(), "simple_rnn_forward(output,", "simple_rnn_forward(x,")},
         hint="every layer reads the original x",
         visible="layer 2 read x: each layer must read the previous layer's output"),
    Case("forget bias in the output gate block", {"textbook_lstm_weights": WEIGHTS.format(bias="bias[9:] = 1.0")},
         hint="the 1s are in the output gate block",
         visible="the 1s are in the output gate block"),
    Case("forget bias in the input gate block", {"textbook_lstm_weights": WEIGHTS.format(bias="bias[:3] = 1.0")},
         hint="the 1s are in the input gate block", visible="the 1s are in the input gate block"),
    Case("whole bias 1", {"textbook_lstm_weights": WEIGHTS.format(bias="bias[:] = 1.0")}, hint="the whole bias is 1",
         visible="the whole bias is 1"),
]

ALTERNATIVE = [
    Case("np.flip, a table of merge functions, a while loop", {
        "bidirectional_forward": '''
MERGE = {"concat": lambda a, b: np.concatenate((a, b), axis=a.ndim - 1), "sum": np.add,
         "ave": lambda a, b: 0.5 * (a + b), "mul": np.multiply}

def bidirectional_forward(x, forward_weights, backward_weights, *, merge_mode="concat",
                          return_sequences=False, layer_forward=simple_rnn_forward):
    fwd_seq = layer_forward(x, *forward_weights, return_sequences=True)
    bwd_seq = np.flip(layer_forward(np.flip(x, axis=1), *backward_weights, return_sequences=True), axis=1)
    if return_sequences:
        return MERGE[merge_mode](fwd_seq, bwd_seq)
    return MERGE[merge_mode](fwd_seq[:, -1, :], bwd_seq[:, 0, :])
''',
        "stacked_forward": '''
def stacked_forward(x, layers, *, return_sequences=False):
    h = x
    remaining = list(layers)
    while len(remaining) > 1:
        h = simple_rnn_forward(h, *remaining.pop(0), return_sequences=True)
    return simple_rnn_forward(h, *remaining[0], return_sequences=return_sequences)
''',
        "textbook_lstm_weights": '''
def textbook_lstm_weights():
    n, d = 3, 5
    blocks = [np.zeros(n), np.ones(n), np.zeros(n), np.zeros(n)]   # i, f, c, o: unit_forget_bias
    return (0.1 * np.ones((d, 4 * n)), 0.1 * np.ones((n, 4 * n)), np.concatenate(blocks))
''',
        "textbook_bilstm": '''
def textbook_bilstm(x):
    w = list(textbook_lstm_weights())
    return bidirectional_forward(x, w, [a.copy() for a in w], merge_mode="concat", return_sequences=True,
                                 layer_forward=lstm_forward)
''',
    }),
]

CHEAT = [
    Case("imports the reference", {
        "bidirectional_forward": '''
from rnn_reference import bidirectional_forward as _ref

def bidirectional_forward(x, forward_weights, backward_weights, *, merge_mode="concat",
                          return_sequences=False, layer_forward=simple_rnn_forward):
    layer = "lstm" if layer_forward is lstm_forward else "simple_rnn"
    return _ref(x, layer, forward_weights, backward_weights, merge_mode=merge_mode,
                return_sequences=return_sequences)
'''},
        hint="calls the reference package",
        zero=("test_bidirectional_forward_last_step_hidden", "test_bidirectional_forward_sequences_hidden",
              "test_bidirectional_forward_merge_modes_hidden", "test_textbook_bilstm_hidden")),
]
