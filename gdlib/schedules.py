r"""Learning-rate schedules: plain functions of the step.

Each function here validates its arguments and returns a *schedule*, a callable
``schedule(step) -> float`` that maps the 0-based step index ``k`` to the learning
rate used by that step. Every optimizer in :mod:`gdlib.optim` accepts a schedule
wherever it accepts a number for ``learning_rate``. Schedules also accept a numpy
array of steps and return an array, which is how the chapters plot them. A step is a
count: a schedule refuses ``None``, a bool, a string, nan, inf, a fraction such as 1.5
(``ValueError``/``TypeError`` naming ``step``) and a negative step; ``2.0`` is step 2.

This is optax's convention (a schedule is a function of the step count), not
``torch.optim.lr_scheduler``'s, where a scheduler object mutates the optimizer's
``lr`` each time ``scheduler.step()`` is called (usually once per epoch, so its
``step_size`` or ``T_max`` counts epochs where gdlib's counts steps).

Examples
--------
>>> from gdlib.schedules import exponential_decay, warmup, cosine_decay
>>> lr = exponential_decay(0.1, k=0.5)
>>> round(lr(2), 6)                      # 0.1 * exp(-0.5 * 2)
0.036788
>>> lr = warmup(cosine_decay(0.1, total_steps=100), warmup_steps=10)
>>> [round(float(lr(k)), 3) for k in (0, 5, 10, 60, 110)]
[0.0, 0.05, 0.1, 0.05, 0.0]
"""
from __future__ import annotations

import numbers
from typing import Callable

import numpy as np

from ._validation import check_bool, check_int, check_real

__all__ = [
    "Schedule",
    "constant",
    "exponential_decay",
    "step_decay",
    "inverse_time_decay",
    "cosine_decay",
    "warmup",
]

Schedule = Callable[[int], float]


def _steps(step):
    """The step(s) as float array (scalar stays 0-d), refusing what is not a whole number >= 0.

    Steps are counts: ``None``, bools, strings, complex numbers, nan, inf and fractions such as
    1.5 are refused (a float holding a whole number, ``2.0``, is accepted).
    """
    if step is None or isinstance(step, (bool, np.bool_, str, bytes)):
        raise TypeError(f"Invalid step: {step!r} (must be an int >= 0 or an array of them)")
    try:
        raw = np.asarray(step)
    except (TypeError, ValueError):
        raise TypeError(f"Invalid step: {step!r} (must be an int >= 0 or an array of them)") from None
    if raw.dtype.kind not in "iuf":
        raise TypeError(f"Invalid step: {step!r} (must be an int >= 0 or an array of them; got dtype {raw.dtype})")
    k = raw.astype(float)
    if not np.all(np.isfinite(k)) or np.any(k != np.floor(k)):
        raise ValueError(f"Invalid step: {step!r} (must be a whole number: steps are counted)")
    if np.any(k < 0):
        raise ValueError(f"Invalid step: {step!r} (must be >= 0)")
    return k


def _out(value):
    return float(value) if np.ndim(value) == 0 else value


class _Named:
    """A schedule that says what it is when printed (helps in plots and errors)."""

    __slots__ = ("_fn", "_text")

    def __init__(self, fn, text):
        self._fn, self._text = fn, text

    def __call__(self, step):
        return _out(self._fn(_steps(step)))

    def __repr__(self):
        return self._text


def constant(learning_rate: float) -> Schedule:
    r"""The same learning rate at every step, :math:`\eta_k = \eta`.

    Parameters
    ----------
    learning_rate : float
        The rate, > 0.

    Returns
    -------
    callable
        ``schedule(step) -> float``.

    Raises
    ------
    ValueError
        If ``learning_rate <= 0`` or is not finite.

    Examples
    --------
    >>> constant(0.1)(1000)
    0.1
    """
    lr0 = check_real(learning_rate, "learning_rate", positive=True)
    return _Named(lambda k: np.full_like(k, lr0), f"constant({lr0})")


