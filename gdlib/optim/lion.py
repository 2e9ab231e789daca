r"""Lion: the sign of an interpolated momentum (Chen et al. 2023)."""
from __future__ import annotations

import numpy as np

from ._base import Optimizer, _check_hyper

__all__ = ["Lion"]


class Lion(Optimizer):
    r"""Lion (EvoLved Sign Momentum): step by the sign of a blend of momentum and gradient.

    .. code-block:: python

        update = np.sign(beta1 * m + (1 - beta1) * dx)
        x += -learning_rate * (update + weight_decay * x)
        m = beta2 * m + (1 - beta2) * dx

    Parameters
    ----------
    learning_rate : float or callable, default 1e-4
        :math:`\eta > 0`, or a schedule. Every coordinate moves by exactly :math:`\eta` (or 0)
        per step, so Lion wants a rate 3-10 times smaller than Adam's (the paper's advice).
    beta1 : float, default 0.9
        Weight of the momentum in the blended gradient whose sign is the step, in ``[0, 1)``.
    beta2 : float, default 0.99
        Decay of the momentum ``m``, in ``[0, 1)``.
    weight_decay : float, default 0.0
        Decoupled weight decay :math:`\alpha \ge 0`, multiplied by :math:`\eta` as in AdamW.

    Raises
    ------
    ValueError
        If ``learning_rate <= 0``, a beta is outside ``[0, 1)`` or ``weight_decay < 0``.

    Notes
    -----
    With :math:`m_0 = 0` and :math:`\alpha` = ``weight_decay``:

    .. math::

        \tilde g_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
        x_t = x_{t-1} - \eta_{t-1}\,\big(\operatorname{sign}(\tilde g_t) + \alpha\, x_{t-1}\big), \qquad
        m_t = \beta_2 m_{t-1} + (1-\beta_2) g_t.

    ``state[i]`` holds ``"m"`` and ``"t"``. :math:`\operatorname{sign}(0) = 0`, as in numpy and
    optax. Two betas: the step direction mixes in the current gradient with weight
    :math:`1-\beta_1 = 0.1`, while the stored momentum forgets more slowly
    (:math:`1-\beta_2 = 0.01`). The update is the steepest-descent step in the
    :math:`\infty`-norm for the blended gradient :math:`\tilde g_t`: of all steps with
    :math:`\|\Delta x\|_\infty \le \eta` it decreases the linear model :math:`\tilde g_t^\top \Delta x`
    most. No bias correction is needed, since a sign does not depend on scale.

    **The paper, optax and torch.** These are the lines of Algorithm 2 of the paper (its
    weight-decay strength is this ``weight_decay``), and of
    ``optax.lion(learning_rate, b1, b2, weight_decay)`` (optax's default weight decay is
    1e-3; here 0). ``torch.optim`` has no Lion.

    References
    ----------
    X. Chen, C. Liang, D. Huang, E. Real, K. Wang, Y. Liu, H. Pham, X. Dong, T. Luong,
    C.-J. Hsieh, Y. Lu and Q. V. Le, "Symbolic discovery of optimization algorithms",
    NeurIPS 2023, Algorithm 2.

    Examples
    --------
    >>> import numpy as np, gdlib as gd
    >>> x = np.array([1.0, 1.0, 1.0])
    >>> opt = gd.Lion(learning_rate=0.1)
    >>> opt.step(x, np.array([5.0, -0.001, 0.0]))
    >>> x                          # every coordinate moves by learning_rate, whatever |g|
    array([0.9, 1.1, 1. ])
    >>> opt.state[0]["m"]
    array([ 5.e-02, -1.e-05,  0.e+00])
    """

    buffers = ("m",)

    def __init__(self, learning_rate=1e-4, beta1=0.9, beta2=0.99, weight_decay=0.0):
        super().__init__(learning_rate)
        self.beta1 = _check_hyper("beta1", beta1, low=0.0, high=1.0)
        self.beta2 = _check_hyper("beta2", beta2, low=0.0, high=1.0)
        self.weight_decay = _check_hyper("weight_decay", weight_decay, low=0.0)

    def _update(self, x, dx, state, lr, buf):
        b1, b2, m = self.beta1, self.beta2, state["m"]
        np.multiply(m, b1, out=buf)                  # beta1 * m + (1 - beta1) * dx, then its sign
        buf += (1.0 - b1) * dx
        np.sign(buf, out=buf)
        if self.weight_decay:
            buf += self.weight_decay * x
        buf *= lr
        x -= buf
        m *= b2                                      # m = beta2 * m + (1 - beta2) * dx
        m += (1.0 - b2) * dx
