r"""RAdam: Adam with the variance of its adaptive learning rate rectified."""
from __future__ import annotations

import math

import numpy as np

from .adam import Adam

__all__ = ["RAdam"]


class RAdam(Adam):
    r"""RAdam: momentum SGD while the second moment is too young to trust, then rectified Adam.

    .. code-block:: python

        m = beta1 * m + (1 - beta1) * dx
        v = beta2 * v + (1 - beta2) * (dx**2)
        m_hat = m / (1 - beta1**t)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
        if rho_t > 5:
            r = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            x += -learning_rate * m_hat * r * np.sqrt(1 - beta2**t) / (np.sqrt(v) + eps)
        else:
            x += -learning_rate * m_hat          # un-adapted: SGD with momentum

    Parameters
    ----------
    learning_rate : float or callable, default 1e-3
        :math:`\eta > 0`, or a schedule.
    beta1 : float, default 0.9
        Decay of the first moment, in ``[0, 1)``.
    beta2 : float, default 0.999
        Decay of the second moment, in ``[0, 1)``.
    eps : float, default 1e-8
        :math:`\epsilon > 0`, added to :math:`\sqrt{c_t}` (the *uncorrected* root, as torch).

    Raises
    ------
    ValueError
        If ``learning_rate <= 0``, a beta is outside ``[0, 1)`` or ``eps <= 0``.

    Notes
    -----
    **The variance of the adaptive rate.** Adam's per-coordinate rate :math:`1/\sqrt{\hat c_t}`
    is estimated from few gradients early on, and Liu et al. show its variance is large then
    (divergent at :math:`t = 1` in their model): the early updates follow noise, which they
    argue is why Adam needs a warm-up.
    Liu et al. model :math:`c_t` as a simple moving average of :math:`\rho^{\mathrm{SMA}}_t` squared
    gradients (their :math:`\rho_t`, written with SMA here because :math:`\rho` is a rate in the
    course), with

    .. math::

        \rho^{\mathrm{SMA}}_{\infty} = \frac{2}{1-\beta_2} - 1, \qquad
        \rho^{\mathrm{SMA}}_t = \rho^{\mathrm{SMA}}_{\infty} - \frac{2 t \beta_2^t}{1 - \beta_2^t},

    (:math:`\rho^{\mathrm{SMA}}_1 = 1`, rising to :math:`\rho^{\mathrm{SMA}}_{\infty}`; 1999 for :math:`\beta_2 = 0.999`).
    For Gaussian gradients :math:`1/\hat c_t` is then a scaled inverse :math:`\chi^2` with
    :math:`\rho^{\mathrm{SMA}}_t` degrees of freedom, and the rate :math:`1/\sqrt{\hat c_t}` has a finite
    variance for :math:`\rho^{\mathrm{SMA}}_t > 2`; the paper uses its first-order approximation
    :math:`\operatorname{Var}(1/\sqrt{\hat c_t}) \approx \rho^{\mathrm{SMA}}_t / (2(\rho^{\mathrm{SMA}}_t - 2)(\rho^{\mathrm{SMA}}_t - 4)\sigma^2)`,
    finite only for :math:`\rho^{\mathrm{SMA}}_t > 4`. The rectification term

    .. math::

        r_t = \sqrt{\frac{(\rho^{\mathrm{SMA}}_t - 4)(\rho^{\mathrm{SMA}}_t - 2)\,\rho^{\mathrm{SMA}}_{\infty}}
                         {(\rho^{\mathrm{SMA}}_{\infty} - 4)(\rho^{\mathrm{SMA}}_{\infty} - 2)\,\rho^{\mathrm{SMA}}_t}}

    is the square root of that approximation at :math:`t \to \infty` over its value at :math:`t`: it scales
    the adaptive step so its (approximated) variance equals the variance at :math:`t \to \infty`
    (:math:`r_t \to 1`). Near :math:`\rho^{\mathrm{SMA}}_t = 4` the approximation exceeds the exact variance
    (about 2.2 times at :math:`t = 6`), so the first rectified steps are smaller than variance matching needs.
    While :math:`\rho^{\mathrm{SMA}}_t \le 5` the step is not adapted at all,
    :math:`x_t = x_{t-1} - \eta_{t-1} \hat m_t` (momentum SGD with a bias-corrected buffer); for
    :math:`\beta_2 = 0.999` that is the first 5 steps. Warm-up is the alternative
    (:func:`gdlib.schedules.warmup`): RAdam builds an automatic one into the rate.

    ``state[i]`` holds ``"m"``, ``"v"`` (:math:`c_t`, uncorrected) and ``"t"``; :meth:`rho` gives
    :math:`\rho^{\mathrm{SMA}}_t`.

    **torch.optim and the paper.** ``torch.optim.RAdam(lr, betas, eps)`` (``weight_decay=0``)
    is exactly these lines, same defaults, including its threshold :math:`\rho^{\mathrm{SMA}}_t > 5` (the
    authors' code tests :math:`\ge 5`, the same steps unless :math:`\rho^{\mathrm{SMA}}_t` hits 5
    exactly) and ``eps`` added to :math:`\sqrt{c_t}` before the
    :math:`\sqrt{1-\beta_2^t}` correction divides it: next to :math:`\sqrt{\hat c_t}` it is
    :math:`\epsilon/\sqrt{1-\beta_2^t}`, larger than Adam's :math:`\epsilon` early on. The paper's
    Algorithm 2 has no ``eps`` and the
    threshold :math:`\rho^{\mathrm{SMA}}_t > 4`. ``optax.radam`` uses ``threshold=5.0`` too and adds ``eps``
    to the corrected root.

    References
    ----------
    L. Liu, H. Jiang, P. He, W. Chen, X. Liu, J. Gao and J. Han, "On the variance of the
    adaptive learning rate and beyond", ICLR 2020.

    Examples
    --------
    >>> import numpy as np, gdlib as gd
    >>> opt = gd.RAdam(learning_rate=0.1)
    >>> [round(opt.rho(t), 3) for t in (1, 5, 6)]     # un-adapted while rho_t <= 5: steps 1..5
    [1.0, 4.996, 5.994]
    >>> x = np.array([1.0, 1.0])
    >>> opt.step(x, np.array([5.0, -0.5]))
    >>> x                                              # step 1: x -= learning_rate * m_hat = learning_rate * g
    array([0.5 , 1.05])

    The approximation behind :math:`r_t` against the model's exact variance of :math:`1/\sqrt{\hat c_t}`
    (:math:`\sigma = 1`) at :math:`t = 6`:

    >>> from math import exp, lgamma
    >>> rho = opt.rho(6)
    >>> exact = rho / (rho - 2) - rho / 2 * exp(2 * (lgamma((rho - 1) / 2) - lgamma(rho / 2)))
    >>> round(rho / (2 * (rho - 2) * (rho - 4)) / exact, 2)
    2.15
    """

    def rho(self, t: int) -> float:
        r""":math:`\rho^{\mathrm{SMA}}_t`, the length of the moving average :math:`c_t` approximates (``t >= 1``)."""
        b2 = self.beta2
        rho_inf = 2.0 / (1.0 - b2) - 1.0
        return rho_inf - 2.0 * t * b2 ** t / (1.0 - b2 ** t)

    def _update(self, x, dx, state, lr, buf):
        b1, b2, t = self.beta1, self.beta2, state["t"]
        self._moments(dx, state, buf)
        rho_t = self.rho(t)
        np.divide(state["m"], 1.0 - b1 ** t, out=buf)      # m_hat
        if rho_t > 5.0:
            rho_inf = 2.0 / (1.0 - b2) - 1.0
            r = math.sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
            buf *= lr * r * math.sqrt(1.0 - b2 ** t)
            buf /= np.sqrt(state["v"]) + self.eps
        else:
            buf *= lr
        x -= buf
