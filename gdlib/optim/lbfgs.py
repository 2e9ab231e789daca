r"""L-BFGS: a quasi-Newton direction from the last few steps, with a strong-Wolfe line search."""
from __future__ import annotations

import math
from numbers import Integral

import numpy as np

from ._base import Optimizer
from ._objective import check_objective, single_array

__all__ = ["LBFGS"]

#: a pair (s, y) enters the history only when y^T s exceeds this (torch's threshold)
CURVATURE_MIN = 1e-10
#: trial points a line search may evaluate (torch's ``max_ls`` default)
MAX_LINE_SEARCH = 25


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """Minimiser of the cubic through (x1, f1, g1), (x2, f2, g2), clipped to ``bounds``.

    Nocedal & Wright (3.59); the transcription of torch's ``_cubic_interpolate`` (from minFunc).
    Computed in IEEE float64 as torch computes it in 0-d tensors: where the cubic has no finite
    minimiser (along a concave quadratic, ``g2 - g1 + 2 d2 = 0``) the division gives ``inf`` and the
    clip returns the far bound, as torch does, instead of raising ``ZeroDivisionError``.
    """
    x1, f1, g1, x2, f2, g2 = (np.float64(v) for v in (x1, f1, g1, x2, f2, g2))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return float(_cubic_minimiser(x1, f1, g1, x2, f2, g2, bounds))


def _cubic_minimiser(x1, f1, g1, x2, f2, g2, bounds):
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if d2_square >= 0:
        d2 = np.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                  max_ls=MAX_LINE_SEARCH):
    """A step length satisfying the strong Wolfe conditions along ``d`` (bracket, then zoom).

    Nocedal & Wright Algorithms 3.5 (bracketing) and 3.6 (zoom) with cubic interpolation, as
    torch's ``_strong_wolfe`` writes them (line for line, in float64), including where torch (after
    minFunc's ``lswolfe``) departs from the book: the bracketing phase compares a trial value with the
    previous one (``f_new >= f_prev``) only from the third trial point on (the book: from the second),
    and extrapolates by the cubic's minimiser clipped to ``[t + 0.01 (t - t_prev), 10 t]`` instead of
    choosing any point of ``(t, t_max)``. Returns ``(f_new, g_new, t, n_evals)``; after ``max_ls``
    points or on a bracket narrower than ``tolerance_change`` it returns its best point, which may
    satisfy neither condition.
    """
    d_norm = float(np.max(np.abs(d)))
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = float(g_new @ d)
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new.copy(), gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = float(g_new @ d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0.0, t], [f, f_new], [g, g_new]
        bracket_gtd = [gtd, gtd_new]

    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0],
                               bracket[1], bracket_f[1], bracket_gtd[1])
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = float(g_new @ d)
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new.copy(), gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
                bracket_g[high_pos], bracket_gtd[high_pos] = bracket_g[low_pos], bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new.copy(), gtd_new
    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals


