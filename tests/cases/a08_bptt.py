"""Assignment a08_bptt: wrong, alternative and cheating submissions (see tests/cases/__init__.py).

The assignment has one written answer graded by hand (answer_1, 2 points): autograding leaves it
ungraded, so a perfect submission autogrades to MAX_SCORE - MANUAL_POINTS until a person grades it.
"""

from . import Case, edit

MAX_SCORE = 20
MANUAL_POINTS = 2  # answer_1, graded by hand
MANUAL_CELLS = ("answer_1",)

STEP = '''
def rnn_step_backward(dh, x_t, h_prev, h_t, kernel, recurrent_kernel):
    da = {da}
    dx_t = {dx_t}
    dh_prev = {dh_prev}
    dkernel = {dkernel}
    drecurrent_kernel = {drecurrent_kernel}
    dbias = {dbias}
    return dx_t, dh_prev, dkernel, drecurrent_kernel, dbias
'''
STEP_RIGHT = dict(da="dh * (1 - h_t ** 2)", dx_t="da @ kernel.T", dh_prev="da @ recurrent_kernel.T",
                  dkernel="x_t.T @ da", drecurrent_kernel="h_prev.T @ da", dbias="da.sum(axis=0)")


def step(**changes) -> dict:
    """The rnn_step_backward cell with some of its lines changed."""
    return {"rnn_step_backward": STEP.format(**{**STEP_RIGHT, **changes})}


BACKWARD = '''
def rnn_backward(dh_seq, x, h0, h_seq, kernel, recurrent_kernel):
    timesteps = x.shape[1]
    dx = np.zeros_like(x)
    dkernel = np.zeros_like(kernel)
    drecurrent_kernel = np.zeros_like(recurrent_kernel)
    dbias = np.zeros(recurrent_kernel.shape[0])
    dh_next = np.zeros_like(h0)
    for t in {order}:
        h_prev = {h_prev}
        dh = {dh}
        dx[:, t, :], dh_next, dk, drk, db = rnn_step_backward(
            dh, x[:, t, :], h_prev, h_seq[:, t, :], kernel, recurrent_kernel)
        {accumulate}
    return dx, {dh0}, dkernel, drecurrent_kernel, dbias
'''
BACKWARD_RIGHT = dict(order="reversed(range(timesteps))", h_prev="h0 if t == 0 else h_seq[:, t - 1, :]",
                      dh="dh_seq[:, t, :] + dh_next",
                      accumulate="dkernel += dk\n        drecurrent_kernel += drk\n        dbias += db",
                      dh0="dh_next")


def backward(**changes) -> dict:
    """The rnn_backward cell with some of its lines changed."""
    return {"rnn_backward": BACKWARD.format(**{**BACKWARD_RIGHT, **changes})}


NUMERICAL = '''
def numerical_gradient(f, x, eps=1e-5):
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + eps
        above = f(x)
        x[index] = saved - eps
        below = f(x)
        x[index] = saved
        grad[index] = (above - below) / (2 * eps)
    return grad
'''


def numerical(*edits: tuple[str, str]) -> dict:
    """The numerical_gradient cell with each (old, new) of `edits` applied in turn."""
    source = NUMERICAL
    for old, new in edits:
        source = edit(source, old, new)
    return {"numerical_gradient": source}


CLIP = '''
def clip_by_global_norm(grads, max_norm):
    global_norm = {norm}
    factor = max_norm / max(global_norm, max_norm)
    return {clipped}, {returned}
'''
CLIP_RIGHT = dict(norm="np.sqrt(sum(np.sum(g ** 2) for g in grads))", clipped="[g * factor for g in grads]",
                  returned="global_norm")


def clip(**changes) -> dict:
    """The clip_by_global_norm cell with some of its parts changed."""
    return {"clip_by_global_norm": CLIP.format(**{**CLIP_RIGHT, **changes})}


