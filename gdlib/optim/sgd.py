r"""Vanilla gradient descent and its two momentum forms.

The update rules are the course's, line for line; ``dx`` is the gradient at ``x``.
"""
from __future__ import annotations

import numpy as np

from ._base import Optimizer, _check_hyper

__all__ = ["SGD", "Momentum", "Nesterov"]


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
    .. math:: x_{t+1} = x_t - \eta_t \nabla f(x_t)

    Same as ``torch.optim.SGD(lr=eta)`` and ``optax.sgd(eta)``. "Stochastic" refers to where
    ``dx`` comes from (a minibatch); the rule is the same. Cauchy (1847) proposed the method;
    on a quadratic it converges iff :math:`0 < \eta < 2/L`.

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


class Momentum(Optimizer):
    r"""Momentum (the heavy ball): a velocity that integrates the gradient.

    .. code-block:: python

        v = mu * v - learning_rate * dx    # integrate velocity
        x += v                             # integrate position

    Parameters
    ----------
    learning_rate : float or callable
        :math:`\eta > 0`, or a schedule.
    mu : float, default 0.9
        Momentum coefficient in ``[0, 1)`` (a friction: 1 is none, 0 is plain SGD).

    Raises
    ------
    ValueError
        If ``learning_rate <= 0`` or ``mu`` is outside ``[0, 1)``.

    Notes
    -----
    .. math::

        v_{t+1} = \mu v_t - \eta_t \nabla f(x_t), \qquad x_{t+1} = x_t + v_{t+1},

    with :math:`v_0 = 0`; ``state[i]["v"]`` holds :math:`v`.

    **torch.optim and optax.** ``torch.optim.SGD(lr, momentum=mu)`` keeps a buffer of summed
    gradients, :math:`b_{t+1} = \mu b_t + \nabla f(x_t)`, :math:`x_{t+1} = x_t - \eta_t b_{t+1}`
    (``optax.sgd(eta, momentum=mu)``'s trace is the same). While the learning rate is constant,
    :math:`v_t = -\eta b_t` and the trajectories are identical. With a schedule they differ: the
    course's :math:`v` remembers each past gradient scaled by the rate *of its own step*, while
    torch rescales the whole buffer by the *current* rate, so a drop in the rate brakes torch's
    velocity at once and the course's gradually. torch's ``dampening`` has no counterpart here
    (it is 0).

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

    buffers = ("v",)

    def __init__(self, learning_rate=0.01, mu=0.9):
        super().__init__(learning_rate)
        self.mu = _check_hyper("mu", mu, low=0.0, high=1.0)

    def _update(self, x, dx, state, lr, buf):
        v = state["v"]
        v *= self.mu
        np.multiply(dx, lr, out=buf)
        v -= buf
        x += v


class Nesterov(Optimizer):
    r"""Nesterov momentum, in the course's (and CS231n's) look-ahead-free form.

    .. code-block:: python

        v_prev = v                          # back this up
        v = mu * v - learning_rate * dx     # velocity update stays the same
        x += -mu * v_prev + (1 + mu) * v    # position update changes form

    Parameters
    ----------
    learning_rate : float or callable
        :math:`\eta > 0`, or a schedule.
    mu : float, default 0.9
        Momentum coefficient in ``[0, 1)``.

    Raises
    ------
    ValueError
        If ``learning_rate <= 0`` or ``mu`` is outside ``[0, 1)``.

    Notes
    -----
    Nesterov's method evaluates the gradient at the look-ahead point :math:`y = x + \mu v`:

    .. math::

        v_{t+1} = \mu v_t - \eta \nabla f(x_t + \mu v_t), \qquad x_{t+1} = x_t + v_{t+1}.

    Tracking :math:`y_t = x_t + \mu v_t` instead of :math:`x_t` (the variable the optimizer
    holds, and where ``dx`` is evaluated) gives

    .. math:: y_{t+1} = y_t - \mu v_t + (1 + \mu) v_{t+1},

    the three lines above: the same iterates, with the gradient taken where the parameters
    are. ``state[i]["v"]`` holds :math:`v`.

    **torch.optim and optax.** ``torch.optim.SGD(lr, momentum=mu, nesterov=True)`` uses
    :math:`b_{t+1} = \mu b_t + g`, :math:`x \mathrel{-}= \eta (g + \mu b_{t+1})`, which is this form
    with :math:`v = -\eta b` while the learning rate is constant (identical trajectories); with
    a schedule the buffers differ as for :class:`Momentum`. ``optax.sgd(..., nesterov=True)``
    matches torch.

    References
    ----------
    Y. Nesterov, "A method of solving a convex programming problem with convergence rate
    O(1/k^2)", 1983. I. Sutskever et al., "On the importance of initialization and momentum
    in deep learning", ICML 2013.

    Examples
    --------
    >>> import numpy as np, gdlib as gd
    >>> x = np.array([1.0])
    >>> gd.Nesterov(learning_rate=0.1, mu=0.9).step(x, np.array([1.0]))
    >>> x                            # 1 - 0 + 1.9 * (-0.1)
    array([0.81])
    """

    buffers = ("v",)

    def __init__(self, learning_rate=0.01, mu=0.9):
        super().__init__(learning_rate)
        self.mu = _check_hyper("mu", mu, low=0.0, high=1.0)

    def _update(self, x, dx, state, lr, buf):
        v, mu = state["v"], self.mu
        # -mu * v_prev + (1 + mu) * v == -learning_rate * dx + mu * v, since v = mu * v_prev - learning_rate * dx,
        # so one scratch buffer suffices and v_prev need not be copied.
        np.multiply(dx, lr, out=buf)
        v *= mu
        v -= buf
        x -= buf
        np.multiply(v, mu, out=buf)
        x += buf
