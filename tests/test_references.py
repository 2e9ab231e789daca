"""gdlib against torch.optim and torch.autograd, through the files `make references` recorded.

``tools/make_references.py`` (needs torch; ``make references``) ran every ``torch.optim``
optimizer gdlib also has for 300 float64 steps on Rosenbrock from (-1.2, 1) and on an
ill-conditioned rotated quadratic, with gdlib's hyperparameters translated to torch's
(recorded in each file's ``meta``), and recorded ``torch.autograd`` gradients of a small MLP.
These tests need no torch: they run gdlib and compare with the files, so ``make test``
compares everywhere and skips nothing.

Each run is compared over the ``n_compare`` steps recorded with it: the steps where an
independent plain-numpy transcription of the textbook lines also reproduces torch to 1e-12.
Past that point a run is chaotic (rounding amplified), and no implementation of the same
formula can be expected to follow torch's digits. Every optimizer's main run is compared over
all 300 steps; the extra run ``adadelta_defaults`` (Adadelta's defaults on Rosenbrock) is cut
at step 220 and shows that the cut is needed. The tolerance is 1e-10 relative (max-norm of x).
"""
import json
import pathlib

import numpy as np
import pytest

import gdlib as gd
from gdlib.optim import OPTIMIZERS, get_optimizer

REFS = pathlib.Path(__file__).resolve().parent / "references"
RTOL = 1e-10
PROBLEMS = ("rosenbrock", "quadratic")
# every gdlib optimizer torch.optim has (torch's class in the file's meta)
TORCH_OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "amsgrad",
                    "adadelta", "adamax", "nadam", "radam", "rprop")


def load(problem):
    z = np.load(REFS / f"optim_{problem}.npz", allow_pickle=False)
    return z, json.loads(str(z["meta"]))


def test_files_hold_every_torch_optimizer_with_its_provenance():
    for problem in PROBLEMS:
        z, meta = load(problem)
        assert set(TORCH_OPTIMIZERS) <= set(meta["optimizers"]), problem
        assert set(TORCH_OPTIMIZERS) <= set(OPTIMIZERS)
        assert meta["torch_version"] and meta["steps"] == 300 and meta["dtype"] == "float64"
        for label, m in meta["optimizers"].items():
            assert m["optimizer"] in TORCH_OPTIMIZERS and (label == m["optimizer"] or label not in OPTIMIZERS)
            assert z[f"{label}/x"].shape == (301, 2) and z[f"{label}/x"].dtype == np.float64
            assert z[f"{label}/grad"].shape == (300, 2)
            assert m["torch_class"].startswith("torch.optim.") and m["torch_kwargs"]["lr"] == m["gdlib"]["learning_rate"]
            # every optimizer's main run is compared over all 300 steps; an extra run documents a cut
            assert m["n_compare"] == 300 if label in TORCH_OPTIMIZERS else 200 <= m["n_compare"] < 300, label
            # the run went somewhere (not a no-op) and stayed bounded
            x = z[f"{label}/x"]
            assert np.abs(x[-1] - x[0]).max() > 0.1 and np.abs(x).max() < 100, (problem, label)
    assert sum(f.stat().st_size for f in REFS.glob("*.npz")) < 400_000


def gdlib_problem(problem, meta, z):
    if problem == "rosenbrock":
        f = gd.Rosenbrock()
        np.testing.assert_array_equal(f.x0, meta["x0"])
        return f
    f = gd.Quadratic(condition_number=meta["condition_number"], angle=meta["angle"], center=meta["center"])
    np.testing.assert_allclose(f.A, z["A"], rtol=1e-15, atol=0)   # the problem torch ran
    return f


def run_gdlib(f, name, hyper, x0, steps):
    opt = get_optimizer(name, **hyper)
    x = np.array(x0, dtype=np.float64)
    xs = [x.copy()]
    for _ in range(steps):
        opt.step(x, f.grad(x))
        xs.append(x.copy())
    return np.array(xs)


