"""One epoch of minibatch SGD on a 64-64-10 ReLU/softmax MLP, three ways.

(a) gdlib: ``gdlib.nn.MLP`` + ``gdlib.losses.tensor_softmax_cross_entropy`` +
    ``gdlib.SGD`` (reverse-mode autograd on numpy);
(b) the same network written by hand in numpy (forward and backward by hand);
(c) PyTorch on the CPU, when it is installed (it is not a course dependency).

Data: digits-sized, 1347 training samples of 64 features and 10 classes
(scikit-learn's digits when available, else seeded random data of that size).
Batch size 32, learning rate 0.1, float64 everywhere (numpy's default; torch
is told to use it too), the same minibatch order for all three, one BLAS/torch
thread unless ``--threads`` says otherwise. Reports the median (and the
fastest) over several epochs after one warm-up epoch; the three take turns
epoch by epoch so that load from other processes affects them alike.
``--clock cpu`` measures CPU time instead of wall time (steadier on a
shared machine).

Run::

    python benchmarks/bench_mlp.py [--epochs 7] [--profile] [--clock wall|cpu] [--threads N]

``--profile`` also prints the cProfile top entries of one gdlib epoch.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time

import numpy as np

import gdlib as gd

BATCH_SIZE = 32
LEARNING_RATE = 0.1
SIZES = [64, 64, 10]


def load_data():
    try:
        X_train, _, y_train, _ = gd.digits(test_size=0.25, seed=0)
        source = "sklearn digits"
    except ImportError:
        rng = np.random.default_rng(0)
        X_train, y_train = rng.random((1347, 64)), rng.integers(0, 10, 1347)
        source = "random (scikit-learn missing)"
    return X_train, y_train, source


def batch_order(n, n_epochs):
    """A fresh seeded permutation per epoch, cut into batches (the last one smaller)."""
    rng = np.random.default_rng(0)
    perms = [rng.permutation(n) for _ in range(n_epochs)]
    return [[perm[i:i + BATCH_SIZE] for i in range(0, n, BATCH_SIZE)] for perm in perms]


def init_params():
    """He-initialised weights shared by all three implementations (copied)."""
    model = gd.MLP(SIZES, seed=0)
    return [p.copy() for p in model.parameters()]


# ----------------------------------------------------------------------------- (a) gdlib
def make_gdlib(params):
    model = gd.MLP(SIZES, seed=0)
    for p, q in zip(model.parameters(), params):
        p[...] = q
    opt = gd.SGD(learning_rate=LEARNING_RATE)

    def epoch(X, y, batches):
        for idx in batches:
            model.zero_grad()
            loss = gd.tensor_softmax_cross_entropy(model(X[idx]), y[idx])
            loss.backward()
            opt.step(model.parameters(), model.grads())
        return gd.softmax_cross_entropy(model.forward_numpy(X), y)[0]

    return epoch


# ----------------------------------------------------------------------------- (b) numpy by hand
def make_numpy(params):
    weights = [p.copy() for p in params]

    def epoch(X, y, batches):
        W1, b1, W2, b2 = weights  # updated in place below
        for idx in batches:
            Xb, yb = X[idx], y[idx]
            n = len(yb)
            h_pre = Xb @ W1 + b1
            h = np.maximum(h_pre, 0.0)
            scores = h @ W2 + b2
            shifted = scores - scores.max(axis=1, keepdims=True)
            e = np.exp(shifted)
            dscores = e / e.sum(axis=1, keepdims=True)
            dscores[np.arange(n), yb] -= 1.0
            dscores /= n
            dW2 = h.T @ dscores
            db2 = dscores.sum(axis=0)
            dh = dscores @ W2.T
            dh[h_pre <= 0] = 0.0
            dW1 = Xb.T @ dh
            db1 = dh.sum(axis=0)
            W1 -= LEARNING_RATE * dW1
            b1 -= LEARNING_RATE * db1
            W2 -= LEARNING_RATE * dW2
            b2 -= LEARNING_RATE * db2
        scores = np.maximum(X @ W1 + b1, 0.0) @ W2 + b2
        return gd.softmax_cross_entropy(scores, y)[0]

    return epoch


# ----------------------------------------------------------------------------- (c) PyTorch
def make_torch(params):
    import torch

    torch.manual_seed(0)
    l1, l2 = torch.nn.Linear(64, 64).double(), torch.nn.Linear(64, 10).double()
    with torch.no_grad():
        # torch stores Linear weights as (out, in): transpose ours.
        l1.weight.copy_(torch.from_numpy(params[0].T.copy()))
        l1.bias.copy_(torch.from_numpy(params[1]))
        l2.weight.copy_(torch.from_numpy(params[2].T.copy()))
        l2.bias.copy_(torch.from_numpy(params[3]))
    model = torch.nn.Sequential(l1, torch.nn.ReLU(), l2)
    opt = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    loss_fn = torch.nn.CrossEntropyLoss()
    state = {}

    def epoch(X, y, batches):
        if "X" not in state:
            state["X"], state["y"] = torch.from_numpy(X), torch.from_numpy(y)
        Xt, yt = state["X"], state["y"]
        for idx in batches:
            it = torch.from_numpy(idx)
            opt.zero_grad()
            loss = loss_fn(model(Xt[it]), yt[it])
            loss.backward()
            opt.step()
        with torch.no_grad():
            return float(loss_fn(model(Xt), yt))

    return epoch


def time_epochs(epoch_fns, X, y, orders, clock=time.perf_counter):
    """Median epoch time and final loss of each implementation.

    The implementations take turns epoch by epoch (gdlib, numpy, torch, gdlib,
    ...), so a burst of load from other processes on the shared machine
    slows all of them alike instead of skewing one; the first epoch of each
    is a warm-up and is not counted.
    """
    times = {name: [] for name in epoch_fns}
    losses = {}
    for k, batches in enumerate(orders):
        for name, fn in epoch_fns.items():
            start = clock()
            losses[name] = fn(X, y, batches)
            elapsed = clock() - start
            if k > 0:
                times[name].append(elapsed)
    return {name: (statistics.median(ts), min(ts), losses[name]) for name, ts in times.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=7, help="timed epochs (after one warm-up)")
    parser.add_argument("--profile", action="store_true", help="cProfile one gdlib epoch")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="wall: time.perf_counter (default); cpu: time.process_time, the CPU time of "
                             "all threads of this process, less sensitive to other jobs on a shared machine")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads for numpy's BLAS (through threadpoolctl) and for torch; 0 keeps the "
                             "libraries' defaults (default 1: at batch 32 the matrices are tiny, and threads "
                             "cost more than they save, most of all on a machine shared with other jobs)")
    args = parser.parse_args(argv)
    threads = "library defaults"
    if args.threads > 0:
        threads = f"{args.threads} thread(s)"
        try:
            from threadpoolctl import threadpool_limits

            threadpool_limits(args.threads)  # kept for the whole run
        except ImportError:
            threads = f"BLAS default threads (threadpoolctl missing), torch {args.threads}"
        try:
            import torch

            torch.set_num_threads(args.threads)
        except ImportError:
            pass

    X, y, source = load_data()
    y = y.astype(np.int64)
    orders = batch_order(len(y), args.epochs + 1)
    params = init_params()
    print(f"data: {source}, X {X.shape}, batch {BATCH_SIZE}, {len(orders[0])} steps/epoch, "
          f"median of {args.epochs} epochs, {args.clock} clock, {threads}; numpy {np.__version__}; "
          f"load average before {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")

    fns = {}
    for name, make in [("gdlib", make_gdlib), ("numpy by hand", make_numpy), ("pytorch", make_torch)]:
        try:
            fn = make(params)
        except ImportError:
            print(f"{name:14s} skipped: torch is not installed")
            continue
        if name == "pytorch":
            import torch

            n = torch.get_num_threads()
            name = f"pytorch {torch.__version__} ({n} thread{'s' if n > 1 else ''})"
        fns[name] = fn
    results, fastest = {}, {}
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    for name, (t, t_min, loss) in time_epochs(fns, X, y, orders, clock).items():
        results[name], fastest[name] = t, t_min
        print(f"{name:14s} {1e3 * t:8.1f} ms/epoch  ({1e6 * t / len(orders[0]):6.1f} us/step; "
              f"fastest epoch {1e3 * t_min:.1f} ms)  loss after {len(orders)} epochs {loss:.6f}")

    print(f"load average after {os.getloadavg()[0]:.2f} (other processes make every time longer)")
    for name, t in results.items():
        if name != "gdlib":
            print(f"gdlib / {name}: {results['gdlib'] / t:.2f}x (medians), "
                  f"{fastest['gdlib'] / fastest[name]:.2f}x (fastest epochs)")

    if args.profile:
        fn = make_gdlib(params)
        prof = cProfile.Profile()
        prof.enable()
        fn(X, y, orders[0])
        prof.disable()
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(15)
        print(out.getvalue())
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