WRONG = [
    Case("tanh derivative missing", step(da="dh"),
         hint="the tanh derivative is missing", visible="the tanh derivative is missing"),
    Case("tanh derivative at the previous state", step(da="dh * (1 - h_prev ** 2)"),
         hint="the tanh derivative is taken at the wrong state", visible="the tanh derivative is taken at h_prev"),
    Case("weight gradients not accumulated over time", backward(
        accumulate="dkernel = dk\n        drecurrent_kernel = drk\n        dbias = db"),
         hint="not accumulated over time", visible="not accumulated over time"),
    Case("gradient from the later step ignored", backward(dh="dh_seq[:, t, :]"),
         hint="the gradient arriving from the later step is ignored",
         visible="the gradient arriving from the later step (0.36) was not added"),
    Case("initial state's gradient lost", backward(dh0="np.zeros_like(h0)"),
         hint="the initial state's gradient is lost", visible="the initial state's gradient is lost"),
    Case("one-sided difference", numerical(("x[index] = saved - eps", "x[index] = saved"),
                                           ("(above - below) / (2 * eps)", "(above - below) / eps")),
         hint="a one-sided (forward) difference", visible="a one-sided (forward) difference"),
    Case("each tensor clipped by its own norm", {"clip_by_global_norm": (
        "def clip_by_global_norm(grads, max_norm):\n"
        "    norms = [np.sqrt(np.sum(g ** 2)) for g in grads]\n"
        "    global_norm = np.sqrt(sum(n ** 2 for n in norms))\n"
        "    return [g * max_norm / max(n, max_norm) for g, n in zip(grads, norms)], global_norm\n")},
         hint="each tensor is clipped by its own norm", visible="each array is clipped by its own norm"),
    Case("norm after clipping returned", {"clip_by_global_norm": (
        "def clip_by_global_norm(grads, max_norm):\n"
        "    global_norm = np.sqrt(sum(np.sum(g ** 2) for g in grads))\n"
        "    clipped = [g * max_norm / max(global_norm, max_norm) for g in grads]\n"
        "    return clipped, np.sqrt(sum(np.sum(c ** 2) for c in clipped))\n")},
         hint="the norm returned is the norm after clipping", visible="the norm returned is the norm after clipping"),
    Case("rescaled when below max_norm", clip(clipped="[g * max_norm / global_norm for g in grads]"),
         hint="rescaled even when global_norm", visible="rescaled even when global_norm <= max_norm"),
]

