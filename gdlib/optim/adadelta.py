r"""Adadelta: RMSProp whose step carries the units of the parameters."""
from __future__ import annotations

import numpy as np

from ._base import Optimizer, _check_hyper

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta: divide by the RMS of the gradients, multiply by the RMS of past steps.

    .. code-block:: python

        cache = decay_rate * cache + (1 - decay_rate) * dx**2
        delta = np.sqrt(delta_cache + eps) / np.sqrt(cache + eps) * dx
        delta_cache = decay_rate * delta_cache + (1 - decay_rate) * delta**2
        x += -learning_rate * delta

    Parameters
    ----------
    learning_rate : float or callable, default 1.0
        :math:`\eta > 0` scaling the step (the paper has none, i.e. 1), or a schedule.
    decay_rate : float, default 0.9
        :math:`\beta \in [0, 1)`, the decay of both running averages (torch's ``rho``).
    eps : float, default 1e-6
        :math:`\epsilon > 0`, added *inside* both square roots.

    Raises
    ------
    ValueError
        If ``learning_rate <= 0``, ``decay_rate`` is outside ``[0, 1)`` or ``eps <= 0``.

    Notes
    -----
    With :math:`c_0 = d_0 = 0` (``state[i]["cache"]`` holds :math:`c`,
    ``state[i]["delta_cache"]`` holds :math:`d`):

    .. math::

        c_t &= \beta\, c_{t-1} + (1-\beta)\, g_t^2, \qquad
        \Delta x_t = -\frac{\sqrt{d_{t-1} + \epsilon}}{\sqrt{c_t + \epsilon}}\, g_t, \\
        d_t &= \beta\, d_{t-1} + (1-\beta)\, (\Delta x_t)^2, \qquad
        x_t = x_{t-1} + \eta_{t-1} \Delta x_t .

    **The units argument.** In SGD the step :math:`\eta g` has the units of :math:`\eta` times
    those of the gradient (:math:`1/x`'s for a unitless :math:`f`); in Adagrad or RMSProp the
    step :math:`\eta g/\sqrt{c}` has the units of :math:`\eta` (the gradient's cancel). Neither
    has the units of :math:`x`. Zeiler
    points out that a Newton step :math:`H^{-1} g` has the units of :math:`x`, and that
    :math:`\Delta x / g \approx H^{-1}`; replacing :math:`\eta` by the RMS of the past steps,
    :math:`\sqrt{d_{t-1}+\epsilon}`, makes the update carry the units of :math:`x` and removes
    the learning rate. The first step has size
    :math:`\sqrt{\epsilon}\,|g_1|/\sqrt{(1-\beta) g_1^2 + \epsilon} \approx \sqrt{\epsilon/(1-\beta)}`
    (:math:`d` starts at 0; about :math:`3.2\sqrt{\epsilon}` for :math:`\beta = 0.9`): Adadelta
    starts slowly and accelerates as :math:`d` grows.

    **torch.optim and optax.** ``torch.optim.Adadelta(lr, rho=decay_rate, eps)`` is exactly
    these lines (same defaults, ``lr`` multiplying the step; ``delta_cache`` is its
    ``acc_delta``, ``cache`` its ``square_avg``; ``delta_cache`` accumulates the step
    *before* the learning rate multiplies it). The paper's Algorithm 1 has no learning rate
    (``learning_rate=1``). ``optax.adadelta(learning_rate, rho=0.9, eps=1e-6)`` is the same.

    References
    ----------
    M. D. Zeiler, "ADADELTA: An adaptive learning rate method", arXiv:1212.5701, 2012.

    Examples
    --------
    >>> import numpy as np, gdlib as gd
    >>> x = np.array([1.0])
    >>> opt = gd.Adadelta(decay_rate=0.9, eps=1e-6)
    >>> opt.step(x, np.array([2.0]))
    >>> opt.state[0]["cache"]                        # 0.1 * 2**2
    array([0.4])
    >>> bool(np.isclose(x[0], 1 - np.sqrt(1e-6) / np.sqrt(0.4 + 1e-6) * 2.0))
    True
    >>> round(float((1 - x[0]) / np.sqrt(1e-6 / (1 - 0.9))), 4)      # the step over sqrt(eps / (1 - beta))
    1.0
    """

    buffers = ("cache", "delta_cache")

    def __init__(self, learning_rate=1.0, decay_rate=0.9, eps=1e-6):
        super().__init__(learning_rate)
        self.decay_rate = _check_hyper("decay_rate", decay_rate, low=0.0, high=1.0)
        self.eps = _check_hyper("eps", eps, low=0.0, low_open=True)

    def _update(self, x, dx, state, lr, buf):
        rho, eps = self.decay_rate, self.eps
        cache, delta_cache = state["cache"], state["delta_cache"]
        cache *= rho
        np.multiply(dx, dx, out=buf)
        buf *= 1.0 - rho
        cache += buf
        delta = np.sqrt(delta_cache + eps)          # delta = sqrt(delta_cache + eps) / sqrt(cache + eps) * dx
        np.add(cache, eps, out=buf)
        np.sqrt(buf, out=buf)
        delta /= buf
        delta *= dx
        delta_cache *= rho
        np.multiply(delta, delta, out=buf)
        buf *= 1.0 - rho
        delta_cache += buf
        delta *= lr
        x -= delta
