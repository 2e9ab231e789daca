"""Optimizers: hand-worked single steps, the textbook lines, laws, validation (torch: test_references.py)."""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import gdlib as gd
from optim_helpers import assert_unchanged, snapshot
from gdlib.optim import OPTIMIZERS, get_optimizer


# ---------------------------------------------------------------- one step by hand
def primed(opt, x, **buffers):
    """Create opt's state with a zero-gradient step on a throwaway copy, then set it by hand."""
    opt.step(x.copy(), np.zeros_like(x))
    opt.t = 0
    for name, value in buffers.items():
        if name == "t":
            opt.state[0]["t"] = value
        else:
            opt.state[0][name][...] = value
    return opt


def test_sgd_one_step_by_hand():
    x = np.array([1.0, -2.0, 0.5])
    gd.SGD(learning_rate=0.1).step(x, np.array([2.0, -4.0, 0.0]))
    np.testing.assert_allclose(x, [0.8, -1.6, 0.5])


def test_momentum_one_step_by_hand():
    x = np.array([1.0, 2.0])
    opt = primed(gd.Momentum(learning_rate=0.1, mu=0.9), x, v=np.array([0.5, -1.0]))
    opt.step(x, np.array([1.0, 2.0]))
    # v = 0.9 * [0.5, -1] - 0.1 * [1, 2] = [0.35, -1.1]; x += v
    np.testing.assert_allclose(opt.state[0]["v"], [0.35, -1.1])
    np.testing.assert_allclose(x, [1.35, 0.9])


def test_nesterov_one_step_by_hand():
    x = np.array([1.0, 2.0])
    opt = primed(gd.Nesterov(learning_rate=0.1, mu=0.9), x, v=np.array([0.5, -1.0]))
    opt.step(x, np.array([1.0, 2.0]))
    v_prev, v = np.array([0.5, -1.0]), np.array([0.35, -1.1])
    np.testing.assert_allclose(opt.state[0]["v"], v)
    np.testing.assert_allclose(x, np.array([1.0, 2.0]) - 0.9 * v_prev + 1.9 * v)   # [1.215, 0.81]
    np.testing.assert_allclose(x, [1.215, 0.81])


def test_adagrad_one_step_by_hand():
    x = np.array([1.0, 1.0])
    opt = primed(gd.Adagrad(learning_rate=0.5, eps=1e-7), x, cache=np.array([5.0, 0.0]))
    opt.step(x, np.array([2.0, 3.0]))
    np.testing.assert_allclose(opt.state[0]["cache"], [9.0, 9.0])
    # x -= 0.5 * [2, 3] / (3 + 1e-7)
    np.testing.assert_allclose(x, [1 - 1.0 / (3 + 1e-7), 1 - 1.5 / (3 + 1e-7)], rtol=1e-15)


def test_rmsprop_one_step_by_hand():
    x = np.array([0.0])
    opt = primed(gd.RMSProp(learning_rate=0.01, decay_rate=0.9, eps=1e-7), x, cache=np.array([1.0]))
    opt.step(x, np.array([3.0]))
    # cache = 0.9 * 1 + 0.1 * 9 = 1.8  (the buggy `cache +=` would give 2.7)
    np.testing.assert_allclose(opt.state[0]["cache"], [1.8])
    np.testing.assert_allclose(x, [-0.01 * 3.0 / (math.sqrt(1.8) + 1e-7)], rtol=1e-14)


def test_adam_one_step_by_hand_at_t3():
    x = np.array([1.0])
    opt = primed(gd.Adam(learning_rate=0.1, beta1=0.5, beta2=0.75, eps=1e-8), x,
                 m=np.array([2.0]), v=np.array([4.0]), t=2)
    opt.step(x, np.array([4.0]))
    # m = 0.5*2 + 0.5*4 = 3; v = 0.75*4 + 0.25*16 = 7; t = 3
    # m_hat = 3 / (1 - 0.125) = 24/7; v_hat = 7 / (1 - 0.421875) = 12.108...
    m_hat, v_hat = 3 / 0.875, 7 / (1 - 0.75 ** 3)
    assert opt.state[0]["t"] == 3
    np.testing.assert_allclose(opt.state[0]["m"], [3.0])       # the running moments stay uncorrected
    np.testing.assert_allclose(opt.state[0]["v"], [7.0])
    np.testing.assert_allclose(x, [1 - 0.1 * m_hat / (math.sqrt(v_hat) + 1e-8)], rtol=1e-14)


