"""Tests of gdlib.functions: analytic derivatives vs finite differences, critical points, registry."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gdlib.derivatives import numerical_gradient, numerical_hessian
from gdlib.functions import (
    FUNCTIONS,
    Beale,
    DoubleWell,
    Himmelblau,
    MonkeySaddle,
    Quadratic,
    Rastrigin,
    Rosenbrock,
    Saddle,
    TestFunction,
    get_function,
)

INSTANCES = [
    Quadratic(),
    Quadratic(condition_number=25.0, angle=0.7, center=[1.0, -0.5]),
    Quadratic(dim=4, condition_number=100.0),
    Rosenbrock(),
    Rosenbrock(dim=5),
    Beale(),
    Himmelblau(),
    Saddle(),
    MonkeySaddle(),
    Rastrigin(),
    Rastrigin(dim=3, A=5.0),
    DoubleWell(),
]
IDS = [repr(f) for f in INSTANCES]


def _random_points(f, k=20, seed=0):
    rng = np.random.default_rng(seed)
    (x0, x1), (y0, y1) = f.window
    lo = np.array([x0, y0] + [x0] * (f.dim - 2))[: f.dim]
    hi = np.array([x1, y1] + [x1] * (f.dim - 2))[: f.dim]
    return rng.uniform(lo, hi, size=(k, f.dim))


@pytest.mark.parametrize("f", INSTANCES, ids=IDS)
def test_analytic_gradient_matches_finite_differences(f):
    for x in _random_points(f):
        num = numerical_gradient(f, x, h=1e-6)
        scale = max(1.0, np.max(np.abs(num)))
        np.testing.assert_allclose(f.grad(x), num, atol=1e-6 * scale, rtol=1e-6)


@pytest.mark.parametrize("f", INSTANCES, ids=IDS)
def test_analytic_hessian_matches_finite_differences(f):
    for x in _random_points(f, seed=1):
        num = numerical_hessian(f, x, h=1e-4)
        H = f.hessian(x)
        assert H.shape == (f.dim, f.dim)
        np.testing.assert_array_equal(H, H.T)
        scale = max(1.0, np.max(np.abs(num)))
        np.testing.assert_allclose(H, num, atol=1e-4 * scale)


@pytest.mark.parametrize("f", INSTANCES, ids=IDS)
def test_batched_value_and_grad_match_pointwise(f):
    pts = _random_points(f, k=6, seed=2).reshape(2, 3, f.dim)
    v = f.value(pts)
    g = f.grad(pts)
    H = f.hessian(pts)
    assert v.shape == (2, 3) and g.shape == (2, 3, f.dim) and H.shape == (2, 3, f.dim, f.dim)
    for i in range(2):
        for j in range(3):
            assert v[i, j] == pytest.approx(f(pts[i, j]), rel=1e-12, abs=1e-12)
            np.testing.assert_allclose(g[i, j], f.grad(pts[i, j]), rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(H[i, j], f.hessian(pts[i, j]), rtol=1e-12, atol=1e-12)
    assert isinstance(f.value(pts[0, 0]), float)


@pytest.mark.parametrize("f", INSTANCES, ids=IDS)
def test_minima_have_zero_gradient_stated_value_and_pd_hessian(f):
    if f.f_min is None:
        assert f.minima == []
    for m in f.minima:
        assert f(m) == pytest.approx(f.f_min, abs=1e-12)
        assert np.linalg.norm(f.grad(m)) < 1e-9
        assert np.linalg.eigvalsh(f.hessian(m)).min() > 0
    for m in f.local_minima:
        assert np.linalg.norm(f.grad(m)) < 1e-9
        assert np.linalg.eigvalsh(f.hessian(m)).min() > 0
        assert f(m) > f.f_min + 1e-6  # strictly worse than the global minimum


@pytest.mark.parametrize("f", INSTANCES, ids=IDS)
def test_saddles_are_critical_and_indefinite(f):
    for s in f.saddles:
        assert np.linalg.norm(f.grad(s)) < 1e-9
        eig = np.linalg.eigvalsh(f.hessian(s))
        if np.max(np.abs(eig)) < 1e-12:  # degenerate (monkey saddle): f takes both signs nearby
            vals = [f(s + 1e-3 * np.array([np.cos(t), np.sin(t)])) - f(s) for t in np.linspace(0, 2 * np.pi, 13)]
            assert min(vals) < 0 < max(vals)
        else:
            assert eig.min() < 0 < eig.max()


@pytest.mark.parametrize("f", INSTANCES, ids=IDS)
def test_common_attributes(f):
    assert isinstance(f, TestFunction)
    assert FUNCTIONS[f.name] is type(f)
    (x0, x1), (y0, y1) = f.window
    assert x0 < x1 and y0 < y1
    assert f.x0.shape == (f.dim,) and np.all(np.isfinite(f.x0))
    assert np.linalg.norm(f.grad(f.x0)) > 1e-3  # a demo start is not already critical
    before, x0 = f.x0, f.x0
    x0 += 1.0  # returned copies: mutating them does not change the function
    np.testing.assert_array_equal(f.x0, before)
    if f.minima:
        f.minima[0][0] += 1.0
        assert f(f.minima[0]) == pytest.approx(f.f_min, abs=1e-12)
    assert repr(f).startswith(type(f).__name__ + "(")


# --------------------------------------------------------------------------- hand values
def test_hand_values():
    assert Rosenbrock()(np.array([0.0, 0.0])) == 1.0
    assert Rosenbrock()(np.array([-1.2, 1.0])) == pytest.approx(24.2)
    np.testing.assert_allclose(Rosenbrock().grad(np.array([-1.2, 1.0])), [-215.6, -88.0])
    np.testing.assert_allclose(Rosenbrock().hessian(np.array([1.0, 1.0])), [[802.0, -400.0], [-400.0, 200.0]])
    # 3-D: sum of two 2-D terms
    assert Rosenbrock(dim=3)(np.array([0.0, 1.0, 0.0])) == pytest.approx(100 + 1 + 100 * 1 + 0)
    assert Beale()(np.array([0.0, 0.0])) == pytest.approx(1.5**2 + 2.25**2 + 2.625**2)
    assert Himmelblau()(np.array([0.0, 0.0])) == 170.0
    assert Saddle()(np.array([1.0, 2.0])) == -3.0
    assert MonkeySaddle()(np.array([2.0, 1.0])) == 8.0 - 6.0
    # 2A + (0.25 - A cos(pi)) + (0 - A cos 0) = 20 + 10.25 - 10
    assert Rastrigin()(np.array([0.5, 0.0])) == pytest.approx(20.25)
    assert DoubleWell()(np.array([1.0, 2.0])) == pytest.approx(0.3 + 4.0)


def test_quadratic_structure():
    f = Quadratic(condition_number=25.0, angle=np.pi / 6, center=[1.0, 2.0])
    assert f.L == 25.0 and f.lambda_min == 1.0 and f.kappa == 25.0
    np.testing.assert_allclose(np.linalg.eigvalsh(f.A), [1.0, 25.0])
    v = np.array([np.cos(np.pi / 6), np.sin(np.pi / 6)])  # first axis rotated by the angle
    np.testing.assert_allclose(f.A @ v, 1.0 * v, atol=1e-12)
    np.testing.assert_allclose(f.minima[0], [1.0, 2.0])
    g = Quadratic(eigenvalues=[2.0, 3.0, 7.0], dim=3)
    assert g.kappa == pytest.approx(3.5) and g.L == 7.0
    np.testing.assert_allclose(Quadratic(dim=3, condition_number=5).eigenvalues, [1.0, 3.0, 5.0])


@settings(max_examples=40, deadline=None)
@given(
    st.floats(1.0, 1e3),
    st.floats(-np.pi, np.pi),
    hnp.arrays(np.float64, 2, elements=st.floats(-5, 5)),
    hnp.arrays(np.float64, 2, elements=st.floats(-5, 5)),
)
def test_quadratic_gradient_is_A_x_minus_c(kappa, angle, x, c):
    f = Quadratic(condition_number=kappa, angle=angle, center=c)
    np.testing.assert_allclose(f.grad(x), f.A @ (x - c), atol=1e-9 * kappa)
    assert f(x) == pytest.approx(0.5 * (x - c) @ f.A @ (x - c), abs=1e-9 * kappa)
    assert f(x) >= -1e-12


def test_himmelblau_minima_known_values():
    expected = [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)]
    got = Himmelblau().minima
    assert len(got) == 4
    for e, m in zip(expected, got):
        np.testing.assert_allclose(m, e, atol=2e-6)
    assert len(Himmelblau().saddles) == 4
    (mx,) = Himmelblau().local_maxima
    assert Himmelblau()(mx) == pytest.approx(181.617, abs=1e-3)
    assert np.linalg.eigvalsh(Himmelblau().hessian(mx)).max() < 0


def test_double_well_structure():
    f = DoubleWell()
    (m,), (lm,), (s,) = f.minima, f.local_minima, f.saddles
    assert m[0] < s[0] < lm[0] and m[1] == lm[1] == s[1] == 0.0
    for p in (m, lm, s):  # roots of 4x^3 - 4x + 0.3 to 1e-10
        assert abs(4 * p[0] ** 3 - 4 * p[0] + 0.3) < 1e-10
    assert f.f_min == f(m) < f(lm)


def test_rosenbrock_known_local_minimum_in_4d():
    # Shang & Qiu (2006): local minimum near (-0.7757, 0.6130, 0.3820, 0.1459)
    (lm,) = Rosenbrock(dim=4).local_minima
    np.testing.assert_allclose(lm, [-0.7757, 0.6130, 0.3820, 0.1459], atol=1e-4)
    assert Rosenbrock(dim=3).local_minima == [] and Rosenbrock(dim=8).local_minima == []


# --------------------------------------------------------------------------- registry and errors
def test_registry():
    assert set(FUNCTIONS) == {
        "quadratic", "rosenbrock", "beale", "himmelblau", "saddle", "monkey_saddle", "rastrigin", "double_well",
    }
    assert isinstance(get_function("rosenbrock", dim=3), Rosenbrock)
    assert get_function(" Quadratic ", condition_number=4.0).kappa == 4.0
    with pytest.raises(ValueError, match="Invalid name: 'banana'.*'double_well'"):
        get_function("banana")
    with pytest.raises(TypeError, match="Invalid name"):
        get_function(3)


def test_bad_inputs_name_the_argument():
    with pytest.raises(ValueError, match="Invalid condition_number: 0.5"):
        Quadratic(condition_number=0.5)
    with pytest.raises(ValueError, match="Invalid angle"):
        Quadratic(dim=3, angle=0.3)
    with pytest.raises(ValueError, match="Invalid eigenvalues"):
        Quadratic(eigenvalues=[1.0, -1.0])
    with pytest.raises(ValueError, match="Invalid eigenvalues"):
        Quadratic(eigenvalues=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="Invalid center"):
        Quadratic(center=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="Invalid dim: 1"):
        Rosenbrock(dim=1)
    with pytest.raises(TypeError, match="Invalid dim"):
        Rastrigin(dim=2.5)
    with pytest.raises(ValueError, match="Invalid b"):
        Rosenbrock(b=-1.0)
    with pytest.raises(ValueError, match="Invalid a"):
        Rosenbrock(dim=3, a=2.0)
    with pytest.raises(ValueError, match="Invalid A"):
        Rastrigin(A=-1.0)
    with pytest.raises(ValueError, match=r"Invalid x: shape \(3,\)"):
        Beale()(np.zeros(3))
    with pytest.raises(ValueError, match="Invalid x"):
        Himmelblau().grad(np.float64(1.0))
    with pytest.raises(TypeError, match="Invalid x"):
        Saddle()(np.array(["a", "b"]))
    # integer points are fine
    assert Himmelblau()(np.array([3, 2])) == 0.0
