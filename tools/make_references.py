"""Record torch.optim reference trajectories into tests/references/ (``make references``).

Needs torch (not in the project's venv): ``make references`` runs this with ``PYTHON_TORCH``
(default ``/work/torchvenv/bin/python``), any Python with torch and numpy. ``make test`` never
runs it: the tests read the recorded files, so they compare gdlib with torch everywhere, with no
torch installed and nothing skipped.

For every optimizer gdlib shares with ``torch.optim`` it runs 300 steps in float64 on two
problems, with the gradient from ``torch.autograd``:

* ``rosenbrock``: :math:`(1-x)^2 + 100 (y - x^2)^2` from (-1.2, 1), gdlib's ``Rosenbrock()``;
* ``quadratic``: :math:`\\tfrac12 (x-c)^T A (x-c)`, eigenvalues 1 and 50 rotated by 0.5 rad,
  c = (1, -0.5), from (-1.5, 1), gdlib's ``Quadratic(condition_number=50, angle=0.5, center=c)``.

The torch hyperparameters are set to gdlib's definitions (see ``torch_optimizer``): torch's
Adagrad with ``initial_accumulator_value=0``, ``lr_decay=0`` and gdlib's ``eps``; RMSprop's
``alpha`` is gdlib's ``decay_rate`` (``momentum=0``, ``centered=False``); AMSGrad is
``Adam(amsgrad=True)`` (maximum of the uncorrected ``v``, as gdlib); momentum ``dampening=0``;
``foreach=False`` (the plain per-tensor loop) and ``torch.set_default_dtype(torch.float64)``,
so that torch's scalar state (NAdam's ``mu_product``, the step counters) is float64 too.

**The cut.** A chaotic run (a gradient crossing zero, RMSProp/Adadelta/Rprop dividing by a
tiny accumulator, a sign test) amplifies rounding, so two correct float64 implementations part
after some step. The script runs an independent third implementation, the textbook lines in
plain numpy (``numpy_run``) with the analytic gradient, and records ``n_compare``: the number of
steps over which numpy and torch agree to ``CUT_RTOL`` = 1e-12 (relative, max-norm of x). The
tests compare gdlib over those steps only, to 1e-10: a step past the cut is one where even
the plain numpy lines of the same formula do not reproduce torch's digits. The hyperparameters
below are chosen so that no main run is cut (all 300 steps compared); the extra run
``adadelta_defaults`` (Adadelta's defaults on Rosenbrock) is cut at step 220 and shows why.

Each file ``tests/references/optim_<problem>.npz`` holds, per run (labelled by the optimizer's
name, plus the extra runs of ``EXTRA``): ``<label>/x`` (301 x 2 iterates), ``<label>/grad``
(300 x 2 torch.autograd gradients at the first 300 iterates) and, in ``meta`` (a JSON string):
torch's version, the problem, and per run the gdlib optimizer, its hyperparameters, torch's class and keyword arguments, ``n_compare``, and the
numpy-vs-torch deviation over the compared steps. ``tests/references/autograd.npz`` holds
``torch.autograd`` gradients of small fixed expressions (see ``autograd_references``);
``tests/references/averaging.npz`` ``torch.optim.swa_utils.AveragedModel`` (SWA and EMA, with and
without a burn-in) beside SGD with momentum on a noisy least-squares problem (see ``averaging_references``).
``tests/references/lbfgs.npz`` ``torch.optim.LBFGS`` (strong-Wolfe line search and fixed step) stepped once
per iteration on both problems until converged (see ``lbfgs_references``).
"""
from __future__ import annotations

import argparse
import json
import math
import pathlib
import sys

import numpy as np

try:
    import torch
except ImportError:  # pragma: no cover - the message is the point
    sys.exit("make references needs torch: run it with PYTHON_TORCH=/path/to/python-with-torch "
             "(e.g. python3 -m venv /work/torchvenv && /work/torchvenv/bin/pip install torch==2.13.0 numpy)")

STEPS = 300
CUT_RTOL = 1e-12
OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "references"