def exponential_decay(learning_rate: float, k: float, decay_steps: int = 1,
                      staircase: bool = False) -> Schedule:
    r"""Exponential decay, the course notes' recommendation.

    .. math::

        \eta_k = \eta_0 \, e^{-\nu\, k / S}
        \qquad\text{or, with ``staircase``,}\qquad
        \eta_k = \eta_0 \, e^{-\nu \lfloor k / S \rfloor},

    at step :math:`k`, with the decay constant :math:`\nu` = ``k`` (the argument keeps CS231n's
    name; in the text :math:`k` is the step) and :math:`S` = ``decay_steps``. The staircase form
    holds the rate for ``decay_steps`` steps (an epoch, say) and then drops it by the factor
    :math:`e^{-\nu}`.

    Parameters
    ----------
    learning_rate : float
        :math:`\eta_0 > 0`, the rate at step 0.
    k : float
        Decay constant :math:`\nu`, >= 0 (0 gives a constant rate).
    decay_steps : int, default 1
        Steps per unit of decay :math:`S`, >= 1.
    staircase : bool, default False
        Decay in whole units of ``decay_steps``.

    Returns
    -------
    callable

    Raises
    ------
    ValueError
        For a non-positive rate, negative ``k`` or ``decay_steps < 1``.

    Notes
    -----
    optax's ``exponential_decay(init_value, transition_steps, decay_rate)`` writes the same
    schedule as :math:`\eta_0 r^{k/S}`; here :math:`r = e^{-\nu}`.

    Examples
    --------
    >>> s = exponential_decay(1.0, k=0.1, decay_steps=10, staircase=True)
    >>> [round(s(t), 4) for t in (0, 9, 10, 25)]
    [1.0, 1.0, 0.9048, 0.8187]
    """
    lr0 = check_real(learning_rate, "learning_rate", positive=True)
    k = check_real(k, "k", nonnegative=True)
    decay_steps = check_int(decay_steps, "decay_steps")
    staircase = check_bool(staircase, "staircase")
    if staircase:
        fn = lambda t: lr0 * np.exp(-k * np.floor(t / decay_steps))  # noqa: E731
    else:
        fn = lambda t: lr0 * np.exp(-k * t / decay_steps)  # noqa: E731
    return _Named(fn, f"exponential_decay({lr0}, k={k}, decay_steps={decay_steps}, staircase={staircase})")


def step_decay(learning_rate: float, drop: float = 0.5, every: int = 10) -> Schedule:
    r"""Step decay: multiply the rate by ``drop`` every ``every`` steps.

    .. math:: \eta_k = \eta_0 \, d^{\lfloor k / P \rfloor}

    Parameters
    ----------
    learning_rate : float
        :math:`\eta_0 > 0`.
    drop : float, default 0.5
        Factor :math:`d` in (0, 1].
    every : int, default 10
        Steps :math:`P` between drops, >= 1.

    Returns
    -------
    callable

    Raises
    ------
    ValueError
        For a non-positive rate, ``drop`` outside (0, 1] or ``every < 1``.

    Notes
    -----
    ``torch.optim.lr_scheduler.StepLR(step_size=n, gamma=d)`` gives the same rates when it
    is stepped once per optimizer step.

    Examples
    --------
    >>> s = step_decay(0.1, drop=0.5, every=10)
    >>> [s(t) for t in (0, 9, 10, 20)]
    [0.1, 0.1, 0.05, 0.025]
    """
    lr0 = check_real(learning_rate, "learning_rate", positive=True)
    drop = check_real(drop, "drop")
    if not 0 < drop <= 1:
        raise ValueError(f"Invalid drop: {drop} (must be in (0, 1])")
    every = check_int(every, "every")
    return _Named(lambda t: lr0 * drop ** np.floor(t / every),
                  f"step_decay({lr0}, drop={drop}, every={every})")


def inverse_time_decay(learning_rate: float, k: float) -> Schedule:
    r"""The ``1/t`` decay, :math:`\eta_k = \eta_0 / (1 + \nu k)` at step :math:`k`.

    For ``k`` :math:`= \nu > 0` its rates satisfy Robbins and Monro's conditions
    :math:`\sum_k \eta_k = \infty`, :math:`\sum_k \eta_k^2 < \infty`: with them (and bounded
    gradient-noise variance on a suitable objective, e.g. strongly convex and smooth) stochastic
    gradient descent converges to the minimiser, where a constant rate only reaches a
    noise floor. They are sufficient conditions, not necessary ones.

    Parameters
    ----------
    learning_rate : float
        :math:`\eta_0 > 0`.
    k : float
        Decay constant :math:`\nu`, >= 0 (0 gives a constant rate).

    Returns
    -------
    callable

    Raises
    ------
    ValueError
        For a non-positive rate or negative ``k``.

    References
    ----------
    H. Robbins and S. Monro, "A stochastic approximation method", 1951.

    Examples
    --------
    >>> s = inverse_time_decay(0.1, k=1.0)
    >>> [round(s(t), 4) for t in (0, 1, 9)]
    [0.1, 0.05, 0.01]
    """
    lr0 = check_real(learning_rate, "learning_rate", positive=True)
    k = check_real(k, "k", nonnegative=True)
    return _Named(lambda t: lr0 / (1.0 + k * t), f"inverse_time_decay({lr0}, k={k})")