MORE_WRONG = [
    # rnn_step_backward
    Case("tanh applied twice", step(da="dh * (1 - np.tanh(h_t) ** 2)"),
         hint="tanh is applied twice", visible="tanh is applied twice"),
    Case("tanh slope not squared", step(da="dh * (1 - h_t)"),
         hint="the tanh derivative is written 1 - h_t", visible="the slope is written 1 - h_t"),
    Case("dh_prev through the untransposed recurrent kernel", step(dh_prev="da @ recurrent_kernel"),
         hint="dh_prev uses recurrent_kernel untransposed", visible="recurrent_kernel is used untransposed"),
    Case("dh_prev skips the tanh derivative", step(dh_prev="dh @ recurrent_kernel.T"),
         hint="dh_prev skips the tanh derivative", visible="it skips the tanh derivative"),
    Case("dkernel transposed", step(dkernel="da.T @ x_t"),
         hint="dkernel is transposed", visible="dkernel is transposed"),
    Case("drecurrent_kernel transposed", step(drecurrent_kernel="da.T @ h_prev"),
         hint="drecurrent_kernel is transposed", visible="drecurrent_kernel is transposed"),
    Case("drecurrent_kernel from h_t", step(drecurrent_kernel="h_t.T @ da"),
         hint="drecurrent_kernel uses h_t", visible="drecurrent_kernel uses h_t"),
    Case("dbias not summed over the batch", step(dbias="da"),
         hint="sum it over the batch axis", visible="sum dbias over the batch axis"),
    Case("dbias averaged over the batch", step(dbias="da.mean(axis=0)"),
         hint="dbias is averaged over the batch", visible="dbias is averaged over the batch"),
    Case("dx_t through the untransposed kernel", step(dx_t="da @ kernel"),
         hint="dx_t", visible="dx_t = da @ kernel.T"),
    # rnn_backward
    Case("dh_seq used at the last step only", backward(
        dh="(dh_seq[:, t, :] if t == timesteps - 1 else 0.0) + dh_next"),
         hint="dh_seq is used at the last step only", visible="dh_seq is used at the last step only"),
    Case("h0 not used at the first step", backward(h_prev="np.zeros_like(h0) if t == 0 else h_seq[:, t - 1, :]"),
         hint="h0 is not used", visible="h0 is not used"),
    Case("previous state off by one", backward(h_prev="h_seq[:, t, :]"),
         hint="the previous state is off by one", visible="the previous state is off by one"),
    Case("h_seq[:, t - 1] at t = 0 wraps to the last state", backward(h_prev="h_seq[:, t - 1, :]"),
         hint="h_seq[:, -1], the LAST state", visible="h_seq[:, -1], the LAST state"),
    Case("steps processed forwards in time", backward(order="range(timesteps)"),
         hint="the steps are processed forwards in time", visible="the steps are processed forwards in time"),
    Case("dx stored in processing order", {"rnn_backward": (
        "def rnn_backward(dh_seq, x, h0, h_seq, kernel, recurrent_kernel):\n"
        "    grads = [np.zeros_like(kernel), np.zeros_like(recurrent_kernel), np.zeros(recurrent_kernel.shape[0])]\n"
        "    dxs = []\n"
        "    dh_next = np.zeros_like(h0)\n"
        "    for t in reversed(range(x.shape[1])):\n"
        "        h_prev = h0 if t == 0 else h_seq[:, t - 1, :]\n"
        "        dx_t, dh_next, *step_grads = rnn_step_backward(dh_seq[:, t, :] + dh_next, x[:, t, :], h_prev,\n"
        "                                                       h_seq[:, t, :], kernel, recurrent_kernel)\n"
        "        dxs.append(dx_t)\n"
        "        grads = [g + s for g, s in zip(grads, step_grads)]\n"
        "    return (np.stack(dxs, axis=1), dh_next, *grads)\n")},
         hint="dx's steps are in reverse order", visible="its steps in reverse order"),
    Case("dh0 is the gradient going into the first step", backward(dh0="dh"),
         hint="dh0 is the gradient with respect to h_1", visible="not the gradient that goes into it"),
    # numerical_gradient
    Case("x not put back", numerical(("        x[index] = saved\n        grad", "        grad")),
         hint="every entry is left moved by", visible="every entry is left moved by"),
    Case("x put back by adding eps", numerical(("x[index] = saved + eps", "x[index] += eps"),
                                               ("x[index] = saved - eps", "x[index] -= 2 * eps"),
                                               ("        x[index] = saved\n        grad",
                                                "        x[index] += eps\n        grad")),
         hint="changed afterwards by rounding", visible="adding and subtracting eps leaves rounding errors"),
    Case("divided by eps", numerical(("(above - below) / (2 * eps)", "(above - below) / eps")),
         hint="the difference is divided by eps", visible="the difference is divided by eps"),
    Case("x - eps never evaluated", numerical(("x[index] = saved - eps", "x[index] = saved")),
         hint="f is never evaluated at x - eps", visible="f is never evaluated at x - eps"),
    Case("backward one-sided difference", numerical(("        x[index] = saved + eps\n", ""),
                                                    ("(above - below) / (2 * eps)", "(above - below) / eps")),
         hint="a one-sided (backward) difference", visible="a one-sided (backward) difference"),
    Case("eps argument ignored", numerical(("    grad = np.zeros(x.shape)\n",
                                            "    grad = np.zeros(x.shape)\n    eps = 1e-5\n")),
         hint="the eps argument (", visible="the eps argument (0.01) is ignored"),
    Case("f evaluated at the unmoved x", {"numerical_gradient": (
        "def numerical_gradient(f, x, eps=1e-5):\n"
        "    grad = np.zeros(x.shape)\n"
        "    for index in np.ndindex(x.shape):\n"
        "        moved = x.copy()\n"
        "        moved[index] += eps\n"
        "        above = f(x)\n"
        "        moved[index] -= 2 * eps\n"
        "        below = f(x)\n"
        "        grad[index] = (above - below) / (2 * eps)\n"
        "    return grad\n")},
         hint="the gradient is all zeros", visible="the gradient is all zeros"),
    Case("f called on a flattened copy", {"numerical_gradient": (
        "def numerical_gradient(f, x, eps=1e-5):\n"
        "    flat = x.reshape(-1).copy()\n"
        "    grad = np.zeros(flat.size)\n"
        "    for i in range(flat.size):\n"
        "        saved = flat[i]\n"
        "        flat[i] = saved + eps\n"
        "        above = f(flat)\n"
        "        flat[i] = saved - eps\n"
        "        below = f(flat)\n"
        "        flat[i] = saved\n"
        "        grad[i] = (above - below) / (2 * eps)\n"
        "    return grad.reshape(x.shape)\n")},
         hint="called f with an array of shape", visible="f was called with an array of shape (4,)"),
    Case("gradient returned flattened", {"numerical_gradient": (
        "def numerical_gradient(f, x, eps=1e-5):\n"
        "    grad = []\n"
        "    for index in np.ndindex(x.shape):\n"
        "        saved = x[index]\n"
        "        x[index] = saved + eps\n"
        "        above = f(x)\n"
        "        x[index] = saved - eps\n"
        "        below = f(x)\n"
        "        x[index] = saved\n"
        "        grad.append((above - below) / (2 * eps))\n"
        "    return np.array(grad)\n")},
         hint="not flattened", visible="expected a gradient of x's shape (2, 2), got (4,)"),
    # clip_by_global_norm
    Case("global norm as the sum of norms", clip(norm="sum(np.sqrt(np.sum(g ** 2)) for g in grads)"),
         hint="the global norm is the sum of the tensors' norms", visible="the global norm is the sum of the norms"),
    Case("global norm without its square root", clip(norm="sum(np.sum(g ** 2) for g in grads)"),
         hint="the global norm is missing its square root", visible="the global norm is missing its square root"),
    Case("factor inverted", clip(clipped="[g * max(global_norm, max_norm) / max_norm for g in grads]"),
         hint="the factor is inverted", visible="the factor is inverted"),
    Case("every number clipped (clipvalue)", clip(clipped="[np.clip(g, -max_norm, max_norm) for g in grads]"),
         hint="every number is clipped to [-max_norm, max_norm]", visible="every number is clipped to [-max_norm"),
    Case("gradients scaled in place", {"clip_by_global_norm": (
        "def clip_by_global_norm(grads, max_norm):\n"
        "    global_norm = np.sqrt(sum(np.sum(g ** 2) for g in grads))\n"
        "    for g in grads:\n"
        "        g *= max_norm / max(global_norm, max_norm)\n"
        "    return grads, global_norm\n")},
         hint="modified the arrays it was given", visible="do not scale them in place"),
    Case("NaN for all-zero gradients", {"clip_by_global_norm": (
        "def clip_by_global_norm(grads, max_norm):\n"
        "    global_norm = np.sqrt(sum(np.sum(g ** 2) for g in grads))\n"
        "    return [g / global_norm * min(global_norm, max_norm) for g in grads], global_norm\n")},
         hint="returns NaN when every gradient is zero", visible="all-zero gradients gave NaN"),
]