# ------------------------------------------------------------------------------- problems
QUAD_KAPPA, QUAD_ANGLE, QUAD_CENTER = 50.0, 0.5, (1.0, -0.5)


def quadratic_matrix():
    """gdlib's ``Quadratic(condition_number=50, angle=0.5)`` matrix: R diag(1, 50) R^T, symmetrised."""
    cs, sn = math.cos(QUAD_ANGLE), math.sin(QUAD_ANGLE)
    R = np.array([[cs, -sn], [sn, cs]])
    A = R @ np.diag([1.0, QUAD_KAPPA]) @ R.T
    return 0.5 * (A + A.T)


PROBLEMS = {
    "rosenbrock": dict(x0=(-1.2, 1.0)),
    "quadratic": dict(x0=(-1.5, 1.0), condition_number=QUAD_KAPPA, angle=QUAD_ANGLE, center=QUAD_CENTER),
}


def torch_value(problem, p):
    if problem == "rosenbrock":
        return (1.0 - p[0]) ** 2 + 100.0 * (p[1] - p[0] ** 2) ** 2
    A = torch.tensor(quadratic_matrix())
    d = p - torch.tensor(QUAD_CENTER)
    return 0.5 * d @ (A @ d)


def numpy_grad(problem, x):
    if problem == "rosenbrock":
        return np.array([-2.0 * (1.0 - x[0]) - 400.0 * x[0] * (x[1] - x[0] ** 2), 200.0 * (x[1] - x[0] ** 2)])
    return quadratic_matrix() @ (x - np.array(QUAD_CENTER))


# --------------------------------------------------------------------- hyperparameters
# gdlib's names and values; the same for both problems unless a problem overrides them.
# Chosen so that each run does something worth comparing in 300 steps (no divergence).
HYPER = {
    "sgd": dict(learning_rate=1e-3),
    "momentum": dict(learning_rate=2e-4, mu=0.9),
    "nesterov": dict(learning_rate=2e-4, mu=0.9),
    "adagrad": dict(learning_rate=0.1, eps=1e-7),
    "rmsprop": dict(learning_rate=1e-2, decay_rate=0.99, eps=1e-7),
    "adam": dict(learning_rate=2e-2, beta1=0.9, beta2=0.999, eps=1e-8),
    "adamw": dict(learning_rate=2e-2, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2),
    "amsgrad": dict(learning_rate=2e-2, beta1=0.9, beta2=0.999, eps=1e-8),
    "adadelta": dict(learning_rate=1.0, decay_rate=0.9, eps=1e-6),
    "adamax": dict(learning_rate=2e-2, beta1=0.9, beta2=0.999, eps=1e-8),
    "nadam": dict(learning_rate=2e-2, beta1=0.9, beta2=0.999, eps=1e-8, momentum_decay=4e-3),
    "radam": dict(learning_rate=2e-2, beta1=0.9, beta2=0.999, eps=1e-8),
    "rprop": dict(learning_rate=1e-2, eta_minus=0.5, eta_plus=1.2, step_min=1e-6, step_max=50.0),
}
OVERRIDES = {
    # RAdam's first 5 steps are not adapted (x -= learning_rate * m_hat): 2e-2 * |grad| ~ 4 at (-1.2, 1)
    # Adadelta's defaults are chaotic on Rosenbrock after ~220 steps (kept below as "adadelta_defaults")
    "rosenbrock": {"radam": dict(learning_rate=1e-3), "adadelta": dict(learning_rate=2.0)},
    "quadratic": {"sgd": dict(learning_rate=1e-2), "momentum": dict(learning_rate=5e-3, mu=0.9),
                  "nesterov": dict(learning_rate=5e-3, mu=0.9)},
}


# Extra runs, label -> (optimizer, hyperparameters): a chaotic one, to show (and test) the cut.
EXTRA = {
    "rosenbrock": {"adadelta_defaults": ("adadelta", dict(learning_rate=1.0, decay_rate=0.9, eps=1e-6))},
}


def hyper(problem, name):
    return {**HYPER[name], **OVERRIDES.get(problem, {}).get(name, {})}


