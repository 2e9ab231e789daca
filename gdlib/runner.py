r"""Run an optimizer on a function and record everything a plot needs.

:func:`minimize` is the notes' ``while True`` loop made into a real one: a step budget, a
gradient-norm tolerance, and divergence detection that stops the run quietly (no exception,
no flood of numpy overflow warnings) and says so in the result.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from numbers import Real
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
        The rate used by each step (``learning_rate_at(k)``). For L-BFGS with its line search this
        is the first trial length; the length taken is ``state["step_length"]``.
    state : dict of str to ndarray
        The optimizer's buffers after each step, stacked: ``state["v"][k]`` is ``v`` after step
        ``k`` (shape ``(n_steps, dim)``); empty when ``record_state=False``.
    status : str
        ``"converged"`` (gradient norm <= tol), ``"max_steps"`` or ``"diverged"`` (a value
        not finite or beyond ``divergence_factor``, or a gradient not finite).
    message : str
        One sentence saying why the run stopped.
    n_function_evals, n_gradient_evals, n_hessian_evals : int
        Evaluations of ``f``, of its gradient and of its Hessian at distinct points, the runner's own
        and those an optimizer made (L-BFGS's line search, Newton's Hessian). A point evaluated
        twice in a row (the runner re-reading the point a line search accepted) is counted once, as
        scipy counts ``nfev``/``njev``. A first-order run evaluates ``f`` at each of its
        ``n_steps + 1`` iterates and the gradient at each but a last one that stopped the run for
        its value; it evaluates no Hessian.
    """

    x: np.ndarray
    values: np.ndarray
    grad_norms: np.ndarray
    learning_rates: np.ndarray
    state: dict = field(default_factory=dict)
    status: str = "max_steps"
    message: str = ""
    n_function_evals: int = 0
    n_gradient_evals: int = 0
    n_hessian_evals: int = 0

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


class _Objective:
    """``f`` with ``grad`` (and ``hessian``), counting evaluations at distinct points.

    What :func:`minimize` hands to an optimizer with ``needs_objective`` (Newton, L-BFGS). The last
    few points of each kind are remembered, so the runner reading ``f`` and its gradient at the
    point a line search just accepted costs no second evaluation (nor a second count).
    """

    _MEMORY = 4

    def __init__(self, f, grad, hessian=None):
        self._f, self._grad, self._hessian = f, grad, hessian
        self.n_function_evals = self.n_gradient_evals = self.n_hessian_evals = 0
        self._seen: dict[str, dict] = {"f": {}, "grad": {}, "hessian": {}}
        if hessian is None:
            self.hessian = None              # no Hessian: an optimizer that needs one says so by name

    def _cached(self, kind, fn, x):
        x = np.asarray(x, dtype=float)
        key = x.tobytes()
        memo = self._seen[kind]
        if key not in memo:
            value = fn(x.copy())
            value = float(value) if kind == "f" else np.array(value, dtype=float)
            if len(memo) >= self._MEMORY:
                memo.pop(next(iter(memo)))
            memo[key] = value
            name = {"f": "n_function_evals", "grad": "n_gradient_evals", "hessian": "n_hessian_evals"}[kind]
            setattr(self, name, getattr(self, name) + 1)
        value = memo[key]
        return value if kind == "f" else value.copy()

    def __call__(self, x) -> float:
        return self._cached("f", self._f, x)

    def grad(self, x) -> np.ndarray:
        return self._cached("grad", self._grad, x)

    def hessian(self, x) -> np.ndarray:
        return self._cached("hessian", self._hessian, x)