def cosine_decay(learning_rate: float, total_steps: int, final_learning_rate: float = 0.0) -> Schedule:
    r"""Cosine decay from :math:`\eta_0` to :math:`\eta_K` over ``total_steps``, then held.

    .. math::

        \eta_k = \eta_K + \tfrac12 (\eta_0 - \eta_K)
                 \left(1 + \cos\frac{\pi \min(k, K)}{K}\right)

    Parameters
    ----------
    learning_rate : float
        :math:`\eta_0 > 0`.
    total_steps : int
        :math:`K \ge 1`.
    final_learning_rate : float, default 0.0
        :math:`\eta_K`, in ``[0, learning_rate]``.

    Returns
    -------
    callable

    Raises
    ------
    ValueError
        For a non-positive rate, ``total_steps < 1`` or a final rate outside ``[0, learning_rate]``.

    Notes
    -----
    Loshchilov and Hutter's SGDR without restarts; optax's ``cosine_decay_schedule`` with
    ``alpha = final/initial``. With the default final rate of 0, steps from :math:`K` on do not move
    the parameters.

    References
    ----------
    I. Loshchilov and F. Hutter, "SGDR: Stochastic gradient descent with warm restarts", ICLR 2017.

    Examples
    --------
    >>> s = cosine_decay(1.0, total_steps=10, final_learning_rate=0.1)
    >>> [round(s(t), 3) for t in (0, 5, 10, 20)]
    [1.0, 0.55, 0.1, 0.1]
    """
    lr0 = check_real(learning_rate, "learning_rate", positive=True)
    total_steps = check_int(total_steps, "total_steps")
    lr_T = check_real(final_learning_rate, "final_learning_rate", nonnegative=True)
    if lr_T > lr0:
        raise ValueError(f"Invalid final_learning_rate: {lr_T} (must be <= learning_rate={lr0})")
    fn = lambda t: lr_T + 0.5 * (lr0 - lr_T) * (1 + np.cos(np.pi * np.minimum(t, total_steps) / total_steps))  # noqa: E731
    return _Named(fn, f"cosine_decay({lr0}, total_steps={total_steps}, final_learning_rate={lr_T})")


def warmup(schedule: Schedule | float, warmup_steps: int, initial_learning_rate: float = 0.0) -> Schedule:
    r"""Linear warm-up composed with any schedule.

    .. math::

        \eta_k = \begin{cases}
            \eta_{\text{init}} + \frac{k}{K_w}\,(\tilde\eta(0) - \eta_{\text{init}}) & k < K_w \\
            \tilde\eta(k - K_w) & k \ge K_w
        \end{cases}

    Parameters
    ----------
    schedule : callable or float
        The schedule :math:`\tilde\eta` that takes over after warm-up (a number means a constant rate).
    warmup_steps : int
        :math:`K_w \ge 1`.
    initial_learning_rate : float, default 0.0
        Rate at step 0, >= 0.

    Returns
    -------
    callable

    Raises
    ------
    ValueError
        For ``warmup_steps < 1``, a negative initial rate, or a ``schedule`` whose value at
        step 0 is not finite and >= 0.
    TypeError
        If ``schedule`` is neither callable nor a number, or returns something else than a
        real number at step 0.

    Notes
    -----
    With the default initial rate of 0, step 0 does not move the parameters (it still feeds
    the gradient into the optimizer's buffers: momentum's ``v``, Adam's ``m`` and ``v``).
    ``torch``'s ``LinearLR`` requires ``start_factor > 0`` and so never has that step; pass
    ``initial_learning_rate > 0`` for the same behaviour. Warm-up is the remedy of Goyal et
    al. (2017) for large-batch training.

    References
    ----------
    P. Goyal et al., "Accurate, large minibatch SGD: training ImageNet in 1 hour", 2017.

    Examples
    --------
    >>> s = warmup(step_decay(0.1, drop=0.5, every=10), warmup_steps=4, initial_learning_rate=0.02)
    >>> [round(s(t), 3) for t in (0, 2, 4, 14)]
    [0.02, 0.06, 0.1, 0.05]
    """
    if not callable(schedule):
        schedule = constant(check_real(schedule, "schedule", positive=True))
    warmup_steps = check_int(warmup_steps, "warmup_steps")
    lr_init = check_real(initial_learning_rate, "initial_learning_rate", nonnegative=True)
    peak = schedule(0)
    if isinstance(peak, np.ndarray) and peak.ndim == 0:
        peak = peak[()]
    lr_peak = check_real(peak, "schedule", nonnegative=True) if isinstance(peak, numbers.Real) else None
    if lr_peak is None:
        raise TypeError(f"Invalid schedule: {schedule!r} returned {peak!r} at step 0 (must be a real number)")

    def fn(t):
        ramp = lr_init + (t / warmup_steps) * (lr_peak - lr_init)
        after = np.asarray(schedule(np.maximum(t - warmup_steps, 0)), dtype=float)
        return np.where(t < warmup_steps, ramp, after)

    return _Named(fn, f"warmup({schedule!r}, warmup_steps={warmup_steps}, initial_learning_rate={lr_init})")