ALTERNATIVE = [
    Case("einsum, the weight gradients after the loop, a vectorised numerical gradient", {
        "rnn_step_backward": (
            "def rnn_step_backward(dh, x_t, h_prev, h_t, kernel, recurrent_kernel):\n"
            "    slope = 1.0 - np.square(h_t)\n"
            "    da = np.multiply(dh, slope)\n"
            "    return (np.einsum('bu,iu->bi', da, kernel), np.einsum('bu,vu->bv', da, recurrent_kernel),\n"
            "            np.einsum('bi,bu->iu', x_t, da), np.einsum('bv,bu->vu', h_prev, da),\n"
            "            np.einsum('bu->u', da))\n"),
        "rnn_backward": (
            "def rnn_backward(dh_seq, x, h0, h_seq, kernel, recurrent_kernel):\n"
            "    n, steps, _ = x.shape\n"
            "    previous = np.concatenate([h0[:, None, :], h_seq[:, :-1, :]], axis=1)\n"
            "    da_seq = np.empty_like(h_seq)\n"
            "    carried = np.zeros_like(h0)\n"
            "    for t in range(steps - 1, -1, -1):\n"
            "        da_seq[:, t] = (dh_seq[:, t] + carried) * (1.0 - h_seq[:, t] ** 2)\n"
            "        carried = da_seq[:, t] @ recurrent_kernel.T\n"
            "    dx = np.einsum('btu,iu->bti', da_seq, kernel)\n"
            "    dkernel = np.einsum('bti,btu->iu', x, da_seq)\n"
            "    drecurrent = np.einsum('btv,btu->vu', previous, da_seq)\n"
            "    return dx, carried, dkernel, drecurrent, da_seq.sum(axis=(0, 1))\n"),
        "numerical_gradient": (
            "def numerical_gradient(f, x, eps=1e-5):\n"
            "    gradient = np.empty(x.size)\n"
            "    for i in range(x.size):\n"
            "        step = np.zeros(x.size)\n"
            "        step[i] = eps\n"
            "        step = step.reshape(x.shape)\n"
            "        gradient[i] = (f(x + step) - f(x - step)) / (2 * eps)\n"
            "    return gradient.reshape(x.shape)\n"),
        "clip_by_global_norm": (
            "def clip_by_global_norm(grads, max_norm):\n"
            "    total = np.linalg.norm(np.concatenate([np.ravel(g) for g in grads]))\n"
            "    if total > max_norm:\n"
            "        return [g * (max_norm / total) for g in grads], total\n"
            "    return [np.array(g) for g in grads], total\n"),
    }),
    Case("np.nditer in place, a while loop and tuples", {
        "numerical_gradient": (
            "def numerical_gradient(f, x, eps=1e-5):\n"
            "    out = np.zeros_like(x, dtype=float)\n"
            "    it = np.nditer(x, flags=['multi_index'], op_flags=['readwrite'])\n"
            "    while not it.finished:\n"
            "        i = it.multi_index\n"
            "        keep = float(x[i])\n"
            "        x[i] = keep + eps\n"
            "        plus = float(f(x))\n"
            "        x[i] = keep - eps\n"
            "        minus = float(f(x))\n"
            "        x[i] = keep\n"
            "        out[i] = (plus - minus) / (2 * eps)\n"
            "        it.iternext()\n"
            "    return out\n"),
        "rnn_backward": (
            "def rnn_backward(dh_seq, x, h0, h_seq, kernel, recurrent_kernel):\n"
            "    t = x.shape[1] - 1\n"
            "    total = None\n"
            "    dx_steps = [None] * x.shape[1]\n"
            "    carry = 0.0 * h0\n"
            "    while t >= 0:\n"
            "        before = h_seq[:, t - 1, :] if t > 0 else h0\n"
            "        dx_steps[t], carry, *parts = rnn_step_backward(dh_seq[:, t, :] + carry, x[:, t, :], before,\n"
            "                                                       h_seq[:, t, :], kernel, recurrent_kernel)\n"
            "        total = parts if total is None else [a + b for a, b in zip(total, parts)]\n"
            "        t -= 1\n"
            "    return (np.stack(dx_steps, axis=1), carry, *total)\n"),
        "clip_by_global_norm": (
            "def clip_by_global_norm(grads, max_norm):\n"
            "    squares = 0.0\n"
            "    for g in grads:\n"
            "        squares += float(np.vdot(g, g))\n"
            "    norm = squares ** 0.5\n"
            "    scale = 1.0 if norm <= max_norm else max_norm / norm\n"
            "    return tuple(scale * np.asarray(g) for g in grads), norm\n"),
    }),
]

