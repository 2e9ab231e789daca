"""Newton's method and L-BFGS: the objective protocol, gd.minimize's counts, and scipy's iterations.

The comparison with torch.optim.LBFGS's trajectory is in tests/test_references.py (from a recorded
file: CI has no torch). Here: each method against ``scipy.optimize.minimize`` on 2-D Rosenbrock from
(-1.2, 1) (issue 10: f < 1e-10 within 1.5 times scipy's iterations), Newton's quadratic convergence
and its one step on a quadratic, L-BFGS's two-loop recursion against the dense BFGS matrix, and what
is refused.
"""
import numpy as np
import pytest
from scipy.optimize import minimize as scipy_minimize

import gdlib as gd

X0 = np.array([-1.2, 1.0])


def scipy_iterations_to(f, method, target=1e-10, **kw):
    """scipy's iteration count when f first falls below ``target`` (through its callback), and its result."""
    values = []
    res = scipy_minimize(f, X0, method=method, jac=f.grad, callback=lambda xk: values.append(f(xk)), **kw)
    hit = np.nonzero(np.array(values) < target)[0]
    assert hit.size, f"scipy {method} never reached f < {target} ({res.message})"
    return int(hit[0]) + 1, res


def steps_to(run, target=1e-10):
    hit = np.nonzero(run.values < target)[0]
    assert hit.size, f"never reached f < {target}: {run.message}"
    return int(hit[0])


# ----------------------------------------------------------------------------- against scipy
def test_newton_reaches_1e_10_within_1_5_times_scipy_trust_exact():
    """trust-exact is scipy's Newton with the exact Hessian and an exactly solved subproblem (a trust
    region instead of a fixed step); Newton-CG solves inexactly and needs 80+ iterations here, which
    would make the bound say nothing."""
    f = gd.Rosenbrock()
    n_scipy, res = scipy_iterations_to(f, "trust-exact", hess=f.hessian)
    run = gd.minimize(f, X0, gd.Newton(), tol=1e-10, max_steps=100)
    assert run.status == "converged"
    n_ours = steps_to(run)
    assert n_ours <= 1.5 * n_scipy, (n_ours, n_scipy)
    assert n_ours == 5 and n_scipy > n_ours                # pure Newton is fast from this start (scipy 1.17: 24)
    # one Hessian, one gradient and one value per step (plus the start's)
    assert run.n_hessian_evals == run.n_steps and run.n_function_evals == run.n_gradient_evals == run.n_steps + 1


def test_lbfgs_reaches_1e_10_within_1_5_times_scipy_lbfgsb():
    f = gd.Rosenbrock()
    n_scipy, res = scipy_iterations_to(f, "L-BFGS-B")
    run = gd.minimize(f, X0, gd.LBFGS(history_size=10), tol=1e-8, max_steps=200)
    assert run.status == "converged" and run.value_final < 1e-10
    n_ours = steps_to(run)
    assert n_ours <= 1.5 * n_scipy, (n_ours, n_scipy)
    # the costs a chapter compares: evaluations include the line search's trial points
    assert run.n_function_evals == run.n_gradient_evals
    assert run.n_function_evals > run.n_steps + 1
    assert run.n_function_evals == 1 + int(run.state["n_line_search_evals"].sum())
    assert run.n_function_evals <= 1.5 * res.nfev, (run.n_function_evals, res.nfev)
    assert run.n_hessian_evals == 0


def test_lbfgs_on_an_ill_conditioned_quadratic_converges_in_few_steps():
    f = gd.Quadratic(condition_number=1e4, angle=0.3)
    run = gd.minimize(f, np.array([3.0, -2.0]), gd.LBFGS(), tol=1e-10, max_steps=50)
    assert run.status == "converged" and run.n_steps <= 10
    sgd = gd.minimize(f, np.array([3.0, -2.0]), gd.SGD(learning_rate=1 / f.L), tol=1e-10, max_steps=1000)
    assert sgd.status == "max_steps"                         # gradient descent needs ~kappa steps