def torch_optimizer(name, h, params):
    """``(optimizer, class name, kwargs)``: torch's optimizer set to gdlib's definition of ``name``."""
    lr = h["learning_rate"]
    betas = (h.get("beta1"), h.get("beta2"))
    table = {
        "sgd": ("SGD", dict(lr=lr, momentum=0.0)),
        "momentum": ("SGD", dict(lr=lr, momentum=h.get("mu"), dampening=0.0)),
        "nesterov": ("SGD", dict(lr=lr, momentum=h.get("mu"), dampening=0.0, nesterov=True)),
        "adagrad": ("Adagrad", dict(lr=lr, lr_decay=0.0, initial_accumulator_value=0.0, eps=h.get("eps"))),
        "rmsprop": ("RMSprop", dict(lr=lr, alpha=h.get("decay_rate"), eps=h.get("eps"), momentum=0.0,
                                    centered=False)),
        "adam": ("Adam", dict(lr=lr, betas=betas, eps=h.get("eps"), amsgrad=False)),
        "adamw": ("AdamW", dict(lr=lr, betas=betas, eps=h.get("eps"), weight_decay=h.get("weight_decay"))),
        "amsgrad": ("Adam", dict(lr=lr, betas=betas, eps=h.get("eps"), amsgrad=True)),
        "adadelta": ("Adadelta", dict(lr=lr, rho=h.get("decay_rate"), eps=h.get("eps"))),
        "adamax": ("Adamax", dict(lr=lr, betas=betas, eps=h.get("eps"))),
        "nadam": ("NAdam", dict(lr=lr, betas=betas, eps=h.get("eps"), momentum_decay=h.get("momentum_decay"))),
        "radam": ("RAdam", dict(lr=lr, betas=betas, eps=h.get("eps"))),
        "rprop": ("Rprop", dict(lr=lr, etas=(h.get("eta_minus"), h.get("eta_plus")),
                                step_sizes=(h.get("step_min"), h.get("step_max")))),
    }
    cls_name, kwargs = table[name]
    opt = getattr(torch.optim, cls_name)(params, foreach=False, **kwargs)
    return opt, cls_name, kwargs


def torch_run(problem, name, h):
    p = torch.tensor(PROBLEMS[problem]["x0"], dtype=torch.float64, requires_grad=True)
    opt, cls_name, kwargs = torch_optimizer(name, h, [p])
    xs, grads = [p.detach().numpy().copy()], []
    for _ in range(STEPS):
        opt.zero_grad()
        torch_value(problem, p).backward()
        grads.append(p.grad.detach().numpy().copy())
        opt.step()
        xs.append(p.detach().numpy().copy())
    return np.array(xs), np.array(grads), cls_name, kwargs


