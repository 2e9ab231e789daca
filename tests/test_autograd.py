"""Tests for gdlib.autograd.Tensor.

Every operation's gradient is compared with gd.numerical_gradient (central differences, h = 1e-5) on
random float64 inputs of several shapes, broadcasting included. Stated tolerance: the largest
CS231n relative error |a - n| / max(|a|, |n|) over the entries is below 1e-6 (typical values are
1e-9 to 1e-11; a wrong rule gives errors of order 1). The loss is L = sum(R * f(inputs)) with a
fixed random R, so every entry of the output has its own upstream gradient (a plain sum would hide
mistakes such as a missing transpose of a square matrix).
"""
import sys
import warnings

import numpy as np
import pytest

import gdlib as gd
from gdlib.autograd import LogDomainWarning, Tensor, _linear, _softmax_cross_entropy, tensor

TOL = 1e-6


def rel_error(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    den = np.maximum(np.abs(a), np.abs(b))
    return float(np.max(np.where(den > 0, np.abs(a - b) / np.where(den > 0, den, 1.0), 0.0), initial=0.0))


def check_grads(fn, *arrays, seed=0):
    """Autograd vs numerical gradient of L = sum(R * fn(*tensors)) for every input array."""
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    out_shape = fn(*[Tensor(a) for a in arrays]).data.shape
    R = np.random.default_rng(seed + 100).standard_normal(out_shape)
    tensors = [Tensor(a.copy()) for a in arrays]
    out = fn(*tensors)
    (out * R).sum().backward()
    for k, (t, a) in enumerate(zip(tensors, arrays)):
        def loss(v, k=k):
            args = [Tensor(v) if j == k else Tensor(b) for j, b in enumerate(arrays)]
            return float((fn(*args).data * R).sum())

        num = gd.numerical_gradient(loss, a.copy())
        assert t.grad is not None, f"input {k} got no gradient"
        assert t.grad.shape == a.shape, f"input {k}: grad shape {t.grad.shape} != data shape {a.shape}"
        assert isinstance(t.grad, np.ndarray) and t.grad.dtype == np.float64
        err = rel_error(t.grad, num)
        assert err < TOL, f"input {k} of shape {a.shape}: relative error {err:.2e}"


def rand(shape, seed, low=None):
    x = np.random.default_rng(seed).standard_normal(shape)
    if low is not None:  # keep |x| >= low (away from kinks, poles, ties)
        x = np.sign(x + (x == 0)) * (np.abs(x) + low)
    return x


# ----------------------------------------------------------------------------- binary operations
BROADCAST_SHAPES = [
    ((3, 4), (3, 4)),
    ((3, 4), (4,)),
    ((4,), (3, 4)),
    ((2, 1, 4), (3, 1)),
    ((), (2, 3)),
    ((2, 3), ()),
    ((5, 1), (1, 5)),
    ((1,), (2, 2, 3)),
]
BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
}


@pytest.mark.parametrize("op", list(BINARY))
@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
def test_binary_gradients_with_broadcasting(op, shapes):
    a = rand(shapes[0], 1)
    b = rand(shapes[1], 2, low=0.5 if op == "/" else None)
    check_grads(BINARY[op], a, b)


@pytest.mark.parametrize("op", list(BINARY))
def test_binary_with_constants_on_either_side(op):
    a = rand((3, 4), 3, low=0.5)
    c = rand((4,), 4, low=0.5)
    f = BINARY[op]
    check_grads(lambda t: f(t, c), a)
    check_grads(lambda t: f(c, t), a)
    check_grads(lambda t: f(t, 2.5), a)
    check_grads(lambda t: f(-1.5, t), a)
    # The constant on the left is an ndarray: numpy must hand the operation to the Tensor.
    out = f(c, Tensor(a))
    assert isinstance(out, Tensor)
    np.testing.assert_allclose(out.data, f(c, a))
    assert isinstance(f(np.float64(2.0), Tensor(a)), Tensor)


