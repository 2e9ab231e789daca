r"""Vanilla gradient descent and its two momentum forms.

The update rules are the course's, line for line; ``dx`` is the gradient at ``x``.
"""
from __future__ import annotations

import math
from numbers import Real

import numpy as np

from ._base import Optimizer, _check_hyper

__all__ = ["SGD", "Momentum", "Nesterov"]


def _check_mu(mu):
    """``mu`` as a float in ``[0, 1)``, or a schedule ``k -> mu_k`` checked at ``k = 1``."""
    if callable(mu):
        _mu_value(mu, 1)                  # a schedule that fails at its first use fails here, early
        return mu
    return _check_hyper("mu", mu, low=0.0, high=1.0)


def _mu_value(mu, k: int) -> float:
    """The validated momentum coefficient ``mu_k`` (a number, or a schedule's value at ``k``)."""
    if not callable(mu):
        return mu
    value = mu(k)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (Real, np.floating, np.integer)):
        raise TypeError(f"Invalid mu: schedule returned {value!r} at step {k} (must be a real number)")
    value = float(value)
    if not (math.isfinite(value) and 0.0 <= value < 1.0):
        raise ValueError(f"Invalid mu: schedule returned {value} at step {k} (must be in [0, 1))")
    return value


class _ScheduledMu(Optimizer):
    """Shared by Momentum and Nesterov: ``mu`` a number or a schedule, validated before any update.

    ``mu(k)`` multiplies :math:`v_k`, the velocity after ``k`` steps (:math:`v_k = x_k - x_{k-1}`);
    step ``k`` (0-based, from :math:`x_k` to :math:`x_{k+1}`, the step that uses
    ``learning_rate(k)``) uses ``mu(k)``. Since :math:`v_0 = 0`, ``mu(0)`` is never called.
    """

    buffers = ("v",)

    def __init__(self, learning_rate=0.01, mu=0.9):
        super().__init__(learning_rate)
        self.mu = _check_mu(mu)
        self._mus = (0.0, 0.0)

    def _mus_of_step(self, k: int) -> tuple[float, float]:
        """``(mu_k, mu_{k+1})`` of step ``k``; ``mu_0`` is 0 (it multiplies ``v_0 = 0``)."""
        return (0.0 if k == 0 and callable(self.mu) else _mu_value(self.mu, k)), _mu_value(self.mu, k + 1)

    def step(self, params, grads) -> None:
        # every value of a schedule this step needs is validated before anything is modified
        self._mus = self._mus_of_step(self.t)
        super().step(params, grads)


class SGD(Optimizer):
    r"""(Stochastic) gradient descent, the vanilla update.

    .. code-block:: python

        x += -learning_rate * dx

    Parameters
    ----------
    learning_rate : float or callable
        Step size :math:`\eta > 0`, or a schedule ``step -> float``.

    Raises
    ------
    ValueError
        If ``learning_rate <= 0``.

    Notes
    -----
    .. math:: x_{k+1} = x_k - \eta_k \nabla f(x_k)

    Same as ``torch.optim.SGD(lr=eta)`` and ``optax.sgd(eta)``. "Stochastic" refers to where
    ``dx`` comes from (a minibatch); the rule is the same. Cauchy (1847) proposed the method.
    With a constant :math:`\eta` and exact gradients, on a quadratic with a positive-definite
    Hessian (largest eigenvalue :math:`L`) it converges from every start iff
    :math:`0 < \eta < 2/L`.

    References
    ----------
    A. Cauchy, "Méthode générale pour la résolution des systèmes d'équations simultanées", 1847.

    Examples
    --------
    >>> import numpy as np, gdlib as gd
    >>> x = np.array([1.0, -2.0])
    >>> gd.SGD(learning_rate=0.1).step(x, np.array([2.0, -4.0]))
    >>> x
    array([ 0.8, -1.6])
    """

    def __init__(self, learning_rate=0.01):
        super().__init__(learning_rate)

    def _update(self, x, dx, state, lr, buf):
        np.multiply(dx, lr, out=buf)
        x -= buf


