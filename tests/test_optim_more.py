"""Adadelta, Adamax, NAdam, RAdam, Rprop and the momentum schedules: one step by hand from the papers'
formulas, state names, invalid hyperparameters, refused calls. (torch.optim: test_references.py.)"""
import math

import numpy as np
import pytest

import gdlib as gd
from optim_helpers import assert_unchanged, snapshot
from gdlib.optim import get_optimizer


def primed(opt, x, t=0, **buffers):
    """Create opt's state with a zero-gradient step on a throwaway copy, then set it by hand."""
    opt.step(x.copy(), np.zeros_like(x))
    opt.t = 0
    opt.state[0]["t"] = t
    for name, value in buffers.items():
        if isinstance(opt.state[0][name], np.ndarray):
            opt.state[0][name][...] = value
        else:
            opt.state[0][name] = value
    return opt


# ------------------------------------------------------------------------ one step by hand
def test_adadelta_one_step_by_hand():
    """Zeiler (2012), Algorithm 1, with torch's learning rate multiplying the step."""
    x = np.array([1.0, -1.0])
    opt = primed(gd.Adadelta(learning_rate=0.5, decay_rate=0.9, eps=1e-6), x,
                 cache=np.array([1.0, 0.0]), delta_cache=np.array([0.25, 0.0]))
    opt.step(x, np.array([2.0, 0.0]))
    cache = 0.9 * 1.0 + 0.1 * 4.0                                    # E[g^2]_t = 1.3
    delta = math.sqrt(0.25 + 1e-6) / math.sqrt(cache + 1e-6) * 2.0   # RMS[dx]_{t-1} / RMS[g]_t * g
    np.testing.assert_allclose(opt.state[0]["cache"], [cache, 0.0], rtol=1e-15)
    np.testing.assert_allclose(opt.state[0]["delta_cache"], [0.9 * 0.25 + 0.1 * delta ** 2, 0.0], rtol=1e-15)
    np.testing.assert_allclose(x, [1.0 - 0.5 * delta, -1.0], rtol=1e-15)


def test_adadelta_first_step_has_size_about_sqrt_eps():
    x = np.zeros(3)
    gd.Adadelta().step(x, np.array([1e3, 1.0, -1e-2]))
    # delta = sqrt(eps) / sqrt(0.1 g^2 + eps) * g ~ sqrt(10 eps) * sign(g) when g^2 >> eps
    np.testing.assert_allclose(np.abs(x[:2]), math.sqrt(10e-6), rtol=1e-4)
    assert x[2] > 0


def test_adamax_one_step_by_hand():
    """Kingma & Ba (2015), sec. 7.1: u = max(beta2 u, |g|), step lr / (1 - beta1^t) * m / u."""
    x = np.array([0.0, 0.0])
    opt = primed(gd.Adamax(learning_rate=0.1, beta1=0.5, beta2=0.8, eps=1e-8), x, t=1,
                 m=np.array([1.0, 1.0]), u=np.array([3.0, 3.0]))
    opt.step(x, np.array([-4.0, 1.0]))
    m = np.array([0.5 * 1 + 0.5 * -4.0, 0.5 * 1 + 0.5 * 1.0])        # [-1.5, 1]
    u = np.array([4.0 + 1e-8, 0.8 * 3.0])                            # |g| wins, then beta2 * u wins
    assert opt.state[0]["t"] == 2
    np.testing.assert_allclose(opt.state[0]["m"], m, rtol=1e-15)
    np.testing.assert_allclose(opt.state[0]["u"], u, rtol=1e-15)
    np.testing.assert_allclose(x, -0.1 / (1 - 0.5 ** 2) * m / u, rtol=1e-15)


