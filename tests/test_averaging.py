"""gdlib.averaging.Averaged: the averages' formulas, torch's AveragedModel, minimize and train.

torch's ``AveragedModel`` is compared through ``tests/references/averaging.npz`` (recorded by
``make references``, ``tools/make_references.py``'s ``averaging_references``): ``torch.optim.SGD``
with momentum on a minibatch least-squares problem, averaged with SWA (uniform), both EMA functions
and a burn-in. gdlib's ``Averaged(Momentum)`` is fed torch's recorded gradients and must follow the
iterates, the averages and ``n_averaged`` to 1e-12 (relative).
"""
import json
import pathlib

import numpy as np
import pytest

import gdlib as gd

REFS = pathlib.Path(__file__).resolve().parent / "references"
RTOL = 1e-12


def walk(opt, gs, x0=0.0):
    """Step ``opt`` on a scalar-valued 1-element array with gradients ``gs``; return the iterates x_1..x_t."""
    x = np.array([x0])
    xs = []
    for g in gs:
        opt.step(x, np.array([g]))
        xs.append(x[0])
    return x, np.array(xs)


# ------------------------------------------------------------------------------ the formulas
def test_polyak_is_the_mean_of_the_iterates_after_the_burn_in():
    rng = np.random.default_rng(0)
    gs = rng.normal(size=50)
    for start in (0, 1, 7, 49, 60):
        opt = gd.Averaged(gd.Momentum(learning_rate=0.1, mu=0.5), start=start)
        x, xs = walk(opt, gs)
        n = max(0, 50 - start)
        assert opt.n_averaged == n
        expected = xs[start:].mean() if n else xs[-1]     # during the burn-in: the iterate itself
        np.testing.assert_allclose(opt.averaged_params(), [expected], rtol=1e-13)
        assert x[0] == xs[-1]                             # the iterate is the wrapped optimizer's


def test_the_parameters_follow_the_wrapped_optimizer_unchanged():
    rng = np.random.default_rng(1)
    gs = rng.normal(size=30)
    for mode in ("polyak", "ema"):
        _, averaged = walk(gd.Averaged(gd.Adam(learning_rate=0.1), mode=mode, decay_rate=0.9, start=3), gs)
        _, plain = walk(gd.Adam(learning_rate=0.1), gs)
        np.testing.assert_array_equal(averaged, plain)


def test_ema_is_the_geometric_sum():
    rng = np.random.default_rng(2)
    gs = rng.normal(size=40)
    beta, start = 0.8, 5
    opt = gd.Averaged(gd.SGD(learning_rate=0.3), mode="ema", decay_rate=beta, start=start)
    _, xs = walk(opt, gs)
    kept = xs[start:]                     # x_{s+1} .. x_t
    n = len(kept)
    expected = beta ** (n - 1) * kept[0] + (1 - beta) * sum(beta ** j * kept[n - 1 - j] for j in range(n - 1))
    np.testing.assert_allclose(opt.state[0]["x_avg"], [expected], rtol=1e-13)
    assert opt.n_averaged == n


def test_ema_extremes_and_polyak_differ():
    gs = np.linspace(-1, 1, 20)
    last = gd.Averaged(gd.SGD(learning_rate=0.5), mode="ema", decay_rate=0.0)
    x, _ = walk(last, gs)
    assert last.averaged_params()[0] == x[0]                 # decay 0: the last iterate
    frozen = gd.Averaged(gd.SGD(learning_rate=0.5), mode="ema", decay_rate=1.0)
    _, xs = walk(frozen, gs)
    assert frozen.averaged_params()[0] == xs[0]              # decay 1: the first copy
    uniform = gd.Averaged(gd.SGD(learning_rate=0.5))
    walk(uniform, gs)
    ema = gd.Averaged(gd.SGD(learning_rate=0.5), mode="ema", decay_rate=0.9)
    walk(ema, gs)
    assert abs(uniform.averaged_params()[0] - ema.averaged_params()[0]) > 1e-2


