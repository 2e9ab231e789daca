r"""Adam and its two variants, AdamW (decoupled weight decay) and AMSGrad."""
from __future__ import annotations

import numpy as np

from ._base import Optimizer, _check_hyper

__all__ = ["Adam", "AdamW", "AMSGrad"]


class Adam(Optimizer):
    r"""Adam: momentum on the gradient, RMSProp on its square, both bias-corrected.

    .. code-block:: python

        m = beta1 * m + (1 - beta1) * dx
        v = beta2 * v + (1 - beta2) * (dx**2)
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        x += -learning_rate * m_hat / (np.sqrt(v_hat) + eps)

    Parameters
    ----------
    learning_rate : float or callable, default 1e-3
        :math:`\eta > 0`, or a schedule.
    beta1 : float, default 0.9
        Decay of the first moment, in ``[0, 1)``.
    beta2 : float, default 0.999
        Decay of the second moment, in ``[0, 1)``.
    eps : float, default 1e-8
        :math:`\epsilon > 0`, added *outside* the square root.

    Raises
    ------
    ValueError
        If ``learning_rate <= 0``, a beta is outside ``[0, 1)`` or ``eps <= 0``.

    Notes
    -----
    With :math:`m_0 = c_0 = 0` and :math:`t = 1, 2, \dots` counting this array's updates:

    .. math::

        m_t &= \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
        c_t = \beta_2 c_{t-1} + (1-\beta_2) g_t^2, \\
        \hat m_t &= \frac{m_t}{1-\beta_1^t}, \qquad \hat c_t = \frac{c_t}{1-\beta_2^t}, \qquad
        x_t = x_{t-1} - \eta_{t-1} \frac{\hat m_t}{\sqrt{\hat c_t} + \epsilon}.

    ``state[i]`` holds ``"m"``, ``"v"`` (the *uncorrected* running moments :math:`m_t` and
    :math:`c_t`: the paper's and torch's :math:`v_t`, written :math:`c_t` in the course, where
    :math:`v` is momentum's velocity) and ``"t"``. The corrections undo the bias of starting the averages at zero:
    :math:`\mathbb E[m_t] = (1-\beta_1^t)\,\mathbb E[g]` for a stationary gradient.

    **Pitfall.** Writing the correction in place, ``m /= 1 - beta1**t``, corrupts the running
    moment: the next step averages an already-inflated ``m``. The corrected estimates
    ``m_hat``, ``v_hat`` are separate arrays (here: folded into the step size, below).

    **Implementation.** The step computes
    :math:`x \mathrel{-}= \frac{\eta\sqrt{1-\beta_2^t}}{1-\beta_1^t}\, m / (\sqrt{c} + \epsilon\sqrt{1-\beta_2^t})`,
    algebraically the lines above (multiply the fraction through by :math:`\sqrt{1-\beta_2^t}`),
    in place in one preallocated buffer; it never writes a corrected value back into ``m`` or
    ``v``. ``torch.optim.Adam`` folds only :math:`1/(1-\beta_1^t)` into the step size and
    divides :math:`\sqrt{c}` by :math:`\sqrt{1-\beta_2^t}` before adding ``eps``; Kingma and
    Ba's "more efficient" ordering folds both but adds an unscaled :math:`\hat\epsilon` to
    :math:`\sqrt{c_t}` (Keras, below). The first two are the same rule up to rounding.

    **torch.optim and optax.** ``torch.optim.Adam(lr, betas=(beta1, beta2), eps)`` is the same
    rule with ``eps`` outside the root (same defaults); ``optax.adam`` also puts ``eps``
    outside (and has an ``eps_root`` inside, default 0). Keras's ``epsilon`` is the paper's
    "epsilon hat", added to :math:`\sqrt{c_t}` without the :math:`\sqrt{1-\beta_2^t}` scaling.

    References
    ----------
    D. P. Kingma and J. Ba, "Adam: A method for stochastic optimization", ICLR 2015.

    Examples
    --------
    >>> import numpy as np, gdlib as gd
    >>> x = np.array([1.0, 1.0])
    >>> gd.Adam(learning_rate=0.1).step(x, np.array([5.0, -0.001]))
    >>> np.round(x, 6)          # the first step has size ~learning_rate whatever the gradient's scale
    array([0.9     , 1.099999])
    """

    buffers = ("m", "v")

    def __init__(self, learning_rate=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(learning_rate)
        self.beta1 = _check_hyper("beta1", beta1, low=0.0, high=1.0)
        self.beta2 = _check_hyper("beta2", beta2, low=0.0, high=1.0)
        self.eps = _check_hyper("eps", eps, low=0.0, low_open=True)

    def _moments(self, dx, state, buf):
        """Update m and v in place (the first two lines), using ``buf`` as scratch."""
        b1, b2 = self.beta1, self.beta2
        m, v = state["m"], state["v"]
        m *= b1
        np.multiply(dx, 1.0 - b1, out=buf)
        m += buf
        v *= b2
        np.multiply(dx, dx, out=buf)
        buf *= 1.0 - b2
        v += buf

    def _apply(self, x, m, second, t, lr, buf):
        """x -= lr * m_hat / (sqrt(second_hat) + eps), in place, through ``buf``.

        With c1 = 1 - beta1**t and c2 = 1 - beta2**t, ``m_hat / (sqrt(second_hat) + eps)``
        equals ``(sqrt(c2) / c1) * m / (sqrt(second) + eps * sqrt(c2))``: scalars fold into one
        multiply and ``m``, ``second`` are only read.
        """
        sqrt_c2 = np.sqrt(1.0 - self.beta2 ** t)
        np.sqrt(second, out=buf)
        buf += self.eps * sqrt_c2
        np.divide(m, buf, out=buf)
        buf *= lr * sqrt_c2 / (1.0 - self.beta1 ** t)
        x -= buf

    def _update(self, x, dx, state, lr, buf):
        self._moments(dx, state, buf)
        self._apply(x, state["m"], state["v"], state["t"], lr, buf)


class AdamW(Adam):
    r"""AdamW: Adam with weight decay decoupled from the gradient.

    .. code-block:: python

        x -= learning_rate * weight_decay * x     # decay the weights directly
        # ... then the Adam update of x with dx (m, v, m_hat, v_hat as in Adam)

    Parameters
    ----------
    learning_rate : float or callable, default 1e-3
    beta1, beta2 : float, default 0.9, 0.999
    eps : float, default 1e-8
    weight_decay : float, default 1e-2
        :math:`\alpha \ge 0`.

    Raises
    ------
    ValueError
        For invalid Adam hyperparameters or ``weight_decay < 0``.

    Notes
    -----
    .. math:: x_t = (1 - \eta_{t-1} \alpha)\, x_{t-1} - \eta_{t-1} \frac{\hat m_t}{\sqrt{\hat c_t} + \epsilon}

    Adding :math:`\alpha x` to the gradient (L2 regularisation) would pass the decay through
    Adam's per-coordinate scaling, so coordinates with large gradients would be decayed less;
    decoupling applies the same relative decay to every weight.

    **torch.optim and optax.** ``torch.optim.AdamW`` multiplies by :math:`1-\eta_{t-1}\alpha`
    before the Adam step, as here; ``optax.adamw`` adds :math:`\alpha x` to the Adam direction
    and scales both by :math:`-\eta_{t-1}`, the same update (its default ``weight_decay`` is
    1e-4, torch's and this class's 1e-2). The paper's Algorithm 2 subtracts its :math:`\lambda`
    (the course's :math:`\alpha`) times :math:`x_{t-1}` times the schedule multiplier alone (it
    writes the multiplier :math:`\eta_t` and the learning rate :math:`\alpha`, which multiplies only
    the Adam step). torch's rate is the paper's learning rate times the multiplier, so the two
    agree when ``weight_decay`` is the paper's :math:`\lambda` divided by its learning rate.

    References
    ----------
    I. Loshchilov and F. Hutter, "Decoupled weight decay regularization", ICLR 2019.

    Examples
    --------
    >>> import numpy as np, gdlib as gd
    >>> x = np.array([2.0])
    >>> gd.AdamW(learning_rate=0.1, weight_decay=0.5).step(x, np.array([0.0]))
    >>> x                   # zero gradient: only the decay acts, 2 * (1 - 0.1 * 0.5)
    array([1.9])
    """

    def __init__(self, learning_rate=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
        super().__init__(learning_rate, beta1, beta2, eps)
        self.weight_decay = _check_hyper("weight_decay", weight_decay, low=0.0)

    def _update(self, x, dx, state, lr, buf):
        if self.weight_decay:
            x *= 1.0 - lr * self.weight_decay
        super()._update(x, dx, state, lr, buf)


class AMSGrad(Adam):
    r"""AMSGrad: Adam that divides by the running maximum of its second moment.

    .. code-block:: python

        m = beta1 * m + (1 - beta1) * dx
        v = beta2 * v + (1 - beta2) * (dx**2)
        v_max = np.maximum(v_max, v)
        m_hat = m / (1 - beta1**t)
        x += -learning_rate * m_hat / (np.sqrt(v_max / (1 - beta2**t)) + eps)

    Parameters
    ----------
    learning_rate : float or callable, default 1e-3
    beta1, beta2 : float, default 0.9, 0.999
    eps : float, default 1e-8

    Raises
    ------
    ValueError
        For invalid hyperparameters, as :class:`Adam`.

    Notes
    -----
    Adam's effective step :math:`\eta/\sqrt{\hat c_t}` can grow when a large, rare gradient is
    forgotten; Reddi et al. build an online convex problem on which Adam (with :math:`\beta_1 = 0`,
    a :math:`\beta_2` tied to the problem and :math:`\eta_t \propto 1/\sqrt t`, their Theorem 1)
    therefore converges to the worst point of the domain, and, for any
    :math:`\beta_1 < \sqrt{\beta_2}`, one on which its average regret does not vanish
    (Theorem 2). AMSGrad keeps the running maximum :math:`c^{\max}_t =
    \max(c^{\max}_{t-1}, c_t)` of the uncorrected :math:`c_t`, so a large gradient is not
    forgotten. ``state[i]`` adds ``"v_max"``.

    In Reddi et al.'s Algorithm 2, which has no bias correction, the effective rate
    :math:`\eta_{t-1}/\sqrt{c^{\max}_t}` is non-increasing (for a non-increasing learning rate).
    Here, as in ``torch.optim``, :math:`c^{\max}_t` is divided by :math:`1-\beta_2^t`, so the
    effective rate :math:`\eta\sqrt{1-\beta_2^t}/\sqrt{c^{\max}_t}` **grows** while
    :math:`c^{\max}_t` stays fixed, by up to :math:`1/\sqrt{1-\beta_2^{t_0}}` if the maximum
    was set at step :math:`t_0`: one gradient of 1, then gradients of ``1e-3``, give
    1.41 :math:`\eta` at :math:`t = 2` and 25 :math:`\eta` at :math:`t = 1000` (last example).

    **torch.optim and optax.** ``torch.optim.Adam(amsgrad=True)`` is exactly this (maximum of
    the uncorrected :math:`c`, then divided by :math:`1-\beta_2^t`). ``optax.amsgrad`` takes
    the maximum of the bias-corrected :math:`\hat c_t` instead. The paper's Algorithm 2 uses no
    bias correction at all.

    References
    ----------
    S. J. Reddi, S. Kale and S. Kumar, "On the convergence of Adam and beyond", ICLR 2018.

    Examples
    --------
    >>> import numpy as np, gdlib as gd
    >>> x = np.array([0.0])
    >>> opt = gd.AMSGrad(learning_rate=0.1, beta2=0.5)
    >>> opt.step(x, np.array([4.0])); opt.step(x, np.array([0.0]))
    >>> opt.state[0]["v"], opt.state[0]["v_max"]     # v decays, v_max keeps the peak
    (array([4.]), array([8.]))

    The bias-corrected effective rate grows while ``v_max`` is fixed (``beta1=0``, so a step
    divided by its gradient is the effective rate):

    >>> opt, x = gd.AMSGrad(learning_rate=1.0, beta1=0.0), np.zeros(1)
    >>> opt.step(x, np.array([1.0]))
    >>> rates = []
    >>> for t in range(2, 1001):
    ...     before = x.copy()
    ...     opt.step(x, np.array([1e-3]))
    ...     rates.append(float(before[0] - x[0]) / 1e-3)
    >>> round(rates[0], 2), round(rates[-1], 1)     # t = 2 and t = 1000, in units of learning_rate
    (1.41, 25.1)
    """

    buffers = ("m", "v", "v_max")

    def _update(self, x, dx, state, lr, buf):
        self._moments(dx, state, buf)
        np.maximum(state["v_max"], state["v"], out=state["v_max"])
        self._apply(x, state["m"], state["v_max"], state["t"], lr, buf)