def test_nadam_one_step_by_hand_at_t2():
    """Dozat (2016) with torch's schedule mu_t = beta1 (1 - 0.96^(t psi) / 2)."""
    b1, b2, psi, lr, eps = 0.9, 0.99, 0.5, 0.1, 1e-8
    mu = lambda t: b1 * (1 - 0.5 * 0.96 ** (t * psi))              # noqa: E731
    x = np.array([1.0])
    opt = primed(gd.NAdam(learning_rate=lr, beta1=b1, beta2=b2, eps=eps, momentum_decay=psi), x, t=1,
                 m=np.array([0.2]), v=np.array([0.04]), mu_product=mu(1))
    opt.step(x, np.array([-1.0]))
    m, v = 0.9 * 0.2 + 0.1 * -1.0, 0.99 * 0.04 + 0.01 * 1.0        # 0.08, 0.0496
    v_hat = v / (1 - b2 ** 2)
    prod2, prod3 = mu(1) * mu(2), mu(1) * mu(2) * mu(3)
    step = lr * ((1 - mu(2)) * -1.0 / (1 - prod2) + mu(3) * m / (1 - prod3)) / (math.sqrt(v_hat) + eps)
    assert opt.state[0]["mu_product"] == pytest.approx(prod2, rel=1e-15)
    np.testing.assert_allclose(opt.state[0]["m"], [m], rtol=1e-15)
    np.testing.assert_allclose(x, [1.0 - step], rtol=1e-14)
    assert opt.mu_at(1) < opt.mu_at(100) < b1                        # the schedule rises towards beta1


@pytest.mark.parametrize("t, adapted", [(5, False), (6, True)])
def test_radam_one_step_by_hand(t, adapted):
    """Liu et al. (2020): rho_t from its definition; un-adapted while rho_t <= 5 (torch's threshold)."""
    b1, b2, lr, eps = 0.9, 0.999, 0.01, 1e-8
    x = np.array([2.0])
    opt = primed(gd.RAdam(learning_rate=lr, beta1=b1, beta2=b2, eps=eps), x, t=t - 1,
                 m=np.array([0.5]), v=np.array([0.003]))
    opt.step(x, np.array([3.0]))
    m, v = 0.9 * 0.5 + 0.1 * 3.0, 0.999 * 0.003 + 0.001 * 9.0
    m_hat = m / (1 - b1 ** t)
    rho_inf = 2 / (1 - b2) - 1
    rho_t = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
    assert (rho_t > 5) == adapted and opt.rho(t) == pytest.approx(rho_t, rel=1e-14)
    if adapted:
        r = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        expected = 2.0 - lr * r * m_hat * math.sqrt(1 - b2 ** t) / (math.sqrt(v) + eps)
    else:
        expected = 2.0 - lr * m_hat
    np.testing.assert_allclose(x, [expected], rtol=1e-14)


def test_radam_rho_starts_at_one_and_tends_to_rho_inf():
    opt = gd.RAdam(beta2=0.99)
    assert opt.rho(1) == pytest.approx(1.0, rel=1e-12)
    assert opt.rho(10_000) == pytest.approx(2 / 0.01 - 1, rel=1e-12)
    assert all(opt.rho(t) < opt.rho(t + 1) for t in range(1, 200))


def test_rprop_steps_by_hand():
    """Sign kept: step x eta_plus; sign flipped: x eta_minus, no move, and the next step starts afresh."""
    opt = gd.Rprop(learning_rate=0.1, eta_minus=0.5, eta_plus=1.2, step_min=0.04, step_max=0.13)
    x = np.zeros(3)
    opt.step(x, np.array([1.0, -2.0, 0.0]))
    np.testing.assert_allclose(x, [-0.1, 0.1, 0.0])                  # sign(g) * lr, 0 where g = 0
    opt.step(x, np.array([5.0, 3.0, 1.0]))
    np.testing.assert_allclose(opt.state[0]["step_size"], [0.12, 0.05, 0.1])
    np.testing.assert_allclose(opt.state[0]["dx_prev"], [5.0, 0.0, 1.0])   # zeroed after the flip
    np.testing.assert_allclose(x, [-0.22, 0.1, -0.1])                # the flipped coordinate did not move
    opt.step(x, np.array([1.0, 1.0, 1.0]))
    # 0.12 * 1.2 = 0.144 -> clipped to step_max; after a zeroed dx_prev the factor is 1; 0.1 * 1.2
    np.testing.assert_allclose(opt.state[0]["step_size"], [0.13, 0.05, 0.12])
    np.testing.assert_allclose(x, [-0.35, 0.05, -0.22])
    opt.step(x, np.array([-1.0, -1.0, -1.0]))
    np.testing.assert_allclose(opt.state[0]["step_size"], [0.065, 0.04, 0.06])  # 0.025 -> step_min
    np.testing.assert_allclose(x, [-0.35, 0.05, -0.22])


