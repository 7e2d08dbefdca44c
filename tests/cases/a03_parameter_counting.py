"""Assignment a03_parameter_counting: wrong, alternative and cheating submissions (see tests/cases/__init__.py).

The assignment has two written answers graded by hand (nbgrader "manual" markdown cells, 2 points
each). Autograding leaves them ungraded (score 0, needs_manual_grade), so a perfect submission
autogrades to MAX_SCORE - MANUAL_POINTS until a person grades them.
"""

from . import Case

MAX_SCORE = 20
MANUAL_POINTS = 4  # answer_1 and answer_2, graded by hand
MANUAL_CELLS = ("answer_1", "answer_2")


def fn(signature: str, body: str) -> str:
    return f"def {signature}:\n    return {body}\n"


SIMPLE = "simple_rnn_params(units, input_dim)"
LSTM = "lstm_params(units, input_dim)"
GRU = "gru_params(units, input_dim, reset_after=True)"
EMBEDDING = "embedding_params(input_dim, output_dim)"
DENSE = "dense_params(input_dim, units, use_bias=True)"
BIDIRECTIONAL = "bidirectional_params(inner_params)"

WRONG = [
    Case("simple rnn bias missing", {"simple_rnn_params": fn(SIMPLE, "units * (input_dim + units)")},
         hint="the bias is missing: SimpleRNN has one bias per unit",
         visible="the bias (one per unit) is missing"),
    Case("simple rnn units squared missing", {"simple_rnn_params": fn(SIMPLE, "units * input_dim + units")},
         hint="the recurrent kernel is missing",
         visible="the recurrent kernel (units, units) is missing"),
    Case("lstm with three gate blocks", {"lstm_params": fn(LSTM, "3 * units * (input_dim + units + 1)")},
         hint="three blocks instead of four",
         visible="that is three blocks; an LSTM has four"),
    Case("lstm bias counted once", {"lstm_params": fn(LSTM, "4 * units * (input_dim + units) + units")},
         hint="the bias is counted once (units) instead of once per block",
         visible="the bias is counted once; each of the four blocks has its own"),
    Case("gru reset_after ignored", {"gru_params": fn(GRU, "3 * units * (input_dim + units + 1)")},
         hint="reset_after=True is ignored",
         visible="with reset_after=True the bias has two rows"),
    Case("embedding with a bias", {"embedding_params": fn(EMBEDDING, "input_dim * output_dim + output_dim")},
         hint="one row too many, or a bias",
         visible="an Embedding has no bias"),
    Case("dense without bias", {"dense_params": fn(DENSE, "input_dim * units")},
         hint="the bias is missing: with use_bias=True (the default) Dense has one bias per unit",
         visible="use_bias=True (the default) adds one bias per unit"),
    Case("dense use_bias ignored", {"dense_params": fn(DENSE, "input_dim * units + units")},
         hint="use_bias=False is ignored",
         visible="use_bias=False means no bias"),
    Case("bidirectional not doubled", {"bidirectional_params": fn(BIDIRECTIONAL, "inner_params")},
         hint="the count is not doubled",
         visible="a Bidirectional layer holds two copies of the layer"),
]

MORE_WRONG = [
    Case("lstm count returned as a list of blocks", {"lstm_params": fn(LSTM, "[units * (input_dim + units + 1)] * 4")},
         hint="must return one whole number",
         visible="lstm_params(3, 5) must return one whole number"),
    Case("simple rnn sizes swapped", {"simple_rnn_params": fn(SIMPLE, "input_dim * (input_dim + units + 1)")},
         hint="units and input_dim are swapped",
         visible="units and input_dim are swapped"),
    Case("gru with four blocks", {"gru_params": fn(GRU, "4 * units * (input_dim + units + (2 if reset_after else 1))")},
         hint="four blocks (an LSTM's count) instead of three",
         visible="four blocks (an LSTM's count); a GRU has three"),
    Case("gru reset_after=False ignored", {"gru_params": fn(GRU, "3 * units * (input_dim + units + 2)")},
         hint="reset_after=False is ignored",
         visible="with reset_after=False the bias is one row"),
    Case("dense bias per input", {"dense_params": fn(DENSE, "input_dim * units + (input_dim if use_bias else 0)")},
         hint="the bias is counted per input",
         visible="the bias is counted per input (128); it is one per unit"),
    Case("dense one bias in total", {"dense_params": fn(DENSE, "input_dim * units + (1 if use_bias else 0)")},
         hint="one bias in total (+ 1)", visible="one bias in total; there is one per unit (4)"),
    Case("embedding sizes added", {"embedding_params": fn(EMBEDDING, "input_dim + output_dim")},
         hint="the sizes are added instead of multiplied",
         visible="the sizes are added instead of multiplied"),
    Case("lstm recurrent kernel square", {"lstm_params": fn(LSTM, "4 * units * input_dim + units * units + 4 * units")},
         hint="the recurrent kernel is counted as (units, units)",
         visible="the recurrent kernel is counted as (units, units)"),
    Case("bidirectional returns a list", {"bidirectional_params": fn(BIDIRECTIONAL, "[inner_params, inner_params]")},
         hint="must return one whole number",
         visible="must return one whole number"),
]

ALTERNATIVE = [
    Case("counting the weight shapes with numpy", {
        "simple_rnn_params": (
            "def simple_rnn_params(units, input_dim):\n"
            "    shapes = [(input_dim, units), (units, units), (units,)]\n"
            "    return sum(int(np.prod(s)) for s in shapes)\n"),
        "lstm_params": (
            "def lstm_params(units, input_dim):\n"
            "    gates = 'ifco'\n"
            "    total = 0\n"
            "    for _ in gates:\n"
            "        total += simple_rnn_params(units, input_dim)\n"
            "    return total\n"),
        "gru_params": (
            "def gru_params(units, input_dim, reset_after=True):\n"
            "    bias_shape = (2, 3 * units) if reset_after else (3 * units,)\n"
            "    shapes = [(input_dim, 3 * units), (units, 3 * units), bias_shape]\n"
            "    return np.sum([np.prod(s) for s in shapes])\n"),
        "embedding_params": "def embedding_params(input_dim, output_dim):\n    return int(np.prod((input_dim, output_dim)))\n",
        "dense_params": (
            "def dense_params(input_dim, units, use_bias=True):\n"
            "    n = input_dim * units\n"
            "    if use_bias:\n"
            "        n += units\n"
            "    return n\n"),
        "bidirectional_params": "def bidirectional_params(inner_params):\n    return inner_params + inner_params\n",
    }),
]

CHEAT = [
    Case("imports the reference", {
        "lstm_params": (
            "from rnn_reference import lstm_params as _ref\n"
            "def lstm_params(units, input_dim):\n"
            "    return _ref(units, input_dim)\n")},
        hint="calls the reference package", zero=("test_lstm_params_hidden",)),
]