def test_lists_of_arrays_and_dtypes():
    params = [np.ones((2, 3), dtype=np.float32), np.zeros(4, dtype=np.float32)]
    opt = gd.Averaged(gd.SGD(learning_rate=0.5))
    for _ in range(3):
        opt.step(params, [np.ones((2, 3)), -np.ones(4)])
    avg = opt.averaged_params()
    assert isinstance(avg, list) and [a.dtype for a in avg] == [np.float32, np.float32]
    np.testing.assert_allclose(avg[0], 1.0 - 0.5 * 2)      # mean of 0.5, 0, -0.5
    np.testing.assert_allclose(avg[1], 0.5 * 2)
    avg[0][...] = 99.0                                       # a copy: the average is not touched
    assert opt.state[0]["x_avg"][0, 0] == 0.0
    assert [s["t"] for s in opt.state] == [3, 3] and set(opt.state[0]) == {"t", "x_avg"}


def test_forwards_the_wrapped_optimizers_counters_and_schedule():
    inner = gd.Momentum(learning_rate=gd.exponential_decay(0.1, 0.5), mu=0.9)
    opt = gd.Averaged(inner, mode="ema", decay_rate=0.5)
    assert opt.learning_rate_at(2) == inner.learning_rate_at(2) and opt.learning_rate is inner.learning_rate
    x = np.ones(2)
    opt.step(x, np.ones(2))
    opt.step(x, np.ones(2))
    assert opt.t == inner.t == 2 and opt.last_learning_rate == inner.last_learning_rate
    assert opt.state[0]["v"] is inner.state[0]["v"]            # the wrapped buffers, live
    assert "Averaged(optimizer=Momentum(" in repr(opt) and opt.hyperparameters["mode"] == "ema"
    opt.reset()
    assert opt.t == 0 and inner.t == 0 and opt.n_averaged == 0 and opt.state == []
    with pytest.raises(ValueError, match="before the first step"):
        opt.averaged_params()


def test_a_wrapped_optimizer_that_already_stepped_counts_its_steps_for_start():
    inner = gd.SGD(learning_rate=1.0)
    x = np.array([0.0])
    for _ in range(3):
        inner.step(x, np.array([-1.0]))                      # x = 3, k = 0, 1, 2
    opt = gd.Averaged(inner, start=4)
    for _ in range(3):
        opt.step(x, np.array([-1.0]))                        # k = 3 (burn-in), 4, 5 -> x = 5, 6 averaged
    assert opt.n_averaged == 2 and opt.averaged_params()[0] == 5.5


# ------------------------------------------------------------------------------ swapped
def test_swapped_puts_the_average_in_and_restores_even_on_error():
    W, b = np.zeros((2, 2)), np.zeros(2)
    opt = gd.Averaged(gd.SGD(learning_rate=1.0))
    for g in (-1.0, -3.0):                                   # W, b: 1 then 4; averages 2.5
        opt.step([W, b], [np.full((2, 2), g), np.full(2, g)])
    with opt.swapped([W, b]) as p:
        assert p[0] is W and np.all(W == 2.5) and np.all(b == 2.5)
    assert np.all(W == 4.0) and np.all(b == 4.0)
    with pytest.raises(RuntimeError):
        with opt.swapped([W, b]):
            raise RuntimeError("evaluation failed")
    assert np.all(W == 4.0) and np.all(b == 4.0)


@pytest.mark.parametrize("bad, arg", [
    (lambda W, b: [W], "params"), (lambda W, b: [W, np.zeros(3)], "params[1]"),
    (lambda W, b: [W, b.astype(np.float32)], "params[1]"), (lambda W, b: [W, W[0]], "params"),
    (lambda W, b: W, "params"), (lambda W, b: [W, [0.0, 0.0]], "params[1]"), (lambda W, b: None, "params"),
])
def test_swapped_refuses_other_arrays_when_called(bad, arg):
    W, b = np.zeros((2, 2)), np.zeros(2)
    opt = gd.Averaged(gd.SGD(learning_rate=1.0))
    opt.step([W, b], [np.ones((2, 2)), np.ones(2)])
    before = [W.copy(), b.copy(), opt.state[0]["x_avg"].copy()]
    with pytest.raises((TypeError, ValueError), match=r"Invalid " + arg.replace("[", r"\[").replace("]", r"\]")):
        opt.swapped(bad(W, b))
    for a, c in zip([W, b, opt.state[0]["x_avg"]], before):
        np.testing.assert_array_equal(a, c)