# ------------------------------------------------------------------------------ state names
@pytest.mark.parametrize("name, buffers", [
    ("adadelta", {"cache", "delta_cache"}), ("adamax", {"m", "u"}), ("nadam", {"m", "v", "mu_product"}),
    ("radam", {"m", "v"}), ("rprop", {"step_size", "dx_prev"}),
])
def test_state_names_and_per_array_state(name, buffers):
    opt = get_optimizer(name)
    w, b = np.ones((2, 3)), np.zeros(3)
    opt.step([w, b], [np.full((2, 3), 0.5), np.full(3, -1.0)])
    assert [set(s) for s in opt.state] == [buffers | {"t"}] * 2
    assert opt.state[0]["t"] == 1 and opt.t == 1
    for s, arr in zip(opt.state, (w, b)):
        for k in buffers - {"mu_product"}:
            assert s[k].shape == arr.shape and s[k].dtype == arr.dtype
    run = gd.minimize(gd.Quadratic(), gd.Quadratic().x0, get_optimizer(name), max_steps=5)
    assert set(run.state) == buffers and all(len(v) == 5 for v in run.state.values())


@pytest.mark.parametrize("name", ["adadelta", "adamax", "nadam", "radam", "rprop"])
def test_defaults_are_torch_optim_defaults(name):
    defaults = {
        "adadelta": dict(learning_rate=1.0, decay_rate=0.9, eps=1e-6),
        "adamax": dict(learning_rate=2e-3, beta1=0.9, beta2=0.999, eps=1e-8),
        "nadam": dict(learning_rate=2e-3, beta1=0.9, beta2=0.999, eps=1e-8, momentum_decay=4e-3),
        "radam": dict(learning_rate=1e-3, beta1=0.9, beta2=0.999, eps=1e-8),
        "rprop": dict(learning_rate=1e-2, eta_minus=0.5, eta_plus=1.2, step_min=1e-6, step_max=50.0),
    }
    assert get_optimizer(name).hyperparameters == defaults[name]


@pytest.mark.parametrize("name", ["adadelta", "adamax", "nadam", "radam", "rprop"])
def test_converges_on_a_bowl(name):
    f = gd.Quadratic(condition_number=5.0)
    # Adadelta with its default eps=1e-6 settles into a cycle on this bowl (f stays ~1e-2 after 20000
    # steps, as torch.optim.Adadelta does to 15 digits): its rate RMS[dx]/RMS[g] hovers at the stability edge
    hyper = {"adadelta": dict(learning_rate=1.0, eps=1e-4)}.get(name, dict(learning_rate=0.05))
    run = gd.minimize(f, f.x0, get_optimizer(name, **hyper), max_steps=5000, tol=1e-3)
    assert run.value_final < 1e-4, (name, run.message)


# -------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("cls, kwargs, name", [
    (gd.Adadelta, dict(learning_rate=0.0), "learning_rate"),
    (gd.Adadelta, dict(decay_rate=1.0), "decay_rate"),
    (gd.Adadelta, dict(decay_rate=-0.1), "decay_rate"),
    (gd.Adadelta, dict(eps=0.0), "eps"),
    (gd.Adamax, dict(learning_rate=-1.0), "learning_rate"),
    (gd.Adamax, dict(beta1=1.0), "beta1"),
    (gd.Adamax, dict(beta2=1.5), "beta2"),
    (gd.Adamax, dict(eps=-1e-8), "eps"),
    (gd.NAdam, dict(beta1=-0.1), "beta1"),
    (gd.NAdam, dict(beta2=1.0), "beta2"),
    (gd.NAdam, dict(eps=0), "eps"),
    (gd.NAdam, dict(momentum_decay=-0.004), "momentum_decay"),
    (gd.NAdam, dict(momentum_decay=float("inf")), "momentum_decay"),
    (gd.RAdam, dict(learning_rate=float("nan")), "learning_rate"),
    (gd.RAdam, dict(beta1=1.0), "beta1"),
    (gd.RAdam, dict(beta2=-0.5), "beta2"),
    (gd.RAdam, dict(eps=0.0), "eps"),
    (gd.Rprop, dict(learning_rate=0.0), "learning_rate"),
    (gd.Rprop, dict(eta_minus=0.0), "eta_minus"),
    (gd.Rprop, dict(eta_minus=1.0), "eta_minus"),
    (gd.Rprop, dict(eta_plus=1.0), "eta_plus"),
    (gd.Rprop, dict(step_min=0.0), "step_min"),
    (gd.Rprop, dict(step_max=-1.0), "step_max"),
    (gd.Rprop, dict(step_min=1.0, step_max=0.5), "step_max"),
])
def test_invalid_hyperparameters_name_argument_and_value(cls, kwargs, name):
    with pytest.raises(ValueError, match=rf"Invalid {name}: {kwargs[name]}"):
        cls(**kwargs)


