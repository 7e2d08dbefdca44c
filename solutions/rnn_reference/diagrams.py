"""The course's drawings of recurrent cells and layers, drawn with matplotlib when a chapter is built.

Used in chapters/01_recurrent_cell (unrolled RNN, SimpleRNN cell), chapters/04_deep_bidirectional
(stacked and bidirectional layers), chapters/06_lstm (LSTM cell) and chapters/07_gru (GRU cell).

Every drawing uses the course's names (`x_t`, `h_{t-1}`, `kernel`, `recurrent_kernel`, `bias`),
Keras's block order (LSTM i, f, c, o; GRU z, r, h) and Keras's equations, checked against
keras/src/layers/rnn/{lstm,gru,bidirectional}.py (Keras 3.15). One colour per role, from the
Okabe-Ito palette (readable with every common colour-vision deficiency): blue the input, orange
the hidden state, green the LSTM's cell state, purple the sigmoid gates, grey weights and operations.

Each function draws with pyplot (so a notebook shows the figure once, as any plot) and returns the
`matplotlib.figure.Figure`; it needs only matplotlib, never TensorFlow.
"""

from __future__ import annotations

import numbers

import matplotlib.patheffects as path_effects
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path
from matplotlib.transforms import Bbox

__all__ = [
    "draw_unrolled_rnn",
    "draw_rnn_cell",
    "draw_lstm_cell",
    "draw_gru_cell",
    "draw_stacked_rnn",
    "draw_bidirectional_rnn",
]

# role -> (line colour, fill colour, text colour); text colours are dark enough for 4.5:1 on white
ROLES = {
    "input": ("#0072B2", "#DDEBF5", "#005A8C"),
    "hidden": ("#E69F00", "#FCEFD2", "#8A5A00"),
    "cell": ("#009E73", "#D6F0E7", "#006B4E"),
    "gate": ("#CC79A7", "#F6E3EE", "#8E3F6C"),
    "neutral": ("#5A5A5A", "#F0F0F0", "#222222"),
}
INCH_PER_UNIT = 0.72  # every drawing uses one scale, so text and boxes look the same size in all six
LABEL_SIZE = 14       # mathtext labels: x_t, h_{t-1}, ...
NAME_SIZE = 11        # names in and beside boxes
NOTE_SIZE = 11.5      # explanatory lines and equations
LINE_WIDTH = 2.0
MARGIN = 0.25         # white space around a drawing, in drawing units
MAX_TIMESTEPS = 8     # more copies do not fit the page's width legibly
MAX_LAYERS = 4


def _tt(name: str) -> str:
    """A Keras name in typewriter type inside mathtext: kernel, recurrent_kernel, return_sequences=True."""
    # mathtext spaces "=" as a relation; the negative spaces make `a=b` read as code
    return r"\mathtt{" + name.replace("_", r"\_").replace("=", r"}\!=\!\mathtt{") + "}"