def test_swapped_before_any_step_is_refused():
    with pytest.raises(ValueError, match="before the first step"):
        gd.Averaged(gd.SGD(learning_rate=1.0)).swapped(np.zeros(2))


# ------------------------------------------------------------------------------ refusals
@pytest.mark.parametrize("kwargs, exc, text", [
    (dict(optimizer=gd.SGD), TypeError, "Invalid optimizer"),
    (dict(optimizer="sgd"), TypeError, "Invalid optimizer"),
    (dict(optimizer=gd.Averaged(gd.SGD(0.1))), ValueError, "already Averaged"),
    (dict(mode="swa"), ValueError, "Invalid mode: 'swa'"),
    (dict(mode=None), TypeError, "Invalid mode"),
    (dict(decay_rate=1.5), ValueError, r"Invalid decay_rate: 1.5 \(must be in \[0, 1\]\)"),
    (dict(decay_rate=-0.1), ValueError, "Invalid decay_rate"),
    (dict(decay_rate="0.9"), TypeError, "Invalid decay_rate"),
    (dict(start=-1), ValueError, "Invalid start: -1"),
    (dict(start=2.0), TypeError, "Invalid start: 2.0"),
    (dict(start=True), TypeError, "Invalid start"),
])
def test_bad_hyperparameters_are_refused_by_name(kwargs, exc, text):
    with pytest.raises(exc, match=text):
        gd.Averaged(**{"optimizer": gd.SGD(0.1), **kwargs})


def test_a_refused_step_changes_nothing():
    x = np.ones(3)
    opt = gd.Averaged(gd.Momentum(learning_rate=0.1), mode="ema", decay_rate=0.5)
    opt.step(x, np.ones(3))
    snapshot = (x.copy(), opt.state[0]["x_avg"].copy(), opt.state[0]["v"].copy(), opt.t, opt.n_averaged)
    for params, grads in ((x, np.ones(2)), (x, np.array([1j, 1, 1])), ([x, x], [x, x]), (x, None)):
        with pytest.raises((TypeError, ValueError)):
            opt.step(params, grads)
    opt.optimizer.reset()                       # the wrapped optimizer alone forgets its shapes ...
    with pytest.raises(ValueError, match=r"Invalid params: shapes \[\(2,\)\], but the averages hold \[\(3,\)\]"):
        opt.step(np.ones(2), np.ones(2))        # ... the averages do not: refused before its step
    assert opt.optimizer.t == 0 and opt.optimizer.state == []
    np.testing.assert_array_equal(x, snapshot[0])
    np.testing.assert_array_equal(opt._avg[0], snapshot[1])
    assert opt.n_averaged == snapshot[4]


