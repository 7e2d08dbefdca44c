"""The a08 references against independent oracles: tf.GradientTape, tf.clip_by_global_norm, calculus.

`rnn_step_backward` and `rnn_backward` are compared with the gradients TensorFlow's tape takes through
the same forward pass (float64 tf ops on many random shapes, and Keras's own SimpleRNN layer on a
few), `clip_by_global_norm` with `tf.clip_by_global_norm` (including its None, zero, inf and NaN
cases), and `numerical_gradient` with derivatives known in closed form. Every TensorFlow test of the
a08 references lives in this module, so TensorFlow is imported once (lazily, by the first of them).
"""

from __future__ import annotations

import numpy as np
import pytest

import _keras_oracle as oracle
from rnn_reference import (clip_by_global_norm, numerical_gradient, rnn_backward, rnn_step_backward,
                           simple_rnn_backward, simple_rnn_forward)

SEEDS = range(40)


def tf():
    """TensorFlow, imported quietly on first use (through the oracle, which sets its threads)."""
    oracle.keras()
    import tensorflow

    return tensorflow


def random_layer(rng, batch, timesteps, input_dim, units):
    """x, h0, kernel, recurrent_kernel, bias in float64; weights large enough to use the tanh's curvature."""
    return (rng.normal(0.0, 1.0, (batch, timesteps, input_dim)), rng.normal(0.0, 0.6, (batch, units)),
            rng.normal(0.0, 0.7, (input_dim, units)), rng.normal(0.0, 0.7, (units, units)),
            rng.normal(0.0, 0.5, (units,)))


def forward_states(x, h0, kernel, recurrent_kernel, bias):
    """Every hidden state, (batch, timesteps, units), by the reference forward pass."""
    return simple_rnn_forward(x, kernel, recurrent_kernel, bias, initial_state=h0, return_sequences=True)


def sizes(rng):
    return int(rng.integers(1, 4)), int(rng.integers(1, 8)), int(rng.integers(1, 5)), int(rng.integers(1, 6))


# ---------------------------------------------------------------- backward passes vs tf.GradientTape

@pytest.mark.keras
def test_step_backward_matches_gradient_tape():
    """rnn_step_backward = the tape's gradients of sum(h_t * dh) through one tanh step (float64)."""
    t = tf()
    for seed in SEEDS:
        rng = np.random.default_rng(30_000 + seed)
        batch, _, input_dim, units = sizes(rng)
        x_t, h_prev = rng.normal(0.0, 1.0, (batch, input_dim)), rng.normal(0.0, 0.6, (batch, units))
        kernel, recurrent_kernel = rng.normal(0.0, 0.7, (input_dim, units)), rng.normal(0.0, 0.7, (units, units))
        bias, dh = rng.normal(0.0, 0.5, (units,)), rng.normal(0.0, 1.0, (batch, units))
        variables = [t.Variable(a) for a in (x_t, h_prev, kernel, recurrent_kernel, bias)]
        with t.GradientTape() as tape:
            v_x, v_h, v_k, v_rk, v_b = variables
            h_t = t.tanh(v_x @ v_k + v_h @ v_rk + v_b)  # (batch, units)
            loss = t.reduce_sum(h_t * dh)
        expected = [g.numpy() for g in tape.gradient(loss, variables)]
        got = rnn_step_backward(dh, x_t, h_prev, h_t.numpy(), kernel, recurrent_kernel)
        # the tape's order (x_t, h_prev, kernel, recurrent_kernel, bias) is the function's
        for name, value, want in zip(("dx_t", "dh_prev", "dkernel", "drecurrent_kernel", "dbias"), got, expected):
            np.testing.assert_allclose(value, want, rtol=1e-10, atol=1e-12, err_msg=f"seed={seed} {name}")


