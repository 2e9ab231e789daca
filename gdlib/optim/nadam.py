r"""NAdam: Adam with Nesterov momentum, in Dozat's form with a momentum schedule."""
from __future__ import annotations

import numpy as np

from ._base import _check_hyper
from .adam import Adam

__all__ = ["NAdam"]


class NAdam(Adam):
    r"""NAdam: Adam whose first moment looks one step ahead, as Nesterov momentum does.

    .. code-block:: python

        mu = beta1 * (1 - 0.5 * 0.96**(t * momentum_decay))            # mu_t
        mu_next = beta1 * (1 - 0.5 * 0.96**((t + 1) * momentum_decay))  # mu_{t+1}
        mu_product = mu_product * mu                                     # mu_1 * ... * mu_t
        m = beta1 * m + (1 - beta1) * dx
        v = beta2 * v + (1 - beta2) * (dx**2)
        denom = np.sqrt(v / (1 - beta2**t)) + eps
        x += -learning_rate * (1 - mu) / (1 - mu_product) * dx / denom
        x += -learning_rate * mu_next / (1 - mu_product * mu_next) * m / denom

    Parameters
    ----------
    learning_rate : float or callable, default 2e-3
        :math:`\eta > 0`, or a schedule.
    beta1 : float, default 0.9
        Decay of the first moment, in ``[0, 1)``; also the limit of the momentum schedule.
    beta2 : float, default 0.999
        Decay of the second moment, in ``[0, 1)``.
    eps : float, default 1e-8
        :math:`\epsilon > 0`, added *outside* the square root.
    momentum_decay : float, default 4e-3
        :math:`\psi \ge 0` of the momentum schedule (Dozat's 0.004); 0 gives the constant
        :math:`\mu_t = \beta_1/2`.

    Raises
    ------
    ValueError
        If ``learning_rate <= 0``, a beta is outside ``[0, 1)``, ``eps <= 0`` or
        ``momentum_decay < 0``.

    Notes
    -----
    With :math:`m_0 = c_0 = 0`, :math:`t = 1, 2, \dots` and the momentum schedule
    :math:`\mu_t = \beta_1 \left(1 - \tfrac12\, 0.96^{t\psi}\right)` (which rises from about
    :math:`\beta_1/2` towards :math:`\beta_1`):

    .. math::

        m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
        c_t = \beta_2 c_{t-1} + (1-\beta_2) g_t^2, \qquad
        \hat c_t = \frac{c_t}{1-\beta_2^t}, \\
        x_t &= x_{t-1} - \frac{\eta_{t-1}}{\sqrt{\hat c_t} + \epsilon}
        \left( \frac{(1-\mu_t)\, g_t}{1 - \prod_{i=1}^{t} \mu_i}
             + \frac{\mu_{t+1}\, m_t}{1 - \prod_{i=1}^{t+1} \mu_i} \right).

    **Why this is Nesterov.** Adam's step uses :math:`\hat m_t`, the momentum *including*
    this gradient. Nesterov's look-ahead applies the *next* step's momentum now: Dozat
    replaces :math:`\hat m_t = \beta_1 \hat m_{t-1} + (1-\beta_1) g_t` (bias corrections aside)
    by :math:`\mu_{t+1} \hat m_t + (1-\mu_t) \hat g_t`, the gradient's share weighted by this
    step's coefficient, the momentum's by the next one's. The bias corrections use the
    products of the :math:`\mu`'s because the coefficients change with :math:`t`.

    ``state[i]`` holds ``"m"``, ``"v"`` (:math:`c_t`, uncorrected), ``"mu_product"``
    (:math:`\prod_{i\le t} \mu_i`, a float, 1 before the first step) and ``"t"``.

    **torch.optim and the paper.** ``torch.optim.NAdam(lr, betas, eps, momentum_decay)``
    (``weight_decay=0``) is exactly these lines, same defaults; like torch, :math:`m` is
    averaged with the constant :math:`\beta_1` and :math:`\mu_t` enters only the step. Dozat's
    Algorithm 2 averages :math:`m_t = \mu_t m_{t-1} + (1-\mu_t) g_t` with the schedule itself, so
    its :math:`m` differs from this one whenever :math:`\mu_t` varies; the schedule is his
    section 3 suggestion. ``optax.nadam`` uses a constant :math:`\mu = \beta_1` and Adam's
    bias corrections (no schedule, no products).

    References
    ----------
    T. Dozat, "Incorporating Nesterov momentum into Adam", ICLR 2016 workshop.

    Examples
    --------
    >>> import numpy as np, gdlib as gd
    >>> x = np.array([1.0])
    >>> opt = gd.NAdam(learning_rate=0.1)
    >>> opt.step(x, np.array([3.0]))
    >>> round(opt.state[0]["mu_product"], 6)          # mu_1 = 0.9 * (1 - 0.5 * 0.96**0.004)
    0.450073
    >>> mu_2 = opt.mu_at(2)                           # m / sqrt(v_hat) = 0.3 / 3 at step 1
    >>> bool(np.isclose(x[0], 1 - 0.1 * (1.0 + mu_2 * 0.1 / (1 - 0.450073 * mu_2))))
    True
    >>> x.round(6)                                    # the gradient's full step plus the look-ahead momentum
    array([0.894355])
    """

    def __init__(self, learning_rate=2e-3, beta1=0.9, beta2=0.999, eps=1e-8, momentum_decay=4e-3):
        super().__init__(learning_rate, beta1, beta2, eps)
        self.momentum_decay = _check_hyper("momentum_decay", momentum_decay, low=0.0)

    def _init_state(self, x):
        state = super()._init_state(x)
        state["mu_product"] = 1.0
        return state

    def mu_at(self, t: int) -> float:
        r"""The momentum coefficient :math:`\mu_t = \beta_1 (1 - \frac12 0.96^{t\psi})` of update ``t`` (1-based)."""
        return self.beta1 * (1.0 - 0.5 * 0.96 ** (t * self.momentum_decay))

    def _update(self, x, dx, state, lr, buf):
        t = state["t"]
        mu, mu_next = self.mu_at(t), self.mu_at(t + 1)
        state["mu_product"] *= mu
        mu_product = state["mu_product"]
        self._moments(dx, state, buf)
        denom = state["v"] / (1.0 - self.beta2 ** t)
        np.sqrt(denom, out=denom)
        denom += self.eps
        np.divide(dx, denom, out=buf)
        buf *= lr * (1.0 - mu) / (1.0 - mu_product)
        x -= buf
        np.divide(state["m"], denom, out=buf)
        buf *= lr * mu_next / (1.0 - mu_product * mu_next)
        x -= buf
