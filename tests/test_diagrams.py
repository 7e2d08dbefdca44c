"""The course's drawings (rnn_reference.diagrams) show the course's names, Keras's orders and equations.

Every check reads the Text artists of the returned Figure (their strings and where they are drawn),
so a drawing that swaps two gates, drops a time step or prints the other GRU convention fails.
No TensorFlow: the module needs matplotlib only, which the first test checks in a fresh interpreter.
"""

from __future__ import annotations

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import FancyBboxPatch  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from conftest import ROOT, tool_env  # noqa: E402
from rnn_reference import diagrams  # noqa: E402

DRAWINGS = {  # name -> arguments to draw it with; the defaults first, then the smallest and other shapes
    "draw_unrolled_rnn": [{}, {"timesteps": 2}, {"timesteps": 7}],
    "draw_rnn_cell": [{}],
    "draw_lstm_cell": [{}],
    "draw_gru_cell": [{}],
    "draw_stacked_rnn": [{}, {"layers": 1, "timesteps": 2}, {"layers": 3, "timesteps": 3}],
    "draw_bidirectional_rnn": [{}, {"timesteps": 2}, {"timesteps": 6}],
}
CASES = [(name, kwargs) for name, all_kwargs in DRAWINGS.items() for kwargs in all_kwargs]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def norm(s: str) -> str:
    """A Text's string without mathtext markup and spaces: '$h^{(1)}_{2}$' -> 'h^(1)_2'."""
    for token in (r"\mathtt", r"\!", r"\,", r"\ ", r"\qquad", "$", "{", "}", " ", "\n"):
        s = s.replace(token, "")
    return s.replace(r"\_", "_")