def _count(name: str, value, minimum: int, maximum: int) -> int:
    """Check an integer argument of a drawing function; raise naming the argument and the bounds."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    if value > maximum:
        raise ValueError(f"{name} must be at most {maximum} (more do not fit the page's width), got {value}")
    return int(value)


class _Canvas:
    """A figure whose single axes spans it, in drawing units (INCH_PER_UNIT inches each), no axes shown.

    The limits given are a first guess: `done()` fits the figure to what was drawn, at the same scale.
    """

    def __init__(self, xlim: tuple[float, float], ylim: tuple[float, float]):
        width, height = xlim[1] - xlim[0], ylim[1] - ylim[0]
        self.fig = plt.figure(figsize=(width * INCH_PER_UNIT, height * INCH_PER_UNIT), facecolor="white")
        self.ax = self.fig.add_axes((0, 0, 1, 1))
        self.ax.set_xlim(*xlim)
        self.ax.set_ylim(*ylim)
        self.ax.set_axis_off()

    def text(self, x, y, s, role="neutral", size=LABEL_SIZE, ha="center", va="center", **kw):
        return self.ax.text(x, y, s, color=ROLES[role][2], fontsize=size, ha=ha, va=va, zorder=6, **kw)

    def box(self, x, y, w, h, role="neutral", text=None, size=NAME_SIZE, lw=1.6, ls="-", fill=True,
            edge=None, zorder=4):
        """A rounded box centred at (x, y); `text` (one string, may hold a newline) centred in it."""
        line, face, _ = ROLES[role]
        patch = FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0,rounding_size=0.12",
                               facecolor=face if fill else "none", edgecolor=edge or line, lw=lw, ls=ls,
                               zorder=zorder)
        self.ax.add_patch(patch)
        if text is not None:
            self.ax.text(x, y, text, color=ROLES["neutral"][2], fontsize=size, ha="center", va="center",
                         zorder=zorder + 1, linespacing=1.25)
        return patch

    def op(self, x, y, symbol, r=0.22, size=LABEL_SIZE):
        """A pointwise operation: a small circle holding x, + or 1-."""
        self.ax.add_patch(Circle((x, y), r, facecolor="white", edgecolor=ROLES["neutral"][0], lw=1.6,
                                 zorder=4))
        self.ax.text(x, y, symbol, fontsize=size, ha="center", va="center", zorder=5,
                     color=ROLES["neutral"][2])

    def arrow(self, *points, role="neutral", lw=LINE_WIDTH, head=True, halo=False, zorder=3):
        """A polyline through `points`, ending in an arrowhead; `halo` draws it over what it crosses."""
        patch = FancyArrowPatch(path=Path(points), arrowstyle="-|>" if head else "-", mutation_scale=16,
                                color=ROLES[role][0], lw=lw, joinstyle="miter", capstyle="butt",
                                zorder=zorder + (0.5 if halo else 0))  # over lines, under boxes
        if halo:
            patch.set_path_effects([path_effects.withStroke(linewidth=lw + 7, foreground="white")])
        self.ax.add_patch(patch)
        return patch

    def dot(self, x, y, role="neutral"):
        """A junction where a line branches."""
        self.ax.add_patch(Circle((x, y), 0.07, color=ROLES[role][0], zorder=5))

    def done(self) -> Figure:
        """Fit the figure to what was drawn (same scale, a small white margin) and return it."""
        extents = [artist.get_window_extent() for artist in (*self.ax.texts, *self.ax.patches)]
        drawn = Bbox.union(extents).transformed(self.ax.transData.inverted())
        x0, x1, y0, y1 = drawn.x0 - MARGIN, drawn.x1 + MARGIN, drawn.y0 - MARGIN, drawn.y1 + MARGIN
        self.ax.set_xlim(x0, x1)
        self.ax.set_ylim(y0, y1)
        self.fig.set_size_inches((x1 - x0) * INCH_PER_UNIT, (y1 - y0) * INCH_PER_UNIT)
        return self.fig


def draw_unrolled_rnn(timesteps: int = 4) -> Figure:
    """Draw an RNN folded and unrolled over `timesteps` (int, 2-8) steps; chapters/01_recurrent_cell."""
    timesteps = _count("timesteps", timesteps, 2, MAX_TIMESTEPS)
    step, x0, y = 1.9, 5.6, 2.0            # distance between copies, first copy, height of the cells
    w, h = 1.1, 0.9
    right = x0 + (timesteps - 1) * step + w / 2 + 0.35
    c = _Canvas((0, right), (-1.25, 3.95))

    # folded: one cell, its input, its output and the loop that hands h_t to the next step
    fx = 1.25
    c.box(fx, y, w, h, "hidden", "cell", size=NAME_SIZE + 1)
    c.arrow((fx, 0.62), (fx, y - h / 2), role="input")
    c.text(fx, 0.35, "$x_t$", "input")
    c.arrow((fx, y + h / 2), (fx, 3.15), role="hidden")
    c.text(fx, 3.45, "$h_t$", "hidden")
    c.ax.add_patch(FancyArrowPatch((fx + w / 2, y + 0.25), (fx + w / 2, y - 0.25), arrowstyle="-|>",
                                   connectionstyle="arc,angleA=0,angleB=0,armA=34,armB=34,rad=14",
                                   mutation_scale=16, color=ROLES["hidden"][0], lw=LINE_WIDTH, shrinkA=0,
                                   shrinkB=0, zorder=3))
    c.text(fx + w / 2 + 0.75, y, "$h_{t-1}$", "hidden", ha="left")

    # the unroll arrow
    c.ax.add_patch(FancyArrowPatch((3.3, y), (4.2, y), arrowstyle="simple,head_width=1.1,head_length=0.8",
                                   mutation_scale=20, color="#BBBBBB", lw=0, zorder=2))
    c.text(3.75, y + 0.5, "unroll", size=NAME_SIZE)

    # unrolled: one copy of the same cell per step
    c.arrow((x0 - w / 2 - 0.85, y), (x0 - w / 2, y), role="hidden")
    c.text(x0 - w / 2 - 0.45, y + 0.3, "$h_0 = 0$", "hidden", size=LABEL_SIZE - 2)
    for t in range(1, timesteps + 1):
        x = x0 + (t - 1) * step
        c.box(x, y, w, h, "hidden", "cell", size=NAME_SIZE + 1)
        c.arrow((x, 0.62), (x, y - h / 2), role="input")
        c.text(x, 0.35, f"$x_{{{t}}}$", "input")
        c.arrow((x, y + h / 2), (x, 3.15), role="hidden")
        c.text(x, 3.45, f"$h_{{{t}}}$", "hidden")
        if t < timesteps:
            c.arrow((x + w / 2, y), (x + step - w / 2, y), role="hidden")
            c.text(x + step / 2, y + 0.3, f"$h_{{{t}}}$", "hidden", size=LABEL_SIZE - 2)

    # the copies share one set of weights
    first, last = x0 - w / 2, x0 + (timesteps - 1) * step + w / 2
    c.arrow((first, -0.15), (last, -0.15), head=False, lw=1.2)
    for end in (first, last):
        c.arrow((end, -0.15), (end, 0.05), head=False, lw=1.2)
    c.text((first + last) / 2, -0.48, "every copy is the same cell, with the same",
           size=NOTE_SIZE)
    c.text((first + last) / 2, -0.9, rf"${_tt('kernel')}$, ${_tt('recurrent_kernel')}$ and ${_tt('bias')}$",
           size=NOTE_SIZE + 1)
    return c.done()


def draw_rnn_cell() -> Figure:
    """Draw one SimpleRNN step: kernel, recurrent_kernel, bias and tanh; no arguments; chapters/01_recurrent_cell."""
    c = _Canvas((0, 10.6), (-1.55, 5.35))
    spine = 2.6                                   # the hidden state's line through the cell
    c.box(4.75, 2.175, 7.3, 3.55, "neutral", fill=False, ls=(0, (4, 3)), lw=1.2, zorder=1)
    c.text(1.25, 3.68, "SimpleRNN cell, step $t$", size=NAME_SIZE, ha="left", va="center")

    c.text(0.45, spine, "$h_{t-1}$", "hidden")
    c.box(3.05, spine, 2.6, 0.62, "neutral", rf"$\cdot\ {_tt('recurrent_kernel')}$", size=NAME_SIZE + 1)
    c.arrow((0.95, spine), (1.75, spine), role="hidden")

    c.box(3.05, 1.1, 1.5, 0.62, "neutral", rf"$\cdot\ {_tt('kernel')}$", size=NAME_SIZE + 1)
    c.arrow((3.05, -0.05), (3.05, 0.79), role="input")
    c.text(3.05, -0.35, "$x_t$", "input")

    plus = 5.2
    c.op(plus, spine, "+")
    c.arrow((4.35, spine), (plus - 0.22, spine), role="neutral")
    c.arrow((3.8, 1.1), (plus, 1.1), (plus, spine - 0.22), role="neutral")
    c.box(plus, 3.35, 0.95, 0.5, "neutral", rf"${_tt('bias')}$", size=NAME_SIZE + 1)
    c.arrow((plus, 3.1), (plus, spine + 0.22), role="neutral")

    c.box(6.55, spine, 0.95, 0.6, "neutral", "tanh", size=NAME_SIZE + 1)
    c.arrow((plus + 0.22, spine), (6.07, spine), role="neutral")

    fork = 7.8
    c.arrow((7.03, spine), (fork, spine), role="hidden", head=False)
    c.dot(fork, spine, "hidden")
    c.arrow((fork, spine), (fork, 4.45), role="hidden")
    c.text(fork, 4.75, "$h_t$", "hidden")
    c.text(fork + 0.2, 4.2, "output", size=NAME_SIZE, ha="left")
    c.arrow((fork, spine), (9.3, spine), role="hidden")
    c.text(9.55, spine, "$h_t$", "hidden", ha="left")
    c.text(9.0, spine - 0.45, "state for\nstep $t+1$", size=NAME_SIZE, ha="left", va="top")

    c.text(5.3, -1.1, rf"$h_t = \tanh(x_t \cdot {_tt('kernel')} + h_{{t-1}} \cdot {_tt('recurrent_kernel')}"
                      rf" + {_tt('bias')})$", size=LABEL_SIZE)
    return c.done()


def draw_lstm_cell() -> Figure:
    """Draw the LSTM cell, its four blocks in Keras's order i, f, c, o; no arguments; chapters/06_lstm."""
    c = _Canvas((0, 12.2), (-1.65, 6.55))
    top, low, blocks_y = 5.3, 1.35, 3.0            # cell-state line, h_{t-1} line, the four blocks
    bx = {"i": 3.0, "f": 4.75, "c": 6.5, "o": 8.25}
    c.box(5.95, 3.2, 9.0, 5.3, "neutral", fill=False, ls=(0, (4, 3)), lw=1.2, zorder=1)
    c.text(1.45, 5.98, "LSTM cell, step $t$", size=NAME_SIZE, ha="left", va="center")

    # the sum that feeds all four blocks, stored by Keras as [i | f | c | o] along the last axis
    c.text(0.45, low, "$h_{t-1}$", "hidden")
    c.arrow((0.95, low), (2.2, low), role="hidden")
    c.box(5.6, low, 6.8, 0.64, "neutral",
          rf"$x_t \cdot {_tt('kernel')} + h_{{t-1}} \cdot {_tt('recurrent_kernel')} + {_tt('bias')}$",
          size=NAME_SIZE + 1)
    c.arrow((2.75, -0.1), (2.75, low - 0.32), role="input")
    c.text(2.75, -0.4, "$x_t$", "input")

    names = {"i": (r"$\sigma$", "input gate", "gate"), "f": (r"$\sigma$", "forget gate", "gate"),
             "c": ("tanh", "candidate", "neutral"), "o": (r"$\sigma$", "output gate", "gate")}
    for block, x in bx.items():
        act, name, role = names[block]
        c.box(x, blocks_y, 1.5, 1.0, role)
        c.text(x, blocks_y + 0.2, act, size=LABEL_SIZE)
        c.text(x, blocks_y - 0.22, name, size=NAME_SIZE)
        c.arrow((x, low + 0.32), (x, blocks_y - 0.5), role="neutral")
        c.text(x + 0.12, (low + blocks_y) / 2 - 0.05, rf"${_tt(block)}$", size=NAME_SIZE, ha="left")

    # cell state: c_{t-1} -> x f_t -> + i_t * c~_t -> c_t
    mid = 4.2
    c.text(0.45, top, "$c_{t-1}$", "cell")
    c.arrow((0.95, top), (bx["f"] - 0.22, top), role="cell", lw=3)
    c.op(bx["f"], top, r"$\times$")
    c.arrow((bx["f"], blocks_y + 0.5), (bx["f"], top - 0.22), role="gate")
    c.text(bx["f"] - 0.12, 4.75, "$f_t$", "gate", ha="right")
    c.op(bx["c"], mid, r"$\times$")
    c.arrow((bx["i"], blocks_y + 0.5), (bx["i"], mid), (bx["c"] - 0.22, mid), role="gate", halo=True)
    c.text(3.6, mid + 0.27, "$i_t$", "gate")
    c.arrow((bx["c"], blocks_y + 0.5), (bx["c"], mid - 0.22), role="neutral")
    c.text(bx["c"] + 0.12, 3.8, r"$\tilde{c}_t$", ha="left")
    c.op(bx["c"], top, "+")
    c.arrow((bx["f"] + 0.22, top), (bx["c"] - 0.22, top), role="cell", lw=3)
    c.arrow((bx["c"], mid + 0.22), (bx["c"], top - 0.22), role="neutral")
    c.arrow((bx["c"] + 0.22, top), (11.0, top), role="cell", lw=3)
    c.text(11.25, top, "$c_t$", "cell", ha="left")

    # h_t = o_t * tanh(c_t)
    hx = 9.75
    c.dot(hx, top, "cell")
    c.box(hx, 4.3, 0.95, 0.5, "neutral", "tanh", size=NAME_SIZE + 1)
    c.arrow((hx, top), (hx, 4.55), role="cell")
    c.op(hx, blocks_y, r"$\times$")
    c.arrow((hx, 4.05), (hx, blocks_y + 0.22), role="neutral")
    c.arrow((bx["o"] + 0.75, blocks_y), (hx - 0.22, blocks_y), role="gate")
    c.text((bx["o"] + 0.75 + hx - 0.22) / 2, blocks_y + 0.27, "$o_t$", "gate")
    c.arrow((hx, blocks_y - 0.22), (hx, low), (11.0, low), role="hidden")
    c.text(11.25, low, "$h_t$", "hidden", ha="left")
    c.text(10.6, low - 0.22, "output and\nstate for $t+1$", size=NAME_SIZE - 1, ha="left", va="top")

    c.text(6.1, -1.25, r"$c_t = f_t \odot c_{t-1} + i_t \odot \tilde{c}_t \qquad h_t = o_t \odot \tanh(c_t)$",
           size=LABEL_SIZE)
    c.text(6.9, -0.4, r"blocks in Keras's order $\mathtt{i, f, c, o}$ ($\mathtt{c}$ is the candidate $\tilde{c}_t$)",
           size=NAME_SIZE)
    return c.done()