# ----------------------------------------------------------------------------- Newton
def test_newton_converges_quadratically_near_the_minimum():
    f = gd.Rosenbrock()
    run = gd.minimize(f, X0, gd.Newton(), tol=0, max_steps=7)
    e = np.linalg.norm(run.x - 1.0, axis=1)
    near = [k for k in range(len(e) - 1) if 0 < e[k] < 0.5 and e[k + 1] > 0]
    assert len(near) >= 3
    ratios = e[[k + 1 for k in near]] / e[near] ** 2
    assert np.all(ratios < 1.0), ratios                      # e_{k+1} <= C e_k^2 with C < 1 here
    assert e[near[-1] + 1] < 1e-10 and e[near[0]] > 1e-2      # digits double: 1e-2 -> 1e-5 -> 1e-11
    # far from the minimum it is not even monotone in f (the pure method has no line search)
    assert np.any(np.diff(run.values) > 0)


@pytest.mark.parametrize("kappa,angle", [(10.0, 0.0), (1e6, 0.7)])
def test_newton_on_a_quadratic_is_one_step_whatever_the_condition_number(kappa, angle):
    f = gd.Quadratic(condition_number=kappa, angle=angle, center=np.array([1.0, -2.0]))
    x = np.array([5.0, 3.0])
    gd.Newton().step(x, f.grad(x), objective=f)
    np.testing.assert_allclose(x, [1.0, -2.0], rtol=0, atol=1e-9)
    run = gd.minimize(f, np.array([5.0, 3.0]), gd.Newton(), tol=1e-8)
    assert run.n_steps == 1 and run.status == "converged"


def test_newton_step_is_a_solve_with_the_damped_hessian():
    f = gd.Rosenbrock()
    x = np.array([0.3, -0.4])
    H, g = f.hessian(x), f.grad(x)
    for lr, damping in [(1.0, 0.0), (0.5, 3.0)]:
        y = x.copy()
        opt = gd.Newton(learning_rate=lr, damping=damping)
        opt.step(y, g, objective=f)
        expected = x - lr * np.linalg.inv(H + damping * np.eye(2)) @ g
        np.testing.assert_allclose(y, expected, rtol=1e-12)
        np.testing.assert_allclose(opt.state[0]["direction"], (y - x) / lr, rtol=1e-12)
        assert opt.state[0]["min_eigenvalue"] == pytest.approx(np.linalg.eigvalsh(H).min() + damping)
        assert opt.t == 1 and opt.state[0]["t"] == 1


def test_newton_goes_to_the_saddle_and_damping_is_the_remedy():
    f = gd.Saddle()                                           # x^2 - y^2: Hessian diag(2, -2)
    x = np.array([1.0, 0.5])
    opt = gd.Newton()
    opt.step(x, f.grad(x), objective=f)
    np.testing.assert_allclose(x, 0.0, atol=1e-15)            # pure Newton jumps onto the saddle
    assert opt.state[0]["min_eigenvalue"] == -2.0
    x = np.array([1.0, 0.5])
    g = f.grad(x)
    damped = gd.Newton(damping=3.0)                           # H + 3I = diag(5, 1): positive definite
    damped.step(x, g, objective=f)
    assert damped.state[0]["direction"] @ g < 0               # a descent direction
    assert f(x) < f(np.array([1.0, 0.5])) and abs(x[1]) > 0.5


def test_newton_refuses_a_singular_hessian_and_changes_nothing():
    f = gd.MonkeySaddle()                                     # Hessian 0 at the origin
    x = np.zeros(2)
    opt = gd.Newton()
    with pytest.raises(ValueError, match="damping"):
        opt.step(x, f.grad(x), objective=f)
    assert opt.t == 0 and opt.state == [] and np.all(x == 0)
    gd.Newton(damping=1.0).step(x, f.grad(x), objective=f)  # damping makes it solvable


# ----------------------------------------------------------------------------- L-BFGS
def test_two_loop_recursion_equals_the_dense_bfgs_update():
    """With every pair kept, -H_k g from the two-loop recursion is the BFGS formula (N&W 6.17) applied
    to H_0 = gamma I, pair by pair."""
    f = gd.Rosenbrock()
    opt = gd.LBFGS(history_size=50)
    x = X0.copy()
    for _ in range(8):
        opt.step(x, f.grad(x), objective=f)
    state = opt.state[0]
    H = state["h0_scale"] * np.eye(2)
    for s, y in zip(state["s"], state["y"]):
        rho = 1.0 / (y @ s)
        V = np.eye(2) - rho * np.outer(y, s)
        H = V.T @ H @ V + rho * np.outer(s, s)
    g = f.grad(x)
    np.testing.assert_allclose(opt._direction(g, state), -H @ g, rtol=1e-10)
    np.testing.assert_allclose(H @ state["y"][-1], state["s"][-1], rtol=1e-10)   # the secant equation