def rel_dev(a, b):
    return np.max(np.abs(a - b), axis=-1) / np.max(np.abs(b), axis=-1)


@pytest.mark.parametrize("problem", PROBLEMS)
@pytest.mark.parametrize("name", TORCH_OPTIMIZERS)
def test_follows_torch_optim_trajectory(problem, name):
    z, meta = load(problem)
    m = meta["optimizers"][name]
    f = gdlib_problem(problem, meta, z)
    n = m["n_compare"]
    assert n == 300
    xs = run_gdlib(f, name, m["gdlib"], meta["x0"], n)
    ref = z[f"{name}/x"][: n + 1]
    dev = rel_dev(xs, ref)
    worst = int(np.argmax(dev))
    assert dev.max() <= RTOL, (f"{name} on {problem} left torch.optim's trajectory at step {worst}: "
                               f"{xs[worst]} vs {ref[worst]} (relative {dev.max():.2e})")


@pytest.mark.parametrize("problem", PROBLEMS)
def test_test_function_gradients_match_torch_autograd(problem):
    """gdlib's analytic gradients at the recorded iterates, against torch.autograd's."""
    z, meta = load(problem)
    f = gdlib_problem(problem, meta, z)
    for label in meta["optimizers"]:
        xs, grads = z[f"{label}/x"][:-1], z[f"{label}/grad"]
        scale = np.max(np.abs(grads), axis=-1, keepdims=True)
        np.testing.assert_allclose(f.grad(xs) / scale, grads / scale, rtol=0, atol=1e-12, err_msg=label)


def test_cut_is_where_rounding_is_amplified():
    """The cut run (Adadelta's defaults on Rosenbrock) follows torch up to its cut, then parts: the cut is needed."""
    z, meta = load("rosenbrock")
    m = meta["optimizers"]["adadelta_defaults"]
    assert m["optimizer"] == "adadelta" and m["n_compare"] < 300
    xs = run_gdlib(gd.Rosenbrock(), "adadelta", m["gdlib"], meta["x0"], 300)
    dev = rel_dev(xs, z["adadelta_defaults/x"])
    assert dev[: m["n_compare"] + 1].max() <= RTOL
    assert dev.max() > 1e3 * dev[: m["n_compare"] + 1].max()


def test_a_wrong_optimizer_would_fail():
    """The comparison can fail: Adam's trajectory is not AMSGrad's, NAdam's is not Adam's."""
    z, meta = load("quadratic")
    f = gdlib_problem("quadratic", meta, z)
    for name, other in (("adam", "amsgrad"), ("nadam", "adam"), ("momentum", "nesterov"), ("adamax", "adam")):
        xs = run_gdlib(f, name, meta["optimizers"][name]["gdlib"], meta["x0"], 300)
        assert rel_dev(xs, z[f"{other}/x"]).max() > 1e-4, (name, other)


# -------------------------------------------------------------------------- autograd
def test_mlp_gradients_match_torch_autograd():
    from gdlib.autograd import Tensor
    from gdlib.losses import tensor_softmax_cross_entropy

    z = np.load(REFS / "autograd.npz", allow_pickle=False)
    leaves = {k: Tensor(z[k].copy(), label=k) for k in ("X", "W1", "b1", "W2", "b2")}
    h = (leaves["X"] @ leaves["W1"] + leaves["b1"]).relu()
    loss = tensor_softmax_cross_entropy(h @ leaves["W2"] + leaves["b2"], z["y"])
    loss.backward()
    np.testing.assert_allclose(loss.item(), float(z["mlp_loss"]), rtol=1e-13)
    for k, t in leaves.items():
        np.testing.assert_allclose(t.grad, z[f"mlp_grad_{k}"], rtol=1e-12, atol=1e-15, err_msg=k)