CHEAT = [
    Case("imports the reference", {
        "rnn_step_backward": (
            "from rnn_reference import rnn_step_backward as _step\n"
            "def rnn_step_backward(dh, x_t, h_prev, h_t, kernel, recurrent_kernel):\n"
            "    return _step(dh, x_t, h_prev, h_t, kernel, recurrent_kernel)\n"),
        "rnn_backward": (
            "from rnn_reference import rnn_backward as _backward\n"
            "def rnn_backward(dh_seq, x, h0, h_seq, kernel, recurrent_kernel):\n"
            "    return _backward(dh_seq, x, h0, h_seq, kernel, recurrent_kernel)\n"),
        "numerical_gradient": (
            "from rnn_reference import numerical_gradient as _numerical\n"
            "def numerical_gradient(f, x, eps=1e-5):\n"
            "    return _numerical(f, x, eps)\n"),
        "clip_by_global_norm": (
            "from rnn_reference import clip_by_global_norm as _clip\n"
            "def clip_by_global_norm(grads, max_norm):\n"
            "    return _clip(grads, max_norm)\n"),
    }, hint="calls the reference package",
        zero=("test_rnn_step_backward_hidden", "test_rnn_backward_hidden", "test_numerical_gradient_hidden",
              "test_clip_by_global_norm_hidden")),
]