@pytest.mark.keras
def test_rnn_backward_matches_gradient_tape():
    """rnn_backward = the tape's gradients of sum(h_seq * dh_seq), dh0 included, on 40 random shapes (float64)."""
    t = tf()
    for seed in SEEDS:
        rng = np.random.default_rng(31_000 + seed)
        batch, timesteps, input_dim, units = sizes(rng)
        arrays = random_layer(rng, batch, timesteps, input_dim, units)
        dh_seq = rng.normal(0.0, 1.0, (batch, timesteps, units))
        if seed % 3 == 0:
            dh_seq[:, :-1] = 0.0  # a loss on the last state only
        variables = [t.Variable(a) for a in arrays]
        with t.GradientTape() as tape:
            v_x, h, v_k, v_rk, v_b = variables
            states = []
            for step in range(timesteps):
                h = t.tanh(v_x[:, step, :] @ v_k + h @ v_rk + v_b)  # (batch, units)
                states.append(h)
            h_seq = t.stack(states, axis=1)  # (batch, timesteps, units)
            loss = t.reduce_sum(h_seq * dh_seq)
        expected = [g.numpy() for g in tape.gradient(loss, variables)]  # x, h0, kernel, recurrent_kernel, bias
        x, h0, kernel, recurrent_kernel, bias = arrays
        np.testing.assert_allclose(forward_states(*arrays), h_seq.numpy(), rtol=1e-12, atol=1e-12)
        got = rnn_backward(dh_seq, x, h0, h_seq.numpy(), kernel, recurrent_kernel)
        for name, value, want in zip(("dx", "dh0", "dkernel", "drecurrent_kernel", "dbias"), got, expected):
            assert value.shape == want.shape, f"seed={seed} {name}: {value.shape} != {want.shape}"
            np.testing.assert_allclose(value, want, rtol=1e-10, atol=1e-12,
                                       err_msg=f"seed={seed} x{x.shape} units={units} {name}")


@pytest.mark.keras
def test_rnn_backward_matches_keras_simple_rnn():
    """rnn_backward = the tape through keras.layers.SimpleRNN(return_sequences=True) with the same weights."""
    t = tf()
    keras = oracle.keras()
    for seed in range(6):
        rng = np.random.default_rng(32_000 + seed)
        batch, timesteps, input_dim, units = sizes(rng)
        x, h0, kernel, recurrent_kernel, bias = (a.astype(np.float32)
                                                 for a in random_layer(rng, batch, timesteps, input_dim, units))
        dh_seq = rng.normal(0.0, 1.0, (batch, timesteps, units)).astype(np.float32)
        layer = keras.layers.SimpleRNN(units, return_sequences=True)
        layer.build(x.shape)
        layer.set_weights([kernel, recurrent_kernel, bias])
        x_v, h0_v = t.Variable(x), t.Variable(h0)
        with t.GradientTape() as tape:
            h_seq = layer(x_v, initial_state=[h0_v])
            loss = t.reduce_sum(h_seq * dh_seq)
        cell = layer.cell
        expected = [g.numpy() for g in tape.gradient(loss, [x_v, h0_v, cell.kernel, cell.recurrent_kernel, cell.bias])]
        got = rnn_backward(dh_seq, x, h0, h_seq.numpy(), kernel, recurrent_kernel)
        for name, value, want in zip(("dx", "dh0", "dkernel", "drecurrent_kernel", "dbias"), got, expected):
            np.testing.assert_allclose(value, want, rtol=oracle.RTOL, atol=oracle.ATOL, err_msg=f"seed={seed} {name}")


