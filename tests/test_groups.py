"""gd.Partition: each parameter array stepped by the optimizer its label names (optax's multi_transform,
torch's parameter groups). It must equal stepping each optimizer on its own arrays, expose their state,
and refuse a bad call before any group moves."""
from __future__ import annotations

import math

import numpy as np
import pytest

import gdlib as gd
from optim_helpers import assert_unchanged, snapshot


def _problem(seed=0):
    rng = np.random.default_rng(seed)
    shapes = [(4, 3), (3,), (3, 5), (5,)]
    params = [rng.normal(size=s) for s in shapes]
    grads = [[rng.normal(size=s) for s in shapes] for _ in range(20)]
    return params, grads


def _partition(label=None):
    return gd.Partition({"muon": gd.Muon(learning_rate=0.05), "adamw": gd.AdamW(learning_rate=0.01)},
                        label=label or (lambda x: "muon" if x.ndim == 2 else "adamw"))


@pytest.mark.parametrize("label", [None, ["muon", "adamw", "muon", "adamw"]])
def test_partition_equals_each_optimizer_on_its_own_arrays(label):
    params, grads = _problem()
    mine = [p.copy() for p in params]
    opt = _partition(label)
    muon, adamw = gd.Muon(learning_rate=0.05), gd.AdamW(learning_rate=0.01)
    for g in grads:
        opt.step(mine, g)
        muon.step([params[0], params[2]], [g[0], g[2]])
        adamw.step([params[1], params[3]], [g[1], g[3]])
    for a, b in zip(mine, params):
        np.testing.assert_array_equal(a, b)          # to the last bit: nothing mixes the groups
    assert opt.labels == ["muon", "adamw", "muon", "adamw"]
    assert opt.t == 20 and opt.optimizers["muon"].t == 20 and opt.optimizers["adamw"].t == 20
    np.testing.assert_array_equal(opt.state[2]["m"], muon.state[1]["m"])
    np.testing.assert_array_equal(opt.state[3]["v"], adamw.state[1]["v"])
    assert opt.state[0] is opt.optimizers["muon"].state[0]       # the optimizer's own dict, live
    assert opt.last_learning_rate == {"muon": 0.05, "adamw": 0.01}


def test_state_is_inspectable_and_reset_forgets_it():
    params, grads = _problem()
    opt = _partition()
    assert opt.state == [] and opt.labels is None and opt.t == 0
    opt.step(params, grads[0])
    assert [sorted(s) for s in opt.state] == [["m", "t"], ["m", "t", "v"], ["m", "t"], ["m", "t", "v"]]
    assert [s["t"] for s in opt.state] == [1, 1, 1, 1]
    opt.reset()
    assert opt.state == [] and opt.labels is None and opt.t == 0 and opt.last_learning_rate is None
    assert all(o.t == 0 for o in opt.optimizers.values())
    opt.step(params[:2], grads[0][:2])                # a new structure after reset is fine
    assert opt.labels == ["muon", "adamw"]


def test_an_optimizer_no_label_names_is_never_stepped():
    params, grads = _problem()
    opt = gd.Partition({"sgd": gd.SGD(0.1), "lion": gd.Lion(0.1)}, label=["sgd"] * 4)
    opt.step(params, grads[0])
    assert opt.optimizers["lion"].t == 0 and opt.optimizers["sgd"].t == 1
    assert opt.last_learning_rate == {"sgd": 0.1}