# ----------------------------------------------------- the textbook lines in plain numpy
def numpy_run(problem, name, h):
    """The update rules as the course writes them, fresh arrays each line: an independent third run."""
    x = np.array(PROBLEMS[problem]["x0"], dtype=float)
    z = np.zeros_like(x)
    s = dict(v=z.copy(), cache=z.copy(), m=z.copy(), v_max=z.copy(), u=z.copy(), delta_cache=z.copy(),
             step_size=np.full_like(x, h["learning_rate"]), dx_prev=z.copy(), mu_product=1.0)
    xs = [x.copy()]
    lr = h["learning_rate"]
    for t in range(1, STEPS + 1):
        dx = numpy_grad(problem, x)
        if name == "sgd":
            x = x - lr * dx
        elif name in ("momentum", "nesterov"):
            mu, v_prev = h["mu"], s["v"]
            s["v"] = mu * v_prev - lr * dx
            x = x + s["v"] if name == "momentum" else x - mu * v_prev + (1 + mu) * s["v"]
        elif name == "adagrad":
            s["cache"] = s["cache"] + dx ** 2
            x = x - lr * dx / (np.sqrt(s["cache"]) + h["eps"])
        elif name == "rmsprop":
            dr = h["decay_rate"]
            s["cache"] = dr * s["cache"] + (1 - dr) * dx ** 2
            x = x - lr * dx / (np.sqrt(s["cache"]) + h["eps"])
        elif name == "adadelta":
            rho, eps = h["decay_rate"], h["eps"]
            s["cache"] = rho * s["cache"] + (1 - rho) * dx ** 2
            delta = np.sqrt(s["delta_cache"] + eps) / np.sqrt(s["cache"] + eps) * dx
            s["delta_cache"] = rho * s["delta_cache"] + (1 - rho) * delta ** 2
            x = x - lr * delta
        elif name == "rprop":
            sign = np.sign(dx * s["dx_prev"])
            s["step_size"] = np.clip(s["step_size"] * np.where(sign > 0, h["eta_plus"],
                                                               np.where(sign < 0, h["eta_minus"], 1.0)),
                                     h["step_min"], h["step_max"])
            dx = np.where(sign < 0, 0.0, dx)
            x = x - np.sign(dx) * s["step_size"]
            s["dx_prev"] = dx
        else:
            b1, b2, eps = h["beta1"], h["beta2"], h["eps"]
            if name == "adamw":
                x = x - lr * h["weight_decay"] * x
            s["m"] = b1 * s["m"] + (1 - b1) * dx
            m_hat = s["m"] / (1 - b1 ** t)
            if name == "adamax":
                s["u"] = np.maximum(b2 * s["u"], np.abs(dx) + eps)
                x = x - lr * m_hat / s["u"]
                xs.append(x.copy())
                continue
            s["v"] = b2 * s["v"] + (1 - b2) * dx ** 2
            v_hat = s["v"] / (1 - b2 ** t)
            if name == "amsgrad":
                s["v_max"] = np.maximum(s["v_max"], s["v"])
                v_hat = s["v_max"] / (1 - b2 ** t)
            if name == "nadam":
                mu_of = lambda k: b1 * (1 - 0.5 * 0.96 ** (k * h["momentum_decay"]))  # noqa: E731
                mu, mu_next = mu_of(t), mu_of(t + 1)
                s["mu_product"] *= mu
                denom = np.sqrt(v_hat) + eps
                x = x - lr * (1 - mu) / (1 - s["mu_product"]) * dx / denom \
                      - lr * mu_next / (1 - s["mu_product"] * mu_next) * s["m"] / denom
            elif name == "radam":
                rho_inf = 2 / (1 - b2) - 1
                rho_t = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
                if rho_t > 5:
                    r = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                    x = x - lr * m_hat * r * math.sqrt(1 - b2 ** t) / (np.sqrt(s["v"]) + eps)
                else:
                    x = x - lr * m_hat
            else:
                x = x - lr * m_hat / (np.sqrt(v_hat) + eps)
        xs.append(x.copy())
    return np.array(xs)


def rel_dev(a, b):
    """Per step: ``max|a - b| / max|b|`` over the coordinates (relative, max-norm)."""
    return np.max(np.abs(a - b), axis=-1) / np.maximum(np.max(np.abs(b), axis=-1), 1e-300)