class Momentum(_ScheduledMu):
    r"""Momentum (the heavy ball): a velocity that integrates the gradient.

    .. code-block:: python

        v = mu * v - learning_rate * dx    # integrate velocity
        x += v                             # integrate position

    Parameters
    ----------
    learning_rate : float or callable
        :math:`\eta > 0`, or a schedule.
    mu : float or callable, default 0.9
        Momentum coefficient in ``[0, 1)`` (a friction: 1 is none, 0 is plain SGD), or a
        schedule ``k -> mu_k`` with values in ``[0, 1)``: step ``k`` (0-based, the step that uses
        ``learning_rate(k)``) uses ``mu(k)``, the coefficient of :math:`v_k`. ``mu(0)`` is never
        called (it would multiply :math:`v_0 = 0`).

    Raises
    ------
    ValueError
        If ``learning_rate <= 0`` or ``mu`` is outside ``[0, 1)``; a ``mu`` schedule is checked
        at ``k = 1`` when constructed and at every step before anything is modified.
    TypeError
        If ``mu`` (or a schedule's value) is not a real number.

    Notes
    -----
    .. math::

        v_{k+1} = \mu_k v_k - \eta_k \nabla f(x_k), \qquad x_{k+1} = x_k + v_{k+1},

    with :math:`v_0 = 0`; ``state[i]["v"]`` holds :math:`v`. Since
    :math:`v_k = x_k - x_{k-1}`, this is Polyak's heavy ball
    :math:`x_{k+1} = x_k - \eta_k \nabla f(x_k) + \mu_k (x_k - x_{k-1})`, with :math:`\mu_k`
    constant or given by the schedule.

    **torch.optim and optax.** ``torch.optim.SGD(lr, momentum=mu)`` keeps a buffer of summed
    gradients, :math:`b_{k+1} = \mu b_k + \nabla f(x_k)`, :math:`x_{k+1} = x_k - \eta_k b_{k+1}`
    (``optax.sgd(eta, momentum=mu)``'s trace is the same). While the learning rate is constant,
    :math:`v_k = -\eta b_k` and the trajectories are identical. With a schedule they differ: the
    course's :math:`v` remembers each past gradient scaled by the rate *of its own step*, while
    torch rescales the whole buffer by the *current* rate, so a drop in the rate brakes torch's
    velocity at once and the course's gradually. torch's ``dampening`` has no counterpart here
    (it is 0). torch has no schedule for ``momentum``; with a ``mu`` schedule this class is the
    heavy-ball formula above, not a torch optimizer.

    References
    ----------
    B. T. Polyak, "Some methods of speeding up the convergence of iteration methods", 1964.

    Examples
    --------
    >>> import numpy as np, gdlib as gd
    >>> x = np.array([1.0])
    >>> opt = gd.Momentum(learning_rate=0.1, mu=0.9)
    >>> opt.step(x, np.array([1.0])); opt.step(x, np.array([1.0]))
    >>> opt.state[0]["v"], x        # v = -0.1, then 0.9 * -0.1 - 0.1
    (array([-0.19]), array([0.71]))
    """

    def __init__(self, learning_rate=0.01, mu=0.9):
        super().__init__(learning_rate, mu)

    def _mus_of_step(self, k):
        return (0.0 if k == 0 and callable(self.mu) else _mu_value(self.mu, k)), None

    def _update(self, x, dx, state, lr, buf):
        v = state["v"]
        v *= self._mus[0]
        np.multiply(dx, lr, out=buf)
        v -= buf
        x += v