def draw_gru_cell() -> Figure:
    """Draw the GRU cell as Keras computes it (blocks z, r, h; reset_after=True); no arguments; chapters/07_gru."""
    c = _Canvas((0, 12.0), (-2.05, 7.55))
    top, gates_y, pre_y, bus = 6.5, 2.85, 1.5, 0.6
    zx, rx, hhx, xhx = 2.8, 4.6, 6.6, 8.8
    c.box(5.6, 3.55, 9.0, 6.7, "neutral", fill=False, ls=(0, (4, 3)), lw=1.2, zorder=1)
    c.text(1.25, 7.15, rf"GRU cell, step $t$, ${_tt('reset_after=True')}$ (the Keras default)", size=NAME_SIZE,
           ha="left", va="center")

    # h_{t-1} along the top; a copy of it and x_t run along the bottom to the three pre-activations
    c.text(0.45, top, "$h_{t-1}$", "hidden")
    c.arrow((0.95, top), (zx - 0.22, top), role="hidden", lw=3)
    c.dot(1.6, top, "hidden")
    c.arrow((1.6, top), (1.6, bus + 0.09), role="hidden")
    c.arrow((1.6, -0.45), (1.6, bus - 0.09), role="input")
    c.text(1.6, -0.75, "$x_t$", "input")
    c.dot(1.6, bus)
    c.arrow((1.6, bus), (xhx, bus), (xhx, pre_y - 0.3), role="neutral")
    c.text(1.78, bus + 0.25, r"$x_t,\ h_{t-1}$", size=NAME_SIZE - 1, ha="left")
    for x in (3.7, hhx):
        c.dot(x, bus)
        c.arrow((x, bus), (x, pre_y - 0.3), role="neutral")
    c.box(3.7, pre_y, 3.2, 0.6, "neutral", r"$x_t W + h_{t-1} U + b$", size=NAME_SIZE + 1)
    c.box(hhx, pre_y, 1.9, 0.6, "neutral", r"$h_{t-1} U_h + b_{hh}$", size=NAME_SIZE + 1)
    c.box(xhx, pre_y, 1.7, 0.6, "neutral", r"$x_t W_h + b_{xh}$", size=NAME_SIZE + 1)

    # update and reset gates, blocks z and r
    for block, x, name in (("z", zx, "update gate"), ("r", rx, "reset gate")):
        c.box(x, gates_y, 1.5, 1.0, "gate")
        c.text(x, gates_y + 0.2, r"$\sigma$", size=LABEL_SIZE)
        c.text(x, gates_y - 0.22, name, size=NAME_SIZE)
        c.arrow((x, pre_y + 0.3), (x, gates_y - 0.5), role="neutral")
        c.text(x + 0.12, (pre_y + gates_y) / 2 - 0.1, rf"${_tt(block)}$", size=NAME_SIZE, ha="left")

    # candidate, block h: tanh(x_t W_h + b_xh + r_t * (h_{t-1} U_h + b_hh))
    c.op(hhx, gates_y, r"$\times$")
    c.arrow((hhx, pre_y + 0.3), (hhx, gates_y - 0.22), role="neutral")
    c.text(hhx + 0.12, (pre_y + gates_y) / 2 - 0.1, rf"${_tt('h')}$", size=NAME_SIZE, ha="left")
    c.arrow((rx + 0.75, gates_y), (hhx - 0.22, gates_y), role="gate")
    c.text((rx + 0.75 + hhx - 0.22) / 2, gates_y + 0.27, "$r_t$", "gate")
    c.op(xhx, gates_y, "+")
    c.arrow((xhx, pre_y + 0.3), (xhx, gates_y - 0.22), role="neutral")
    c.text(xhx + 0.12, (pre_y + gates_y) / 2 - 0.1, rf"${_tt('h')}$", size=NAME_SIZE, ha="left")
    c.arrow((hhx + 0.22, gates_y), (xhx - 0.22, gates_y), role="neutral")
    cand_y = 4.2
    c.box(xhx, cand_y, 1.5, 1.0, "neutral")
    c.text(xhx, cand_y + 0.2, "tanh", size=LABEL_SIZE - 1)
    c.text(xhx, cand_y - 0.22, "candidate", size=NAME_SIZE)
    c.arrow((xhx, gates_y + 0.22), (xhx, cand_y - 0.5), role="neutral")

    # h_t = z_t * h_{t-1} + (1 - z_t) * h~_t
    mix_y = 5.4
    c.op(zx, top, r"$\times$")
    c.arrow((zx, gates_y + 0.5), (zx, top - 0.22), role="gate")
    c.text(zx - 0.12, 4.2, "$z_t$", "gate", ha="right")
    c.dot(zx, mix_y, "gate")
    c.op(5.7, mix_y, "1−", size=NAME_SIZE)
    c.arrow((zx, mix_y), (5.7 - 0.22, mix_y), role="gate")
    c.op(xhx, mix_y, r"$\times$")
    c.arrow((5.7 + 0.22, mix_y), (xhx - 0.22, mix_y), role="gate")
    c.text(7.2, mix_y + 0.28, "$1 - z_t$", "gate")
    c.arrow((xhx, cand_y + 0.5), (xhx, mix_y - 0.22), role="neutral")
    c.text(xhx + 0.12, 4.95, r"$\tilde{h}_t$", ha="left")
    c.op(xhx, top, "+")
    c.arrow((zx + 0.22, top), (xhx - 0.22, top), role="hidden", lw=3)
    c.arrow((xhx, mix_y + 0.22), (xhx, top - 0.22), role="neutral")
    c.arrow((xhx + 0.22, top), (10.75, top), role="hidden", lw=3)
    c.text(11.0, top, "$h_t$", "hidden", ha="left")
    c.text(10.25, top - 0.3, "output and\nstate for $t+1$", size=NAME_SIZE - 1, ha="left", va="top")

    c.text(6.0, -1.05, r"$h_t = z_t \odot h_{t-1} + (1 - z_t) \odot \tilde{h}_t$", size=LABEL_SIZE)
    c.text(6.0, -1.7, r"$\tilde{h}_t = \tanh(x_t W_h + b_{xh} + r_t \odot (h_{t-1} U_h + b_{hh}))$",
           size=LABEL_SIZE)
    return c.done()