def test_simple_rnn_backward_is_rnn_backward_after_the_forward_pass():
    """simple_rnn_backward runs the forward pass, then the same BPTT as rnn_backward (last step or every step)."""
    for seed in range(10):
        rng = np.random.default_rng(33_000 + seed)
        batch, timesteps, input_dim, units = sizes(rng)
        x, h0, kernel, recurrent_kernel, bias = random_layer(rng, batch, timesteps, input_dim, units)
        h_seq = forward_states(x, h0, kernel, recurrent_kernel, bias)
        return_sequences = bool(seed % 2)
        d_output = rng.normal(size=(batch, timesteps, units) if return_sequences else (batch, units))
        dh_seq = d_output if return_sequences else np.concatenate(
            [np.zeros((batch, timesteps - 1, units)), d_output[:, None, :]], axis=1)
        grads = simple_rnn_backward(x, kernel, recurrent_kernel, bias, d_output, initial_state=h0,
                                    return_sequences=return_sequences)
        got = rnn_backward(dh_seq, x, h0, h_seq, kernel, recurrent_kernel)
        for name, value in zip(("x", "initial_state", "kernel", "recurrent_kernel", "bias"), got):
            np.testing.assert_allclose(grads[name], value, rtol=1e-12, atol=1e-14, err_msg=f"seed={seed} {name}")


# ---------------------------------------------------------------- numerical_gradient vs calculus

def test_numerical_gradient_is_the_central_difference():
    """sum(x**3) gives exactly 3x^2 + eps^2 (the central difference), not the one-sided 3x^2 + 3x eps + eps^2."""
    x = np.array([[1.0, 2.0], [-1.0, 0.5]])
    got = numerical_gradient(lambda z: np.sum(z ** 3), x, eps=0.01)
    np.testing.assert_allclose(got, 3 * x ** 2 + 1e-4, rtol=0, atol=1e-10)
    assert np.max(np.abs(got - (3 * x ** 2 + 3 * x * 0.01 + 1e-4))) > 1e-2


@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 2)])
def test_numerical_gradient_matches_analytic_gradients(shape):
    """Several smooth functions, every shape (0-d included): the default eps agrees to 1e-8 with the calculus."""
    rng = np.random.default_rng(len(shape))
    x = rng.uniform(-1.5, 1.5, shape)
    w = rng.uniform(0.5, 1.5, shape)
    a = rng.normal(size=(x.size, 3))
    cases = {
        "sum of sin(w x)": (lambda z: np.sum(np.sin(w * z)), lambda z: w * np.cos(w * z)),
        "(sum w x)^3 / 3": (lambda z: np.sum(w * z) ** 3 / 3, lambda z: np.sum(w * z) ** 2 * w),
        "sum tanh(x a)": (lambda z: np.sum(np.tanh(z.reshape(-1) @ a)),
                          lambda z: (a @ (1 - np.tanh(z.reshape(-1) @ a) ** 2)).reshape(shape)),
    }
    for name, (f, gradient) in cases.items():
        got = numerical_gradient(f, x)
        assert got.shape == x.shape, name
        np.testing.assert_allclose(got, gradient(x), rtol=0, atol=1e-8, err_msg=name)


def test_numerical_gradient_leaves_x_bit_for_bit_unchanged():
    """Values that + eps - 2 eps + eps would not give back, and an f that raises halfway: x is as it was."""
    x = np.array([2.0, 0.1, 0.2, 2.5, 1.0 / 3.0])
    before = x.copy()
    numerical_gradient(lambda z: np.sum(np.exp(z)), x, eps=0.01)
    assert np.array_equal(x, before)
    calls = []

    def fails_third(z):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("stop")
        return float(np.sum(z))

    with pytest.raises(RuntimeError, match="stop"):
        numerical_gradient(fails_third, x)
    assert np.array_equal(x, before)


def test_numerical_gradient_calls_f_with_x_itself():
    """f sees x itself (same object, same shape), one entry moved, 2 * x.size times."""
    x = np.zeros((2, 3))
    seen = []

    def f(z):
        seen.append((z is x, z.shape, int(np.count_nonzero(z))))
        return 0.0

    numerical_gradient(f, x)
    assert seen == [(True, (2, 3), 1)] * 12