# --------------------------------------------------------------------------- autograd
def autograd_references():
    """``torch.autograd`` gradients of small fixed expressions that gdlib.autograd also builds."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6, 4))
    W1, b1 = rng.normal(size=(4, 5)) * 0.5, rng.normal(size=5) * 0.1
    W2, b2 = rng.normal(size=(5, 3)) * 0.5, rng.normal(size=3) * 0.1
    y = np.array([0, 2, 1, 1, 0, 2])
    out = {"X": X, "W1": W1, "b1": b1, "W2": W2, "b2": b2, "y": y}
    t = {k: torch.tensor(v, requires_grad=k != "y") if k != "y" else torch.tensor(v)
         for k, v in out.items()}
    # a two-layer MLP with ReLU, mean softmax cross-entropy
    h = torch.relu(t["X"] @ t["W1"] + t["b1"])
    loss = torch.nn.functional.cross_entropy(h @ t["W2"] + t["b2"], t["y"])
    loss.backward()
    out["mlp_loss"] = np.array(loss.item())
    for k in ("X", "W1", "b1", "W2", "b2"):
        out[f"mlp_grad_{k}"] = t[k].grad.numpy().copy()
    # elementwise functions: sum of tanh(x) * sigmoid(x) + exp(x / 3) + log(x^2 + 1), at fixed points
    xv = np.linspace(-3.0, 3.0, 13)
    x = torch.tensor(xv, requires_grad=True)
    z = (torch.tanh(x) * torch.sigmoid(x) + torch.exp(x / 3) + torch.log(x * x + 1)).sum()
    z.backward()
    out["elementwise_x"], out["elementwise_value"] = xv, np.array(z.item())
    out["elementwise_grad"] = x.grad.numpy().copy()
    meta = {"torch_version": torch.__version__, "numpy_version": np.__version__,
            "mlp": "loss = cross_entropy(relu(X @ W1 + b1) @ W2 + b2, y), mean over the batch",
            "elementwise": "sum(tanh(x) * sigmoid(x) + exp(x / 3) + log(x**2 + 1))"}
    out["meta"] = np.array(json.dumps(meta))
    return out


# --------------------------------------------------------------------------- Muon (matrices, bfloat16)
MUON_SETTINGS = {"lr": 0.02, "momentum": 0.95, "nesterov": True, "ns_steps": 5, "eps": 1e-7, "weight_decay": 0.0}


def muon_references():
    """``torch.optim.Muon`` on three matrices (tall, wide, square) for 10 steps of fixed random gradients.

    torch runs Newton-Schulz in bfloat16 (8 significant bits), so gdlib's float64 Muon follows these
    trajectories to about 1e-2, not to rounding; tests/test_lion_muon.py says so and checks it.
    """
    out = {}
    for shape in ((8, 5), (5, 8), (16, 16)):
        rng = np.random.default_rng(3)
        W0 = rng.normal(size=shape)
        grads = np.stack([rng.normal(size=shape) for _ in range(10)])
        p = torch.nn.Parameter(torch.tensor(W0))
        opt = torch.optim.Muon([p], **MUON_SETTINGS)
        xs = [W0.copy()]
        for g in grads:
            p.grad = torch.tensor(g)
            opt.step()
            xs.append(p.detach().numpy().copy())
        key = f"{shape[0]}x{shape[1]}"
        out[f"{key}/W"], out[f"{key}/grad"] = np.stack(xs), grads
    meta = {"torch_version": torch.__version__, "numpy_version": np.__version__, "torch_kwargs": MUON_SETTINGS,
            "newton_schulz_dtype": "bfloat16 (torch casts the update before the iteration)"}
    out["meta"] = np.array(json.dumps(meta))
    return out


# --------------------------------------------------------------------------- iterate averaging
AVERAGING_STEPS, AVERAGING_LR, AVERAGING_MOMENTUM, AVERAGING_BATCH = 100, 0.05, 0.9, 4
#: label -> (gdlib's Averaged keywords, how torch's AveragedModel is built): every averaging function torch has
AVERAGING_RUNS = {
    "swa": (dict(mode="polyak", start=0), "AveragedModel(model)"),
    "swa_start30": (dict(mode="polyak", start=30), "AveragedModel(model), updated when k >= 30"),
    "ema_multi": (dict(mode="ema", decay_rate=0.95, start=0),
                  "AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.95))"),
    "ema_avg_fn": (dict(mode="ema", decay_rate=0.95, start=0), "AveragedModel(model, avg_fn=get_ema_avg_fn(0.95))"),
    "ema_start30": (dict(mode="ema", decay_rate=0.9, start=30),
                    "AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9)), updated when k >= 30"),
}


def averaging_references():
    """``torch.optim.swa_utils.AveragedModel`` beside ``torch.optim.SGD(momentum=0.9)`` on noisy least squares.

    A model with two parameters (``W`` 3x2, ``b`` 2), the loss ``0.5 * mean((X_B @ W + b - Y_B)**2)`` over a
    minibatch ``B`` of 4 of 20 fixed rows drawn afresh each step (indices recorded), 100 steps. Per run of
    :data:`AVERAGING_RUNS` it records the averaged ``W`` and ``b`` after every step and ``n_averaged``;
    the iterates and torch.autograd gradients are recorded once (the averaging does not change them).
    """
    from torch.optim.swa_utils import AveragedModel, get_ema_avg_fn, get_ema_multi_avg_fn

    rng = np.random.default_rng(7)
    X, Y = rng.normal(size=(20, 3)), rng.normal(size=(20, 2))
    W0, b0 = rng.normal(size=(3, 2)), rng.normal(size=2)
    batches = np.stack([rng.choice(20, size=AVERAGING_BATCH, replace=False)
                        for _ in range(AVERAGING_STEPS)]).astype(np.int16)
    out = {"X": X, "Y": Y, "W0": W0, "b0": b0, "batches": batches}

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.W = torch.nn.Parameter(torch.tensor(W0))
            self.b = torch.nn.Parameter(torch.tensor(b0))

    makers = {
        "swa": lambda m: AveragedModel(m),
        "swa_start30": lambda m: AveragedModel(m),
        "ema_multi": lambda m: AveragedModel(m, multi_avg_fn=get_ema_multi_avg_fn(0.95)),
        "ema_avg_fn": lambda m: AveragedModel(m, avg_fn=get_ema_avg_fn(0.95)),
        "ema_start30": lambda m: AveragedModel(m, multi_avg_fn=get_ema_multi_avg_fn(0.9)),
    }
    Xt, Yt = torch.tensor(X), torch.tensor(Y)
    for label, (gd_kwargs, _) in AVERAGING_RUNS.items():
        model = Model()
        opt = torch.optim.SGD(model.parameters(), lr=AVERAGING_LR, momentum=AVERAGING_MOMENTUM, dampening=0.0,
                              foreach=False)
        averaged = makers[label](model)
        Ws, bs, gWs, gbs, aW, ab, n = [W0.copy()], [b0.copy()], [], [], [], [], []
        for k in range(AVERAGING_STEPS):
            opt.zero_grad()
            idx = torch.tensor(batches[k].astype(np.int64))
            (0.5 * ((Xt[idx] @ model.W + model.b - Yt[idx]) ** 2).mean()).backward()
            gWs.append(model.W.grad.numpy().copy())
            gbs.append(model.b.grad.numpy().copy())
            opt.step()
            if k >= gd_kwargs["start"]:
                averaged.update_parameters(model)
            Ws.append(model.W.detach().numpy().copy())
            bs.append(model.b.detach().numpy().copy())
            aW.append(averaged.module.W.detach().numpy().copy())
            ab.append(averaged.module.b.detach().numpy().copy())
            n.append(int(averaged.n_averaged))
        if label == "swa":
            out["W"], out["b"], out["grad_W"], out["grad_b"] = map(np.stack, (Ws, bs, gWs, gbs))
        else:   # the same iterates in every run: the averaging only reads them
            assert np.array_equal(np.stack(Ws), out["W"]) and np.array_equal(np.stack(bs), out["b"]), label
        out[f"{label}/W_avg"], out[f"{label}/b_avg"], out[f"{label}/n_averaged"] = np.stack(aW), np.stack(ab), np.array(n, dtype=np.int16)
    meta = {"torch_version": torch.__version__, "numpy_version": np.__version__, "steps": AVERAGING_STEPS,
            "optimizer": {"gdlib": "Momentum", "learning_rate": AVERAGING_LR, "mu": AVERAGING_MOMENTUM,
                          "torch": f"torch.optim.SGD(lr={AVERAGING_LR}, momentum={AVERAGING_MOMENTUM}, "
                                   "dampening=0, foreach=False)"},
            "loss": "0.5 * mean((X[B] @ W + b - Y[B])**2), B = batches[k] at step k",
            "runs": {label: {"gdlib": kw, "torch": how} for label, (kw, how) in AVERAGING_RUNS.items()}}
    out["meta"] = np.array(json.dumps(meta, indent=1))
    return out


# --------------------------------------------------------------------------- L-BFGS (Newton: torch has none)
#: label -> (problem, gdlib LBFGS keywords): the line search and the fixed step, a full and a short history
LBFGS_RUNS = {
    "rosenbrock_wolfe": ("rosenbrock", dict(learning_rate=1.0, history_size=10, line_search="strong_wolfe")),
    "rosenbrock_wolfe_m2": ("rosenbrock", dict(learning_rate=1.0, history_size=2, line_search="strong_wolfe")),
    "rosenbrock_fixed": ("rosenbrock", dict(learning_rate=1e-3, history_size=10, line_search=None)),
    "quadratic_wolfe": ("quadratic", dict(learning_rate=1.0, history_size=10, line_search="strong_wolfe")),
    "quadratic_wolfe_m1": ("quadratic", dict(learning_rate=1.0, history_size=1, line_search="strong_wolfe")),
    "quadratic_fixed": ("quadratic", dict(learning_rate=0.05, history_size=5, line_search=None)),
}
# Not recorded, because rounding is amplified (chaotic runs that no two float64 implementations follow to
# 1e-10, though every line search takes the same trial points in both): a trial step learning_rate < 1 with the
# line search (quadratic, 0.3: y = g_{k+1} - g_k is a difference of nearly equal gradients and a rounding
# difference grows about 5 times a step from step 18, 4e-5 apart at step 34; Rosenbrock, 0.5: 1e-9 at step 37),
# and the fixed step 1e-2 on Rosenbrock (4e-5 apart by step 292).
#: a run is recorded until the gradient's max-norm falls below this ("until converged"), at most STEPS steps
LBFGS_CONVERGED = 1e-12


def lbfgs_references():
    """``torch.optim.LBFGS`` stepped once per iteration, float64, on both problems (``lbfgs.npz``).

    ``LBFGS(lr, max_iter=1, max_eval=26, history_size, line_search_fn, tolerance_grad=0,
    tolerance_change=0)``: one L-BFGS iteration per ``step(closure)`` (its state, history and
    previous gradient carry over between calls, so the iterates are those of one long run), a line
    search of up to 25 trial points (the default ``max_eval = max_iter * 5 // 4`` would leave a
    single-iteration step 0 trial points), and no stopping test of torch's own: gdlib leaves
    stopping to ``gd.minimize``'s ``tol``. Per run: ``<label>/x`` the iterates (up to 301 x 2),
    ``<label>/ls_evals`` the line search's trial points per step (torch's ``func_evals`` minus the
    closure's own evaluation at the start of each step).
    """
    out, runs = {}, {}
    for label, (problem, kw) in LBFGS_RUNS.items():
        p = torch.tensor(PROBLEMS[problem]["x0"], dtype=torch.float64, requires_grad=True)
        kwargs = dict(lr=kw["learning_rate"], max_iter=1, max_eval=26, history_size=kw["history_size"],
                      line_search_fn=kw["line_search"], tolerance_grad=0.0, tolerance_change=0.0)
        opt = torch.optim.LBFGS([p], **kwargs)

        def closure():
            opt.zero_grad()
            loss = torch_value(problem, p)
            loss.backward()
            return loss

        xs, ls_evals = [p.detach().numpy().copy()], []
        for _ in range(STEPS):
            with torch.enable_grad():
                closure()
            if float(p.grad.abs().max()) <= LBFGS_CONVERGED:
                break
            before = opt.state[p].get("func_evals", 0)
            opt.step(closure)
            ls_evals.append(opt.state[p]["func_evals"] - before - 1)
            xs.append(p.detach().numpy().copy())
        xs = np.array(xs)
        if not np.all(np.isfinite(xs)) or np.abs(xs).max() > 100:
            sys.exit(f"lbfgs {label}: torch's run diverged: choose other hyperparameters")
        out[f"{label}/x"], out[f"{label}/ls_evals"] = xs, np.array(ls_evals, dtype=np.int64)
        runs[label] = {"problem": problem, "gdlib": kw, "torch_kwargs": kwargs, "n_steps": len(xs) - 1,
                       "x_final": xs[-1].tolist()}
        print(f"lbfgs {label:22s} {len(xs) - 1:3d} steps, x = ({xs[-1][0]: .12f}, {xs[-1][1]: .12f}), "
              f"{int(np.sum(ls_evals))} line-search evaluations")
    meta = {"torch_version": torch.__version__, "numpy_version": np.__version__, "dtype": "float64",
            "torch_class": "torch.optim.LBFGS", "steps": STEPS, "converged_grad_max": LBFGS_CONVERGED,
            "problems": {k: dict(v) for k, v in PROBLEMS.items()}, "runs": runs}
    out["A"] = quadratic_matrix()
    out["meta"] = np.array(json.dumps(meta, indent=1))
    return out


def check(folder):
    """Re-run torch on every recorded setting and compare with the files (to 1e-12 relative)."""
    worst = 0.0
    for problem in PROBLEMS:
        z = np.load(folder / f"optim_{problem}.npz", allow_pickle=False)
        meta = json.loads(str(z["meta"]))
        for label, m in meta["optimizers"].items():
            xs, _, _, _ = torch_run(problem, m["optimizer"], m["gdlib"])
            worst = max(worst, float(rel_dev(xs, z[f"{label}/x"]).max()))
    print(f"torch {torch.__version__} against the files recorded with torch "
          f"{meta['torch_version']}: max relative deviation {worst:.1e}")
    return 0 if worst <= 1e-12 else 1


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=pathlib.Path, default=OUT)
    parser.add_argument("--check", action="store_true",
                        help="write nothing: re-run torch and compare with the recorded files (exit 1 if they differ)")
    args = parser.parse_args(argv)
    torch.set_default_dtype(torch.float64)
    if args.check:
        return check(args.out)
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"torch {torch.__version__}, numpy {np.__version__}; {STEPS} steps, float64")
    for problem in PROBLEMS:
        arrays, meta = {}, {"torch_version": torch.__version__, "numpy_version": np.__version__,
                            "problem": problem, "steps": STEPS, "cut_rtol": CUT_RTOL, "dtype": "float64",
                            "optimizers": {}, **{k: v for k, v in PROBLEMS[problem].items()}}
        if problem == "quadratic":
            arrays["A"] = quadratic_matrix()
        runs = {name: (name, hyper(problem, name)) for name in HYPER}
        runs.update(EXTRA.get(problem, {}))
        for label, (name, h) in runs.items():
            xs, grads, cls_name, kwargs = torch_run(problem, name, h)
            if not np.all(np.abs(xs) < 100):
                sys.exit(f"{problem}/{label}: torch's run diverged (|x| >= 100): choose other hyperparameters")
            dev = rel_dev(numpy_run(problem, name, h), xs)
            bad = np.nonzero(dev > CUT_RTOL)[0]
            n_compare = int(bad[0]) - 1 if bad.size else STEPS     # iterates 0..n_compare agree
            arrays[f"{label}/x"], arrays[f"{label}/grad"] = xs, grads
            meta["optimizers"][label] = {
                "optimizer": name, "gdlib": h, "torch_class": f"torch.optim.{cls_name}", "torch_kwargs": kwargs,
                "foreach": False, "n_compare": n_compare,
                "numpy_vs_torch_max_rel_dev": float(dev[: n_compare + 1].max()),
                "x_final": xs[-1].tolist(),
            }
            print(f"{problem:10s} {label:17s} x_300 = ({xs[-1][0]: .6f}, {xs[-1][1]: .6f})  "
                  f"compared over {n_compare:3d} steps (numpy vs torch <= {dev[: n_compare + 1].max():.1e})")
        arrays["meta"] = np.array(json.dumps(meta, indent=1))
        np.savez_compressed(args.out / f"optim_{problem}.npz", **arrays)
    np.savez_compressed(args.out / "autograd.npz", **autograd_references())
    if hasattr(torch.optim, "Muon"):
        np.savez_compressed(args.out / "muon.npz", **muon_references())
    np.savez_compressed(args.out / "averaging.npz", **averaging_references())
    np.savez_compressed(args.out / "lbfgs.npz", **lbfgs_references())
    for f in sorted(args.out.glob("*.npz")):
        print(f"wrote {f} ({f.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    sys.exit(main())