def texts(fig: Figure) -> list[tuple[str, float, float]]:
    """(normalised string, x, y) of every non-empty Text in the figure, x and y its centre in pixels."""
    fig.canvas.draw()
    found = []
    for text in fig.findobj(Text):
        if text.get_text().strip() and text.get_visible():
            box = text.get_window_extent()
            found.append((norm(text.get_text()), (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2))
    return found


def strings(fig: Figure) -> list[str]:
    return [s for s, _, _ in texts(fig)]


def left_to_right(fig: Figure, names) -> list[str]:
    """The texts equal to one of `names`, ordered by where they are drawn, left to right."""
    return [s for s, x, _ in sorted(texts(fig), key=lambda item: item[1]) if s in names]


def test_drawings_need_no_tensorflow():
    """In a fresh interpreter, all six drawings load neither TensorFlow nor Keras."""
    script = (
        "import sys\n"
        "from rnn_reference import diagrams\n"
        "figs = [diagrams.draw_unrolled_rnn(), diagrams.draw_rnn_cell(), diagrams.draw_lstm_cell(),\n"
        "        diagrams.draw_gru_cell(), diagrams.draw_stacked_rnn(), diagrams.draw_bidirectional_rnn()]\n"
        "loaded = [m for m in ('tensorflow', 'keras') if m in sys.modules]\n"
        "assert not loaded, f'the drawings imported {loaded}'\n"
        "print('ok', len(figs))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env={**tool_env(), "MPLBACKEND": "Agg"},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok 6", result.stdout + result.stderr


@pytest.mark.parametrize("name, kwargs", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_a_pyplot_figure_legible_and_unclipped(name, kwargs):
    """Each call opens exactly one pyplot figure and returns it; no text under 10 pt, cut off or overlapping."""
    before = set(plt.get_fignums())
    fig = getattr(diagrams, name)(**kwargs)
    opened = set(plt.get_fignums()) - before
    assert isinstance(fig, Figure) and len(opened) == 1 and plt.figure(opened.pop()) is fig
    assert not fig.axes[0].axison, "a drawing shows no axes or ticks"
    fig.canvas.draw()
    all_text = [t for t in fig.findobj(Text) if t.get_text().strip()]
    assert all(t.get_fontsize() >= 10 for t in all_text), [t.get_text() for t in all_text if t.get_fontsize() < 10]
    boxes = [(t.get_text(), t.get_window_extent().expanded(0.98, 0.95)) for t in all_text]
    page = fig.bbox
    cut = [s for s, b in boxes if not (page.x0 <= b.x0 and b.x1 <= page.x1 and page.y0 <= b.y0 and b.y1 <= page.y1)]
    assert not cut, f"text outside the figure: {cut}"
    overlapping = [(a, b) for i, (a, box_a) in enumerate(boxes) for b, box_b in boxes[i + 1:] if box_a.overlaps(box_b)]
    assert not overlapping, f"overlapping text: {overlapping}"


@pytest.mark.parametrize("timesteps", [2, 4, 7])
def test_unrolled_rnn_names_every_step(timesteps):
    """x_1..x_T and h_1..h_T for the requested T (no more), h_0 = 0, and the three shared weights."""
    found = strings(diagrams.draw_unrolled_rnn(timesteps))
    for t in range(1, timesteps + 1):
        assert f"x_{t}" in found and f"h_{t}" in found, f"step {t} missing from {found}"
    assert f"x_{timesteps + 1}" not in found and f"h_{timesteps + 1}" not in found
    assert found.count(f"x_{timesteps}") == 1, "one input per step"
    assert "h_0=0" in found and "x_t" in found and "h_t-1" in found  # the folded cell and its loop
    assert found.count("cell") == timesteps + 1  # the folded cell and one copy per step
    shared = " ".join(found)
    assert all(name in shared for name in ("kernel", "recurrent_kernel", "bias"))


def test_rnn_cell_equation_and_weights():
    """The SimpleRNN step names kernel, recurrent_kernel, bias and tanh and prints its equation."""
    found = strings(diagrams.draw_rnn_cell())
    assert r"h_t=\tanh(x_t\cdotkernel+h_t-1\cdotrecurrent_kernel+bias)" in found, found
    for name in (r"\cdotkernel", r"\cdotrecurrent_kernel", "bias", "tanh", "x_t", "h_t-1"):
        assert name in found, f"{name} missing from {found}"
    assert found.count("h_t") == 2, "h_t leaves as the output and as the next step's state"


def test_lstm_blocks_in_keras_order():
    """The four blocks read i, f, c, o left to right, each under its Keras letter, with Keras's equations."""
    fig = diagrams.draw_lstm_cell()
    names = ["input gate", "forget gate", "candidate", "output gate"]
    order = left_to_right(fig, {norm(n) for n in names})
    assert order == [norm(n) for n in names], f"blocks drawn in the order {order}, Keras's is i, f, c, o"
    letters = left_to_right(fig, {"i", "f", "c", "o"})
    assert letters == ["i", "f", "c", "o"], letters
    # each Keras letter sits under its own block: the nearest block name horizontally is the right one
    found = texts(fig)
    blocks = {s: x for s, x, _ in found if s in {norm(n) for n in names}}
    for letter, name in zip("ifco", names):
        x = next(x for s, x, _ in found if s == letter)
        assert min(blocks, key=lambda b: abs(blocks[b] - x)) == norm(name), f"block {letter} is not under {name}"
    found = strings(fig)
    assert r"c_t=f_t\odotc_t-1+i_t\odot\tildec_th_t=o_t\odot\tanh(c_t)" in found, found
    for label in ("i_t", "f_t", r"\tildec_t", "o_t", "c_t-1", "c_t", "h_t-1", "h_t", "x_t"):
        assert label in found, f"{label} missing"
    assert sum(s == r"\sigma" for s in found) == 3 and found.count("tanh") == 2  # 3 gates, candidate, tanh(c_t)


def test_gru_keras_order_and_convention():
    """Blocks z, r, h left to right; h_t = z h_{t-1} + (1 - z) h~_t (Keras's, not the paper's); reset after."""
    fig = diagrams.draw_gru_cell()
    names = [norm(n) for n in ("update gate", "reset gate", "candidate")]
    assert left_to_right(fig, set(names)) == names
    assert left_to_right(fig, {"z", "r", "h"}) == ["z", "r", "h", "h"]
    found = strings(fig)
    assert r"h_t=z_t\odoth_t-1+(1-z_t)\odot\tildeh_t" in found, found
    assert not any(r"(1-z_t)\odoth_t-1" in s for s in found), "that is the paper's convention, not Keras's"
    assert any(r"r_t\odot(h_t-1U_h+b_hh)" in s for s in found), "reset_after=True: r scales h_{t-1} U_h + b_hh"
    assert any("reset_after=True" in s for s in found)
    for label in ("z_t", "r_t", "1-z_t", r"\tildeh_t", "h_t-1", "h_t", "x_t"):
        assert label in found, f"{label} missing"


@pytest.mark.parametrize("layers, timesteps", [(1, 2), (2, 4), (3, 3)])
def test_stacked_rnn_every_layer_feeds_the_next(layers, timesteps):
    """Layer l's h^(l)_t is drawn at every step for every layer but the last, which returns only h^(L)_T."""
    found = strings(diagrams.draw_stacked_rnn(layers, timesteps))
    for t in range(1, timesteps + 1):
        assert f"x_{t}" in found
        for layer in range(1, layers):
            assert f"h^({layer})_{t}" in found, f"h^({layer})_{t} missing"
        if t < timesteps:
            assert f"h^({layers})_{t}" not in found, "the last layer returns only its last state"
    assert f"h^({layers})_{timesteps}" in found
    assert sum(s.startswith("return_sequences=True") for s in found) == layers - 1
    assert sum(s.startswith("return_sequences=False") for s in found) == 1
    assert found.count(f"layer{layers}") == timesteps and f"layer{layers + 1}" not in found


@pytest.mark.parametrize("timesteps", [2, 4])
def test_bidirectional_concatenates_and_returns_both_last_states(timesteps):
    """A forward and a backward cell per step, [h->_t ; h<-_t] per step, and the two states returned outlined."""
    fig = diagrams.draw_bidirectional_rnn(timesteps)
    found = strings(fig)
    assert found.count("forward") == timesteps and found.count("backward") == timesteps
    for t in range(1, timesteps + 1):
        assert rf"[\overrightarrowh_{t};\overleftarrowh_{t}]" in found and f"x_{t}" in found
    returned = rf"[\overrightarrowh_{timesteps};\overleftarrowh_1]"
    assert any(returned in s for s in found), f"{returned} missing from {found}"
    # the outlined cells are forward's last step and backward's first (its state after reading x_1)
    outlined = [p for p in fig.axes[0].patches
                if isinstance(p, FancyBboxPatch) and p.get_linewidth() > 2.5]
    centres = sorted(p.get_window_extent().x0 + p.get_window_extent().width / 2 for p in outlined)
    cells = {kind: sorted(x for s, x, _ in texts(fig) if s == kind) for kind in ("forward", "backward")}
    assert len(centres) == 2
    assert centres[0] == pytest.approx(cells["backward"][0], abs=2), "backward cell of step 1 is outlined"
    assert centres[1] == pytest.approx(cells["forward"][-1], abs=2), f"forward cell of step {timesteps} is outlined"


@pytest.mark.parametrize("call, kwargs, exception, fragment", [
    ("draw_unrolled_rnn", {"timesteps": 1}, ValueError, "timesteps must be at least 2, got 1"),
    ("draw_unrolled_rnn", {"timesteps": 0}, ValueError, "timesteps must be at least 2"),
    ("draw_unrolled_rnn", {"timesteps": 99}, ValueError, "timesteps must be at most"),
    ("draw_unrolled_rnn", {"timesteps": 2.5}, TypeError, "timesteps must be an integer"),
    ("draw_stacked_rnn", {"layers": 0}, ValueError, "layers must be at least 1, got 0"),
    ("draw_stacked_rnn", {"layers": 2, "timesteps": 1}, ValueError, "timesteps must be at least 2"),
    ("draw_stacked_rnn", {"layers": True}, TypeError, "layers must be an integer"),
    ("draw_bidirectional_rnn", {"timesteps": 1}, ValueError, "timesteps must be at least 2"),
])
def test_bad_arguments_are_named(call, kwargs, exception, fragment):
    """A bad count raises before anything is drawn, naming the argument, the bound and the value."""
    before = plt.get_fignums()
    with pytest.raises(exception, match=fragment):
        getattr(diagrams, call)(**kwargs)
    assert plt.get_fignums() == before
