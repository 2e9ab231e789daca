r"""Rprop: per-coordinate step sizes driven by the sign of the gradient alone."""
from __future__ import annotations

import numpy as np

from ._base import Optimizer, _check_hyper

__all__ = ["Rprop"]


class Rprop(Optimizer):
    r"""Rprop (resilient backpropagation): grow a coordinate's step while its gradient keeps its sign.

    .. code-block:: python

        sign = np.sign(dx * dx_prev)
        step_size *= np.where(sign > 0, eta_plus, np.where(sign < 0, eta_minus, 1.0))
        step_size = np.clip(step_size, step_min, step_max)
        dx = np.where(sign < 0, 0.0, dx)        # after a sign change: no move, and no change next step
        x += -np.sign(dx) * step_size
        dx_prev = dx

    Parameters
    ----------
    learning_rate : float, default 1e-2
        The initial step size :math:`\eta_0 > 0` of every coordinate. It is used once, to fill
        ``step_size`` at the first step, so a schedule is refused (it would be ignored).
    eta_minus : float, default 0.5
        :math:`\eta^- \in (0, 1)`, the factor that shrinks a step after a sign change.
    eta_plus : float, default 1.2
        :math:`\eta^+ > 1`, the factor that grows a step while the sign holds.
    step_min : float, default 1e-6
        Smallest step size, :math:`> 0`.
    step_max : float, default 50.0
        Largest step size, :math:`\ge` ``step_min``.

    Raises
    ------
    ValueError
        If ``learning_rate <= 0``, ``eta_minus`` is outside ``(0, 1)``, ``eta_plus <= 1``,
        ``step_min <= 0`` or ``step_max < step_min``.
    TypeError
        If ``learning_rate`` is a schedule.

    Notes
    -----
    Elementwise, each coordinate with its own step size :math:`\eta_t` (a learning rate that
    adapts), :math:`\eta_0` = ``learning_rate``, :math:`g^{\text{prev}}_0 = 0` and
    :math:`p_t = g_t\, g^{\text{prev}}_{t-1}`:

    .. math::

        \eta_t &= \operatorname{clip}\!\left(\eta_{t-1} \cdot
            \begin{cases} \eta^+ & p_t > 0 \\ \eta^- & p_t < 0 \\ 1 & p_t = 0 \end{cases},\
            \eta_{\min}, \eta_{\max}\right), \\
        g^{\text{prev}}_t &= \begin{cases} 0 & p_t < 0 \\ g_t & \text{otherwise} \end{cases},
        \qquad x_t = x_{t-1} - \operatorname{sign}(g^{\text{prev}}_t)\, \eta_t ,

    with :math:`\eta_{\min}, \eta_{\max}` = ``step_min``, ``step_max``.

    Only the sign of the gradient is used: the step is a per-coordinate step size that adapts
    multiplicatively, faster along a valley's floor (the sign holds) and slower across it (the
    sign flips). It is a full-batch method. With minibatches it cannot average gradients, having
    only their signs: Hinton's example is a weight whose gradient is +0.1 on nine minibatches and
    -0.9 on the tenth, which should stay put but takes nine steps one way and one step back
    (Tieleman and Hinton's lecture 6.5, where RMSProp is introduced as the minibatch version of
    Rprop); and random sign flips keep multiplying the steps by :math:`\eta^-`.

    ``state[i]`` holds ``"step_size"`` (:math:`\eta_t`), ``"dx_prev"`` (:math:`g^{\text{prev}}`)
    and ``"t"``.

    **torch.optim and the paper.** ``torch.optim.Rprop(lr, etas=(eta_minus, eta_plus),
    step_sizes=(step_min, step_max))`` is exactly these lines, same defaults: after a sign
    change it stores a zero gradient, so that step does not move the coordinate and the next
    one neither grows nor shrinks its step size. This is Igel and Hüsken's iRprop\ :sup:`-`
    (their Rprop\ :sup:`-` also drops weight backtracking but keeps the gradient after a sign
    change, so it moves at once with the shrunk step). Riedmiller and Braun's 1993 rule also
    *undoes* the previous step of a coordinate whose sign changed (weight backtracking), which
    neither torch nor this class does. ``optax`` has no Rprop.

    References
    ----------
    M. Riedmiller and H. Braun, "A direct adaptive method for faster backpropagation learning:
    the RPROP algorithm", IEEE ICNN 1993. C. Igel and M. Hüsken, "Improving the Rprop learning
    algorithm", NC 2000. T. Tieleman and G. Hinton, "Lecture 6.5: rmsprop", COURSERA: Neural
    Networks for Machine Learning, 2012.

    Examples
    --------
    >>> import numpy as np, gdlib as gd
    >>> x = np.array([0.0, 0.0])
    >>> opt = gd.Rprop(learning_rate=0.1)
    >>> opt.step(x, np.array([3.0, -1e-9])); x          # only the sign counts
    array([-0.1,  0.1])
    >>> opt.step(x, np.array([2.0, 1.0])); opt.state[0]["step_size"], x   # same sign: x1.2; flip: x0.5, no move
    (array([0.12, 0.05]), array([-0.22,  0.1 ]))
    """

    buffers = ("step_size", "dx_prev")

    def __init__(self, learning_rate=1e-2, eta_minus=0.5, eta_plus=1.2, step_min=1e-6, step_max=50.0):
        if callable(learning_rate):
            raise TypeError(f"Invalid learning_rate: {learning_rate!r} (Rprop's learning_rate is the initial "
                            "step size, used once at the first step; a schedule would be ignored: "
                            "must be a number)")
        super().__init__(learning_rate)
        self.eta_minus = _check_hyper("eta_minus", eta_minus, low=0.0, low_open=True, high=1.0)
        self.eta_plus = _check_hyper("eta_plus", eta_plus, low=1.0, low_open=True)
        self.step_min = _check_hyper("step_min", step_min, low=0.0, low_open=True)
        self.step_max = _check_hyper("step_max", step_max, low=0.0, low_open=True)
        if self.step_max < self.step_min:
            raise ValueError(f"Invalid step_max: {self.step_max} (must be >= step_min = {self.step_min})")

    def _init_state(self, x):
        state = super()._init_state(x)
        state["step_size"].fill(self.learning_rate)
        return state

    def _update(self, x, dx, state, lr, buf):
        step_size, dx_prev = state["step_size"], state["dx_prev"]
        np.multiply(dx, dx_prev, out=buf)
        np.sign(buf, out=buf)
        flipped = buf < 0
        factor = np.where(buf > 0, self.eta_plus, np.where(flipped, self.eta_minus, 1.0))
        step_size *= factor
        np.clip(step_size, self.step_min, self.step_max, out=step_size)
        dx_prev[...] = dx
        dx_prev[flipped] = 0.0
        np.sign(dx_prev, out=buf)
        buf *= step_size
        x -= buf
