r"""RMSProp: Adagrad with a leaky (exponentially weighted) average of squared gradients."""
from __future__ import annotations

import numpy as np

from ._base import Optimizer, _check_hyper, _divide_by_root

__all__ = ["RMSProp"]


class RMSProp(Optimizer):
    r"""RMSProp: divide the step by the root of a leaky average of squared gradients.

    .. code-block:: python

        cache = decay_rate * cache + (1 - decay_rate) * dx**2
        x += -learning_rate * dx / (np.sqrt(cache) + eps)

    Parameters
    ----------
    learning_rate : float or callable
        :math:`\eta > 0`, or a schedule.
    decay_rate : float, default 0.99
        :math:`\beta \in [0, 1)`; the average spans about :math:`1/(1-\beta)` steps.
    eps : float, default 1e-7
        :math:`\epsilon > 0`, added *outside* the square root.

    Raises
    ------
    ValueError
        If ``learning_rate <= 0``, ``decay_rate`` is outside ``[0, 1)`` or ``eps <= 0``.

    Notes
    -----
    .. math::

        c_t = \beta\, c_{t-1} + (1-\beta)\, g_t^2, \qquad
        x_t = x_{t-1} - \frac{\eta_{t-1}\, g_t}{\sqrt{c_t} + \epsilon},

    for the update :math:`t = 1, 2, \dots` with :math:`g_t = \nabla f(x_{t-1})` and
    :math:`c_0 = 0`; ``state[i]["cache"]`` holds :math:`c`.

    **Pitfall.** The course notes this comes from wrote the first line as
    ``cache += decay_rate * cache + (1 - decay_rate) * dx**2``. That adds the old cache back
    in: the cache grows like :math:`(1+\beta)^t`, and the steps vanish. The leaky average
    *replaces* the cache.

    **torch.optim and optax.** ``torch.optim.RMSprop(lr, alpha=decay_rate, eps)`` is this rule
    (``alpha`` is ``decay_rate``; default 0.99, ``eps=1e-8`` outside the root; no
    bias correction; its ``momentum`` and ``centered`` options are 0 and off here).
    ``optax.rmsprop(learning_rate, decay=0.9, eps=1e-8)`` adds ``eps`` *inside* the root by
    default (:math:`g/\sqrt{c+\epsilon}`), which matters when :math:`c` is tiny.

    References
    ----------
    T. Tieleman and G. Hinton, "Lecture 6.5: rmsprop", COURSERA: Neural Networks for Machine
    Learning, 2012.

    Examples
    --------
    >>> import numpy as np, gdlib as gd
    >>> x = np.array([0.0])
    >>> opt = gd.RMSProp(learning_rate=0.01, decay_rate=0.9)
    >>> opt.step(x, np.array([2.0]))
    >>> opt.state[0]["cache"]      # 0.9 * 0 + 0.1 * 2**2
    array([0.4])
    """

    buffers = ("cache",)

    def __init__(self, learning_rate=0.01, decay_rate=0.99, eps=1e-7):
        super().__init__(learning_rate)
        self.decay_rate = _check_hyper("decay_rate", decay_rate, low=0.0, high=1.0)
        self.eps = _check_hyper("eps", eps, low=0.0, low_open=True)

    def _update(self, x, dx, state, lr, buf):
        cache = state["cache"]
        cache *= self.decay_rate
        np.multiply(dx, dx, out=buf)
        buf *= 1.0 - self.decay_rate
        cache += buf
        _divide_by_root(x, dx, cache, self.eps, lr, buf)