def test_schedules_run_per_group():
    params, grads = _problem()
    opt = gd.Partition({"a": gd.SGD(gd.step_decay(0.1, drop=0.5, every=2)), "b": gd.SGD(0.3)}, label=["a", "b"] * 2)
    for k in range(5):
        opt.step(params, grads[k])
        assert opt.last_learning_rate == {"a": 0.1 * 0.5 ** ((k) // 2), "b": 0.3}
    assert opt.learning_rate_at(6) == {"a": 0.1 * 0.5 ** 3, "b": 0.3}


# ---------------------------------------------------------------------------------- refusals
def _refused(opt, params, grads, exc, *words):
    given = list(params) if isinstance(params, (list, tuple)) else [params] if isinstance(params, np.ndarray) else []
    arrays = given + [s for o in opt.optimizers.values() for d in o.state for s in d.values()
                             if isinstance(s, np.ndarray)]
    before = snapshot(opt, arrays)
    subs = {n: (o.t, o.last_learning_rate) for n, o in opt.optimizers.items()}
    labels = None if opt.labels is None else list(opt.labels)
    with pytest.raises(exc) as info:
        opt.step(params, grads)
    assert_unchanged(before, opt, arrays)
    assert {n: (o.t, o.last_learning_rate) for n, o in opt.optimizers.items()} == subs
    assert opt.labels == labels
    for w in words:
        assert w in str(info.value), (w, str(info.value))
    return str(info.value)


def test_a_group_refused_after_another_passed_moves_nothing():
    params, grads = _problem()
    # adamw first in the dict: it would step first, before Muon refuses the vector params[3]
    opt = gd.Partition({"adamw": gd.AdamW(0.01), "muon": gd.Muon(0.05)}, label=["muon", "adamw", "muon", "muon"])
    _refused(opt, params, grads[0], ValueError, "params[3]", "shape (5,)", "group 'muon'", "2-D")
    assert opt.labels is None and opt.state == []
    # after a good step, a bad gradient in the last group still leaves the first group alone
    opt = gd.Partition({"adamw": gd.AdamW(0.01), "muon": gd.Muon(0.05)}, label=["muon", "adamw", "muon", "adamw"])
    opt.step(params, grads[0])
    _refused(opt, params, grads[1][:3] + [np.ones(6)], ValueError, "grads[3]", "group 'adamw'")
    _refused(opt, params, [np.ones((4, 4))] + grads[1][1:], ValueError, "grads[0]", "group 'muon'")


def test_a_failing_schedule_in_one_group_refuses_the_step_before_the_other_moves():
    params, grads = _problem()
    opt = gd.Partition({"ok": gd.Adam(0.01), "bad": gd.SGD(lambda k: 0.1 if k < 3 else math.nan)},
                       label=["ok", "ok", "bad", "bad"])
    for k in range(3):
        opt.step(params, grads[k])
    _refused(opt, params, grads[3], ValueError, "learning_rate", "step 3", "group 'bad'")


def test_cross_group_aliasing_is_refused():
    W = np.zeros((3, 3))
    opt = gd.Partition({"a": gd.SGD(0.1), "b": gd.Adam(0.1)}, label=["a", "b"])
    _refused(opt, [W, W[0]], [np.ones((3, 3)), np.ones(3)], ValueError, "params[0] and params[1] share memory")


def test_a_gradient_that_is_another_groups_parameter_is_read_before_the_update():
    A, B = np.ones(2), np.full(2, 3.0)
    opt = gd.Partition({"a": gd.SGD(0.5), "b": gd.SGD(0.5)}, label=["a", "b"])
    opt.step([A, B], [B, A])                      # A's gradient is B, B's is A: both read before either moves
    np.testing.assert_array_equal(A, [-0.5, -0.5])
    np.testing.assert_array_equal(B, [2.5, 2.5])


@pytest.mark.parametrize("label, exc, words", [
    (["muon", "adamw"], ValueError, ["4 arrays", "labels cover 2"]),
    (lambda x: "mu0n", ValueError, ["label(params[0]) returned 'mu0n'", "'muon', 'adamw'"]),
    (lambda x: 2, TypeError, ["label(params[0]) returned 2", "must be a str"]),
])
def test_bad_labels_at_the_first_step(label, exc, words):
    params, grads = _problem()
    opt = gd.Partition({"muon": gd.Muon(), "adamw": gd.AdamW()}, label=label)
    _refused(opt, params, grads[0], exc, *words)


def test_later_steps_keep_the_first_structure():
    params, grads = _problem()
    opt = _partition()
    opt.step(params, grads[0])
    _refused(opt, params[:3], grads[1][:3], ValueError, "3 arrays", "labels cover 4")
    _refused(opt, params, grads[1][:3], ValueError, "3 gradient arrays for 4 params")
    _refused(opt, [params[0], np.ones(4), params[2], params[3]], grads[1], ValueError, "params[1]", "group 'adamw'")
    _refused(opt, params, [grads[1][0], grads[1][1], grads[1][2], np.array([None] * 5)], TypeError, "grads[3]")
    _refused(opt, params[0], grads[1][0], ValueError, "1 arrays")
    _refused(opt, 3.0, 3.0, TypeError, "params")
    _refused(opt, params, np.ones(3), TypeError, "grads")


def test_float16_eps_is_refused_in_its_group_only():
    W, b = np.ones((2, 2), np.float16), np.ones(2, np.float16)
    opt = gd.Partition({"muon": gd.Muon(0.1), "adamw": gd.AdamW(0.1)}, label=["muon", "adamw"])
    _refused(opt, [W, b], [np.ones((2, 2)), np.ones(2)], ValueError, "eps", "params[1]", "group 'adamw'")
    opt = gd.Partition({"muon": gd.Muon(0.1), "adamw": gd.AdamW(0.1, eps=1e-4)}, label=["muon", "adamw"])
    opt.step([W, b], [np.ones((2, 2)), np.ones(2)])
    assert W.dtype == b.dtype == np.float16 and opt.state[1]["v"].dtype == np.float16


@pytest.mark.parametrize("kwargs, exc, words", [
    (dict(optimizers=[gd.SGD(0.1)], label=["a"]), TypeError, ["optimizers", "must be a dict"]),
    (dict(optimizers={}, label=["a"]), ValueError, ["optimizers", "at least one"]),
    (dict(optimizers={1: gd.SGD(0.1)}, label=[1]), TypeError, ["optimizers", "key 1"]),
    (dict(optimizers={"a": gd.SGD}, label=["a"]), TypeError, ["optimizers['a']", "object"]),
    (dict(optimizers={"a": "sgd"}, label=["a"]), TypeError, ["optimizers['a']"]),
    (dict(optimizers={"a": gd.Partition({"b": gd.SGD(0.1)}, ["b"])}, label=["a"]), TypeError, ["optimizers['a']"]),
    (dict(optimizers={"a": gd.SGD(0.1)}, label="a"), TypeError, ["label", "list/tuple"]),
    (dict(optimizers={"a": gd.SGD(0.1)}, label=None), TypeError, ["label"]),
    (dict(optimizers={"a": gd.SGD(0.1)}, label=["a", "b"]), ValueError, ["label[1]: 'b'", "'a'"]),
    (dict(optimizers={"a": gd.SGD(0.1)}, label=["a", None]), TypeError, ["label[1]: None"]),
])
def test_constructor_refuses_by_name(kwargs, exc, words):
    with pytest.raises(exc) as info:
        gd.Partition(**kwargs)
    for w in words:
        assert w in str(info.value), (w, str(info.value))


def test_one_optimizer_twice_or_already_used_is_refused_and_left_alone():
    opt = gd.Adam(0.1)
    with pytest.raises(ValueError, match="'a' and 'b' are the same object"):
        gd.Partition({"a": opt, "b": opt}, label=["a", "b"])
    x = np.ones(2)
    opt.step(x, np.ones(2))
    with pytest.raises(ValueError, match=r"optimizers\['a'\]: has taken 1 steps"):
        gd.Partition({"a": opt}, label=["a"])
    assert opt.t == 1


def test_an_optimizer_that_needs_the_objective_is_refused():
    class NeedsF(gd.SGD):
        needs_objective = True       # as gd.Newton and gd.LBFGS: their step needs f, not only grads
    with pytest.raises(ValueError, match=r"optimizers\['n'\]: NeedsF needs the objective"):
        gd.Partition({"n": NeedsF(0.1)}, label=["n"])


# ---------------------------------------------------------------------------------- with gd.train
def test_train_with_a_partition_of_one_optimizer_equals_that_optimizer():
    X, y = gd.blobs(n_per_class=30, seed=1)
    a, b = gd.MLP([2, 8, 3], seed=0), gd.MLP([2, 8, 3], seed=0)
    ha = gd.train(a, X, y, gd.Adam(0.01), epochs=3, batch_size=16, seed=2)
    hb = gd.train(b, X, y, gd.Partition({"adam": gd.Adam(0.01)}, label=lambda x: "adam"),
                  epochs=3, batch_size=16, seed=2)
    assert ha == hb
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p, q)


def test_train_muon_on_hidden_matrices_adamw_on_the_rest():
    X, y = gd.spiral(n_per_class=40, seed=0)
    model = gd.MLP([2, 32, 32, 3], seed=0)
    labels = ["muon", "adamw", "muon", "adamw", "adamw", "adamw"]      # W1 b1 W2 b2 W3 b3: hidden W2 only...
    labels[0] = "adamw"                                                  # ...W1 (2 x 32, input) to AdamW too
    opt = gd.Partition({"muon": gd.Muon(0.02), "adamw": gd.AdamW(0.01)}, label=labels)
    hist = gd.train(model, X, y, opt, epochs=30, batch_size=32)
    assert hist["loss"][-1] < 0.5 * hist["loss"][0]
    assert opt.optimizers["muon"].t == opt.optimizers["adamw"].t == opt.t == 30 * 4
    assert [p.shape for p, lab in zip(model.parameters(), opt.labels) if lab == "muon"] == [(32, 32)]


def test_train_refuses_a_schedule_that_fails_later_before_moving_the_model():
    X, y = gd.blobs(n_per_class=30, seed=1)
    model = gd.MLP([2, 8, 3], seed=0)
    before = [p.copy() for p in model.parameters()]
    opt = gd.Partition({"muon": gd.Muon(lambda k: 0.02 if k < 5 else -1.0), "adamw": gd.AdamW(0.01)},
                       label=lambda x: "muon" if x.ndim == 2 else "adamw")
    with pytest.raises(ValueError, match="step 5"):
        gd.train(model, X, y, opt, epochs=2, batch_size=16)
    for p, q in zip(model.parameters(), before):
        np.testing.assert_array_equal(p, q)
    assert opt.t == 0 and opt.labels is None


def test_repr_and_hyperparameters():
    opt = gd.Partition({"a": gd.SGD(0.1)}, label=["a"])
    assert repr(opt) == "Partition(optimizers={'a': SGD(learning_rate=0.1)}, label=['a'])"
    assert opt.hyperparameters["label"] == ["a"]


# ---------------------------------------------------------------------------------- with gd.Averaged
def test_an_averaged_group_averages_its_arrays_and_is_checked_before_any_group_moves():
    params, grads = _problem()
    mine = [p.copy() for p in params]
    opt = gd.Partition({"muon": gd.Muon(learning_rate=0.05), "avg": gd.Averaged(gd.AdamW(learning_rate=0.01))},
                       label=["muon", "avg", "muon", "avg"])
    muon, adamw = gd.Muon(learning_rate=0.05), gd.AdamW(learning_rate=0.01)
    seen = []
    for g in grads[:10]:
        opt.step(mine, g)
        muon.step([params[0], params[2]], [g[0], g[2]])
        adamw.step([params[1], params[3]], [g[1], g[3]])
        seen.append([params[1].copy(), params[3].copy()])
    for a, b in zip(mine, params):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(opt.state[3]["x_avg"], np.mean([s[1] for s in seen], axis=0), rtol=1e-13)
    assert set(opt.state[1]) == {"m", "v", "t", "x_avg"} and "x_avg" not in opt.state[0]
    # the Averaged group refuses a dtype it does not average in, before the Muon group moves
    bad = [mine[0], mine[1].astype(np.float32), mine[2], mine[3]]
    _refused(opt, bad, grads[10], ValueError, "params[1]", "dtype float32", "group 'avg'")
    # and the Muon group's refusal leaves the averages alone
    avg_before = opt.optimizers["avg"].averaged_params()
    with pytest.raises(ValueError, match="group 'muon'"):
        opt.step(mine, [np.ones((4, 4))] + grads[10][1:])
    for a, b in zip(opt.optimizers["avg"].averaged_params(), avg_before):
        np.testing.assert_array_equal(a, b)
    assert opt.optimizers["avg"].n_averaged == 10


def test_an_averaged_partition_cannot_be_a_group():
    inner = gd.Partition({"a": gd.SGD(0.1)}, label=["a"])
    with pytest.raises(TypeError, match=r"optimizers\['g'\]: averages a Partition"):
        gd.Partition({"g": gd.Averaged(inner)}, label=["g"])


@pytest.mark.parametrize("wrap", [lambda o: o, gd.Averaged])
def test_a_failing_mu_schedule_in_one_group_refuses_the_step_before_the_other_moves(wrap):
    """Momentum and Nesterov validate a mu schedule's values inside their own step: the Partition asks for
    them in its pre-check, or the Adam group would move before the Momentum group refuses."""
    params, grads = _problem()
    # Momentum's step k reads mu(k); Nesterov's also mu(k + 1) for its look-ahead: mu(3) = 1.5 is met
    # at step 3 and at step 2
    for cls, fails_at in ((gd.Momentum, 3), (gd.Nesterov, 2)):
        opt = gd.Partition({"ok": gd.Adam(0.01), "bad": wrap(cls(0.1, mu=lambda k: 0.9 if k < 3 else 1.5))},
                           label=["ok", "ok", "bad", "bad"])
        for k in range(fails_at):
            opt.step(params, grads[k])
        _refused(opt, params, grads[fails_at], ValueError, "mu", "schedule returned 1.5 at step 3", "group 'bad'")
        assert opt.t == fails_at
