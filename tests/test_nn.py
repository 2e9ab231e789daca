"""Tests for gdlib.nn: shapes, initialisation statistics, gradients against finite differences,
the parameters()/grads()/zero_grad() contract, accuracy and train()'s validation."""
import numpy as np
import pytest

from gdlib import losses, nn
from gdlib.autograd import Tensor
from gdlib.derivatives import numerical_gradient


def test_linear_forward_and_hand_gradients():
    layer = nn.Linear(3, 2, seed=0)
    layer.b[:] = [1.0, -1.0]
    X = np.arange(12.0).reshape(4, 3)
    out = layer(Tensor(X))
    np.testing.assert_allclose(out.data, X @ layer.W + [1.0, -1.0])
    np.testing.assert_allclose(layer.forward_numpy(X), out.data)
    out.sum().backward()
    dW, db = layer.grads()
    # d/dW sum(XW + b) = X^T 1 (column sums of X in every column); d/db = N.
    np.testing.assert_allclose(dW, np.repeat(X.sum(axis=0)[:, None], 2, axis=1))
    np.testing.assert_allclose(db, [4.0, 4.0])
    assert [p.shape for p in layer.parameters()] == [(3, 2), (2,)]
    assert all(p.dtype == np.float64 for p in layer.parameters())


def test_in_place_updates_are_seen_by_the_next_forward():
    layer = nn.Linear(2, 2, seed=0)
    W = layer.parameters()[0]
    W[...] = np.eye(2)
    W *= 3.0  # an optimizer's `x += ...` style update
    np.testing.assert_allclose(layer(Tensor(np.array([[1.0, 2.0]]))).data, [[3.0, 6.0]])
    assert layer.parameters()[0] is W


@pytest.mark.parametrize(
    "init, expected_std",
    [("he", np.sqrt(2.0 / 512)), ("xavier", np.sqrt(2.0 / (512 + 512))), (0.01, 0.01)],
)
def test_init_statistics_512x512(init, expected_std):
    layer = nn.Linear(512, 512, init=init, seed=0)
    assert abs(layer.W.std() / expected_std - 1.0) < 0.10
    assert abs(layer.W.mean()) < 0.05 * expected_std * 10  # mean of 262144 draws ~ std / 512
    np.testing.assert_array_equal(layer.b, 0.0)


def test_xavier_uses_both_fan_in_and_fan_out():
    layer = nn.Linear(100, 900, init="xavier", seed=1)
    assert abs(layer.W.std() / np.sqrt(2.0 / 1000) - 1.0) < 0.10  # not sqrt(2/100) nor sqrt(1/100)


def test_seeds_are_deterministic():
    np.testing.assert_array_equal(nn.Linear(4, 5, seed=3).W, nn.Linear(4, 5, seed=3).W)
    assert not np.array_equal(nn.Linear(4, 5, seed=3).W, nn.Linear(4, 5, seed=4).W)
    a, b = nn.MLP([3, 8, 2], seed=1), nn.MLP([3, 8, 2], seed=1)
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p, q)
    # Layers of one MLP get different draws, not the same seed twice.
    c = nn.MLP([4, 4, 4], seed=0)
    assert not np.array_equal(c[0].W, c[2].W)


def test_mlp_structure_and_shapes():
    model = nn.MLP([64, 32, 16, 10], activation="tanh", init="xavier")
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Linear", "Tanh", "Linear", "Tanh", "Linear"]
    assert [p.shape for p in model.parameters()] == [(64, 32), (32,), (32, 16), (16,), (16, 10), (10,)]
    assert model(Tensor(np.zeros((7, 64)))).data.shape == (7, 10)
    assert model.forward_numpy(np.zeros((7, 64))).shape == (7, 10)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_mlp_gradients_match_finite_differences(activation):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((5, 3)), np.array([0, 1, 2, 1, 0])
    model = nn.MLP([3, 4, 3], activation=activation, seed=2)
    # Keep ReLU pre-activations away from 0 (the kink) so finite differences are valid.
    if activation == "relu":
        pre = X @ model[0].W
        model[0].b[:] = np.where(np.abs(pre).min(axis=0) < 0.1, 0.3, 0.0)
        assert np.abs(X @ model[0].W + model[0].b).min() > 0.05
    model.zero_grad()
    losses.tensor_softmax_cross_entropy(model(Tensor(X)), y).backward()
    grads = model.grads()
    params = model.parameters()
    assert [g.shape for g in grads] == [p.shape for p in params]
    for p, g in zip(params, grads):
        def f(value, p=p):
            saved = p.copy()
            p[...] = value
            try:
                return losses.softmax_cross_entropy(model.forward_numpy(X), y)[0]
            finally:
                p[...] = saved
        num = numerical_gradient(f, p.copy())
        np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-9)


def test_grads_contract():
    model = nn.MLP([2, 3, 2], seed=0)
    with pytest.raises(RuntimeError, match="backward"):
        model.grads()
    X = np.array([[1.0, -1.0]])
    model(Tensor(X)).sum().backward()
    first = [g.copy() for g in model.grads()]
    # A second forward/backward without zero_grad accumulates (sums) the gradients...
    model(Tensor(X)).sum().backward()
    for g, g1 in zip(model.grads(), first):
        np.testing.assert_allclose(g, 2 * g1)
    # ...and zero_grad forgets them.
    model.zero_grad()
    with pytest.raises(RuntimeError):
        model.grads()
    model(Tensor(X)).sum().backward()
    for g, g1 in zip(model.grads(), first):
        np.testing.assert_allclose(g, g1)


