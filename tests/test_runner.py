"""The runner: what it records, why it stops, and quiet divergence."""
import warnings

import numpy as np
import pytest

import gdlib as gd


def test_records_shapes_and_consistency():
    f = gd.Rosenbrock()
    run = gd.minimize(f, f.x0, gd.Momentum(learning_rate=1e-3, mu=0.9), max_steps=50)
    assert run.status == "max_steps" and run.n_steps == 50
    assert run.x.shape == (51, 2) and run.values.shape == (51,) and run.grad_norms.shape == (51,)
    assert run.learning_rates.shape == (50,) and np.all(run.learning_rates == 1e-3)
    np.testing.assert_allclose(run.values, f.value(run.x))
    np.testing.assert_allclose(run.grad_norms, np.linalg.norm(f.grad(run.x), axis=1))
    assert run.state["v"].shape == (50, 2)
    np.testing.assert_allclose(run.x[1:] - run.x[:-1], run.state["v"])    # x += v
    np.testing.assert_array_equal(run.x[0], f.x0)
    assert run.x_final is run.x[-1] or np.array_equal(run.x_final, run.x[-1])
    assert "max_steps=50" in run.message


def test_same_iterates_as_the_plain_loop():
    f = gd.Beale()
    x = f.x0.copy()
    opt = gd.Adam(learning_rate=0.01)
    run = gd.minimize(f, f.x0, gd.Adam(learning_rate=0.01), max_steps=100, tol=0)
    for k in range(100):
        opt.step(x, f.grad(x))
    np.testing.assert_array_equal(run.x_final, x)


def test_converges_with_tolerance():
    f = gd.Quadratic(condition_number=4.0)
    run = gd.minimize(f, f.x0, gd.SGD(learning_rate=1 / f.L), max_steps=10_000, tol=1e-6)
    assert run.status == "converged" and run.grad_norms[-1] <= 1e-6 < run.grad_norms[-2]
    assert "converged at step" in run.message


@pytest.mark.parametrize("lr", [2.2, 10.0, 1e6])
def test_divergence_stops_quietly(lr):
    f = gd.Quadratic(condition_number=10.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = gd.minimize(f, f.x0, gd.SGD(learning_rate=lr / f.L), max_steps=100_000)
    assert run.status == "diverged" and "diverged at step" in run.message
    assert run.n_steps < 1000
    assert np.isnan(run.grad_norms[-1]) and len(run.x) == run.n_steps + 1


def test_overflow_to_inf_is_divergence_not_a_warning():
    f = gd.Rosenbrock()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run = gd.minimize(f, [3.0, 3.0], gd.SGD(learning_rate=0.5), max_steps=1000, divergence_factor=1e300)
    assert run.status == "diverged"


def test_plain_callable_with_grad_and_schedule():
    f = lambda x: float(np.sum(x ** 2))           # noqa: E731
    sched = gd.exponential_decay(0.1, k=0.01)
    run = gd.minimize(f, np.ones(3), gd.SGD(learning_rate=sched), grad=lambda x: 2 * x, max_steps=20, tol=0)
    np.testing.assert_allclose(run.learning_rates, sched(np.arange(20)))


def test_record_state_off():
    f = gd.Himmelblau()
    run = gd.minimize(f, f.x0, gd.RMSProp(learning_rate=0.01), max_steps=5, record_state=False)
    assert run.state == {}


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(max_steps=-1), ValueError, "Invalid max_steps: -1"),
    (dict(tol=-1.0), ValueError, "Invalid tol: -1.0"),
    (dict(divergence_factor=1.0), ValueError, "Invalid divergence_factor: 1.0"),
    (dict(x0=[np.nan, 0.0]), ValueError, "Invalid x0"),
    (dict(optimizer="adam"), TypeError, "Invalid optimizer: str"),
])
def test_bad_arguments(kwargs, exc, match):
    f = gd.Himmelblau()
    args = dict(f=f, x0=f.x0, optimizer=gd.SGD(learning_rate=0.01))
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        gd.minimize(**args)


def test_callable_without_grad_is_refused():
    with pytest.raises(TypeError, match="has no grad method"):
        gd.minimize(lambda x: 0.0, [1.0], gd.SGD(learning_rate=0.1))