def test_history_keeps_the_last_pairs_and_the_line_search_satisfies_strong_wolfe():
    f = gd.Rosenbrock()
    opt = gd.LBFGS(history_size=3)
    x = X0.copy()
    for _ in range(12):
        x_old, g_old = x.copy(), f.grad(x)
        opt.step(x, g_old, objective=f)
        st = opt.state[0]
        p, eta = st["direction"], st["step_length"]
        assert eta > 0 and g_old @ p < 0
        np.testing.assert_allclose(x, x_old + eta * p, rtol=1e-15)
        if opt.t > 1:   # the first step's trial length is scaled by 1/|g|_1 (torch's choice)
            assert f(x) <= f(x_old) + 1e-4 * eta * (g_old @ p)                   # sufficient decrease
            assert abs(f.grad(x) @ p) <= 0.9 * abs(g_old @ p)                    # strong curvature
    assert len(st["s"]) == len(st["y"]) == 3
    for s, y in zip(st["s"], st["y"]):
        assert y @ s > 1e-10


def test_lbfgs_without_line_search_takes_the_fixed_step():
    f = gd.Quadratic(condition_number=10.0)
    opt = gd.LBFGS(learning_rate=0.1, line_search=None)
    x = np.array([1.0, 1.0])
    g = f.grad(x)
    opt.step(x, g, objective=f)
    # first step: -g scaled by min(1, 1/|g|_1) * learning_rate
    np.testing.assert_allclose(x, [1.0, 1.0] - 0.1 / np.abs(g).sum() * g)
    assert opt.state[0]["n_line_search_evals"] == 0
    x_before = x.copy()
    opt.step(x, f.grad(x), objective=f)
    np.testing.assert_allclose(x, x_before + 0.1 * opt.state[0]["direction"])
    run = gd.minimize(f, np.array([1.0, 1.0]), gd.LBFGS(learning_rate=0.5, line_search=None), max_steps=50)
    assert run.n_function_evals == run.n_steps + 1            # no trial points


def test_float32_params_keep_their_dtype():
    f = gd.Rosenbrock()
    for cls in (gd.Newton, gd.LBFGS):
        x = np.array([-1.2, 1.0], dtype=np.float32)
        opt = cls()
        for _ in range(3):
            opt.step(x, f.grad(x), objective=f)
        assert x.dtype == np.float32 and np.all(np.isfinite(x))


# ----------------------------------------------------------------------------- the protocol
@pytest.mark.parametrize("cls", [gd.Newton, gd.LBFGS])
def test_step_without_objective_is_a_type_error_naming_it(cls):
    x = np.array([1.0, 1.0])
    opt = cls()
    with pytest.raises(TypeError, match="objective"):
        opt.step(x, np.ones(2))
    with pytest.raises(TypeError, match="objective"):
        opt.step(x, np.ones(2), objective=lambda z: 0.0)      # no grad / hessian
    with pytest.raises(TypeError, match="params"):
        opt.step([x, x.copy()], [np.ones(2), np.ones(2)], objective=gd.Rosenbrock())
    assert opt.t == 0 and opt.state == [] and np.all(x == 1.0)
    assert cls.needs_objective is True and cls not in gd.OPTIMIZERS.values()


def test_minimize_passes_the_objective_of_a_plain_callable():
    A = np.array([[3.0, 1.0], [1.0, 2.0]])

    def f(x):
        return 0.5 * x @ A @ x

    run = gd.minimize(f, np.array([1.0, -1.0]), gd.Newton(), grad=lambda x: A @ x, hessian=lambda x: A)
    assert run.n_steps == 1 and run.status == "converged"
    with pytest.raises(TypeError, match="hessian"):
        gd.minimize(f, np.array([1.0, -1.0]), gd.Newton(), grad=lambda x: A @ x)
    with pytest.raises(TypeError, match="hessian"):
        gd.minimize(f, np.array([1.0, -1.0]), gd.Newton(), grad=lambda x: A @ x, hessian="A")
    run = gd.minimize(f, np.array([1.0, -1.0]), gd.LBFGS(), grad=lambda x: A @ x, tol=1e-10)
    assert run.status == "converged" and run.n_steps <= 4


