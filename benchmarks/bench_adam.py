"""Time one Adam step on 10^7 float64 parameters: gdlib vs the textbook numpy lines vs a copy.

The textbook lines are the Adam block of the course notes, with the bias correction fixed
(separate ``m_hat``, ``v_hat``), each line making fresh arrays as written. The floor is one
memory copy of the same array (``np.copyto``): no update can touch its data in less.
torch.optim.Adam (default and fused) is timed too where torch is installed.

Run: ``.venv/bin/python benchmarks/bench_adam.py [--n 10000000] [--repeat 15]``
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import gdlib as gd


def textbook_step(x, dx, m, v, t, learning_rate=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """The notes' lines, corrected; returns the new arrays (each line allocates)."""
    m = beta1 * m + (1 - beta1) * dx
    v = beta2 * v + (1 - beta2) * (dx ** 2)
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    x += -learning_rate * m_hat / (np.sqrt(v_hat) + eps)
    return m, v


def best_of(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), float(np.median(times))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    x = rng.normal(size=args.n)
    dx = rng.normal(size=args.n)
    results = {}

    dst = np.empty_like(x)
    results["memory copy (floor)"] = best_of(lambda: np.copyto(dst, x), args.repeat)

    state = {"m": np.zeros_like(x), "v": np.zeros_like(x), "t": 0}
    xt = x.copy()

    def textbook():
        state["t"] += 1
        state["m"], state["v"] = textbook_step(xt, dx, state["m"], state["v"], state["t"])
    results["textbook numpy lines"] = best_of(textbook, args.repeat)

    opt = gd.Adam(learning_rate=1e-3)
    xg = x.copy()
    opt.step(xg, dx)                           # allocate the state outside the timing
    results["gdlib.Adam.step"] = best_of(lambda: opt.step(xg, dx), args.repeat)

    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        for label, kw in [("torch.optim.Adam", {}), ("torch.optim.Adam(fused=True)", {"fused": True})]:
            p = torch.tensor(x.copy(), requires_grad=True)
            p.grad = torch.tensor(dx)
            try:
                topt = torch.optim.Adam([p], lr=1e-3, **kw)
                topt.step()
            except (RuntimeError, TypeError) as err:   # fused needs a recent torch
                print(f"{label}: skipped ({err})")
                continue
            results[label] = best_of(topt.step, args.repeat)

    base = results["textbook numpy lines"][0]
    print(f"Adam step on {args.n:,} float64 parameters, best (median) of {args.repeat}:")
    for label, (best, median) in results.items():
        print(f"  {label:32s} {best * 1e3:8.1f} ms ({median * 1e3:6.1f})   {best / base:5.2f}x textbook")
    return results


if __name__ == "__main__":
    main()