def test_numerical_gradient_checks_the_reference_backward_pass():
    """The gradient check of the notebook, on the references: every gradient agrees to 1e-7 (relative)."""
    rng = np.random.default_rng(34_000)
    x, h0, kernel, recurrent_kernel, bias = arrays = list(random_layer(rng, 2, 4, 3, 3))
    weights = rng.normal(size=(2, 4, 3))
    backward = rnn_backward(weights, x, h0, forward_states(*arrays), kernel, recurrent_kernel)
    for k, analytic in enumerate(backward):
        def loss(value, k=k):
            moved = list(arrays)
            moved[k] = value
            return np.sum(forward_states(*moved) * weights)

        numeric = numerical_gradient(loss, arrays[k].copy())
        error = np.linalg.norm(analytic - numeric) / (np.linalg.norm(analytic) + np.linalg.norm(numeric))
        assert error < 1e-7, (k, error)


def test_numerical_gradient_rejects_bad_input():
    with pytest.raises(ValueError, match="eps must be a positive finite number"):
        numerical_gradient(np.sum, np.ones(3), eps=0)
    with pytest.raises(TypeError, match="x must be a numpy array"):
        numerical_gradient(np.sum, [1.0, 2.0])
    with pytest.raises(TypeError, match="floating-point"):
        numerical_gradient(np.sum, np.ones(3, dtype=int))
    with pytest.raises(ValueError, match="f must return a scalar, got an array of shape \\(3,\\)"):
        numerical_gradient(lambda z: z * 2, np.ones(3))
    with pytest.raises(TypeError, match="f must be a function"):
        numerical_gradient("sum", np.ones(3))


# ---------------------------------------------------------------- clip_by_global_norm vs tf.clip_by_global_norm

@pytest.mark.keras
def test_clip_by_global_norm_matches_tensorflow():
    """Random lists of arrays, clipped and not, float64 and float32: the same arrays and norm as TensorFlow."""
    t = tf()
    for seed in SEEDS:
        rng = np.random.default_rng(35_000 + seed)
        dtype = np.float32 if seed % 4 == 3 else np.float64
        grads = [rng.normal(0.0, rng.uniform(0.1, 5.0), tuple(rng.integers(1, 5, size=rng.integers(1, 4))))
                 .astype(dtype) for _ in range(int(rng.integers(1, 6)))]
        norm = float(np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in grads)))
        max_norm = norm * float(rng.uniform(0.1, 0.9) if seed % 2 else rng.uniform(1.1, 3.0))
        expected, expected_norm = t.clip_by_global_norm([t.constant(g) for g in grads], max_norm)
        clipped, global_norm = clip_by_global_norm(grads, max_norm)
        assert isinstance(global_norm, float)
        np.testing.assert_allclose(global_norm, expected_norm.numpy(), rtol=1e-5 if dtype == np.float32 else 1e-12)
        for g, c, e in zip(grads, clipped, expected):
            assert c.dtype == g.dtype and c.shape == g.shape
            np.testing.assert_allclose(c, e.numpy(), rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-12)


@pytest.mark.keras
def test_clip_by_global_norm_edge_cases_as_tensorflow():
    """None entries pass through, no entries give 0, zeros stay zeros, an inf or NaN norm makes every entry NaN."""
    t = tf()
    cases = {
        "None entries": [None, np.array([3.0, 4.0]), None],
        "all zero": [np.zeros(3), np.zeros((2, 2))],
        "inf": [np.array([np.inf, 1.0]), np.array([2.0])],
        "nan": [np.array([np.nan, 1.0])],
        "empty": [],
        "only None": [None],
    }
    for name, grads in cases.items():
        expected, expected_norm = t.clip_by_global_norm(grads, 1.0)
        clipped, global_norm = clip_by_global_norm(grads, 1.0)
        np.testing.assert_equal(global_norm, float(expected_norm.numpy()), err_msg=name)
        assert len(clipped) == len(expected), name
        for c, e in zip(clipped, expected):
            assert (c is None) == (e is None), name
            if c is not None:
                np.testing.assert_array_equal(c, e.numpy(), err_msg=name)