class Nesterov(_ScheduledMu):
    r"""Nesterov momentum, in the course's (and CS231n's) look-ahead-free form.

    .. code-block:: python

        v_prev = v                          # back this up
        v = mu * v - learning_rate * dx     # velocity update stays the same
        x += -mu * v_prev + (1 + mu) * v    # position update changes form

    Parameters
    ----------
    learning_rate : float or callable
        :math:`\eta > 0`, or a schedule.
    mu : float or callable, default 0.9
        Momentum coefficient in ``[0, 1)``, or a schedule ``k -> mu_k`` with values in ``[0, 1)``,
        e.g. Nesterov's ``lambda k: (k - 1) / (k + 2)``. ``mu(k)`` is the coefficient of
        :math:`v_k = x_k - x_{k-1}` in the look-ahead :math:`y_k = x_k + \mu_k v_k`: step ``k``
        (0-based, the step that uses ``learning_rate(k)``) calls ``mu(k)`` and ``mu(k + 1)``
        (``mu(0)`` is never called: it would multiply :math:`v_0 = 0`).

    Raises
    ------
    ValueError
        If ``learning_rate <= 0`` or ``mu`` is outside ``[0, 1)``; a ``mu`` schedule is checked
        at ``k = 1`` when constructed and at every step before anything is modified.
    TypeError
        If ``mu`` (or a schedule's value) is not a real number.

    Notes
    -----
    Nesterov's method evaluates the gradient at the look-ahead point :math:`y = x + \mu v`:

    .. math::

        v_{k+1} = \mu v_k - \eta \nabla f(x_k + \mu v_k), \qquad x_{k+1} = x_k + v_{k+1}.

    Tracking :math:`y_k = x_k + \mu v_k` instead of :math:`x_k` (the variable the optimizer
    holds, and where ``dx`` is evaluated) gives

    .. math:: y_{k+1} = y_k - \mu v_k + (1 + \mu) v_{k+1},

    the three lines above: the same iterates, with the gradient taken where the parameters
    are. ``state[i]["v"]`` holds :math:`v`.

    **A schedule for mu.** With :math:`y_k = x_k + \mu_k v_k` and
    :math:`x_{k+1} = y_k - \eta_k \nabla f(y_k)` (Nesterov's method as Su, Boyd and Candès
    write it, :math:`\mu_k = (k-1)/(k+2)`), the velocity and the tracked point move by

    .. math::

        v_{k+1} = \mu_k v_k - \eta_k \nabla f(y_k), \qquad
        y_{k+1} = y_k - \eta_k \nabla f(y_k) + \mu_{k+1} v_{k+1},

    which for a constant :math:`\mu` is the three lines above
    (:math:`-\mu v_{\text{prev}} + (1+\mu) v = -\eta\, dx + \mu v`). The parameters hold
    :math:`y_k`, where the gradient is taken; :math:`x_k = y_k - \mu_k v_k`.

    **torch.optim and optax.** ``torch.optim.SGD(lr, momentum=mu, nesterov=True)`` uses
    :math:`b_{k+1} = \mu b_k + g`, :math:`x \mathrel{-}= \eta (g + \mu b_{k+1})`, which is this form
    with :math:`v = -\eta b` while the learning rate is constant (identical trajectories); with
    a schedule the buffers differ as for :class:`Momentum`. ``optax.sgd(..., nesterov=True)``
    matches torch. Neither has a schedule for the momentum coefficient.

    References
    ----------
    Y. Nesterov, "A method of solving a convex programming problem with convergence rate
    O(1/k^2)", 1983. I. Sutskever et al., "On the importance of initialization and momentum
    in deep learning", ICML 2013. W. Su, S. Boyd and E. J. Candès, "A differential equation
    for modeling Nesterov's accelerated gradient method", JMLR 2016.

    Examples
    --------
    >>> import numpy as np, gdlib as gd
    >>> x = np.array([1.0])
    >>> gd.Nesterov(learning_rate=0.1, mu=0.9).step(x, np.array([1.0]))
    >>> x                            # 1 - 0 + 1.9 * (-0.1)
    array([0.81])

    With Nesterov's schedule :math:`\mu_k = (k-1)/(k+2)` (0 at the first step's look-ahead
    ``mu(1)``, then 1/4, 2/5, ...):

    >>> opt = gd.Nesterov(learning_rate=0.1, mu=lambda k: (k - 1) / (k + 2))
    >>> x = np.array([1.0])
    >>> opt.step(x, np.array([1.0])); x    # v = -0.1; x += -0.1 + mu(1) * v, mu(1) = 0
    array([0.9])
    >>> opt.step(x, np.array([1.0])); x    # v = 0 * -0.1 - 0.1; x += -0.1 + mu(2) * v = -0.1 - 0.025
    array([0.775])
    """

    def _update(self, x, dx, state, lr, buf):
        v = state["v"]
        mu, mu_next = self._mus
        # -mu * v_prev + (1 + mu) * v == -learning_rate * dx + mu * v, since v = mu * v_prev - learning_rate * dx,
        # so one scratch buffer suffices and v_prev need not be copied (with a schedule: mu_next * v).
        np.multiply(dx, lr, out=buf)
        v *= mu
        v -= buf
        x -= buf
        np.multiply(v, mu_next, out=buf)
        x += buf