def test_adamw_one_step_by_hand():
    x = np.array([2.0])
    opt = gd.AdamW(learning_rate=0.1, weight_decay=0.5)
    opt.step(x, np.array([1.0]))
    # decay first: 2 * (1 - 0.05) = 1.9; then Adam's first step: m_hat = 1, v_hat = 1 -> 0.1 / (1 + 1e-8)
    np.testing.assert_allclose(x, [1.9 - 0.1 / (1 + 1e-8)], rtol=1e-14)


def test_amsgrad_keeps_the_largest_second_moment():
    x = np.array([0.0])
    opt = primed(gd.AMSGrad(learning_rate=0.1, beta1=0.0, beta2=0.5), x,
                 v=np.array([10.0]), v_max=np.array([10.0]), t=1)
    opt.step(x, np.array([1.0]))
    # v = 0.5 * 10 + 0.5 * 1 = 5.5 < v_max = 10: the denominator uses 10 / (1 - 0.25)
    np.testing.assert_allclose(opt.state[0]["v"], [5.5])
    np.testing.assert_allclose(opt.state[0]["v_max"], [10.0])
    np.testing.assert_allclose(x, [-0.1 * 1.0 / (math.sqrt(10 / 0.75) + 1e-8)], rtol=1e-14)


# ------------------------------------------- several steps: the textbook lines, fresh arrays
def textbook_run(name, hyper, x, grads):
    """The course notes' lines (corrected), each making fresh arrays: an independent reference."""
    x = x.copy()
    lr = hyper.get("learning_rate")
    mu, eps = hyper.get("mu", 0.9), hyper.get("eps")
    v = np.zeros_like(x); cache = np.zeros_like(x); m = np.zeros_like(x); v_max = np.zeros_like(x)
    delta_cache = np.zeros_like(x); u = np.zeros_like(x); dx_prev = np.zeros_like(x); mu_product = 1.0
    step_size = np.full_like(x, hyper.get("learning_rate"))
    for t, dx in enumerate(grads, start=1):
        if name == "sgd":
            x = x - lr * dx
        elif name == "momentum":
            v = mu * v - lr * dx
            x = x + v
        elif name == "nesterov":
            v_prev = v
            v = mu * v - lr * dx
            x = x + (-mu * v_prev + (1 + mu) * v)
        elif name == "adagrad":
            cache = cache + dx ** 2
            x = x + -lr * dx / (np.sqrt(cache) + eps)
        elif name == "rmsprop":
            dr = hyper["decay_rate"]
            cache = dr * cache + (1 - dr) * dx ** 2
            x = x + -lr * dx / (np.sqrt(cache) + eps)
        elif name == "adadelta":
            rho = hyper["decay_rate"]
            cache = rho * cache + (1 - rho) * dx ** 2
            delta = np.sqrt(delta_cache + eps) / np.sqrt(cache + eps) * dx
            delta_cache = rho * delta_cache + (1 - rho) * delta ** 2
            x = x - lr * delta
        elif name == "rprop":
            sign = np.sign(dx * dx_prev)
            step_size = np.clip(step_size * np.where(sign > 0, hyper["eta_plus"],
                                                     np.where(sign < 0, hyper["eta_minus"], 1.0)),
                                hyper["step_min"], hyper["step_max"])
            dx_prev = np.where(sign < 0, 0.0, dx)
            x = x - np.sign(dx_prev) * step_size
        elif name == "lion":
            b1, b2 = hyper["beta1"], hyper["beta2"]
            c = b1 * m + (1 - b1) * dx
            x = x - lr * (np.sign(c) + hyper["weight_decay"] * x)
            m = b2 * m + (1 - b2) * dx
        elif name == "adamax":
            b1, b2 = hyper["beta1"], hyper["beta2"]
            m = b1 * m + (1 - b1) * dx
            u = np.maximum(b2 * u, np.abs(dx) + eps)
            x = x - lr / (1 - b1 ** t) * m / u
        elif name in ("nadam", "radam"):
            b1, b2 = hyper["beta1"], hyper["beta2"]
            m = b1 * m + (1 - b1) * dx
            v = b2 * v + (1 - b2) * dx ** 2
            if name == "nadam":
                psi = hyper["momentum_decay"]
                mu, mu_next = b1 * (1 - 0.5 * 0.96 ** (t * psi)), b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
                mu_product = mu_product * mu
                denom = np.sqrt(v / (1 - b2 ** t)) + eps
                x = x - lr * (1 - mu) / (1 - mu_product) * dx / denom \
                      - lr * mu_next / (1 - mu_product * mu_next) * m / denom
            else:
                rho_inf = 2 / (1 - b2) - 1
                rho_t = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
                m_hat = m / (1 - b1 ** t)
                if rho_t > 5:
                    r = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                    x = x - lr * m_hat * r * np.sqrt(1 - b2 ** t) / (np.sqrt(v) + eps)
                else:
                    x = x - lr * m_hat
        else:
            b1, b2 = hyper["beta1"], hyper["beta2"]
            if name == "adamw":
                x = x - lr * hyper["weight_decay"] * x
            m = b1 * m + (1 - b1) * dx
            v = b2 * v + (1 - b2) * dx ** 2
            m_hat = m / (1 - b1 ** t)
            if name == "amsgrad":
                v_max = np.maximum(v_max, v)
                v_hat = v_max / (1 - b2 ** t)
            else:
                v_hat = v / (1 - b2 ** t)
            x = x + -lr * m_hat / (np.sqrt(v_hat) + eps)
    return x