MATMUL_SHAPES = [
    ((3, 4), (4, 2)),
    ((4, 4), (4, 4)),
    ((4,), (4, 2)),
    ((3, 4), (4,)),
    ((4,), (4,)),
    ((2, 3, 4), (4, 5)),
    ((2, 3, 4), (2, 4, 5)),
    ((3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (5, 4, 2)),
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_gradients(shapes):
    check_grads(lambda a, b: a @ b, rand(shapes[0], 5), rand(shapes[1], 6))


def test_matmul_with_arrays_on_either_side():
    A, x = rand((3, 4), 7), rand((4, 2), 8)
    check_grads(lambda t: A @ t, x)
    check_grads(lambda t: t @ x, A)


# ----------------------------------------------------------------------------- unary operations
UNARY = [
    ("neg", lambda t: -t, None),
    ("square", lambda t: t**2, None),
    ("cube", lambda t: t**3, None),
    ("sqrt", lambda t: t**0.5, "positive"),
    ("inverse", lambda t: t**-1, 0.5),
    ("relu", lambda t: t.relu(), 0.1),
    ("tanh", lambda t: t.tanh(), None),
    ("sigmoid", lambda t: t.sigmoid(), None),
    ("exp", lambda t: t.exp(), None),
    ("log", lambda t: t.log(), "positive"),
    ("T", lambda t: t.T, None),
    ("reshape", lambda t: t.reshape(-1), None),
    ("reshape_tuple", lambda t: t.reshape((1, -1, 1)), None),
]


@pytest.mark.parametrize("name, fn, domain", UNARY, ids=[u[0] for u in UNARY])
@pytest.mark.parametrize("shape", [(), (5,), (2, 3, 4)], ids=str)
def test_unary_gradients(name, fn, domain, shape):
    x = rand(shape, 9, low=domain if isinstance(domain, float) else None)
    if domain == "positive":
        x = np.abs(x) + 0.3
    check_grads(fn, x)


def test_reshape_to_other_shapes():
    check_grads(lambda t: t.reshape(4, 3, 2), rand((2, 3, 4), 25))
    check_grads(lambda t: t.reshape((6, -1)).T, rand((2, 3, 4), 26))


def test_power_zero_has_zero_gradient_even_at_zero():
    x = Tensor(np.array([0.0, 2.0, -1.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (x**0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0])


def test_sigmoid_is_stable_and_right_at_extremes():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = Tensor(np.array([-1000.0, 0.0, 1000.0])).sigmoid()
    np.testing.assert_allclose(s.data, [0.0, 0.5, 1.0])


# ----------------------------------------------------------------------------- reductions
REDUCTIONS = [(None, False), (0, False), (1, True), ((0, 2), False), (-1, False), ((2, 0), True), (None, True)]


@pytest.mark.parametrize("axis, keepdims", REDUCTIONS, ids=str)
@pytest.mark.parametrize("name", ["sum", "mean", "max"])
def test_reduction_gradients(name, axis, keepdims):
    x = rand((3, 4, 5), 11)  # continuous random values: no ties for max
    check_grads(lambda t: getattr(t, name)(axis=axis, keepdims=keepdims), x)
    out = getattr(Tensor(x), name)(axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(out.data, getattr(np, name)(x, axis=axis, keepdims=keepdims))


def test_max_splits_the_gradient_among_ties():
    x = Tensor(np.array([[2.0, 2.0, 1.0], [0.0, 3.0, 3.0]]))
    x.max().backward()
    np.testing.assert_allclose(x.grad, [[0, 0, 0], [0, 0.5, 0.5]])


# ----------------------------------------------------------------------------- indexing
INDICES = [
    1,
    (slice(None), slice(1, 3)),
    (Ellipsis, 0),
    (1, 2),
    np.array([0, 0, 2]),  # repeated rows: their gradients add up
    (np.array([0, 2, 2]), np.array([1, 3, 3])),
    np.array([True, False, True]),
    (slice(None), None, slice(None, None, -1)),
]


@pytest.mark.parametrize("idx", INDICES, ids=lambda i: repr(i).replace(" ", ""))
def test_indexing_gradients(idx):
    x = rand((3, 4), 12)
    check_grads(lambda t: t[idx], x)
    np.testing.assert_array_equal(Tensor(x)[idx].data, x[idx])


def test_repeated_index_accumulates():
    x = Tensor(np.array([1.0, 2.0, 3.0]))
    x[np.array([2, 2, 2, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.0, 3.0])


# ----------------------------------------------------------------------------- composites
def test_two_layer_network_gradients():
    X = rand((6, 3), 13)

    def net(W1, b1, W2, b2):
        return ((X @ W1 + b1).tanh() @ W2 + b2).sigmoid().mean(axis=0)

    check_grads(net, rand((3, 5), 14), rand((5,), 15), rand((5, 2), 16), rand((2,), 17))


def test_fused_linear_equals_the_composed_graph():
    X, W, b = rand((6, 3), 18), rand((3, 4), 19), rand((4,), 20)
    fused = [Tensor(a.copy()) for a in (X, W, b)]
    composed = [Tensor(a.copy()) for a in (X, W, b)]
    R = rand((6, 4), 21)
    out_f = _linear(*fused)
    out_c = composed[0] @ composed[1] + composed[2]
    assert out_f.op == "linear"
    np.testing.assert_allclose(out_f.data, out_c.data, rtol=1e-14)
    (out_f * R).sum().backward()
    (out_c * R).sum().backward()
    for f, c in zip(fused, composed):
        np.testing.assert_allclose(f.grad, c.grad, rtol=1e-12)
    check_grads(lambda x, w, c: _linear(x, w, c), X, W, b)
    with pytest.raises(ValueError, match=r"\(6, 3\) and \(4, 4\)"):
        _linear(Tensor(X), Tensor(rand((4, 4), 0)), Tensor(b))
    # One sample (1-D x) falls back to the composed graph, with the same values and gradients.
    check_grads(lambda x, w, c: _linear(x, w, c), X[0], W, b)


@pytest.mark.parametrize("seed", range(4))
def test_fused_softmax_cross_entropy_equals_the_composed_graph(seed):
    rng = np.random.default_rng(seed)
    n, c = 7, 5
    s, y = rng.standard_normal((n, c)) * 3, rng.integers(0, c, n)
    onehot = np.eye(c)[y]
    fused, composed = Tensor(s.copy()), Tensor(s.copy())
    loss_f = _softmax_cross_entropy(fused, y)
    z = composed - s.max(axis=1, keepdims=True)
    loss_c = (z.exp().sum(axis=1).log() - (z * onehot).sum(axis=1)).mean()
    assert loss_f.data.shape == () and loss_f.op == "softmax_ce"
    np.testing.assert_allclose(loss_f.data, loss_c.data, rtol=1e-13)
    (loss_f * 2.0).backward()
    (loss_c * 2.0).backward()
    np.testing.assert_allclose(fused.grad, composed.grad, rtol=1e-10, atol=1e-15)
    # Unit-scale scores for the finite differences: with scores of scale 3 some probabilities are
    # ~1e-4 and the central difference's own error, relative to such entries, exceeds the tolerance.
    check_grads(lambda t: _softmax_cross_entropy(t, y), s / 3)


# ----------------------------------------------------------------------------- the engine
def test_cs231n_circuit():
    x, y, z = Tensor(-2.0, label="x"), Tensor(5.0, label="y"), Tensor(-4.0, label="z")
    q = x + y
    f = q * z
    f.backward()
    assert f.data.shape == () and isinstance(f.data, np.ndarray) and f.data.dtype == np.float64
    assert float(f.data) == -12.0
    assert (float(x.grad), float(y.grad), float(z.grad), float(q.grad), float(f.grad)) == (-4, -4, 3, -4, 1)
    assert isinstance(x.grad, np.ndarray) and x.grad.shape == ()
    assert (q.op, f.op, x.op, x.label) == ("+", "*", "", "x")
    assert q.parents == (x, y) and x.parents == ()


def test_accumulation_when_a_node_is_used_twice():
    a = Tensor(3.0)
    (a * a + a).backward()
    assert float(a.grad) == 2 * 3.0 + 1
    # A shared *inner* node: h = 2a used three times; d/da (h*h + h) = (2h + 1) * 2.
    a = Tensor(np.array([1.5, -0.5]))
    h = a * 2.0
    (h * h + h).sum().backward()
    np.testing.assert_allclose(a.grad, (2 * h.data + 1) * 2)
    check_grads(lambda t: (t * t + t).tanh() * (t * t), rand((4,), 22))


def test_diamond_with_shared_inner_node_visits_it_after_all_its_users():
    x = Tensor(2.0)
    h = x.relu()  # inner node, reached first through a deep path and again directly
    deep = ((h * 3.0).exp() * 0.0 + h) * h
    out = deep + h
    out.backward()
    # out = h^2 + h (the exp term is multiplied by 0): d/dx = 2h + 1 for x > 0.
    assert float(x.grad) == pytest.approx(5.0)


def test_backward_twice_accumulates_in_leaves_only():
    a = Tensor(np.array([1.0, 2.0]))
    h = a * a
    loss = h.sum()
    loss.backward()
    loss.backward()
    np.testing.assert_allclose(a.grad, 2 * (2 * a.data))  # twice the gradient, not three times
    np.testing.assert_allclose(h.grad, [1.0, 1.0])  # inner node: the latest pass only
    a.zero_grad()
    assert a.grad is None


def test_constants_get_no_gradient():
    X = Tensor(np.ones((2, 3)), requires_grad=False)
    W = Tensor(np.ones((3, 2)))
    out = (X @ W).sum()
    out.backward()
    assert X.grad is None and W.grad is not None
    const = Tensor(1.0, requires_grad=False) * 2.0
    assert not const.requires_grad


def test_chain_of_100000_operations_does_not_recurse():
    limit = sys.getrecursionlimit()
    x = Tensor(1.0)
    y = x
    for _ in range(50_000):
        y = y * 1.00001
        y = y + 1.0
    y.backward()
    assert sys.getrecursionlimit() == limit
    assert float(x.grad) == pytest.approx(1.00001**50_000, rel=1e-9)
    assert float(y.data) == pytest.approx(sum(1.00001**k for k in range(50_000)) + 1.00001**50_000, rel=1e-9)
    del y  # freeing a deep graph must not crash either


def test_order_and_gradients_are_deterministic():
    from gdlib.autograd import _topological_order

    def build():
        a, b = Tensor(rand((3, 4), 23)), Tensor(rand((4,), 24))
        out = ((a * b).tanh() + a.exp() * b).sum(axis=0).max() + (a @ b).sum()
        return a, b, out

    a1, b1, out1 = build()
    a2, b2, out2 = build()
    assert [n.op for n in _topological_order(out1, everything=True)] == [
        n.op for n in _topological_order(out2, everything=True)
    ]
    out1.backward()
    out2.backward()
    np.testing.assert_array_equal(a1.grad, a2.grad)
    np.testing.assert_array_equal(b1.grad, b2.grad)


def test_data_conversion_and_no_copy():
    arr = np.arange(3.0)
    t = Tensor(arr)
    assert t.data is arr  # float64 arrays are used as is
    assert Tensor([1, 2]).data.dtype == np.float64
    assert Tensor(2).data.shape == ()
    assert tensor(t) is t and tensor(1.5).data == 1.5
    assert float(Tensor(np.array([[4.0]])).item()) == 4.0
    assert "op='+'" in repr(Tensor(1.0) + 1.0)


# ----------------------------------------------------------------------------- bad input
def test_broadcasting_error_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(3, 4\) and \(3,\)"):
        Tensor(np.zeros((3, 4))) + Tensor(np.zeros(3))
    with pytest.raises(ValueError, match=r"\(2,\) and \(3, 4\)"):
        np.zeros(2) * Tensor(np.zeros((3, 4)))


def test_matmul_error_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(3, 4\) and \(3, 2\)"):
        Tensor(np.zeros((3, 4))) @ Tensor(np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"\(5,\) and \(4, 2\)"):
        np.zeros(5) @ Tensor(np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"\(\) and \(3,\)"):
        Tensor(2.0) @ Tensor(np.zeros(3))


def test_backward_on_non_scalar_needs_a_seed():
    y = Tensor(np.ones((2, 3))) * 2.0
    with pytest.raises(ValueError, match=r"shape \(2, 3\) needs a seed gradient.*sum\(\)"):
        y.backward()
    with pytest.raises(ValueError, match=r"Invalid grad: shape \(3,\).*\(2, 3\)"):
        y.backward(np.ones(3))
    seed = np.arange(6.0).reshape(2, 3)
    x = Tensor(np.ones((2, 3)))
    (x * 2.0).backward(seed)
    np.testing.assert_allclose(x.grad, 2 * seed)
    assert seed[1, 2] == 5.0  # the caller's seed is not modified
    Tensor(np.array([[3.0]])).backward()  # one element: fine without a seed


def test_log_of_non_positive_values_warns_once():
    x = Tensor(np.array([1.0, 0.0, -2.0, 3.0]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        y = x.log()
        y.sum().backward()
    assert len(caught) == 1, [str(w.message) for w in caught]
    w = caught[0]
    assert issubclass(w.category, LogDomainWarning) and not issubclass(w.category, RuntimeWarning)
    assert "2 non-positive" in str(w.message) and "-2.0" in str(w.message)
    assert w.filename == __file__  # points at the caller's line
    assert np.isneginf(y.data[1]) and np.isnan(y.data[2])
    assert np.isinf(x.grad[1]) and x.grad[2] == -0.5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Tensor(np.array([0.5, 2.0])).log()  # positive input: silent


def test_bad_operands_and_data():
    t = Tensor(np.ones(3))
    with pytest.raises(TypeError, match="exponent"):
        t ** Tensor(2.0)
    with pytest.raises(TypeError, match="exponent"):
        2.0**t
    with pytest.raises(TypeError, match="str"):
        t + "a"
    with pytest.raises(TypeError, match="dtype"):
        Tensor(np.array(["a", "b"]))
    with pytest.raises(TypeError, match="bool"):
        Tensor(True)
    with pytest.raises(TypeError, match="label"):
        Tensor(1.0, label=3)
    with pytest.raises(ValueError, match="axis"):
        t.sum(axis=1)
    with pytest.raises(ValueError, match=r"Invalid shape: \(2, 2\) for a Tensor of shape \(3,\)"):
        t.reshape(2, 2)
    with pytest.raises(TypeError):
        np.exp(t)  # numpy functions do not silently drop the graph