def test_accuracy_hand_example():
    layer = nn.Linear(2, 2, init=1.0)
    layer.W[...] = np.eye(2)
    X = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 3.0], [5.0, 1.0]])
    assert nn.accuracy(layer, X, [0, 1, 0, 0]) == pytest.approx(0.75)
    with pytest.raises(ValueError, match=r"y\[0\] = 7"):
        nn.accuracy(layer, X, [7, 1, 0, 0])


def test_train_history_and_parameters_move():
    from gdlib.data import blobs
    from gdlib.optim import SGD

    X, y = blobs(n_per_class=30, n_classes=3, seed=0)
    model = nn.MLP([2, 8, 3], seed=0)
    W0 = model[0].W.copy()
    hist = nn.train(model, X, y, SGD(learning_rate=0.1), epochs=3, batch_size=20, seed=0)
    assert set(hist) == {"loss", "batch_loss", "accuracy"}
    assert all(len(v) == 3 for v in hist.values())
    assert not np.array_equal(model[0].W, W0)
    # The recorded loss is the full-data loss of the final model.
    assert hist["loss"][-1] == pytest.approx(losses.softmax_cross_entropy(model.forward_numpy(X), y)[0])
    assert hist["accuracy"][-1] == pytest.approx(nn.accuracy(model, X, y))


def test_train_mse_regression():
    from gdlib.data import linear_regression
    from gdlib.optim import SGD

    X, y, w, b = linear_regression(200, w=[2.0, -1.0], b=0.5, noise=0.0, return_coef=True)
    model = nn.Linear(2, 1, init=0.01)
    hist = nn.train(model, X, y[:, None], SGD(learning_rate=0.1), loss="mse", epochs=40, batch_size=20)
    assert "accuracy" not in hist
    assert hist["loss"][-1] < 1e-4
    np.testing.assert_allclose(model.W[:, 0], w, atol=0.02)
    assert model.b[0] == pytest.approx(b, abs=0.02)


def test_bad_arguments():
    with pytest.raises(ValueError, match="n_in"):
        nn.Linear(0, 3)
    with pytest.raises(TypeError, match="n_out"):
        nn.Linear(3, 2.0)
    with pytest.raises(ValueError, match="init"):
        nn.Linear(3, 3, init="kaiming")
    with pytest.raises(ValueError, match="init"):
        nn.Linear(3, 3, init=-0.1)
    with pytest.raises(ValueError, match="sizes"):
        nn.MLP([3])
    with pytest.raises(ValueError, match="activation"):
        nn.MLP([3, 2], activation="gelu")
    with pytest.raises(TypeError, match="layer 1"):
        nn.Sequential(nn.ReLU(), "relu")
    model = nn.MLP([2, 2])
    with pytest.raises(ValueError, match="loss"):
        nn.train(model, np.zeros((4, 2)), np.zeros(4, int), object(), loss="hinge")
    with pytest.raises(TypeError, match="optimizer"):
        nn.train(model, np.zeros((4, 2)), np.zeros(4, int), object())


@pytest.mark.parametrize(
    "kwargs, exc, pattern",
    [
        (dict(sizes=3), TypeError, "Invalid sizes: 3"),
        (dict(sizes=[2, 0, 3]), ValueError, r"Invalid sizes: \[2, 0, 3\]"),
        (dict(sizes=[2, 2.5]), TypeError, r"Invalid sizes: \[2, 2.5\]"),
        (dict(sizes=[2, 3], activation=["relu"]), TypeError, "Invalid activation"),
    ],
)
def test_mlp_bad_sizes_and_activation_name_the_argument(kwargs, exc, pattern):
    with pytest.raises(exc, match=pattern):
        nn.MLP(**kwargs)


def test_sigmoid_numpy_path_matches_the_tensor_path_at_extremes():
    x = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])
    with np.errstate(over="raise"):
        np.testing.assert_array_equal(nn.Sigmoid().forward_numpy(x), nn.Sigmoid()(Tensor(x)).data)


@pytest.mark.parametrize(
    "loss, y, pattern",
    [
        ("softmax", np.array([0, 1, 2, 0, 1, 3]), r"y\[5\] = 3"),
        ("svm", np.array([0, 1, 2, 0, 1, -1]), r"y\[5\] = -1"),
        ("mse", np.zeros((6, 2)), r"Invalid y: shape \(6, 2\)"),
    ],
)
def test_refused_train_modifies_no_parameter(loss, y, pattern):
    """A bad label in the last minibatch must be refused before the first step, not after five."""
    from gdlib.optim import SGD

    model = nn.MLP([2, 4, 3], seed=0)
    before = [p.copy() for p in model.parameters()]
    X = np.random.default_rng(0).standard_normal((6, 2))
    with pytest.raises(ValueError, match=pattern):
        nn.train(model, X, y, SGD(learning_rate=0.1), loss=loss, epochs=1, batch_size=1, seed=0)
    for p, q in zip(model.parameters(), before):
        np.testing.assert_array_equal(p, q)


def test_refused_forward_records_no_leaves():
    layer = nn.Linear(3, 2, seed=0)
    with pytest.raises(ValueError, match=r"\(4, 5\)"):
        layer(np.ones((4, 5)))
    assert layer._leaves == []