HYPER = {
    "sgd": dict(learning_rate=0.05),
    "momentum": dict(learning_rate=0.05, mu=0.8),
    "nesterov": dict(learning_rate=0.05, mu=0.8),
    "adagrad": dict(learning_rate=0.05, eps=1e-7),
    "rmsprop": dict(learning_rate=0.05, decay_rate=0.9, eps=1e-7),
    "adam": dict(learning_rate=0.05, beta1=0.8, beta2=0.95, eps=1e-8),
    "adamw": dict(learning_rate=0.05, beta1=0.8, beta2=0.95, eps=1e-8, weight_decay=0.1),
    "amsgrad": dict(learning_rate=0.05, beta1=0.8, beta2=0.95, eps=1e-8),
    "adadelta": dict(learning_rate=0.5, decay_rate=0.8, eps=1e-6),
    "adamax": dict(learning_rate=0.05, beta1=0.8, beta2=0.95, eps=1e-8),
    "nadam": dict(learning_rate=0.05, beta1=0.8, beta2=0.95, eps=1e-8, momentum_decay=0.1),
    "radam": dict(learning_rate=0.05, beta1=0.8, beta2=0.95, eps=1e-8),     # rho_t > 5 from step 7
    "rprop": dict(learning_rate=0.05, eta_minus=0.4, eta_plus=1.3, step_min=1e-3, step_max=0.2),
    "lion": dict(learning_rate=0.05, beta1=0.8, beta2=0.95, weight_decay=0.1),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_matches_the_textbook_lines_over_many_steps(name):
    rng = np.random.default_rng(0)
    x0 = rng.normal(size=(3, 4))
    grads = [rng.normal(size=(3, 4)) * rng.uniform(0.01, 10) for _ in range(50)]
    x = x0.copy()
    opt = get_optimizer(name, **HYPER[name])
    for g in grads:
        opt.step(x, g)
    np.testing.assert_allclose(x, textbook_run(name, HYPER[name], x0, grads), rtol=1e-12, atol=1e-14)
    assert opt.t == 50 and opt.state[0]["t"] == 50


# torch.optim: tests/test_references.py compares every optimizer torch has with trajectories recorded
# from torch (`make references`), so the comparison runs everywhere, torch installed or not.


def test_momentum_differs_from_torch_form_under_a_schedule():
    """The course's v keeps each step's own rate; torch's buffer is rescaled by the current one."""
    sched = gd.step_decay(0.1, drop=0.1, every=5)
    x, xc, xt = np.array([1.0]), np.array([1.0]), np.array([1.0])
    v, b, mu = np.zeros(1), np.zeros(1), 0.9
    opt = gd.Momentum(learning_rate=sched, mu=mu)
    for k in range(10):
        opt.step(x, np.ones(1))
        v = mu * v - sched(k) * 1.0          # the course's form, by hand
        xc = xc + v
        b = mu * b + 1.0                     # torch.optim.SGD's buffer
        xt = xt - sched(k) * b
        np.testing.assert_allclose(x, xc, rtol=1e-14)
        if k < 5:                            # constant rate so far: the same trajectory
            np.testing.assert_allclose(x, xt, rtol=1e-14)
    assert abs(x[0] - xt[0]) > 0.1           # after the drop, torch brakes at once


# ------------------------------------------------------------------- laws on a quadratic
@pytest.mark.parametrize("factor, expected", [(0.5, "converged"), (1.0, "converged"), (1.9, "converged"),
                                              (2.05, "diverged"), (3.0, "diverged")])
def test_gradient_descent_threshold_two_over_L(factor, expected):
    f = gd.Quadratic(condition_number=20.0, angle=0.3)
    run = gd.minimize(f, f.x0, gd.SGD(learning_rate=factor / f.L), max_steps=20000, tol=1e-8)
    assert run.status == expected, run.message


def test_gradient_descent_rate_on_quadratic_matches_theory():
    f = gd.Quadratic(condition_number=10.0)
    lr = 2.0 / (f.L + f.lambda_min)
    run = gd.minimize(f, f.x0, gd.SGD(learning_rate=lr), max_steps=60, tol=0)
    err = np.linalg.norm(run.x - f.minima[0], axis=1)
    measured = (err[-1] / err[20]) ** (1 / (len(err) - 1 - 20))
    theory = (f.kappa - 1) / (f.kappa + 1)
    assert abs(measured - theory) / theory < 1e-6


@pytest.mark.parametrize("name", ["momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "amsgrad"])
def test_every_optimizer_converges_on_a_bowl(name):
    f = gd.Quadratic(condition_number=5.0)
    h = {"learning_rate": 0.05}
    run = gd.minimize(f, f.x0, get_optimizer(name, **h), max_steps=5000, tol=1e-3)
    assert run.value_final < 1e-4, (name, run.message)


def test_nesterov_lookahead_form_equals_usual_form():
    """Nesterov with the gradient at x + mu v (Sutskever et al.) tracks y = x + mu v exactly."""
    f = gd.Rosenbrock()
    lr, mu = 1e-3, 0.9
    x, v = f.x0.copy(), np.zeros(2)
    y = f.x0.copy()
    opt = gd.Nesterov(learning_rate=lr, mu=mu)
    for _ in range(300):
        v = mu * v - lr * f.grad(x + mu * v)
        x = x + v
        opt.step(y, f.grad(y))
        np.testing.assert_allclose(y, x + mu * v, rtol=1e-9, atol=1e-12)


def test_state_is_per_array_and_lists_work():
    w, b = np.ones((2, 3)), np.zeros(3)
    opt = gd.Adam(learning_rate=0.1)
    opt.step([w, b], [np.ones((2, 3)), np.full(3, -1.0)])
    assert len(opt.state) == 2
    assert opt.state[0]["m"].shape == (2, 3) and opt.state[1]["m"].shape == (3,)
    np.testing.assert_allclose(b, 0.1 / (1 + 1e-8))
    opt.reset()
    assert opt.state == [] and opt.t == 0


def test_schedule_sets_the_rate_of_each_step():
    sched = gd.inverse_time_decay(0.5, k=1.0)
    opt = gd.SGD(learning_rate=sched)
    x = np.zeros(1)
    for k in range(4):
        assert opt.learning_rate_at(k) == sched(k)
        opt.step(x, np.ones(1))
        assert opt.last_learning_rate == sched(k)
    np.testing.assert_allclose(x, [-(0.5 + 0.25 + 0.5 / 3 + 0.125)])


# -------------------------------------------------------------------------- properties
finite = st.floats(-1e3, 1e3, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(float, st.integers(1, 6), elements=finite), hnp.arrays(float, 6, elements=finite),
       st.floats(1e-4, 1.0))
def test_sgd_step_is_exactly_x_minus_lr_g(x, g, lr):
    g = g[: x.size]
    expected = x - lr * g
    SGD = gd.SGD(learning_rate=lr)
    SGD.step(x, g)
    np.testing.assert_allclose(x, expected, rtol=1e-15, atol=0)


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(float, 4, elements=st.floats(-1e6, 1e6).filter(lambda v: abs(v) > 1e-3)),
       st.floats(1e-4, 1.0))
def test_adam_first_step_has_size_learning_rate(g, lr):
    """m_hat = g, v_hat = g^2 at t = 1, so each coordinate moves by lr * |g| / (|g| + eps) ~ lr."""
    x = np.zeros(4)
    gd.Adam(learning_rate=lr).step(x, g)
    np.testing.assert_allclose(np.abs(x), lr * np.abs(g) / (np.abs(g) + 1e-8), rtol=1e-12)
    assert np.all(np.sign(x) == -np.sign(g))


@settings(max_examples=40, deadline=None)
@given(st.lists(hnp.arrays(float, 3, elements=finite), min_size=1, max_size=20))
def test_adagrad_cache_is_the_sum_of_squares(grads):
    opt = gd.Adagrad(learning_rate=0.1)
    x = np.zeros(3)
    for g in grads:
        opt.step(x, g)
    np.testing.assert_allclose(opt.state[0]["cache"], np.sum(np.square(grads), axis=0), rtol=1e-12)


# -------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("cls, kwargs, name", [
    (gd.SGD, dict(learning_rate=0.0), "learning_rate"),
    (gd.SGD, dict(learning_rate=-0.1), "learning_rate"),
    (gd.SGD, dict(learning_rate=float("nan")), "learning_rate"),
    (gd.Momentum, dict(learning_rate=0.1, mu=1.0), "mu"),
    (gd.Momentum, dict(learning_rate=0.1, mu=-0.1), "mu"),
    (gd.Nesterov, dict(learning_rate=0.1, mu=1.5), "mu"),
    (gd.Adagrad, dict(learning_rate=0.1, eps=0.0), "eps"),
    (gd.RMSProp, dict(learning_rate=0.1, decay_rate=1.0), "decay_rate"),
    (gd.RMSProp, dict(learning_rate=0.1, eps=-1e-8), "eps"),
    (gd.Adam, dict(beta1=1.0), "beta1"),
    (gd.Adam, dict(beta2=-0.5), "beta2"),
    (gd.AMSGrad, dict(eps=0), "eps"),
    (gd.AdamW, dict(weight_decay=-0.1), "weight_decay"),
])
def test_invalid_hyperparameters_name_argument_and_value(cls, kwargs, name):
    with pytest.raises(ValueError, match=rf"Invalid {name}: {kwargs[name]}"):
        cls(**kwargs)