def draw_stacked_rnn(layers: int = 2, timesteps: int = 4) -> Figure:
    """Draw `layers` (int, 1-4) stacked recurrent layers over `timesteps` (int, 2-8); chapters/04_deep_bidirectional."""
    layers = _count("layers", layers, 1, MAX_LAYERS)
    timesteps = _count("timesteps", timesteps, 2, MAX_TIMESTEPS)
    step, rise, x0, y0, w, h = 1.9, 1.95, 2.3, 1.45, 1.1, 0.8
    last_x = x0 + (timesteps - 1) * step
    top_y = y0 + (layers - 1) * rise
    c = _Canvas((0, last_x + w / 2 + 3.2), (-0.3, top_y + h / 2 + 1.45))

    for t in range(1, timesteps + 1):
        x = x0 + (t - 1) * step
        c.text(x, 0.1, f"$x_{{{t}}}$", "input")
        c.arrow((x, 0.38), (x, y0 - h / 2), role="input")
    for layer in range(1, layers + 1):
        y = y0 + (layer - 1) * rise
        c.arrow((x0 - w / 2 - 1.1, y), (x0 - w / 2, y), role="hidden")
        c.text(x0 - w / 2 - 0.55, y + 0.32, f"$h^{{({layer})}}_0 = 0$", "hidden", size=LABEL_SIZE - 2)
        for t in range(1, timesteps + 1):
            x = x0 + (t - 1) * step
            c.box(x, y, w, h, "hidden", f"layer {layer}", size=NAME_SIZE)
            if t < timesteps:
                c.arrow((x + w / 2, y), (x + step - w / 2, y), role="hidden")
            if layer < layers:
                c.arrow((x, y + h / 2), (x, y + rise - h / 2), role="hidden")
                c.text(x + 0.12, y + rise / 2, f"$h^{{({layer})}}_{{{t}}}$", "hidden", ha="left",
                       size=LABEL_SIZE - 1)
        note_x = last_x + w / 2 + 0.3
        if layer < layers:
            c.text(note_x, y + 0.2, rf"${_tt('return_sequences=True')}$:", size=NAME_SIZE, ha="left")
            c.text(note_x, y - 0.22, f"returns every $h^{{({layer})}}_t$", size=NAME_SIZE, ha="left")
        else:
            c.text(note_x, y + 0.2, rf"${_tt('return_sequences=False')}$:", size=NAME_SIZE, ha="left")
            c.text(note_x, y - 0.22, f"returns only $h^{{({layer})}}_{{{timesteps}}}$", size=NAME_SIZE, ha="left")
    c.arrow((last_x, top_y + h / 2), (last_x, top_y + h / 2 + 0.75), role="hidden")
    c.text(last_x, top_y + h / 2 + 1.05, f"$h^{{({layers})}}_{{{timesteps}}}$", "hidden")
    return c.done()