@pytest.mark.parametrize("cls, kwargs, match", [
    (gd.NAdam, dict(momentum_decay="0.004"), "Invalid momentum_decay: '0.004'"),
    (gd.Rprop, dict(eta_plus=True), "Invalid eta_plus: True"),
    (gd.Adadelta, dict(decay_rate=None), "Invalid decay_rate: None"),
    (gd.Rprop, dict(learning_rate=gd.constant(0.1)), "Invalid learning_rate: .*initial step size"),
])
def test_non_numeric_hyperparameters_are_type_errors(cls, kwargs, match):
    with pytest.raises(TypeError, match=match):
        cls(**kwargs)


@pytest.mark.parametrize("name", ["adadelta", "adamax", "nadam", "radam", "rprop"])
@pytest.mark.parametrize("bad", ["shape", "count", "int_params", "str_grads"])
def test_refused_steps_modify_nothing(name, bad):
    opt = get_optimizer(name)
    good = [np.ones(3), np.ones(2)]
    opt.step(good, [np.ones(3), -np.ones(2)])
    opt.step(good, [np.ones(3), np.ones(2)])
    params = {"shape": [good[0], good[1]], "count": [good[0]], "int_params": [good[0], np.arange(2)],
              "str_grads": [good[0], good[1]]}[bad]
    grads = {"shape": [np.ones(3), np.ones(3)], "count": [np.ones(3)], "int_params": [np.ones(3), np.ones(2)],
             "str_grads": [np.ones(3), ["a", "b"]]}[bad]
    before = snapshot(opt, good)
    with pytest.raises((TypeError, ValueError)):
        opt.step(params, grads)
    assert_unchanged(before, opt, good)


# ------------------------------------------------------------------ mu as a schedule
def nesterov_mu(k):
    return (k - 1) / (k + 2)


def test_nesterov_schedule_runs_nesterovs_method_as_written():
    """x_k = y_{k-1} - s grad f(y_{k-1}), y_k = x_k + (k-1)/(k+2) (x_k - x_{k-1}) (Su, Boyd and Candès)."""
    f = gd.Quadratic(condition_number=30.0, angle=0.4)
    s = 0.9 / f.L
    x_prev = y = f.x0.copy()
    params = f.x0.copy()
    opt = gd.Nesterov(learning_rate=s, mu=nesterov_mu)
    for k in range(1, 200):
        x = y - s * f.grad(y)
        y = x + nesterov_mu(k) * (x - x_prev)
        x_prev = x
        opt.step(params, f.grad(params))
        np.testing.assert_allclose(params, y, rtol=1e-12, atol=1e-14)
    # and it is the accelerated method: f(x_k) - f* <= 2 L |x0 - x*|^2 / (s L (k+1)^2)
    assert f(x) <= 2 * np.sum((f.x0 - f.minima[0]) ** 2) / (s * 200 ** 2)