def test_non_numeric_hyperparameter_is_a_type_error():
    with pytest.raises(TypeError, match="Invalid mu: '0.9'"):
        gd.Momentum(learning_rate=0.1, mu="0.9")


@pytest.mark.parametrize("params, grads, exc, match", [
    (lambda: [np.ones(3), np.ones(2)], lambda: [np.ones(3)], ValueError, "1 gradient arrays for 2 params"),
    (lambda: [np.ones(3), np.ones(2)], lambda: [np.ones(3), np.ones(3)], ValueError, r"grads\[1\]: shape \(3,\)"),
    (lambda: [np.ones(3), np.arange(2)], lambda: [np.ones(3), np.ones(2)], TypeError, r"params\[1\]: dtype int64"),
    (lambda: [np.ones(3), np.ones(2)], lambda: np.ones(3), TypeError, "Invalid grads"),
    (lambda: 1.0, lambda: 1.0, TypeError, "Invalid params: float"),
    (lambda: [np.ones(3), np.ones(2)], lambda: [np.ones(3), ["a", "b"]], TypeError, r"grads\[1\]: dtype <U1 \(must be real numbers"),
])
def test_refused_steps_modify_nothing(params, grads, exc, match):
    opt = gd.Adam(learning_rate=0.1)
    good = [np.ones(3), np.ones(2)]
    opt.step(good, [np.ones(3), np.ones(2)])
    p = params()
    arrays = [a for a in (p if isinstance(p, list) else [p]) if isinstance(a, np.ndarray)]
    before = snapshot(opt, arrays)
    with pytest.raises(exc, match=match):
        opt.step(p, grads())
    assert_unchanged(before, opt, arrays)