def test_first_order_runs_count_one_evaluation_per_iterate():
    f = gd.Rosenbrock()
    run = gd.minimize(f, X0, gd.Adam(learning_rate=0.01), max_steps=40)
    assert run.n_function_evals == run.n_gradient_evals == 41 and run.n_hessian_evals == 0
    bad = gd.minimize(f, X0, gd.SGD(learning_rate=1.0), max_steps=40)
    assert bad.status == "diverged"
    assert bad.n_function_evals == bad.n_steps + 1 and bad.n_gradient_evals == bad.n_steps


def test_train_refuses_optimizers_that_need_the_objective():
    X, y = gd.spiral(n_per_class=5, n_classes=3)
    model = gd.MLP([2, 4, 3])
    before = [p.copy() for p in model.parameters()]
    for opt in (gd.Newton(), gd.LBFGS()):
        with pytest.raises(TypeError, match="minimize"):
            gd.train(model, X, y, opt, epochs=1)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.parameters()))


@pytest.mark.parametrize("cls", [gd.Newton, gd.LBFGS])
def test_a_nan_gradient_gives_a_nan_step(cls):
    f = gd.Rosenbrock()
    x = np.array([0.5, 0.5])
    with np.errstate(invalid="ignore"):
        cls().step(x, np.array([np.nan, 1.0]), objective=f)
    assert np.any(np.isnan(x))


def test_lbfgs_stays_put_where_the_gradient_is_zero():
    f = gd.Rosenbrock()
    x = np.array([1.0, 1.0])                                 # the minimum: g = 0, no descent direction
    opt = gd.LBFGS()
    opt.step(x, f.grad(x), objective=f)
    assert np.array_equal(x, [1.0, 1.0]) and opt.state[0]["step_length"] == 0.0
    assert opt.state[0]["n_line_search_evals"] == 0


def test_lbfgs_an_objective_that_fails_mid_line_search_leaves_everything_as_it_was():
    """The history, grad_prev and x are written only after the line search returns."""
    f = gd.Rosenbrock()

    class Fails:
        def __init__(self, after):
            self.calls, self.after = 0, after

        def __call__(self, x):
            self.calls += 1
            if self.calls > self.after:
                raise RuntimeError("objective failed")
            return f(x)

        def grad(self, x):
            return f.grad(x)

    for n_steps_before in (0, 3):
        opt, x = gd.LBFGS(), X0.copy()
        for _ in range(n_steps_before):
            opt.step(x, f.grad(x), objective=f)
        before = (x.copy(), opt.t, [s.copy() for s in opt.state[0]["s"]] if opt.state else None,
                  None if not opt.state else opt.state[0]["grad_prev"].copy())
        with pytest.raises(RuntimeError):
            opt.step(x, f.grad(x), objective=Fails(after=1))      # the start, then one trial point
        assert np.array_equal(x, before[0]) and opt.t == before[1]
        if n_steps_before == 0:
            assert opt.state == [] and opt._shapes is None
        else:
            st = opt.state[0]
            assert st["t"] == n_steps_before and len(st["s"]) == len(before[2])
            assert all(np.array_equal(a, b) for a, b in zip(st["s"], before[2]))
            np.testing.assert_array_equal(st["grad_prev"], before[3])
        # and the same optimizer then continues as if nothing happened
        ref = gd.LBFGS()
        y = X0.copy()
        for _ in range(n_steps_before + 2):
            ref.step(y, f.grad(y), objective=f)
        for _ in range(2):
            opt.step(x, f.grad(x), objective=f)
        np.testing.assert_array_equal(x, y)


def test_lbfgs_a_gradient_of_the_wrong_size_is_refused_by_name():
    f = gd.Rosenbrock()
    bad = type("Bad", (), {"__call__": lambda self, x: f(x), "grad": lambda self, x: np.ones(3)})()
    opt, x = gd.LBFGS(), X0.copy()
    with pytest.raises(ValueError, match=r"Invalid objective: grad\(x\) has shape \(3,\)"):
        opt.step(x, f.grad(x), objective=bad)
    assert opt.state == [] and np.array_equal(x, X0)


