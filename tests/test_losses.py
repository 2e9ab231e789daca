"""Tests for gdlib.losses: hand-worked values, analytic vs numerical vs autograd gradients,
numerical stability, label validation, L2 regularisation."""
import warnings

import numpy as np
import pytest

from gdlib import losses
from gdlib.autograd import Tensor
from gdlib.derivatives import numerical_gradient


def rel_error(a, b):
    """max |a-b| / max(|a|, |b|) over entries (CS231n's relative error), 0 where both are 0."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    den = np.maximum(np.abs(a), np.abs(b))
    err = np.where(den > 0, np.abs(a - b) / np.where(den > 0, den, 1.0), 0.0)
    return float(err.max())


def autograd_grad(tensor_loss, scores, *args, **kwargs):
    s = Tensor(scores.copy())
    out = tensor_loss(s, *args, **kwargs)
    out.backward()
    return float(out.data), np.asarray(s.grad)


def away_from_kinks(scores, y, delta=1.0, gap=0.05):
    """Move every hinge margin at least ``gap`` away from 0, so the SVM loss is smooth nearby."""
    scores = scores.copy()
    rows = np.arange(len(y))
    margins = scores - scores[rows, y][:, None] + delta
    near = np.abs(margins) < gap
    near[rows, y] = False
    scores[near] += 4 * gap  # only s_ij with j != y_i: moves m_ij by 4*gap, touches no other margin
    return scores


# ----------------------------------------------------------------------------- hand-worked values
CS231N_SCORES = np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])
CS231N_Y = np.array([0, 1, 2])


def test_svm_cs231n_lecture_example():
    # CS231n lecture 3: per-image hinge losses 2.9, 0, 12.9; mean 5.27.
    loss, grad = losses.svm_loss(CS231N_SCORES, CS231N_Y)
    assert loss == pytest.approx((2.9 + 0.0 + 12.9) / 3)
    # Image 0 (cat): car violates (5.1-3.2+1 = 2.9 > 0), frog does not (-1.7-3.2+1 < 0).
    # Image 2 (frog): both violate (2.2+3.1+1 = 6.3, 2.5+3.1+1 = 6.6), so the frog column gets -2.
    expected = np.array([[-1, 1, 0], [0, 0, 0], [1, 1, -2]]) / 3
    np.testing.assert_allclose(grad, expected)
    assert losses.tensor_svm_loss(Tensor(CS231N_SCORES), CS231N_Y).data == pytest.approx(loss)


def test_softmax_cross_entropy_hand_value():
    # Direct, unshifted formula as an independent reference: -s_y + log sum exp(s).
    expected = np.mean([-s[k] + np.log(np.sum(np.exp(s))) for s, k in zip(CS231N_SCORES, CS231N_Y)])
    loss, grad = losses.softmax_cross_entropy(CS231N_SCORES, CS231N_Y)
    assert loss == pytest.approx(expected, rel=1e-12)
    # The cat image alone: probabilities ~ (0.13, 0.87, 0.00) -> loss -log(0.13) ~ 2.04 (CS231n).
    assert losses.softmax_cross_entropy(CS231N_SCORES[:1], [0])[0] == pytest.approx(2.04, abs=0.005)
    p = np.exp(CS231N_SCORES) / np.exp(CS231N_SCORES).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(grad, (p - np.eye(3)[CS231N_Y]) / 3, rtol=1e-12)


def test_uniform_scores_give_log_c():
    for c in (2, 3, 10):
        assert losses.softmax_cross_entropy(np.zeros((4, c)), [0, 1, 0, 1])[0] == pytest.approx(np.log(c))
        # SVM with equal scores: every wrong class violates by exactly delta.
        assert losses.svm_loss(np.zeros((4, c)), [0, 1, 0, 1])[0] == pytest.approx(c - 1)


def test_mse_hand_values_and_shape_check():
    loss, grad = losses.mse_loss(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.0, 2.0], [3.0, 0.0]]))
    assert loss == pytest.approx((1 + 0 + 0 + 16) / 4)
    np.testing.assert_allclose(grad, [[0.5, 0.0], [0.0, 2.0]])
    with pytest.raises(ValueError, match=r"\(5, 1\)"):
        losses.mse_loss(np.zeros(5), np.zeros((5, 1)))
    with pytest.raises(ValueError, match="shape"):
        losses.tensor_mse_loss(Tensor(np.zeros(5)), np.zeros((5, 1)))


def test_softmax_function():
    s = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    p = losses.softmax(s)
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(p[0], e / e.sum())
    np.testing.assert_allclose(p[1], [1 / 3] * 3)
    np.testing.assert_allclose(losses.softmax(np.array([1.0, 1.0])), [0.5, 0.5])


def test_losses_are_means_over_the_batch():
    rng = np.random.default_rng(3)
    s, y = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    for fn in (losses.svm_loss, losses.softmax_cross_entropy):
        l1, g1 = fn(s, y)
        l2, g2 = fn(np.r_[s, s], np.r_[y, y])
        assert l2 == pytest.approx(l1)
        np.testing.assert_allclose(g2[:6], g1 / 2)


# ----------------------------------------------------------------------------- gradients agree
@pytest.mark.parametrize("seed", range(8))
def test_svm_gradients_analytic_numerical_autograd(seed):
    rng = np.random.default_rng(seed)
    n, c = rng.integers(1, 8), rng.integers(2, 7)
    y = rng.integers(0, c, n)
    delta = [1.0, 0.5, 2.0, 1.0][seed % 4]
    scores = away_from_kinks(rng.standard_normal((n, c)) * 2, y, delta)
    loss, grad = losses.svm_loss(scores, y, delta=delta)
    num = numerical_gradient(lambda s: losses.svm_loss(s, y, delta=delta)[0], scores)
    auto_loss, auto = autograd_grad(losses.tensor_svm_loss, scores, y, delta=delta)
    assert rel_error(grad, num) < 1e-6
    assert rel_error(grad, auto) < 1e-6
    assert auto_loss == pytest.approx(loss, rel=1e-12)


@pytest.mark.parametrize("seed", range(8))
def test_softmax_gradients_analytic_numerical_autograd(seed):
    rng = np.random.default_rng(10 + seed)
    n, c = rng.integers(1, 8), rng.integers(2, 7)
    y = rng.integers(0, c, n)
    # Unit-scale scores: with much larger ones some probabilities are ~1e-4 and the
    # central difference's own O(h^2) error, relative to such tiny entries, exceeds 1e-6.
    scores = rng.standard_normal((n, c))
    loss, grad = losses.softmax_cross_entropy(scores, y)
    num = numerical_gradient(lambda s: losses.softmax_cross_entropy(s, y)[0], scores)
    auto_loss, auto = autograd_grad(losses.tensor_softmax_cross_entropy, scores, y)
    assert rel_error(grad, num) < 1e-6
    assert rel_error(grad, auto) < 1e-6
    assert auto_loss == pytest.approx(loss, rel=1e-12)


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 2)])
def test_mse_gradients_analytic_numerical_autograd(shape):
    rng = np.random.default_rng(len(shape))
    pred, target = rng.standard_normal(shape), rng.standard_normal(shape)
    loss, grad = losses.mse_loss(pred, target)
    num = numerical_gradient(lambda p: losses.mse_loss(p, target)[0], pred)
    auto_loss, auto = autograd_grad(losses.tensor_mse_loss, pred, target)
    assert rel_error(grad, num) < 1e-6
    assert rel_error(grad, auto) < 1e-6
    assert auto_loss == pytest.approx(loss, rel=1e-12)


@pytest.mark.parametrize("name", ["svm", "softmax"])
def test_regularised_linear_classifier_gradient(name):
    """Scores = X W; dW = X^T dscores + reg W must match the numerical gradient of the full loss."""
    rng = np.random.default_rng(7)
    X, y, W, reg = rng.standard_normal((6, 4)), rng.integers(0, 3, 6), rng.standard_normal((4, 3)), 0.3
    fn, tfn = {"svm": (losses.svm_loss, losses.tensor_svm_loss),
               "softmax": (losses.softmax_cross_entropy, losses.tensor_softmax_cross_entropy)}[name]
    if name == "svm":
        W = W.copy()
        for _ in range(10):  # nudge W until no margin sits near a kink
            scores = X @ W
            margins = scores - scores[np.arange(6), y][:, None] + 1.0
            margins[np.arange(6), y] = 5.0
            if np.abs(margins).min() > 0.05:
                break
            W += 0.01 * rng.standard_normal(W.shape)
    loss, dscores = fn(X @ W, y, reg=reg, W=W)
    data_loss = fn(X @ W, y)[0]
    assert loss == pytest.approx(data_loss + 0.5 * reg * np.sum(W * W))
    dW = X.T @ dscores + reg * W
    num = numerical_gradient(lambda w: fn(X @ w, y, reg=reg, W=w)[0], W)
    assert rel_error(dW, num) < 1e-6
    Wt = Tensor(W.copy())
    out = tfn(Tensor(X) @ Wt, y, reg=reg, W=Wt)
    out.backward()
    assert float(out.data) == pytest.approx(loss, rel=1e-12)
    assert rel_error(Wt.grad, dW) < 1e-6


def test_l2_penalty():
    W = [np.array([[1.0, 2.0]]), np.array([3.0])]
    loss, grads = losses.l2_penalty(W, reg=0.5)
    assert loss == pytest.approx(0.25 * (1 + 4 + 9))
    np.testing.assert_allclose(grads[0], [[0.5, 1.0]])
    np.testing.assert_allclose(grads[1], [1.5])
    with pytest.raises(ValueError, match="reg"):
        losses.l2_penalty(W, reg=-1.0)
    with pytest.raises(ValueError, match="W"):
        losses.softmax_cross_entropy(np.zeros((1, 2)), [0], reg=0.1)


# ----------------------------------------------------------------------------- stability
@pytest.mark.parametrize("big", [1000.0, -1000.0])
def test_softmax_stable_at_extreme_scores(big):
    scores = np.array([[big, 0.0, -big], [big, big, big]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # Underflow of exp(-2000) to 0 is the intended, harmless outcome; overflow,
        # division by zero and invalid operations (inf - inf, 0 * inf) are not.
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            p = losses.softmax(scores)
            for y in ([0, 1], [2, 1]):
                loss, grad = losses.softmax_cross_entropy(scores, y)
                t_loss = losses.tensor_softmax_cross_entropy(Tensor(scores), y)
                t_loss.backward()
                assert np.isfinite(loss) and np.all(np.isfinite(grad))
                assert float(t_loss.data) == pytest.approx(loss)
    assert np.all(np.isfinite(p))
    np.testing.assert_allclose(p[1], [1 / 3] * 3)
    # Row 0 puts all mass on the +1000 entry: the loss is ~0 there and 2000 at the other end.
    top, bottom = (0, 2) if big > 0 else (2, 0)
    np.testing.assert_allclose(p[0, top], 1.0)
    row0 = scores[:1]
    assert losses.softmax_cross_entropy(row0, [top])[0] == pytest.approx(0.0, abs=1e-300)
    assert losses.softmax_cross_entropy(row0, [bottom])[0] == pytest.approx(2000.0)
    np.testing.assert_allclose(losses.softmax_cross_entropy(row0, [bottom])[1][0, bottom], -1.0)


# ----------------------------------------------------------------------------- label errors
@pytest.mark.parametrize(
    "y, pattern",
    [
        ([0, 3, 1], r"y\[1\] = 3"),
        ([0, 1, -1], r"y\[2\] = -1"),
        ([0.0, 1.5, 2.0], r"y\[1\] = 1.5"),
        ([0, 1], r"shape \(2,\)"),
        ([[0, 1, 2]], r"shape \(1, 3\)"),
        (["a", "b", "c"], "dtype"),
    ],
)
@pytest.mark.parametrize(
    "fn",
    [losses.svm_loss, losses.softmax_cross_entropy,
     lambda s, y: losses.tensor_svm_loss(Tensor(s), y),
     lambda s, y: losses.tensor_softmax_cross_entropy(Tensor(s), y)],
)
def test_bad_labels_raise_value_error_naming_them(fn, y, pattern):
    with pytest.raises(ValueError, match=pattern):
        fn(np.zeros((3, 3)), y)


def test_integral_float_labels_accepted_and_bad_scores_rejected():
    a = losses.softmax_cross_entropy(CS231N_SCORES, [0.0, 1.0, 2.0])
    b = losses.softmax_cross_entropy(CS231N_SCORES, [0, 1, 2])
    assert a[0] == b[0]
    with pytest.raises(ValueError, match="scores"):
        losses.svm_loss(np.zeros(3), [0])
    with pytest.raises(ValueError, match="delta"):
        losses.svm_loss(np.zeros((1, 3)), [0], delta=0.0)


# ----------------------------------------------------------------------------- review: bad input
def test_l2_penalty_without_weights_is_a_type_error_not_an_index_error():
    with pytest.raises(TypeError, match="Invalid W: None"):
        losses.l2_penalty(None, reg=0.0)


@pytest.mark.parametrize(
    "call, exc, pattern",
    [
        (lambda: losses.softmax(np.array(["a", "b"])), TypeError, "Invalid scores: dtype"),
        (lambda: losses.softmax(np.array([1.0 + 2.0j])), TypeError, "Invalid scores: dtype"),
        (lambda: losses.softmax(np.zeros((2, 0))), ValueError, r"Invalid scores: shape \(2, 0\)"),
        (lambda: losses.softmax(3.0), ValueError, r"Invalid scores: shape \(\)"),
        (lambda: losses.mse_loss(["a"], ["b"]), TypeError, "Invalid pred: dtype"),
        (lambda: losses.mse_loss([1.0], ["b"]), TypeError, "Invalid target: dtype"),
    ],
)
def test_softmax_and_mse_name_the_bad_argument(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


def test_softmax_keeps_1d_and_integer_input():
    np.testing.assert_allclose(losses.softmax([0, 0]), [0.5, 0.5])
    np.testing.assert_allclose(losses.softmax(np.array([[1000, 1000]])), [[0.5, 0.5]])


def test_tensor_l2_penalty_without_weights_is_refused_like_the_numpy_form():
    with pytest.raises(TypeError, match="Invalid W: None"):
        losses.tensor_l2_penalty(None, reg=0.0)
