r"""Newton's method: step to the minimum of the local quadratic model (the Hessian's solve)."""
from __future__ import annotations

import numpy as np

from ._base import Optimizer, _check_hyper
from ._objective import check_objective, single_array

__all__ = ["Newton"]


class Newton(Optimizer):
    r"""Newton's method, optionally damped: solve with the Hessian, then step.

    .. code-block:: python

        H = objective.hessian(x)
        direction = -np.linalg.solve(H + damping * np.eye(n), dx)   # a solve, never an inverse
        x += learning_rate * direction

    Parameters
    ----------
    learning_rate : float or callable, default 1.0
        :math:`\eta > 0`, or a schedule: the fraction of the Newton step taken (1 is the pure
        method; below 1, "damped Newton" in the step-length sense).
    damping : float, default 0.0
        :math:`\zeta \ge 0`, added to the Hessian's diagonal (Levenberg's regularisation).

    Attributes
    ----------
    needs_objective : bool
        ``True``: :meth:`step` takes ``objective=`` (with ``hessian(x)``) and :func:`gdlib.minimize`
        passes it. Not in ``OPTIMIZERS`` and refused by :func:`gdlib.nn.train`, whose minibatch
        loop has no objective to give.
    needs_hessian : bool
        ``True``: :func:`gdlib.minimize` refuses, before anything runs, an ``f`` without
        ``hessian`` when no ``hessian=`` is given.

    Raises
    ------
    ValueError
        If ``learning_rate <= 0`` or ``damping < 0`` (or not finite); at :meth:`step`, if
        :math:`\nabla^2 f(x) + \zeta I` is singular, or if ``objective.hessian(x)`` does not have
        :math:`n^2` entries for an ``x`` of :math:`n` (nothing is modified).
    TypeError
        At :meth:`step`, without an objective, with one that has no ``hessian(x)``, or with a list of
        arrays (the objective is a function of one array ``x``).

    Notes
    -----
    Near :math:`x_k` a twice-differentiable :math:`f` is its second-order Taylor model
    :math:`m_k(p) = f(x_k) + g_k^\top p + \tfrac12 p^\top \nabla^2 f(x_k)\, p`. When the Hessian is
    positive definite, :math:`m_k` has one minimiser, the **Newton direction** :math:`p_k`, and the
    step is

    .. math::

        \big(\nabla^2 f(x_k) + \zeta I\big)\, p_k = -g_k, \qquad x_{k+1} = x_k + \eta_k\, p_k .

    ``state[0]`` holds ``"direction"`` (:math:`p_k`, the last one), ``"min_eigenvalue"`` (the smallest
    eigenvalue of :math:`\nabla^2 f(x_k) + \zeta I`, a float) and ``"t"``. The linear system is solved
    (``np.linalg.solve``, an LU factorisation), never inverted: the same :math:`O(n^3)` order but
    fewer operations and a smaller error. For :math:`n` parameters a step costs one Hessian
    (:math:`n^2` numbers) and :math:`O(n^3)` arithmetic, which is why a network with millions of
    weights does not use it.

    **Quadratic convergence.** If :math:`\nabla^2 f` is Lipschitz continuous near a minimiser
    :math:`x^\star` where :math:`\nabla^2 f(x^\star)` is positive definite, then from any :math:`x_0`
    close enough to :math:`x^\star` the pure method (:math:`\eta = 1`, :math:`\zeta = 0`) converges
    and :math:`\lVert x_{k+1} - x^\star\rVert \le C \lVert x_k - x^\star\rVert^2`
    (Nocedal & Wright 2006, Theorem 3.5): the number of correct digits doubles at each step. On a
    quadratic :math:`\tfrac12 (x - x^\star)^\top A (x - x^\star)` the model is exact and one step
    lands on :math:`x^\star` from anywhere, whatever the condition number :math:`\kappa`.

    **Non-convex points.** The Newton direction solves :math:`\nabla m_k(p) = 0`, a *stationary*
    point of the model, not necessarily a minimum. Where the Hessian has a negative eigenvalue the
    pure step moves toward a saddle point or a maximum (on :math:`x^2 - y^2` it jumps to the saddle
    at the origin in one step), and it may even increase :math:`f`. This class takes that step as
    the method defines it (``"min_eigenvalue"`` records the sign) instead of refusing it, so the
    behaviour can be shown; the remedy is ``damping``: with :math:`\zeta` above
    :math:`-\lambda_{\min}` of the Hessian the damped matrix is positive definite and
    :math:`p_k` a descent direction (:math:`g_k^\top p_k < 0`); a large :math:`\zeta` turns the step
    into gradient descent with learning rate :math:`\eta/\zeta`. A **singular** damped Hessian (an
    eigenvalue within :math:`n\,\varepsilon_{\text{mach}}` of the largest in size, e.g. at the
    origin of the monkey saddle) has no Newton step: :meth:`step` raises ``ValueError`` naming
    ``damping`` and modifies nothing. A Hessian holding nan or inf gives a nan step (a nan in gives
    a nan out).

    **Differences.** ``torch.optim`` has no Newton method. ``scipy.optimize.minimize(method="Newton-CG")``
    solves the same system inexactly by conjugate gradients and adds a line search;
    ``method="trust-exact"`` solves it exactly inside a trust region (the robust form of damping).
    This class is the textbook iteration, with ``learning_rate`` and ``damping`` fixed by the user.

    **dtypes.** The Hessian, the solve and the direction are float64; the step is then added to
    ``x`` in place, so float32 and float16 parameters keep their dtype (rounded once a step).

    References
    ----------
    J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed., Springer, 2006, Sections 3.3
    (Theorem 3.5) and 3.4 (Hessian modification).

    Examples
    --------
    >>> import numpy as np, gdlib as gd
    >>> f = gd.Quadratic(condition_number=1000.0, angle=0.3)
    >>> x = np.array([3.0, -2.0])
    >>> gd.Newton().step(x, f.grad(x), objective=f)      # one step: the quadratic model is exact
    >>> bool(np.allclose(x, 0.0, atol=1e-12))
    True
    >>> run = gd.minimize(gd.Rosenbrock(), np.array([-1.2, 1.0]), gd.Newton(), tol=1e-8)
    >>> run.status, run.n_steps, run.n_hessian_evals     # f: 24.2, 4.7, 1412, 0.056, 0.31, 2e-11, 3e-20
    ('converged', 6, 6)
    >>> gd.Newton().step(np.ones(2), np.ones(2))
    Traceback (most recent call last):
    ...
    TypeError: Invalid objective: None (Newton.step needs the objective, an object with __call__(x), grad(x), hessian(x): call step(params, grads, objective=f) with f a gdlib TestFunction, or use gd.minimize, which passes it)
    """

    needs_objective = True
    needs_hessian = True

    def __init__(self, learning_rate=1.0, damping=0.0):
        super().__init__(learning_rate)
        self.damping = _check_hyper("damping", damping, low=0.0)

    def _init_state(self, x: np.ndarray) -> dict:
        return {"direction": np.zeros_like(x), "min_eigenvalue": 0.0, "t": 0}

    def step(self, params, grads, objective=None) -> None:
        """One Newton step on ``params`` in place; ``objective`` must have ``hessian(x)``.

        Parameters
        ----------
        params : ndarray
            The point :math:`x_k` (one float array), updated in place.
        grads : array_like
            :math:`g_k = \\nabla f(x_k)`, the shape of ``params``.
        objective : object with ``__call__``, ``grad`` and ``hessian``
            The function being minimised (a :class:`gdlib.functions.TestFunction`, say).

        Raises
        ------
        TypeError, ValueError
            See the class docstring; nothing is modified by a refused call.
        """
        check_objective(objective, ("grad", "hessian"), "Newton")
        x = single_array(params, "Newton")
        (x,), (dx,) = self._check(x, grads)
        lr = self.learning_rate_at(self.t)
        n = x.size
        with np.errstate(invalid="ignore", over="ignore"):
            H = np.asarray(objective.hessian(np.array(x, dtype=np.float64)), dtype=np.float64)
        if H.size != n * n:
            raise ValueError(f"Invalid objective: hessian(x) has shape {H.shape} for x of shape {x.shape} "
                             f"(must have {n} x {n} entries)")
        A = H.reshape(n, n) + self.damping * np.eye(n)
        g = np.asarray(dx, dtype=np.float64).ravel()
        if np.all(np.isfinite(A)):
            eig = np.linalg.eigvalsh((A + A.T) / 2)
            scale = float(np.max(np.abs(eig)))
            if scale == 0.0 or float(np.min(np.abs(eig))) <= n * np.finfo(float).eps * scale:
                raise ValueError(
                    f"Invalid damping: {self.damping} leaves the Hessian singular at x = {x.ravel().tolist()} "
                    f"(eigenvalues of H + damping*I: {np.round(eig, 12).tolist()}; no Newton step exists: "
                    f"use damping > {max(0.0, -float(eig.min())) + 1e-3 * max(scale, 1.0):.3g})")
            with np.errstate(invalid="ignore", over="ignore"):
                direction = -np.linalg.solve(A, g)
            min_eig = float(eig.min())
        else:                                      # a nan in gives a nan out
            direction, min_eig = np.full(n, np.nan), float("nan")
        if self._shapes is None:
            self._shapes = [x.shape]
            self.state = [self._init_state(x)]
        state = self.state[0]
        state["t"] += 1
        state["direction"] = direction.reshape(x.shape).astype(x.dtype)
        state["min_eigenvalue"] = min_eig
        x += (lr * direction).reshape(x.shape).astype(x.dtype)
        self.t += 1
        self.last_learning_rate = lr