def test_newton_a_hessian_of_the_wrong_shape_is_refused_by_name():
    f = gd.Rosenbrock()
    bad = type("Bad", (), {"__call__": lambda self, x: f(x), "grad": lambda self, x: f.grad(x),
                           "hessian": lambda self, x: np.eye(3)})()
    opt, x = gd.Newton(), X0.copy()
    with pytest.raises(ValueError, match=r"Invalid objective: hessian\(x\) has shape \(3, 3\) for x of shape \(2,\)"):
        opt.step(x, f.grad(x), objective=bad)
    assert opt.state == [] and opt.t == 0 and np.array_equal(x, X0)


def test_lbfgs_stalls_where_the_line_search_cannot_resolve_the_direction():
    """The docstring's stall: with |p|_inf < 1e-9 and the first trial point refused, torch's zoom returns
    t = 0 (its tolerance_change), and nothing changes after that; minimize's tol decides the status."""
    f = gd.Quadratic(condition_number=1e3, angle=0.3)
    x0 = np.array([3.0, -2.0])
    run = gd.minimize(f, x0, gd.LBFGS(history_size=1), tol=1e-10, max_steps=40)
    stuck = np.nonzero(run.state["step_length"].ravel() == 0.0)[0]
    assert run.status == "max_steps" and stuck.size and stuck[0] < 10
    assert np.all(run.state["step_length"].ravel()[stuck[0]:] == 0.0)
    assert np.abs(run.state["direction"][stuck[0]]).max() < 1e-9
    assert np.all(run.state["n_line_search_evals"].ravel()[stuck[0]:] == 1)
    assert 1e-10 < run.grad_norms[-1] < 1e-9 and np.all(run.x[stuck[0]:] == run.x[-1])
    assert gd.minimize(f, x0, gd.LBFGS(history_size=1), tol=1e-8).status == "converged"


@pytest.mark.parametrize("line_search", ["strong_wolfe", None])
def test_lbfgs_a_schedule_at_zero_is_a_step_of_length_zero(line_search):
    """A schedule may return 0 (a warm-up from 0); the line search used to divide by zero interpolating
    between two trial points both at t = 0."""
    f = gd.Rosenbrock()
    opt, x = gd.LBFGS(learning_rate=gd.warmup(1.0, 3), line_search=line_search), X0.copy()
    opt.step(x, f.grad(x), objective=f)
    assert np.array_equal(x, X0) and opt.state[0]["step_length"] == 0.0
    assert opt.state[0]["n_line_search_evals"] == 0 and opt.t == 1
    opt.step(x, f.grad(x), objective=f)                  # then it moves, and the zero step left no pair
    assert not np.array_equal(x, X0) and opt.state[0]["s"] == []


def test_lbfgs_learning_rates_record_the_first_trial_and_the_state_the_length_taken():
    f = gd.Rosenbrock()
    run = gd.minimize(f, X0, gd.LBFGS(), tol=1e-8)
    assert np.all(run.learning_rates == 1.0)
    taken = run.state["step_length"].ravel()
    assert not np.all(taken == 1.0)
    np.testing.assert_allclose(run.x[1:], run.x[:-1] + taken[:, None] * run.state["direction"], rtol=1e-12, atol=1e-15)
    assert gd.Newton.needs_hessian is True and gd.LBFGS.needs_hessian is False


def test_lbfgs_line_search_along_negative_curvature_extrapolates_instead_of_raising():
    """On the saddle the line search meets a concave quadratic, whose interpolating cubic has no
    finite minimiser (``g2 - g1 + 2 d2 = 0``): torch's 0-d tensors divide to inf and clip to the far
    bound; gdlib did the division in Python floats and raised ZeroDivisionError (found by the
    explorer on ``saddle``). Now the run extrapolates like torch and ``minimize`` reports it diverged."""
    from gdlib.optim.lbfgs import _cubic_interpolate
    # f(t) = -t^2 - t: slopes -1 at 0 and -5 at 2, values 0 and -6; the cubic is this concave parabola
    assert _cubic_interpolate(0.0, 0.0, -1.0, 2.0, -6.0, -5.0, bounds=(2.02, 20.0)) == 20.0
    f = gd.Saddle()
    run = gd.minimize(f, f.x0, gd.LBFGS(), max_steps=50)
    assert run.status == "diverged"
    assert run.values[-1] < f(f.x0)
