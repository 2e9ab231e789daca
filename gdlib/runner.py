r"""Run an optimizer on a function and record everything a plot needs.

:func:`minimize` is the notes' ``while True`` loop made into a real one: a step budget, a
gradient-norm tolerance, and divergence detection that stops the run quietly (no exception,
no flood of numpy overflow warnings) and says so in the result.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ._validation import check_bool, check_real, check_real_array
from .optim._base import Optimizer

__all__ = ["Trajectory", "minimize"]


@dataclass
class Trajectory:
    """What :func:`minimize` recorded.

    Attributes
    ----------
    x : ndarray, shape (n_steps + 1, dim)
        The iterates, ``x[0]`` the start. A diverged run's last row is the point where the value
        blew up (it may hold ``inf`` or ``nan``).
    values : ndarray, shape (n_steps + 1,)
        ``f`` at each iterate.
    grad_norms : ndarray, shape (n_steps + 1,)
        Euclidean norm of the gradient at each iterate (``nan`` at the last point of a run
        stopped for its value, where it was not evaluated; not finite at the last point of a
        run stopped for a non-finite gradient).
    learning_rates : ndarray, shape (n_steps,)
        The rate used by each step.
    state : dict of str to ndarray
        The optimizer's buffers after each step, stacked: ``state["v"][k]`` is ``v`` after step
        ``k`` (shape ``(n_steps, dim)``); empty when ``record_state=False``.
    status : str
        ``"converged"`` (gradient norm <= tol), ``"max_steps"`` or ``"diverged"`` (a value
        not finite or beyond ``divergence_factor``, or a gradient not finite).
    message : str
        One sentence saying why the run stopped.
    """

    x: np.ndarray
    values: np.ndarray
    grad_norms: np.ndarray
    learning_rates: np.ndarray
    state: dict = field(default_factory=dict)
    status: str = "max_steps"
    message: str = ""

    @property
    def n_steps(self) -> int:
        """Number of optimizer steps taken."""
        return len(self.learning_rates)

    @property
    def x_final(self) -> np.ndarray:
        """The last iterate."""
        return self.x[-1]

    @property
    def value_final(self) -> float:
        """``f`` at the last iterate."""
        return float(self.values[-1])

    def __repr__(self) -> str:
        return (f"Trajectory(status={self.status!r}, n_steps={self.n_steps}, "
                f"value_final={self.value_final:.6g})")


def minimize(f, x0, optimizer: Optimizer, max_steps: int = 1000, tol: float = 1e-8,
             grad: Callable | None = None, divergence_factor: float = 1e8,
             record_state: bool = True) -> Trajectory:
    r"""Minimize ``f`` from ``x0`` with ``optimizer``, recording the trajectory.

    Each iteration evaluates :math:`f(x_k)` and :math:`g_k = \nabla f(x_k)`, stops if
    :math:`g_k` is not finite (diverged), if :math:`\|g_k\| \le` ``tol`` (converged) or if
    ``k == max_steps``, and otherwise calls ``optimizer.step(x, g)``; after the step it
    stops if :math:`f(x_{k+1})` is not finite or too large (diverged, see
    ``divergence_factor``).

    Parameters
    ----------
    f : TestFunction or callable
        The objective. A callable without a ``grad`` method needs ``grad=``.
    x0 : array_like
        Starting point (copied; not modified).
    optimizer : Optimizer
        Any :mod:`gdlib.optim` optimizer; it continues from its current state (pass a fresh
        one, or call ``reset()``, for an independent run).
    max_steps : int, default 1000
        Step budget, >= 0.
    tol : float, default 1e-8
        Stop when the gradient norm is at most ``tol`` (>= 0; 0 means never).
    grad : callable, optional
        ``x -> gradient``; defaults to ``f.grad``.
    divergence_factor : float, default 1e8
        The run diverged when a value is not finite or
        :math:`|f(x_k)| >` ``divergence_factor`` :math:`\cdot \max(1, |f(x_0)|)`.
    record_state : bool, default True
        Record the optimizer's buffers after every step (for plotting ``v``, ``cache``, ...).

    Returns
    -------
    Trajectory

    Raises
    ------
    TypeError
        If ``f`` has no gradient and ``grad`` is not given, ``grad`` is not callable, ``optimizer``
        is not an Optimizer, ``x0`` holds anything but real numbers (strings, ``None``, complex,
        booleans, ragged lists), ``tol``/``divergence_factor`` are not real numbers or
        ``record_state`` is not a bool.
    ValueError
        For a negative ``max_steps`` or ``tol``, a ``divergence_factor <= 1`` or infinite, an
        ``x0`` that is not a point of ``f``'s dimension (shape ``(f.dim,)``), or a non-finite
        ``x0`` or ``f(x0)``.

    Examples
    --------
    >>> import gdlib as gd
    >>> f = gd.Quadratic(condition_number=10.0)
    >>> run = gd.minimize(f, f.x0, gd.SGD(learning_rate=1.0 / f.L), max_steps=500, tol=1e-6)
    >>> run.status, run.n_steps < 500, bool(run.grad_norms[-1] <= 1e-6)
    ('converged', True, True)
    >>> bad = gd.minimize(f, f.x0, gd.SGD(learning_rate=2.5 / f.L), max_steps=1000)
    >>> bad.status
    'diverged'
    """
    if grad is None:
        grad = getattr(f, "grad", None)
        if not callable(grad):
            raise TypeError(f"Invalid f: {type(f).__name__} has no grad method; pass grad=")
    elif not callable(grad):
        raise TypeError(f"Invalid grad: {grad!r} (must be a callable x -> gradient)")
    if not callable(f):
        raise TypeError(f"Invalid f: {f!r} (must be a TestFunction or a callable x -> value)")
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"Invalid optimizer: {type(optimizer).__name__} (must be a gdlib.optim optimizer)")
    if isinstance(max_steps, bool) or not isinstance(max_steps, (int, np.integer)) or max_steps < 0:
        raise ValueError(f"Invalid max_steps: {max_steps!r} (must be an integer >= 0)")
    tol = check_real(tol, "tol", nonnegative=True)
    divergence_factor = check_real(divergence_factor, "divergence_factor")
    if not divergence_factor > 1:
        raise ValueError(f"Invalid divergence_factor: {divergence_factor!r} (must be > 1)")
    record_state = check_bool(record_state, "record_state")

    x = check_real_array(x0, "x0")
    if x.ndim > 1:
        raise ValueError(f"Invalid x0: shape {x.shape} (must be a point, shape (n,))")
    x = np.array(x, dtype=float).ravel()        # a copy: x0 itself is never modified
    dim = getattr(f, "dim", None)
    if isinstance(dim, (int, np.integer)) and x.size != dim:
        raise ValueError(f"Invalid x0: {x.size} coordinates for a {dim}-dimensional f "
                         f"(must have shape ({dim},))")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"Invalid x0: {x0!r} (must be finite)")
    xs, values, gnorms, rates = [], [], [], []
    states: dict[str, list] = {}
    status, message = "max_steps", ""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        value = float(f(x))
        if not math.isfinite(value):
            raise ValueError(f"Invalid x0: f(x0) = {value} (must be finite)")
        limit = divergence_factor * max(1.0, abs(value))
        k = 0
        while True:
            xs.append(x.copy())
            values.append(value)
            g = np.asarray(grad(x), dtype=float).reshape(x.shape)
            gnorm = float(np.sqrt(np.dot(g, g)))
            gnorms.append(gnorm)
            if not math.isfinite(gnorm):
                status, message = "diverged", f"diverged at step {k}: the gradient is not finite"
                break
            if gnorm <= tol:
                status, message = "converged", f"converged at step {k}: gradient norm {gnorm:.3g} <= tol {tol:g}"
                break
            if k >= max_steps:
                message = f"stopped after max_steps={max_steps} steps: gradient norm {gnorm:.3g}"
                break
            rates.append(optimizer.learning_rate_at(optimizer.t))
            optimizer.step(x, g)
            if record_state:
                for name, buf in optimizer.state[0].items():
                    if name != "t":
                        states.setdefault(name, []).append(np.array(buf, dtype=float).ravel())
            k += 1
            value = float(f(x))
            if not math.isfinite(value) or abs(value) > limit:
                xs.append(x.copy())
                values.append(value)
                gnorms.append(float("nan"))
                status = "diverged"
                message = (f"diverged at step {k}: f = {value:.3g}" +
                           ("" if not math.isfinite(value) else
                            f" exceeds divergence_factor * max(1, |f(x0)|) = {limit:.3g}"))
                break
    return Trajectory(
        x=np.array(xs), values=np.array(values), grad_norms=np.array(gnorms),
        learning_rates=np.array(rates, dtype=float),
        state={name: np.array(v) for name, v in states.items()},
        status=status, message=message)