class LBFGS(Optimizer):
    r"""L-BFGS: limited-memory BFGS, the two-loop recursion and a strong-Wolfe line search.

    .. code-block:: python

        # from the previous step: s = step_length * direction, y = dx - grad_prev
        if y @ s > 1e-10:                     # curvature condition, else the pair is skipped
            history.append((s, y))            # the last history_size pairs are kept
            h0_scale = (s @ y) / (y @ y)
        direction = -two_loop(dx, history, h0_scale)     # -H_k dx, never forming H_k
        step_length = line_search(objective, x, direction, learning_rate)   # or learning_rate
        x += step_length * direction

    Parameters
    ----------
    learning_rate : float or callable, default 1.0
        :math:`\eta > 0`, or a schedule: the first trial step length of the line search (the
        quasi-Newton step is :math:`\eta = 1`), or, with ``line_search=None``, the step length
        itself. A schedule's 0 (a warm-up from 0) is a step of length 0, searched for nothing.
    history_size : int, default 10
        :math:`m`, the number of :math:`(s, y)` pairs kept, an int in ``[1, 1000]``. scipy's
        ``L-BFGS-B`` keeps 10 (``maxcor``), Nocedal & Wright (Section 7.2) find 3 to 20 usually
        enough; ``torch.optim.LBFGS``'s default is 100.
    line_search : {"strong_wolfe", None}, default "strong_wolfe"
        ``"strong_wolfe"``: a step length satisfying the strong Wolfe conditions
        (:math:`c_1 = 10^{-4}`, :math:`c_2 = 0.9`, at most 25 trial points). ``None``: the fixed
        step :math:`\eta_k` times the direction, as ``torch.optim.LBFGS(line_search_fn=None)``.

    Attributes
    ----------
    needs_objective : bool
        ``True``: :meth:`step` takes ``objective=`` (with ``__call__`` and ``grad``), which
        :func:`gdlib.minimize` passes. Not in ``OPTIMIZERS``, and refused by :func:`gdlib.nn.train`: a
        line search on a minibatch gradient would search a different function at every trial.
    needs_hessian : bool
        ``False``: the Hessian is never evaluated (``run.n_hessian_evals == 0``).

    Raises
    ------
    ValueError
        If ``learning_rate <= 0``, ``history_size`` is not in ``[1, 1000]`` or ``line_search`` is
        not ``"strong_wolfe"``/``None``; at :meth:`step`, if ``objective.grad`` returns another
        number of entries than ``x`` has.
    TypeError
        For a ``history_size`` that is not an int; at :meth:`step`, without an objective, with one
        that has no ``grad(x)``, or with a list of arrays (the objective is a function of one ``x``).
        A refused step, or an objective that raises during the line search, modifies nothing
        (neither ``x`` nor the history).

    Notes
    -----
    BFGS keeps an approximation :math:`H_k` of the *inverse* Hessian, updated from each step
    :math:`s_k = x_{k+1} - x_k` and gradient change :math:`y_k = g_{k+1} - g_k` so that the secant
    equation :math:`H_{k+1} y_k = s_k` holds (Nocedal & Wright 2006, (6.17)):

    .. math::

        H_{k+1} = \Big(I - \frac{s_k y_k^\top}{y_k^\top s_k}\Big)\, H_k\,
        \Big(I - \frac{y_k s_k^\top}{y_k^\top s_k}\Big) + \frac{s_k s_k^\top}{y_k^\top s_k}.

    L-BFGS (Liu & Nocedal 1989) never forms :math:`H_k` (:math:`n^2` numbers): it keeps the last
    :math:`m` pairs and computes :math:`H_k g_k` by the **two-loop recursion** (Nocedal & Wright,
    Algorithm 7.4), in :math:`O(mn)` operations, from the initial matrix
    :math:`H_k^0 = \theta_k I`, :math:`\theta_k = s^\top y / y^\top y` of the most recent pair
    accepted (1 before any): the inverse curvature along the last step. The direction is
    :math:`p_k = -H_k g_k`, and the step :math:`x_{k+1} = x_k + \eta_k p_k` with :math:`\eta_k` from
    the line search (Algorithms 3.5 and 3.6: bracket an interval, then zoom by cubic
    interpolation) satisfying the strong Wolfe conditions

    .. math::

        f(x_k + \eta_k p_k) \le f(x_k) + c_1 \eta_k\, g_k^\top p_k, \qquad
        \lvert \nabla f(x_k + \eta_k p_k)^\top p_k \rvert \le c_2\, \lvert g_k^\top p_k \rvert .

    The second one implies :math:`y_k^\top s_k > 0` on any function, which keeps :math:`H_k`
    positive definite and :math:`p_k` a descent direction. A pair with
    :math:`y_k^\top s_k \le 10^{-10}` is skipped rather than stored, whatever produced it: no line
    search, a search that stopped after 25 points or on a bracket narrower than :math:`10^{-9}`
    (it then returns its best point, which may not satisfy the conditions), or round-off.

    ``state[0]`` holds the history ``"s"`` and ``"y"`` (lists of arrays, oldest first), ``"h0_scale"``
    (:math:`\theta_k`), ``"direction"`` (:math:`p_k`), ``"step_length"`` (:math:`\eta_k`),
    ``"grad_prev"`` (:math:`g_k`, to form the next :math:`y`), ``"n_line_search_evals"`` (trial
    points of the last step's line search) and ``"t"``; the vectors are float64 and flattened
    (shape ``(x.size,)``), as the two-loop recursion uses them. The trial points' values and gradients go
    through ``objective``; :func:`gdlib.minimize` counts them in ``run.n_function_evals`` and
    ``run.n_gradient_evals``.

    **Against torch and scipy.** This is a float64 transcription of ``torch.optim.LBFGS`` with
    ``history_size=m``, ``line_search_fn="strong_wolfe"`` (or ``None``) stepped once per iteration
    (``max_iter=1``, ``max_eval=26`` so that its line search may use 25 points), including two
    choices of torch (from minFunc) that differ from the textbook: the very first step's trial
    length is :math:`\min(1, 1/\lVert g_0\rVert_1)\,\eta` (not :math:`\eta`), and a skipped pair
    leaves :math:`\theta_k` unchanged. ``tests/test_references.py`` follows torch's trajectories
    (``tests/references/lbfgs.npz``: both line-search settings, on Rosenbrock and the rotated quadratic of
    condition number 50, 300 steps or until converged) to 1e-10, with the same number of trial points at
    every step. A trial step below 1 with the line search (or a large fixed step) makes the run chaotic:
    rounding differences grow geometrically (by about 5 a step on the quadratic with ``learning_rate=0.3``),
    so two correct implementations part; those runs are not compared. torch's own stopping tests (``tolerance_grad``,
    ``tolerance_change``) are left to :func:`gdlib.minimize`'s ``tol``, except that a direction
    that is not a descent direction (:math:`g_k^\top p_k \ge 0`, only reachable by round-off at
    a minimum) gives a zero step, where torch stops for :math:`g_k^\top p_k > -10^{-9}`. The
    line search's zoom stops as soon as its bracket times :math:`\max_i |p_{k,i}|` is below
    :math:`10^{-9}` (torch's ``tolerance_change``): once the direction is that short and the first
    trial point fails sufficient decrease, the step is 0, and so is every later one (nothing has
    changed), where torch stops for lack of progress. :func:`gdlib.minimize` then runs on to
    ``max_steps``: give it a ``tol`` the run can reach (on the rotated quadratic of condition number
    1000 from (3, -2) with ``history_size=1`` the gradient's norm stays at about 5.7e-10).
    ``scipy.optimize.minimize(method="L-BFGS-B")`` is the Fortran code of Byrd, Lu, Nocedal & Zhu
    (bounds, a different line search, ``maxcor=10`` pairs): same method, different iterates.

    **dtypes.** Directions, history and line search are float64; the step is added to ``x`` in
    place, so float32 and float16 parameters keep their dtype (rounded once a step).

    References
    ----------
    D. C. Liu and J. Nocedal, "On the limited memory BFGS method for large scale optimization",
    *Mathematical Programming* 45, 503-528, 1989.
    J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed., Springer, 2006, Algorithms
    3.5, 3.6 (line search), 6.1 (BFGS) and 7.4, 7.5 (L-BFGS).

    Examples
    --------
    >>> import numpy as np, gdlib as gd
    >>> f = gd.Rosenbrock()
    >>> run = gd.minimize(f, np.array([-1.2, 1.0]), gd.LBFGS(), tol=1e-8)
    >>> run.status, run.n_steps, run.n_function_evals, bool(run.value_final < 1e-10)
    ('converged', 37, 46, True)
    >>> opt = gd.LBFGS(history_size=3)
    >>> x = np.array([-1.2, 1.0])
    >>> for _ in range(5):
    ...     opt.step(x, f.grad(x), objective=f)
    >>> len(opt.state[0]["s"])                          # only the last 3 pairs are kept
    3
    """

    needs_objective = True
    needs_hessian = False

    def __init__(self, learning_rate=1.0, history_size=10, line_search="strong_wolfe"):
        super().__init__(learning_rate)
        if isinstance(history_size, bool) or not isinstance(history_size, Integral):
            raise TypeError(f"Invalid history_size: {history_size!r} (must be an int in [1, 1000])")
        if not 1 <= history_size <= 1000:
            raise ValueError(f"Invalid history_size: {history_size} (must be an int in [1, 1000])")
        if line_search is not None and (not isinstance(line_search, str) or line_search != "strong_wolfe"):
            raise (ValueError if isinstance(line_search, str) else TypeError)(
                f"Invalid line_search: {line_search!r} (must be 'strong_wolfe' or None)")
        self.history_size = int(history_size)
        self.line_search = line_search

    def _init_state(self, x: np.ndarray) -> dict:
        n = x.size
        return {"s": [], "y": [], "h0_scale": 1.0, "direction": np.zeros(n), "step_length": 0.0,
                "grad_prev": np.zeros(n), "n_line_search_evals": 0, "t": 0}

    def _direction(self, g: np.ndarray, state: dict) -> np.ndarray:
        """``-H_k g`` by the two-loop recursion (Nocedal & Wright Algorithm 7.4), torch's order."""
        s_hist, y_hist = state["s"], state["y"]
        inv_ys = [1.0 / float(y @ s) for s, y in zip(s_hist, y_hist)]
        coef = [0.0] * len(s_hist)
        q = -g
        for i in range(len(s_hist) - 1, -1, -1):
            coef[i] = float(s_hist[i] @ q) * inv_ys[i]
            q = q - coef[i] * y_hist[i]
        r = q * state["h0_scale"]
        for i in range(len(s_hist)):
            corr = float(y_hist[i] @ r) * inv_ys[i]
            r = r + (coef[i] - corr) * s_hist[i]
        return r

    def step(self, params, grads, objective=None) -> None:
        """One L-BFGS iteration on ``params`` in place (a line search calls ``objective``).

        Parameters
        ----------
        params : ndarray
            The point :math:`x_k` (one float array, any shape), updated in place.
        grads : array_like
            :math:`g_k = \\nabla f(x_k)`, the shape of ``params``.
        objective : object with ``__call__`` and ``grad``
            The function being minimised (a :class:`gdlib.functions.TestFunction`, say).

        Raises
        ------
        TypeError, ValueError
            See the class docstring; nothing is modified by a refused call.
        """
        check_objective(objective, ("grad",), "LBFGS")
        x = single_array(params, "LBFGS")
        (x,), (dx,) = self._check(x, grads)
        lr = self.learning_rate_at(self.t)
        fresh = self._shapes is None
        state = self._init_state(x) if fresh else self.state[0]
        g = np.array(dx, dtype=np.float64).ravel()
        # everything is computed into locals and written into ``state`` and ``x`` only once the line
        # search has returned: an objective that raises mid-search leaves the optimizer as it was
        s_hist, y_hist, h0_scale = list(state["s"]), list(state["y"]), state["h0_scale"]
        first = state["t"] == 0
        if first:
            d = -g
        else:
            y = g - state["grad_prev"]
            s = state["direction"] * state["step_length"]
            ys = float(y @ s)
            if ys > CURVATURE_MIN:
                if len(s_hist) == self.history_size:
                    s_hist.pop(0)
                    y_hist.pop(0)
                s_hist.append(s)
                y_hist.append(y)
                h0_scale = ys / float(y @ y)
            d = self._direction(g, {"s": s_hist, "y": y_hist, "h0_scale": h0_scale})
        gtd = float(g @ d)
        x64 = np.array(x, dtype=np.float64).ravel()
        n_evals = 0
        if math.isnan(gtd):             # a nan in gives a nan out
            t = float("nan")
        elif not gtd < 0:               # not a descent direction (g = 0, or round-off): stay
            t = 0.0
        else:
            t = min(1.0, 1.0 / float(np.abs(g).sum())) * lr if first else lr
        if gtd < 0 and t > 0 and self.line_search == "strong_wolfe":    # a schedule's 0: no step to search
            shape, n = x.shape, x.size

            def obj_func(x0, step, direction):
                point = (x0 + step * direction).reshape(shape)
                value = float(objective(point))
                grad = np.array(objective.grad(point), dtype=np.float64)
                if grad.size != n:
                    raise ValueError(f"Invalid objective: grad(x) has shape {grad.shape} for x of shape {shape} "
                                     f"(must have {n} entries)")
                return value, grad.ravel()

            f0 = float(objective(x64.reshape(shape)))
            _, _, t, n_evals = _strong_wolfe(obj_func, x64, t, d, f0, g, gtd)
        if fresh:
            self._shapes, self.state = [x.shape], [state]
        state["s"][:], state["y"][:], state["h0_scale"] = s_hist, y_hist, h0_scale
        state["grad_prev"] = g.copy()
        state["direction"] = d
        state["step_length"] = float(t)
        state["n_line_search_evals"] = n_evals
        state["t"] += 1
        x[...] = (x64 + t * d).reshape(x.shape)
        self.t += 1
        self.last_learning_rate = lr