def test_momentum_schedule_is_the_heavy_ball_with_mu_k():
    """x_{k+1} = x_k - lr grad f(x_k) + mu_k (x_k - x_{k-1}), k = 0, 1, ... (x_{-1} = x_0)."""
    f = gd.Rosenbrock()
    lr = 1e-3
    mu = lambda k: 0.5 + 0.4 * k / (k + 10)      # noqa: E731
    x_prev, x = f.x0.copy(), f.x0.copy()
    params = f.x0.copy()
    opt = gd.Momentum(learning_rate=lr, mu=mu)
    for k in range(150):
        x, x_prev = x - lr * f.grad(x) + (mu(k) if k else 0.0) * (x - x_prev), x
        opt.step(params, f.grad(params))
        np.testing.assert_allclose(params, x, rtol=1e-12)


@pytest.mark.parametrize("cls", [gd.Momentum, gd.Nesterov])
def test_a_constant_schedule_is_the_constant_mu_bit_for_bit(cls):
    f = gd.Rosenbrock()
    a, b = f.x0.copy(), f.x0.copy()
    oa, ob = cls(learning_rate=1e-3, mu=0.9), cls(learning_rate=1e-3, mu=lambda k: 0.9)
    for _ in range(100):
        oa.step(a, f.grad(a))
        ob.step(b, f.grad(b))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(oa.state[0]["v"], ob.state[0]["v"])


@pytest.mark.parametrize("cls", [gd.Momentum, gd.Nesterov])
def test_mu_schedule_is_never_called_at_zero(cls):
    calls = []

    def mu(k):
        calls.append(k)
        if k == 0:
            raise AssertionError("mu(0) multiplies v_0 = 0 and must not be needed")
        return 0.5

    opt = cls(learning_rate=0.1, mu=mu)
    x = np.ones(2)
    for _ in range(3):
        opt.step(x, np.ones(2))
    assert 0 not in calls and set(calls) == ({1, 2} if cls is gd.Momentum else {1, 2, 3})


@pytest.mark.parametrize("cls", [gd.Momentum, gd.Nesterov])
def test_bad_mu_schedules_are_refused_before_any_update(cls):
    with pytest.raises(ValueError, match=r"Invalid mu: schedule returned 1.0 at step 1 \(must be in \[0, 1\)\)"):
        cls(learning_rate=0.1, mu=lambda k: 1.0)
    with pytest.raises(TypeError, match="Invalid mu: schedule returned '0.5' at step 1"):
        cls(learning_rate=0.1, mu=lambda k: "0.5")
    with pytest.raises(TypeError, match="Invalid mu: schedule returned None"):
        cls(learning_rate=0.1, mu=lambda k: None)
    opt = cls(learning_rate=0.1, mu=lambda k: 0.5 if k < 3 else float("nan"))
    x = np.ones(2)
    # Momentum's step k uses mu(k), Nesterov's also mu(k + 1): mu(3) is first needed by step 3, resp. 2
    for _ in range(3 if cls is gd.Momentum else 2):
        opt.step(x, np.ones(2))
    before = snapshot(opt, [x])
    with pytest.raises(ValueError, match="schedule returned nan at step 3"):
        opt.step(x, np.ones(2))
    assert_unchanged(before, opt, [x])


# ------------------------------------------------------------------------- with nn.train
@pytest.mark.parametrize("name, hyper, batch_size, epochs", [
    ("adadelta", {}, 32, 5), ("adamax", dict(learning_rate=2e-2), 32, 5), ("nadam", dict(learning_rate=1e-2), 32, 5),
    ("radam", dict(learning_rate=1e-2), 32, 5),
    ("rprop", dict(learning_rate=1e-2), 300, 50),      # Rprop is a full-batch method: one batch, 50 steps
])
def test_trains_the_spiral_mlp(name, hyper, batch_size, epochs):
    X, y = gd.data.spiral(seed=0)
    model = gd.nn.MLP([2, 100, 3], seed=0)
    initial = gd.losses.softmax_cross_entropy(model.forward_numpy(X), y)[0]
    hist = gd.nn.train(model, X, y, get_optimizer(name, **hyper), epochs=epochs, batch_size=batch_size, seed=0)
    assert np.all(np.isfinite(hist["loss"]))
    assert hist["loss"][-1] < (0.1 if name == "rprop" else 0.75) * initial, hist["loss"]