def test_elementwise_gradients_match_torch_autograd():
    from gdlib.autograd import Tensor

    z = np.load(REFS / "autograd.npz", allow_pickle=False)
    x = Tensor(z["elementwise_x"].copy())
    out = (x.tanh() * x.sigmoid() + (x / 3).exp() + (x * x + 1).log()).sum()
    out.backward()
    np.testing.assert_allclose(out.item(), float(z["elementwise_value"]), rtol=1e-13)
    np.testing.assert_allclose(x.grad, z["elementwise_grad"], rtol=1e-12, atol=1e-15)


# -------------------------------------------------------------------------- L-BFGS
def _lbfgs_file():
    z = np.load(REFS / "lbfgs.npz", allow_pickle=False)
    return z, json.loads(str(z["meta"]))


def _lbfgs_problem(meta, z, problem):
    p = meta["problems"][problem]
    if problem == "rosenbrock":
        return gd.Rosenbrock(), np.array(p["x0"])
    f = gd.Quadratic(condition_number=p["condition_number"], angle=p["angle"], center=p["center"])
    np.testing.assert_allclose(f.A, z["A"], rtol=1e-15, atol=0)   # the problem torch ran
    return f, np.array(p["x0"])


@pytest.mark.parametrize("label", ["rosenbrock_wolfe", "rosenbrock_wolfe_m2", "rosenbrock_fixed", "quadratic_wolfe",
                                   "quadratic_wolfe_m1", "quadratic_fixed"])
def test_lbfgs_follows_torch_optim_lbfgs(label):
    """gd.LBFGS, run by gd.minimize, against torch.optim.LBFGS(max_iter=1, max_eval=26, ...) stepped once
    per iteration (tools/make_references.py, lbfgs_references): the same iterates to 1e-10 (relative) over
    300 steps or until torch's gradient vanished, and the same number of line-search trial points each step."""
    z, meta = _lbfgs_file()
    run_meta = meta["runs"][label]
    assert meta["torch_class"] == "torch.optim.LBFGS" and meta["dtype"] == "float64"
    assert run_meta["torch_kwargs"]["max_iter"] == 1 and run_meta["torch_kwargs"]["lr"] == run_meta["gdlib"]["learning_rate"]
    f, x0 = _lbfgs_problem(meta, z, run_meta["problem"])
    ref, ref_ls = z[f"{label}/x"], z[f"{label}/ls_evals"]
    n = run_meta["n_steps"]
    assert len(ref) == n + 1 and (n == 300 or f(ref[-1]) < 1e-20), (label, n)   # 300 steps, or converged
    run = gd.minimize(f, x0, gd.LBFGS(**run_meta["gdlib"]), max_steps=n, tol=0)
    assert run.n_steps == n, run.message
    dev = rel_dev(run.x, ref)
    worst = int(np.argmax(dev))
    assert dev.max() <= RTOL, (f"gd.LBFGS left torch.optim.LBFGS's trajectory ({label}) at step {worst}: "
                               f"{run.x[worst]} vs {ref[worst]} (relative {dev.max():.2e})")
    np.testing.assert_array_equal(run.state["n_line_search_evals"].ravel(), ref_ls)
    # the runner's counts: the start, plus every trial point (the accepted one is not evaluated twice)
    assert run.n_function_evals == run.n_gradient_evals == 1 + int(ref_ls.sum()) + (0 if ref_ls.sum() else n)


def test_lbfgs_file_holds_line_search_and_fixed_step_runs():
    z, meta = _lbfgs_file()
    kinds = {(r["problem"], r["gdlib"]["line_search"]) for r in meta["runs"].values()}
    assert kinds == {(p, ls) for p in ("rosenbrock", "quadratic") for ls in ("strong_wolfe", None)}
    for label, r in meta["runs"].items():
        x = z[f"{label}/x"]
        assert np.abs(x[-1] - x[0]).max() > 0.01, label            # each run went somewhere
    # a wrong history size would not follow the file: the m=2 run differs from the m=10 one
    a, b = z["rosenbrock_wolfe/x"], z["rosenbrock_wolfe_m2/x"]
    assert rel_dev(a[:30], b[:30]).max() > 1e-3