# ------------------------------------------------------------------------------ minimize and train
def test_minimize_records_the_averaged_iterate():
    f = gd.Quadratic(condition_number=4.0)
    run = gd.minimize(f, f.x0, gd.Averaged(gd.SGD(learning_rate=0.4), start=10), max_steps=60, tol=0)
    assert run.state["x_avg"].shape == (60, 2)
    np.testing.assert_array_equal(run.state["x_avg"][:10], run.x[1:11])      # burn-in: the iterate
    np.testing.assert_allclose(run.state["x_avg"][-1], run.x[11:].mean(axis=0), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(run.state["x_avg"][25], run.x[11:27].mean(axis=0), rtol=1e-12, atol=1e-15)
    plain = gd.minimize(f, f.x0, gd.SGD(learning_rate=0.4), max_steps=60, tol=0)
    np.testing.assert_array_equal(run.x, plain.x)


def test_minimize_records_the_wrapped_buffers_too():
    f = gd.Rosenbrock()
    run = gd.minimize(f, f.x0, gd.Averaged(gd.Adam(learning_rate=0.02), mode="ema", decay_rate=0.9), max_steps=20)
    assert {"m", "v", "x_avg"} <= set(run.state) and run.state["m"].shape == (20, 2)


def test_train_averages_a_models_parameters():
    X, y = gd.blobs(n_per_class=30, n_classes=3, seed=0)
    model = gd.MLP([2, 8, 3], seed=0)
    opt = gd.Averaged(gd.SGD(learning_rate=gd.exponential_decay(0.5, 0.01)), start=20)
    history = gd.train(model, X, y, opt, epochs=5, batch_size=10, seed=0)
    steps = 5 * 9
    assert opt.t == steps and opt.n_averaged == steps - 20 and len(history["loss"]) == 5
    last = [p.copy() for p in model.parameters()]
    averaged = opt.averaged_params()
    assert all(not np.array_equal(a, p) for a, p in zip(averaged, last))
    with opt.swapped(model.parameters()):
        for a, p in zip(averaged, model.parameters()):
            np.testing.assert_array_equal(a, p)
        acc = gd.accuracy(model, X, y)
    assert 0.8 < acc <= 1.0
    for a, p in zip(last, model.parameters()):
        np.testing.assert_array_equal(a, p)


# ------------------------------------------------------------------------------ torch's AveragedModel
def load():
    z = np.load(REFS / "averaging.npz", allow_pickle=False)
    return z, json.loads(str(z["meta"]))


def ls_grads(z, W, b, k):
    """The minibatch least-squares gradient of the reference problem, in numpy."""
    idx = z["batches"][k]
    Xb, Yb = z["X"][idx], z["Y"][idx]
    r = (Xb @ W + b - Yb) / Yb.size                 # 0.5 * mean(r**2): d/dpred = r / (B * 2)
    return Xb.T @ r, r.sum(axis=0)


def test_reference_file_and_its_gradients():
    z, meta = load()
    assert meta["torch_version"].startswith("2.") and meta["steps"] == 100
    assert set(meta["runs"]) == {"swa", "swa_start30", "ema_multi", "ema_avg_fn", "ema_start30"}
    for k in range(meta["steps"]):
        gW, gb = ls_grads(z, z["W"][k], z["b"][k], k)
        np.testing.assert_allclose(gW, z["grad_W"][k], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(gb, z["grad_b"][k], rtol=1e-12, atol=1e-15)


def run_reference(z, meta, kwargs):
    W, b = z["W0"].copy(), z["b0"].copy()
    o = meta["optimizer"]
    opt = gd.Averaged(gd.Momentum(learning_rate=o["learning_rate"], mu=o["mu"]), **kwargs)
    Ws, bs, aW, ab, n = [], [], [], [], []
    for k in range(meta["steps"]):
        opt.step([W, b], ls_grads(z, W, b, k))
        Ws.append(W.copy())
        bs.append(b.copy())
        avg = opt.averaged_params()
        aW.append(avg[0])
        ab.append(avg[1])
        n.append(opt.n_averaged)
    return np.array(Ws), np.array(bs), np.array(aW), np.array(ab), np.array(n)


def rel(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


@pytest.mark.parametrize("label", ["swa", "swa_start30", "ema_multi", "ema_avg_fn", "ema_start30"])
def test_follows_torch_averaged_model(label):
    z, meta = load()
    kwargs = meta["runs"][label]["gdlib"]
    Ws, bs, aW, ab, n = run_reference(z, meta, kwargs)
    assert rel(Ws, z["W"][1:]) <= RTOL and rel(bs, z["b"][1:]) <= RTOL          # the iterates
    np.testing.assert_array_equal(n, z[f"{label}/n_averaged"])
    averaging = n > 0       # before its first update torch's copy holds W0; gdlib's x_avg the iterate
    assert averaging.sum() == meta["steps"] - kwargs["start"]
    assert rel(aW[averaging], z[f"{label}/W_avg"][averaging]) <= RTOL, label
    assert rel(ab[averaging], z[f"{label}/b_avg"][averaging]) <= RTOL, label
    np.testing.assert_array_equal(z[f"{label}/W_avg"][~averaging], np.broadcast_to(z["W0"], aW[~averaging].shape))


def test_a_wrong_average_would_fail():
    """The comparison can fail: SWA is not the EMA, and a burn-in off by one step is seen."""
    z, meta = load()
    _, _, aW, _, _ = run_reference(z, meta, dict(mode="ema", decay_rate=0.95, start=0))
    assert rel(aW, z["swa/W_avg"]) > 1e-3
    _, _, aW, _, _ = run_reference(z, meta, dict(mode="polyak", start=31))
    assert rel(aW[31:], z["swa_start30/W_avg"][31:]) > 1e-4


def test_wraps_an_object_with_an_optimizers_interface():
    """A combinator of parameter groups is not an Optimizer subclass; what Averaged needs is its interface."""
    class TwoRates:
        def __init__(self):
            self.parts, self.t = [gd.SGD(learning_rate=1.0), gd.SGD(learning_rate=0.5)], 0

        @property
        def state(self):
            return [s for o in self.parts for s in o.state]

        def step(self, params, grads):
            for o, p, g in zip(self.parts, params, grads):
                o.step(p, g)
            self.t += 1

        def reset(self):
            for o in self.parts:
                o.reset()
            self.t = 0

    a, b = np.zeros(1), np.zeros(1)
    opt = gd.Averaged(TwoRates())
    for _ in range(4):
        opt.step([a, b], [-np.ones(1), -np.ones(1)])
    assert a[0] == 4.0 and b[0] == 2.0 and opt.t == 4
    np.testing.assert_allclose(opt.averaged_params(), [[2.5], [1.25]])
    assert [set(s) for s in opt.state] == [{"t", "x_avg"}] * 2


def test_forwards_what_minimize_asks_of_an_optimizer_that_reads_the_objective():
    class ReadsObjective(gd.SGD):
        needs_objective, needs_hessian = True, False

        def step(self, params, grads, objective=None):
            assert callable(objective)
            super().step(params, grads)

    opt = gd.Averaged(ReadsObjective(learning_rate=0.1))
    assert opt.needs_objective and not opt.needs_hessian
    assert not gd.Averaged(gd.SGD(0.1)).needs_objective
    x = np.ones(2)
    opt.step(x, np.ones(2), objective=lambda z: 0.0)
    np.testing.assert_allclose(opt.averaged_params(), [0.9, 0.9])


# ------------------------------------------------------------------------------ with the real optimizers
def test_minimize_with_averaged_lbfgs_and_newton():
    """gd.minimize asks the Averaged wrapper whether to pass the objective; the iterates and the counts are
    the wrapped optimizer's, and x_avg is the mean of the iterates."""
    f = gd.Rosenbrock()
    x0 = np.array([-1.2, 1.0])
    plain = gd.minimize(f, x0, gd.LBFGS(), tol=1e-8)
    run = gd.minimize(f, x0, gd.Averaged(gd.LBFGS()), tol=1e-8)
    np.testing.assert_array_equal(run.x, plain.x)
    assert (run.n_function_evals, run.n_gradient_evals) == (plain.n_function_evals, plain.n_gradient_evals)
    np.testing.assert_allclose(run.state["x_avg"][-1], run.x[1:].mean(axis=0), rtol=1e-12)
    np.testing.assert_array_equal(run.state["n_line_search_evals"], plain.state["n_line_search_evals"])
    newton = gd.minimize(f, x0, gd.Averaged(gd.Newton(), mode="ema", decay_rate=0.5), tol=1e-8)
    assert newton.status == "converged" and newton.n_hessian_evals == newton.n_steps
    with pytest.raises(TypeError, match="hessian"):       # needs_hessian is forwarded: refused before any step
        gd.minimize(lambda x: float(x @ x), x0, gd.Averaged(gd.Newton()), grad=lambda x: 2 * x)


def test_averaging_a_partition_of_muon_and_adamw():
    rng = np.random.default_rng(3)
    W, b = rng.normal(size=(4, 3)), rng.normal(size=3)
    W2, b2 = W.copy(), b.copy()
    make = lambda: gd.Partition({"muon": gd.Muon(0.05), "adamw": gd.AdamW(0.01)},
                                label=lambda x: "muon" if x.ndim == 2 else "adamw")
    opt, ref = gd.Averaged(make(), start=2), make()
    kept = []
    for k in range(8):
        g = [rng.normal(size=(4, 3)), rng.normal(size=3)]
        opt.step([W, b], g)
        ref.step([W2, b2], g)
        if k >= 2:
            kept.append([W.copy(), b.copy()])
    np.testing.assert_array_equal(W, W2)
    np.testing.assert_array_equal(b, b2)
    avg = opt.averaged_params()
    np.testing.assert_allclose(avg[0], np.mean([k[0] for k in kept], axis=0), rtol=1e-13)
    np.testing.assert_allclose(avg[1], np.mean([k[1] for k in kept], axis=0), rtol=1e-13)
    assert opt.n_averaged == 6 and opt.learning_rate_at(0) == {"muon": 0.05, "adamw": 0.01}
    assert set(opt.state[0]) == {"m", "t", "x_avg"}


def test_a_step_with_another_dtype_is_refused_before_the_wrapped_step():
    x = np.ones(3)
    opt = gd.Averaged(gd.SGD(learning_rate=0.1))
    opt.step(x, np.ones(3))
    with pytest.raises(ValueError, match=r"Invalid params: dtype float32, but its average is kept in float64"):
        opt.step(x.astype(np.float32), np.ones(3))
    assert opt.t == 1 and opt.n_averaged == 1


def test_minimize_refuses_an_averaged_partition_before_any_step():
    """A Partition's learning rates are one per group: minimize (one array x, one rate a step) used to run
    every step and then fail on float(dict) when building learning_rates, the optimizer already moved."""
    opt = gd.Averaged(gd.Partition({"a": gd.Adam(0.01)}, label=["a"]))
    with pytest.raises(TypeError, match=r"Invalid optimizer: .*learning rates \{'a': 0.01\}"):
        gd.minimize(gd.Rosenbrock(), np.array([-1.2, 1.0]), opt, max_steps=5)
    assert opt.t == 0 and opt.n_averaged == 0


def test_resetting_the_wrapped_optimizer_alone_keeps_the_average():
    # Averaging has begun (n_averaged = 3); opt.optimizer.reset() restarts the step count below start.
    # The steps until start again leave the average and its count alone (torch's average changes only
    # in update_parameters); they used to overwrite it with the iterate while n_averaged stayed 3.
    x = np.array([0.0])
    opt = gd.Averaged(gd.SGD(learning_rate=1.0), start=2)
    for _ in range(5):                          # x: 1, 2 (burn-in), 3, 4, 5 averaged
        opt.step(x, np.array([-1.0]))
    assert opt.averaged_params()[0] == 4.0 and opt.n_averaged == 3
    opt.optimizer.reset()
    for _ in range(2):                          # k = 0, 1 < start: x 6, 7, the average untouched
        opt.step(x, np.array([-1.0]))
    assert x[0] == 7.0 and opt.averaged_params()[0] == 4.0 and opt.n_averaged == 3
    opt.step(x, np.array([-1.0]))               # k = 2 >= start: x = 8 enters, (3 * 4 + 8) / 4
    assert opt.averaged_params()[0] == 5.0 and opt.n_averaged == 4
