"""Tests for gdlib.data: shapes, determinism per seed, class balance, minibatches."""
import numpy as np
import pytest

from gdlib import data


def test_spiral_shapes_balance_and_first_points():
    X, y = data.spiral(n_per_class=100, n_classes=3, noise=0.2, seed=0)
    assert X.shape == (300, 2) and y.shape == (300,)
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [100, 100, 100]
    # Each arm starts at radius 0 and ends at radius 1 (r = linspace(0, 1)).
    r = np.linalg.norm(X, axis=1)
    for k in range(3):
        assert r[100 * k] == pytest.approx(0.0, abs=1e-15)
        assert r[100 * k + 99] == pytest.approx(1.0)


def test_spiral_without_noise_matches_formula():
    X, y = data.spiral(n_per_class=5, n_classes=2, noise=0.0, seed=0)
    # Hand-worked: arm 1, last point: r = 1, theta = 8 -> (sin 8, cos 8).
    assert X[-1] == pytest.approx([np.sin(8.0), np.cos(8.0)])
    # arm 0, middle point: r = 0.5, theta = 2.
    assert X[2] == pytest.approx([0.5 * np.sin(2.0), 0.5 * np.cos(2.0)])


@pytest.mark.parametrize(
    "make",
    [
        lambda s: data.spiral(seed=s),
        lambda s: data.blobs(seed=s),
        lambda s: data.moons(seed=s),
        lambda s: data.linear_regression(seed=s),
    ],
)
def test_generators_are_deterministic_per_seed(make):
    a, b, c = make(0), make(0), make(1)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[0], c[0])


def test_blobs_and_moons_shapes():
    X, y = data.blobs(n_per_class=50, n_classes=4, n_features=3, seed=0)
    assert X.shape == (200, 3) and np.bincount(y).tolist() == [50] * 4
    X, y = data.moons(n_per_class=40, noise=0.0)
    assert X.shape == (80, 2) and np.bincount(y).tolist() == [40, 40]
    # Inner moon without noise: (1 - cos t, 1/2 - sin t), so its distance from (1, 1/2) is 1.
    assert np.allclose(np.linalg.norm(X[y == 1] - [1.0, 0.5], axis=1), 1.0)


def test_linear_regression_recovers_weights():
    X, y, w, b = data.linear_regression(500, w=[3.0, -2.0], b=1.0, noise=0.01, seed=0, return_coef=True)
    A = np.c_[X, np.ones(len(X))]
    coef = np.linalg.lstsq(A, y, rcond=None)[0]
    assert coef == pytest.approx([3.0, -2.0, 1.0], abs=0.01)


def test_digits_split():
    X_train, X_test, y_train, y_test = data.digits(test_size=0.25, seed=0)
    assert X_train.shape == (1347, 64) and X_test.shape == (450, 64)
    assert y_train.shape == (1347,) and y_test.shape == (450,)
    assert X_train.min() == 0.0 and X_train.max() == 1.0
    # Stratified: every class has 25 % +- 1 of its images in the test set.
    all_counts = np.bincount(np.r_[y_train, y_test])
    np.testing.assert_array_equal(all_counts, [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    assert np.all(np.abs(np.bincount(y_test) - 0.25 * all_counts) <= 1.0)
    # Disjoint and complete: no image appears twice.
    from sklearn.datasets import load_digits

    ours = np.unique(np.r_[X_train, X_test], axis=0, return_counts=True)
    theirs = np.unique(load_digits().data / 16.0, axis=0, return_counts=True)
    np.testing.assert_array_equal(ours[0], theirs[0])
    np.testing.assert_array_equal(ours[1], theirs[1])
    # Shuffled, not sorted by class; deterministic per seed.
    assert not np.all(np.diff(y_train) >= 0)
    again = data.digits(seed=0)
    np.testing.assert_array_equal(again[2], y_train)
    assert not np.array_equal(data.digits(seed=1)[2], y_train)


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.1, 2])
def test_digits_rejects_bad_test_size(bad):
    with pytest.raises(ValueError, match="test_size"):
        data.digits(test_size=bad)


@pytest.mark.parametrize("n,batch_size", [(10, 3), (12, 4), (7, 10), (1, 1)])
def test_minibatches_cover_every_sample_exactly_once(n, batch_size):
    X = np.arange(n * 2, dtype=float).reshape(n, 2)
    y = np.arange(n)
    rng = np.random.default_rng(0)
    orders = []
    for _epoch in range(3):
        batches = list(data.minibatches(X, y, batch_size, seed=rng))
        sizes = [len(yb) for _, yb in batches]
        assert sizes == [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
        seen = np.concatenate([yb for _, yb in batches])
        np.testing.assert_array_equal(np.sort(seen), y)
        for Xb, yb in batches:  # rows stay paired with their labels
            np.testing.assert_array_equal(Xb[:, 0], 2 * yb)
        orders.append(seen)
    if n > 3:
        assert not np.array_equal(orders[0], orders[1])  # a shared Generator reshuffles each epoch


def test_minibatches_int_seed_is_repeatable_and_no_shuffle_keeps_order():
    X, y = np.zeros((9, 1)), np.arange(9)
    a = [yb.tolist() for _, yb in data.minibatches(X, y, 4, seed=5)]
    b = [yb.tolist() for _, yb in data.minibatches(X, y, 4, seed=5)]
    assert a == b
    assert [yb.tolist() for _, yb in data.minibatches(X, y, 4, shuffle=False)] == [[0, 1, 2, 3], [4, 5, 6, 7], [8]]


def test_minibatches_validates_eagerly():
    with pytest.raises(ValueError, match="batch_size"):
        data.minibatches(np.zeros((3, 1)), np.zeros(3), 0)
    with pytest.raises(TypeError, match="batch_size"):
        data.minibatches(np.zeros((3, 1)), np.zeros(3), 2.5)
    with pytest.raises(ValueError, match="same first dimension"):
        data.minibatches(np.zeros((3, 1)), np.zeros(4), 2)


def test_bad_arguments():
    with pytest.raises(ValueError, match="n_per_class"):
        data.spiral(n_per_class=0)
    with pytest.raises(ValueError, match="noise"):
        data.moons(noise=-1.0)
    with pytest.raises(TypeError, match="seed"):
        data.blobs(seed=1.5)
    with pytest.raises(ValueError, match="centers"):
        data.blobs(centers=[1.0, 2.0])


@pytest.mark.parametrize(
    "call, pattern",
    [
        (lambda: data.linear_regression(b=float("nan")), "Invalid b"),
        (lambda: data.linear_regression(w=[1.0, float("inf")]), "Invalid w"),
        (lambda: data.blobs(centers=[[0.0, float("nan")], [1.0, 1.0]]), "Invalid centers"),
    ],
)
def test_non_finite_parameters_are_refused(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()
