r"""Adamax: Adam with the infinity norm in place of the root mean square."""
from __future__ import annotations

import numpy as np

from ._base import Optimizer, _check_hyper

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax: divide Adam's first moment by an exponentially weighted infinity norm.

    .. code-block:: python

        m = beta1 * m + (1 - beta1) * dx
        u = np.maximum(beta2 * u, np.abs(dx) + eps)
        x += -learning_rate / (1 - beta1**t) * m / u

    Parameters
    ----------
    learning_rate : float or callable, default 2e-3
        :math:`\eta > 0`, or a schedule.
    beta1 : float, default 0.9
        Decay of the first moment, in ``[0, 1)``.
    beta2 : float, default 0.999
        Decay of the infinity norm, in ``[0, 1)``.
    eps : float, default 1e-8
        :math:`\epsilon > 0`, added to :math:`|g|` inside the maximum (so ``u > 0``).

    Raises
    ------
    ValueError
        If ``learning_rate <= 0``, a beta is outside ``[0, 1)`` or ``eps <= 0``.

    Notes
    -----
    With :math:`m_0 = u_0 = 0` and :math:`t = 1, 2, \dots` counting this array's updates:

    .. math::

        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
        u_t = \max(\beta_2 u_{t-1},\ |g_t| + \epsilon), \qquad
        x_t = x_{t-1} - \frac{\eta_{t-1}}{1-\beta_1^t}\, \frac{m_t}{u_t}.

    ``state[i]`` holds ``"m"``, ``"u"`` and ``"t"``.

    **The infinity norm.** Adam scales by :math:`c_t^{1/2}`, an :math:`L^2` average of past
    gradients. Generalising to :math:`L^p`, :math:`c_t = \beta_2^p c_{t-1} + (1-\beta_2^p)|g_t|^p`,
    and letting :math:`p \to \infty`, :math:`c_t^{1/p} \to \max(\beta_2 u_{t-1}, |g_t|)`: a
    running maximum that forgets geometrically. It needs no bias correction (a maximum is not
    biased towards its zero start), so only :math:`m` is corrected. The paper states the simpler
    bound :math:`|\Delta x| \le \eta` on a step. It holds up to a factor: since
    :math:`|g_i| \le \beta_2^{-(t-i)} u_t`, a step is at most
    :math:`\eta\,(1-\beta_1)/(1-\beta_1/\beta_2)` (for :math:`\beta_1 < \beta_2`), which is
    1.009 :math:`\eta` for the defaults, approached by gradients that shrink by the factor
    :math:`\beta_2` at every step (last example); the first step has size
    :math:`\eta\,|g|/(|g|+\epsilon)`.

    **torch.optim and the paper.** ``torch.optim.Adamax(lr, betas=(beta1, beta2), eps)`` is
    exactly these lines (same defaults; ``u`` is its ``exp_inf``). The paper (Kingma & Ba,
    sec. 7.1, Algorithm 2) has no ``eps``: :math:`u_t = \max(\beta_2 u_{t-1}, |g_t|)`, which
    divides 0 by 0 for a coordinate whose gradients have all been 0; torch's ``eps`` inside the
    maximum prevents that and changes nothing once :math:`|g| \gg \epsilon`.
    ``optax.adamax(learning_rate, b1, b2, eps)`` is the same rule (its ``update_infinity_moment``
    also takes :math:`\max(|g| + \epsilon, \beta_2 u)`).

    References
    ----------
    D. P. Kingma and J. Ba, "Adam: A method for stochastic optimization", ICLR 2015, sec. 7.1.

    Examples
    --------
    >>> import numpy as np, gdlib as gd
    >>> x = np.array([1.0, 1.0])
    >>> opt = gd.Adamax(learning_rate=0.1)
    >>> opt.step(x, np.array([5.0, -0.5]))
    >>> np.round(x, 6)           # first step: m/(1-beta1) = g, u = |g| + eps: a step of ~learning_rate
    array([0.9, 1.1])
    >>> opt.step(x, np.array([0.0, 0.0])); np.round(opt.state[0]["u"], 6)   # u keeps beta2 * the peak
    array([4.995 , 0.4995])

    Gradients that shrink by the factor ``beta2`` each step keep ``u_t = |g_t|`` while ``m``
    remembers the larger past ones: the step exceeds the paper's bound ``learning_rate`` a little.

    >>> opt, x, steps = gd.Adamax(learning_rate=1.0), np.zeros(1), []
    >>> for t in range(1, 201):
    ...     before = x[0]
    ...     opt.step(x, np.array([0.999 ** t]))
    ...     steps.append(float(before - x[0]))
    >>> round(max(steps), 4), round((1 - 0.9) / (1 - 0.9 / 0.999), 4)   # largest step, the bound
    (1.0091, 1.0091)
    """

    buffers = ("m", "u")

    def __init__(self, learning_rate=2e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(learning_rate)
        self.beta1 = _check_hyper("beta1", beta1, low=0.0, high=1.0)
        self.beta2 = _check_hyper("beta2", beta2, low=0.0, high=1.0)
        self.eps = _check_hyper("eps", eps, low=0.0, low_open=True)

    def _update(self, x, dx, state, lr, buf):
        b1, m, u = self.beta1, state["m"], state["u"]
        m *= b1
        np.multiply(dx, 1.0 - b1, out=buf)
        m += buf
        u *= self.beta2
        np.abs(dx, out=buf)
        buf += self.eps
        np.maximum(u, buf, out=u)
        np.divide(m, u, out=buf)
        buf *= lr / (1.0 - b1 ** state["t"])
        x -= buf