def test_structure_is_fixed_by_the_first_step():
    opt = gd.Momentum(learning_rate=0.1)
    opt.step([np.ones(2)], [np.ones(2)])
    with pytest.raises(ValueError, match=r"shape \(3,\), but its state was created for shape \(2,\)"):
        opt.step([np.ones(3)], [np.ones(3)])
    with pytest.raises(ValueError, match="2 arrays, but this optimizer's state holds 1"):
        opt.step([np.ones(2), np.ones(2)], [np.ones(2), np.ones(2)])


def test_bad_schedule_value_is_refused_before_any_update():
    sched = lambda k: 0.1 if k < 2 else float("nan")   # noqa: E731
    opt = gd.Momentum(learning_rate=sched)
    x = np.ones(2)
    opt.step(x, np.ones(2)); opt.step(x, np.ones(2))
    before = snapshot(opt, [x])
    with pytest.raises(ValueError, match="schedule returned nan at step 2"):
        opt.step(x, np.ones(2))
    assert_unchanged(before, opt, [x])
    with pytest.raises(ValueError, match="schedule returned -1.0 at step 0"):
        gd.SGD(learning_rate=lambda k: -1.0)


def test_unknown_optimizer_name():
    with pytest.raises(ValueError, match="Invalid optimizer: 'sophia'"):
        get_optimizer("sophia")


def test_repr_and_hyperparameters():
    opt = gd.RMSProp(learning_rate=0.01, decay_rate=0.9)
    assert opt.hyperparameters == {"learning_rate": 0.01, "decay_rate": 0.9, "eps": 1e-7}
    assert repr(opt) == "RMSProp(learning_rate=0.01, decay_rate=0.9, eps=1e-07)"


def test_step_raises_no_warnings_on_large_but_finite_values():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = np.full(3, 1e150)
        gd.Adam(learning_rate=0.1).step(x, np.full(3, 1e100))