def minimize(f, x0, optimizer: Optimizer, max_steps: int = 1000, tol: float = 1e-8,
             grad: Callable | None = None, divergence_factor: float = 1e8,
             record_state: bool = True, hessian: Callable | None = None) -> Trajectory:
    r"""Minimize ``f`` from ``x0`` with ``optimizer``, recording the trajectory.

    Each iteration evaluates :math:`f(x_k)` and :math:`g_k = \nabla f(x_k)`, stops if
    :math:`g_k` is not finite (diverged), if :math:`\|g_k\| \le` ``tol`` (converged) or if
    ``k == max_steps``, and otherwise calls ``optimizer.step(x, g)``; after the step it
    stops if :math:`f(x_{k+1})` is not finite or too large (diverged, see
    ``divergence_factor``).

    An optimizer with ``needs_objective`` (:class:`~gdlib.optim.Newton`,
    :class:`~gdlib.optim.LBFGS`) is called as ``optimizer.step(x, g, objective=obj)``, where ``obj``
    has ``obj(x)``, ``obj.grad(x)`` and ``obj.hessian(x)`` (``f``'s, or ``grad=``/``hessian=``) and
    counts every evaluation, so ``run.n_function_evals`` and ``run.n_gradient_evals`` include a line
    search's.

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
        Record the optimizer's buffers after every step (for plotting ``v``, ``cache``, ...): each
        array or number in ``optimizer.state[0]``; a list (L-BFGS's ``s``/``y`` history) is not
        recorded.
    hessian : callable, optional
        ``x -> Hessian`` (shape ``(n, n)``), for an optimizer that needs it (Newton); defaults to
        ``f.hessian`` when ``f`` has one.

    Returns
    -------
    Trajectory

    Raises
    ------
    TypeError
        If ``f`` has no gradient and ``grad`` is not given, ``grad`` or ``hessian`` is not callable,
        the optimizer needs a Hessian (Newton) and ``f`` has none and ``hessian`` is not given,
        ``optimizer`` is not an Optimizer (or gives no single learning rate, as an ``Averaged``
        Partition does), ``x0`` holds anything but real numbers (strings, ``None``, complex,
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
    >>> run.n_function_evals == run.n_gradient_evals == run.n_steps + 1
    True
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
    rate = optimizer.learning_rate_at(optimizer.t)
    if not isinstance(rate, Real):      # gd.Averaged(gd.Partition(...)): one rate per group, not per run
        raise TypeError(f"Invalid optimizer: {optimizer!r} gives learning rates {rate!r} (must give one "
                        "number per step: minimize runs one array x; use the group's optimizer itself)")
    needs_objective = bool(getattr(optimizer, "needs_objective", False))
    if hessian is None:
        hessian = getattr(f, "hessian", None)
        if not callable(hessian):
            hessian = None
        if hessian is None and getattr(optimizer, "needs_hessian", False):
            raise TypeError(f"Invalid f: {type(f).__name__} has no hessian method, which "
                            f"{type(optimizer).__name__} needs; pass hessian= (a callable x -> Hessian)")
    elif not callable(hessian):
        raise TypeError(f"Invalid hessian: {hessian!r} (must be a callable x -> Hessian)")
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
    objective = _Objective(f, grad, hessian)
    xs, values, gnorms, rates = [], [], [], []
    states: dict[str, list] = {}
    status, message = "max_steps", ""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        value = objective(x)
        if not math.isfinite(value):
            raise ValueError(f"Invalid x0: f(x0) = {value} (must be finite)")
        limit = divergence_factor * max(1.0, abs(value))
        k = 0
        while True:
            xs.append(x.copy())
            values.append(value)
            g = objective.grad(x).reshape(x.shape)
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
            if needs_objective:
                optimizer.step(x, g, objective=objective)
            else:
                optimizer.step(x, g)
            if record_state:
                for name, buf in optimizer.state[0].items():
                    if name != "t" and not isinstance(buf, (list, tuple)):
                        states.setdefault(name, []).append(np.array(buf, dtype=float).ravel())
            k += 1
            value = objective(x)
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
        status=status, message=message, n_function_evals=objective.n_function_evals,
        n_gradient_evals=objective.n_gradient_evals, n_hessian_evals=objective.n_hessian_evals)