def test_clip_by_global_norm_returns_new_arrays_and_checks_its_input():
    grads = [np.array([3.0, 4.0]), np.array([[12.0]])]
    clipped, norm = clip_by_global_norm(grads, 26.0)  # below max_norm: unchanged values, new arrays
    assert norm == 13.0 and all(c is not g for c, g in zip(clipped, grads))
    clipped[0][0] = 99.0
    assert grads[0][0] == 3.0
    clipped, norm = clip_by_global_norm(tuple(grads), 2.6)
    np.testing.assert_allclose(clipped[0], [0.6, 0.8])
    np.testing.assert_allclose(clipped[1], [[2.4]])
    with pytest.raises(ValueError, match="max_norm must be a positive finite number"):
        clip_by_global_norm(grads, -1.0)
    with pytest.raises(TypeError, match="grads must be a list"):
        clip_by_global_norm(np.ones(3), 1.0)
    with pytest.raises(TypeError, match="grads\\[1\\] must be a floating-point array"):
        clip_by_global_norm([np.ones(2), np.ones(2, dtype=int)], 1.0)


# ---------------------------------------------------------------- clear errors from the backward passes

def test_backward_errors_name_the_argument_and_the_shapes():
    rng = np.random.default_rng(0)
    x, h0, kernel, recurrent_kernel, bias = random_layer(rng, 2, 3, 4, 5)
    h_seq = forward_states(x, h0, kernel, recurrent_kernel, bias)
    dh_seq = np.ones_like(h_seq)
    with pytest.raises(ValueError, match=r"h_seq must have shape \(batch, timesteps, units\) = \(2, 3, 5\), "
                                         r"got \(2, 4, 5\): that is timesteps \+ 1 states"):
        rnn_backward(dh_seq, x, h0, np.concatenate([h0[:, None], h_seq], axis=1), kernel, recurrent_kernel)
    with pytest.raises(ValueError, match=r"dh_seq must have shape .* = \(2, 3, 5\), got \(2, 5\)|dh_seq must be 3-D"):
        rnn_backward(dh_seq[:, -1], x, h0, h_seq, kernel, recurrent_kernel)
    with pytest.raises(ValueError, match=r"h0 must have shape \(batch, units\) = \(2, 5\), got \(5,\)|h0 must be 2-D"):
        rnn_backward(dh_seq, x, h0[0], h_seq, kernel, recurrent_kernel)
    with pytest.raises(ValueError, match="kernel must have shape .* = \\(4, 5\\), got \\(5, 4\\): it looks transposed"):
        rnn_backward(dh_seq, x, h0, h_seq, kernel.T, recurrent_kernel)
    with pytest.raises(ValueError, match="x must be 3-D"):
        rnn_backward(dh_seq, x[:, 0], h0, h_seq, kernel, recurrent_kernel)
    with pytest.raises(ValueError, match="recurrent_kernel must be square"):
        rnn_step_backward(h0, x[:, 0], h0, h0, kernel, np.ones((5, 4)))
    with pytest.raises(ValueError, match=r"h_t must have shape \(batch, units\) = \(2, 5\), got \(2, 4\)"):
        rnn_step_backward(h0, x[:, 0], h0, h0[:, :4], kernel, recurrent_kernel)
    with pytest.raises(ValueError, match=r"dh must have shape \(batch, units\) = \(2, 5\), got \(3, 5\)"):
        rnn_step_backward(np.ones((3, 5)), x[:, 0], h0, h0, kernel, recurrent_kernel)
    with pytest.raises(TypeError, match="x_t must be a floating-point array"):
        rnn_step_backward(h0, np.ones((2, 4), dtype=int), h0, h0, kernel, recurrent_kernel)
