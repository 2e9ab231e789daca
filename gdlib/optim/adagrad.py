r"""Adagrad: per-parameter learning rates from the sum of squared gradients."""
from __future__ import annotations

import numpy as np

from ._base import Optimizer, _check_hyper, _divide_by_root

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad: divide each coordinate's step by the root of its summed squared gradients.

    .. code-block:: python

        cache += dx**2
        x += -learning_rate * dx / (np.sqrt(cache) + eps)

    Parameters
    ----------
    learning_rate : float or callable
        :math:`\eta > 0`, or a schedule.
    eps : float, default 1e-7
        Smoothing term :math:`\epsilon > 0`, added *outside* the square root.

    Raises
    ------
    ValueError
        If ``learning_rate <= 0`` or ``eps <= 0``.

    Notes
    -----
    .. math::

        c_t = c_{t-1} + g_t^2, \qquad
        x_t = x_{t-1} - \frac{\eta_{t-1}\, g_t}{\sqrt{c_t} + \epsilon}
        \quad\text{(elementwise)},

    for the update :math:`t = 1, 2, \dots` with :math:`g_t = \nabla f(x_{t-1})` and
    :math:`c_0 = 0`; ``state[i]["cache"]`` holds :math:`c`. The cache never decreases, so with a
    constant :math:`\eta` the effective rate :math:`\eta/\sqrt{c_t}` never increases (it falls as
    :math:`1/\sqrt t` for a constant gradient): learning slows down and can stall, which
    RMSProp's leaky average avoids.

    **torch.optim and optax.** ``torch.optim.Adagrad`` has the same form with ``eps=1e-10``
    outside the root, ``initial_accumulator_value=0`` and an extra ``lr_decay`` (0 here).
    ``optax.adagrad`` starts the accumulator at ``initial_accumulator_value=0.1`` and adds
    ``eps`` *inside* the root, so its first steps are smaller than these.

    References
    ----------
    J. Duchi, E. Hazan and Y. Singer, "Adaptive subgradient methods for online learning and
    stochastic optimization", JMLR 2011.

    Examples
    --------
    >>> import numpy as np, gdlib as gd
    >>> x = np.array([1.0, 1.0])
    >>> gd.Adagrad(learning_rate=0.1).step(x, np.array([3.0, -0.01]))
    >>> np.round(x, 4)         # both coordinates move by ~learning_rate on the first step
    array([0.9, 1.1])
    """

    buffers = ("cache",)

    def __init__(self, learning_rate=0.01, eps=1e-7):
        super().__init__(learning_rate)
        self.eps = _check_hyper("eps", eps, low=0.0, low_open=True)

    def _update(self, x, dx, state, lr, buf):
        cache = state["cache"]
        np.multiply(dx, dx, out=buf)
        cache += buf
        _divide_by_root(x, dx, cache, self.eps, lr, buf)