def draw_bidirectional_rnn(timesteps: int = 4) -> Figure:
    """Draw a Bidirectional layer over `timesteps` (int, 2-8), and what it returns; chapters/04_deep_bidirectional."""
    timesteps = _count("timesteps", timesteps, 2, MAX_TIMESTEPS)
    step, x0, w, h, shift = 2.3, 2.4, 1.25, 0.7, 0.6
    fwd_y, bwd_y, cat_y = 1.75, 3.35, 4.95
    last_x = x0 + (timesteps - 1) * step
    c = _Canvas((0, last_x + shift + w / 2 + 1.15), (-1.45, 6.0))
    returned = dict(edge=ROLES["neutral"][2], lw=3.0)

    for t in range(1, timesteps + 1):
        x = x0 + (t - 1) * step
        fx, bx = x - shift, x + shift
        c.text(x, 0.0, f"$x_{{{t}}}$", "input")
        c.arrow((x, 0.28), (x, 0.62), role="input", head=False)
        c.dot(x, 0.62, "input")
        c.arrow((x, 0.62), (fx, 0.62), (fx, fwd_y - h / 2), role="input")
        c.arrow((x, 0.62), (bx, 0.62), (bx, bwd_y - h / 2), role="input", halo=True)
        c.box(fx, fwd_y, w, h, "hidden", "forward", **(returned if t == timesteps else {}))
        c.box(bx, bwd_y, w, h, "hidden", "backward", **(returned if t == 1 else {}))
        if t < timesteps:
            c.arrow((fx + w / 2, fwd_y), (fx + step - w / 2, fwd_y), role="hidden")
            c.arrow((bx + step - w / 2, bwd_y), (bx + w / 2, bwd_y), role="hidden")
        c.arrow((fx, fwd_y + h / 2), (fx, cat_y - 0.3), role="hidden", halo=True)
        c.arrow((bx, bwd_y + h / 2), (bx, cat_y - 0.3), role="hidden")
        c.box(x, cat_y, 1.95, 0.6, "neutral",
              rf"$[\overrightarrow{{h}}_{{{t}}}\,;\,\overleftarrow{{h}}_{{{t}}}]$", size=LABEL_SIZE - 1)
    c.arrow((x0 - shift - w / 2 - 0.8, fwd_y), (x0 - shift - w / 2, fwd_y), role="hidden")
    c.text(x0 - shift - w / 2 - 0.45, fwd_y + 0.3, "$0$", "hidden", size=LABEL_SIZE - 2)
    c.arrow((last_x + shift + w / 2 + 0.8, bwd_y), (last_x + shift + w / 2, bwd_y), role="hidden")
    c.text(last_x + shift + w / 2 + 0.45, bwd_y + 0.3, "$0$", "hidden", size=LABEL_SIZE - 2)

    mid = (x0 + last_x) / 2
    c.text(mid, 5.62, rf"${_tt('return_sequences=True')}$ returns every step: "
                      rf"$[\overrightarrow{{h}}_t\,;\,\overleftarrow{{h}}_t]$, $2 \times {_tt('units')}$ numbers",
           size=NAME_SIZE)
    c.text(mid, -0.72, rf"${_tt('return_sequences=False')}$ returns $[\overrightarrow{{h}}_{{{timesteps}}}\,;\,"
                       r"\overleftarrow{h}_{1}]$, the two cells outlined in black:", size=NAME_SIZE)
    c.text(mid, -1.12, "each direction's state after its own last step", size=NAME_SIZE)
    return c.done()
