"""Tests of gdlib.derivatives against hand-worked values and mathematical laws."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gdlib.derivatives import (
    GradientCheckError,
    GradientCheckResult,
    directional_derivative,
    gradient_check,
    numerical_gradient,
    numerical_hessian,
    partial_derivative,
    relative_error,
)

finite = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False)


def f_cubic(x):
    """x0^2 x1: d/dx0 = 2 x0 x1, d/dx1 = x0^2."""
    return x[0] ** 2 * x[1]


# --------------------------------------------------------------------------- partial derivatives
def test_partial_derivative_hand_values():
    x = np.array([3.0, 2.0])
    assert partial_derivative(f_cubic, x, 0) == pytest.approx(12.0, abs=1e-8)
    assert partial_derivative(f_cubic, x, 1) == pytest.approx(9.0, abs=1e-8)
    # ((3+h)^2 - 9)/h * 2 = (6 + h) * 2: the O(h) error of a one-sided difference is exactly +-2h here
    h = 1e-3
    assert partial_derivative(f_cubic, x, 0, h=h, method="forward") == pytest.approx(12.0 + 2 * h, abs=1e-9)
    assert partial_derivative(f_cubic, x, 0, h=h, method="backward") == pytest.approx(12.0 - 2 * h, abs=1e-9)
    assert isinstance(partial_derivative(f_cubic, x, 0), float)


def test_partial_derivative_tuple_and_negative_index():
    x = np.arange(6.0).reshape(2, 3)
    f = lambda a: np.sum(a**2 * np.arange(1.0, 7.0).reshape(2, 3))  # d/da[i,j] = 2 a w
    assert partial_derivative(f, x, (1, 2)) == pytest.approx(2 * 5.0 * 6.0, rel=1e-9)
    assert partial_derivative(f, x, -1) == pytest.approx(60.0, rel=1e-9)
    assert partial_derivative(f, x, 4) == pytest.approx(2 * 4.0 * 5.0, rel=1e-9)


def test_integer_x_is_converted_not_truncated():
    x = np.array([1, 2])
    # if x stayed int, x + 1e-5 would be truncated back and the quotient would be 0
    assert partial_derivative(lambda a: a[0] ** 2 / 4, x, 0) == pytest.approx(0.5, abs=1e-9)
    assert np.allclose(numerical_gradient(lambda a: np.sum(a**2), [1, 2]), [2.0, 4.0])
    assert x.dtype.kind == "i" and x.tolist() == [1, 2]


def test_callers_array_is_never_modified():
    x = np.array([0.3, -1.2, 2.0])
    x_before = x.copy()
    seen = []

    def f(a):
        seen.append(a.copy())
        return float(np.sum(np.sin(a)))

    numerical_gradient(f, x)
    numerical_gradient(f, x, method="forward")
    numerical_hessian(f, x)
    partial_derivative(f, x, 1)
    gradient_check(f, x, np.cos)
    # each evaluation saw at most two entries perturbed (the Hessian's): earlier ones were restored
    assert all(np.sum(s != x_before) <= 2 for s in seen)
    directional_derivative(f, x, np.ones(3))
    np.testing.assert_array_equal(x, x_before)


def test_entry_restored_even_if_f_raises():
    x = np.array([1.0, 2.0, 3.0])
    arrays = []

    def f(a):
        arrays.append(a)  # a reference to the internal working copy
        if np.any(a != [1.0, 2.0, 3.0]):
            raise RuntimeError("boom")
        return 0.0

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x, method="forward")
    np.testing.assert_array_equal(arrays[-1], [1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError):
        numerical_hessian(f, x)
    np.testing.assert_array_equal(arrays[-1], [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])


# --------------------------------------------------------------------------- error orders
def _slope(method, hs):
    f = lambda x: math.exp(x[0]) * math.sin(x[1])
    x = np.array([0.4, 0.7])
    exact = math.exp(0.4) * math.sin(0.7)
    errs = [abs(partial_derivative(f, x, 0, h=h, method=method) - exact) for h in hs]
    return np.polyfit(np.log(hs), np.log(errs), 1)[0]


def test_forward_and_backward_errors_are_first_order():
    hs = np.logspace(-1, -4, 7)
    assert _slope("forward", hs) == pytest.approx(1.0, abs=0.1)
    assert _slope("backward", hs) == pytest.approx(1.0, abs=0.1)


def test_central_error_is_second_order():
    hs = np.logspace(-1, -3, 7)
    assert _slope("central", hs) == pytest.approx(2.0, abs=0.1)


def test_round_off_dominates_for_tiny_h():
    f = lambda x: math.exp(x[0])
    x = np.array([1.0])
    err_good = abs(partial_derivative(f, x, 0, h=1e-5) - math.e)
    err_tiny = abs(partial_derivative(f, x, 0, h=1e-13) - math.e)
    assert err_tiny > 100 * err_good


# --------------------------------------------------------------------------- gradients
def test_numerical_gradient_on_a_3d_array():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 4))
    w = rng.normal(size=(2, 3, 4))
    f = lambda a: float(np.sum(w * np.sin(a)))
    for method, tol in [("central", 1e-8), ("forward", 1e-4), ("backward", 1e-4)]:
        g = numerical_gradient(f, x, method=method)
        assert g.shape == (2, 3, 4) and g.dtype == np.float64
        np.testing.assert_allclose(g, w * np.cos(x), atol=tol)


def test_numerical_gradient_of_scalar_x():
    g = numerical_gradient(lambda a: float(a) ** 3, np.array(2.0))
    assert g.shape == () and float(g) == pytest.approx(12.0, rel=1e-8)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    hnp.arrays(np.float64, 3, elements=finite),
    hnp.arrays(np.float64, 3, elements=finite),
    hnp.arrays(np.float64, (3, 3), elements=finite),
)
def test_gradient_of_a_quadratic_is_A_times_x_minus_c(x, c, B):
    A = B + B.T  # any symmetric A
    f = lambda a: 0.5 * (a - c) @ A @ (a - c)
    # central differences are exact for quadratics up to round-off, which grows with |f|: about
    # eps |f| / h for the gradient (h = 1e-5) and eps |f| / h^2 for the Hessian (h = 1e-4), i.e.
    # 2e-11 |f| and 2e-8 |f|; a fixed atol=1e-5 failed at x = (-3, -3, -3), B = 3 (f = 243, error 1.2e-5)
    scale = 1.0 + abs(f(x))
    np.testing.assert_allclose(numerical_gradient(f, x), A @ (x - c), atol=1e-6 * scale)
    np.testing.assert_allclose(numerical_hessian(f, x), A, atol=1e-6 * scale)


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.float64, 3, elements=finite), hnp.arrays(np.float64, 3, elements=finite))
def test_directional_derivative_equals_grad_dot_u(x, d):
    if np.linalg.norm(d) < 1e-3:
        d = d + np.array([1.0, 0.0, 0.0])
    f = lambda a: float(np.sin(a[0]) * a[1] + a[2] ** 2)
    grad = np.array([np.cos(x[0]) * x[1], np.sin(x[0]), 2 * x[2]])
    u = d / np.linalg.norm(d)
    assert directional_derivative(f, x, d) == pytest.approx(grad @ u, abs=1e-6)
    assert directional_derivative(f, x, d, normalize=False) == pytest.approx(grad @ d, abs=1e-5)


def test_numerical_hessian_hand_values_and_shape():
    f = lambda a: a[0] ** 2 * a[1] + 3 * a[1] ** 2
    np.testing.assert_allclose(numerical_hessian(f, [1.0, 2.0]), [[4.0, 2.0], [2.0, 6.0]], atol=1e-6)
    x = np.array([[1.0, 2.0], [0.5, -1.0]])
    g = lambda a: a[0, 0] * a[1, 1] + a[0, 1] ** 2
    H = numerical_hessian(g, x)
    assert H.shape == (2, 2, 2, 2)
    expected = np.zeros((2, 2, 2, 2))
    expected[0, 0, 1, 1] = expected[1, 1, 0, 0] = 1.0
    expected[0, 1, 0, 1] = 2.0
    np.testing.assert_allclose(H, expected, atol=1e-6)
    Hm = H.reshape(4, 4)
    np.testing.assert_array_equal(Hm, Hm.T)


# --------------------------------------------------------------------------- relative error
def test_relative_error_hand_values():
    assert relative_error(1.0, 1.01) == pytest.approx(0.01 / 1.01)
    assert relative_error(0.0, 0.0) == 0.0
    assert relative_error(0.0, 1e-300) == 1.0
    np.testing.assert_allclose(relative_error([2.0, -1.0, 0.0], [-2.0, -1.0, 0.0]), [2.0, 0.0, 0.0])


@settings(max_examples=50, deadline=None)
@given(finite, finite)
def test_relative_error_symmetric_and_bounded(a, b):
    r = relative_error(a, b)
    assert r == relative_error(b, a)
    assert 0.0 <= r <= 2.0


# --------------------------------------------------------------------------- gradient check
def _f(x):
    return float(np.sum(x**3) + x[0] * x[1])


def _grad(x):
    g = 3 * x**2
    g[0] += x[1]
    g[1] += x[0]
    return g


def test_gradient_check_passes_on_right_gradient():
    x = np.array([0.5, -1.5, 2.0, 0.7])
    res = gradient_check(_f, x, _grad)
    assert isinstance(res, GradientCheckResult)
    assert res.passed and res.max_rel_error < 1e-7
    assert "good" in res.verdict
    assert res.rel_error.shape == x.shape
    res2 = gradient_check(_f, x, _grad(x))  # an array works too
    assert res2.passed


def test_gradient_check_names_the_wrong_component():
    x = np.array([0.5, -1.5, 2.0, 0.7])
    g = _grad(x)
    g[2] *= 1.5  # deliberately wrong third component
    with pytest.raises(GradientCheckError, match=r"index \(2,\)") as info:
        gradient_check(_f, x, g)
    msg = str(info.value)
    assert repr(float(g[2])) in msg and "12.0" in msg  # numerical d/dx2 = 3 * 2^2 = 12
    assert isinstance(info.value, AssertionError)
    res = gradient_check(_f, x, g, raise_on_fail=False)
    assert not res.passed and res.worst_index == (2,)
    assert res.max_rel_error == pytest.approx(0.5 / 1.5, rel=1e-6)
    assert "probably wrong" in res.verdict


def test_gradient_check_worst_index_in_2d():
    x = np.arange(1.0, 7.0).reshape(2, 3)
    f = lambda a: float(np.sum(a**2))
    g = 2 * x
    g[1, 0] = 0.0
    with pytest.raises(GradientCheckError, match=r"index \(1, 0\)"):
        gradient_check(f, x, g)


@pytest.mark.parametrize(
    "scale, phrase",
    [(1.0, "good"), (1 + 1e-5, "kinks"), (1 + 1e-3, "uncomfortable"), (1.2, "probably wrong")],
)
def test_gradient_check_verdict_follows_cs231n(scale, phrase):
    x = np.array([0.5, -1.5, 2.0])
    res = gradient_check(_f, x, _grad(x) * scale, threshold=1.0)
    assert phrase in res.verdict
    assert res.passed


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("h", [0.0, -1e-5, float("nan"), float("inf")])
def test_bad_h_raises_value_error(h):
    for call in (
        lambda: partial_derivative(_f, [1.0, 2.0], 0, h=h),
        lambda: numerical_gradient(_f, [1.0, 2.0], h=h),
        lambda: numerical_hessian(_f, [1.0, 2.0], h=h),
        lambda: directional_derivative(_f, [1.0, 2.0], [1.0, 0.0], h=h),
        lambda: gradient_check(_f, [1.0, 2.0], _grad, h=h),
    ):
        with pytest.raises(ValueError, match="Invalid h"):
            call()


def test_bad_inputs_name_the_argument():
    x = np.array([1.0, 2.0])
    with pytest.raises(TypeError, match="Invalid h"):
        numerical_gradient(_f, x, h="small")
    with pytest.raises(TypeError, match="Invalid h"):
        numerical_gradient(_f, x, h=True)
    with pytest.raises(ValueError, match="Invalid method: 'centre'"):
        numerical_gradient(_f, x, method="centre")
    with pytest.raises(TypeError, match="Invalid x"):
        numerical_gradient(_f, np.array(["a", "b"]))
    with pytest.raises(TypeError, match="Invalid x"):
        numerical_gradient(_f, np.array([1 + 2j]))
    with pytest.raises(ValueError, match="Invalid i"):
        partial_derivative(_f, x, 2)
    with pytest.raises(ValueError, match="Invalid i"):
        partial_derivative(_f, x, (0, 1))
    with pytest.raises(TypeError, match="Invalid i"):
        partial_derivative(_f, x, 0.5)
    with pytest.raises(ValueError, match="Invalid analytic_grad: shape \\(3,\\)"):
        gradient_check(_f, x, np.zeros(3))
    with pytest.raises(ValueError, match="Invalid threshold"):
        gradient_check(_f, x, _grad, threshold=0.0)
    with pytest.raises(ValueError, match="Invalid direction"):
        directional_derivative(_f, x, np.zeros(2))
    with pytest.raises(ValueError, match="Invalid direction: shape"):
        directional_derivative(_f, x, np.ones(3))
    with pytest.raises(ValueError, match="scalar"):
        numerical_gradient(lambda a: a, x)
    with pytest.raises(ValueError, match="Invalid a, b"):
        relative_error(np.ones(2), np.ones(3))
