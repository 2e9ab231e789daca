r"""Iterate averaging: a Polyak (uniform) or exponential moving average of the parameters.

:class:`Averaged` wraps any optimizer of :mod:`gdlib.optim`. Each :meth:`~Averaged.step` is
the wrapped optimizer's step followed by one update of an average of the parameters kept beside
them; the parameters themselves follow the wrapped optimizer exactly as without the wrapper.
Reading the average (:meth:`~Averaged.averaged_params`) or evaluating a model with it
(:meth:`~Averaged.swapped`) is how the average is used: with a constant learning rate on a
noisy problem the iterates hover at a noise floor around the minimum, and their average sits
far closer to it.
"""
from __future__ import annotations

import numpy as np

from ._validation import check_distinct, check_int
from .optim._base import Optimizer, _check_hyper

__all__ = ["Averaged"]

MODES = ("polyak", "ema")


class Averaged(Optimizer):
    r"""Any optimizer plus a running average of its iterates (Polyak/SWA or EMA).

    .. code-block:: python

        optimizer.step(params, grads)          # the wrapped optimizer's step k, unchanged
        if k >= start:                         # after the burn-in
            if n_averaged == 0:
                x_avg = x.copy()               # the first update copies
            elif mode == "polyak":
                x_avg += (x - x_avg) / (n_averaged + 1)                 # uniform mean
            else:
                x_avg += (1 - decay_rate) * (x - x_avg)                 # leaky (EMA)
            n_averaged += 1
        elif n_averaged == 0:
            x_avg = x.copy()                   # during the burn-in the "average" is the iterate
        # else (k < start after averaging began: only if the wrapped optimizer alone was reset,
        # restarting k): the average is left as it is, as torch's between update_parameters calls

    Parameters
    ----------
    optimizer : Optimizer
        The optimizer that moves the parameters (any :mod:`gdlib.optim` optimizer, fresh or
        already stepped, or an object with the same ``step``, ``reset``, ``state`` and ``t``,
        such as a combinator of parameter groups). It is used, not copied: ``opt.optimizer``
        is the same object.
    mode : {"polyak", "ema"}, default "polyak"
        ``"polyak"``: the uniform mean of the iterates since ``start`` (Polyak--Ruppert
        averaging; SWA's average). ``"ema"``: an exponential moving average with weight
        ``decay_rate`` on the old average.
    decay_rate : float, default 0.999
        :math:`\beta \in [0, 1]`, the EMA's decay (torch's ``decay``); used only when
        ``mode="ema"`` (still validated otherwise). 0 makes the average the last iterate, 1
        freezes it at its first copy.
    start : int, default 0
        :math:`s \ge 0`, the burn-in: the iterate after step ``k`` (0-based) enters the average
        when ``k >= start``. Compared with the wrapped optimizer's step count, so ``start``
        counts the steps it took before being wrapped too.

    Attributes
    ----------
    optimizer : Optimizer
        The wrapped optimizer; its ``state`` holds its own buffers.
    n_averaged : int
        How many iterates the average holds (0 during the burn-in), as torch's ``n_averaged``.
    state : list of dict
        One dict per parameter array: the wrapped optimizer's buffers and ``"t"``, plus
        ``"x_avg"``, the average (a live array: read it, do not write it). So
        :func:`gdlib.runner.minimize` records the averaged iterate after every step as
        ``run.state["x_avg"]``.
    t, last_learning_rate
        The wrapped optimizer's (read-only here).

    Raises
    ------
    TypeError
        If ``optimizer`` is not a gdlib optimizer, ``mode`` is not a str, ``decay_rate`` not a
        real number or ``start`` not an int.
    ValueError
        If ``optimizer`` is itself :class:`Averaged`, ``mode`` is not ``"polyak"`` or
        ``"ema"``, ``decay_rate`` is outside :math:`[0, 1]` or ``start < 0``. :meth:`step`
        refuses what the wrapped optimizer refuses, and params of another count, shape or dtype
        than the averages (after the wrapped optimizer alone was reset), before anything is
        modified.

    Notes
    -----
    With :math:`x_1, x_2, \dots` the iterates after steps :math:`0, 1, \dots` and burn-in
    :math:`s`, after :math:`t = k + 1` steps the average holds the :math:`n = t - s` iterates
    :math:`x_{s+1}, \dots, x_t` (:math:`n = 0` while :math:`t \le s`, and then :math:`\bar x_t = x_t`).
    The Polyak average is their mean, kept by the running-mean update,

    .. math::

        \bar x_t = \frac1n \sum_{i=s+1}^{t} x_i, \qquad
        \bar x_t = \bar x_{t-1} + \frac{x_t - \bar x_{t-1}}{n},

    and the exponential moving average starts from a copy and then forgets geometrically,

    .. math::

        \bar x_{s+1} = x_{s+1}, \qquad \bar x_t = \beta\, \bar x_{t-1} + (1 - \beta)\, x_t
        = \beta^{\,n-1} x_{s+1} + (1 - \beta) \sum_{j=0}^{n-2} \beta^{\,j}\, x_{t-j},

    an average over roughly the last :math:`1/(1 - \beta)` iterates. The parameters are
    never changed by the averaging: it only reads them.

    **Why average.** SGD with a constant rate :math:`\eta` on a noisy problem does not converge:
    its iterates settle into a stationary cloud around the minimiser :math:`x^\star` whose
    variance is of order :math:`\eta\,\sigma^2` (:math:`\eta\sigma^2/(\lambda(2 - \eta\lambda))` on
    a quadratic of curvature :math:`\lambda`: the noise floor). The cloud's *mean* is much
    closer to :math:`x^\star` than its members (on a quadratic it is :math:`x^\star`), and the
    average estimates it. Polyak and Juditsky (1992) (and Ruppert (1988) for a linear problem in
    one dimension) proved, for a strongly convex objective with a Lipschitz gradient that is
    linear to second order at the minimum (:math:`\nabla f(x) = A(x - x^\star) +
    O(\lVert x - x^\star\rVert^2)`, :math:`A = \nabla^2 f(x^\star)`), gradient noise that is a
    martingale difference with conditional variance at most a constant times :math:`1 + \lVert x\rVert^2`, and
    a limiting covariance :math:`\operatorname{Cov}(\xi)` at :math:`x^\star`, and rates
    :math:`\eta_k \to 0` more slowly than :math:`1/k` (:math:`(\eta_k - \eta_{k+1})/\eta_k =
    o(\eta_k)` and :math:`\sum_k \eta_k (k+1)^{-1/2} < \infty`, e.g. :math:`\eta_k \propto
    (k+1)^{-0.6}`, any power strictly between :math:`-1` and :math:`-1/2`), that the uniform
    average :math:`\bar x_k` of the iterates converges to :math:`x^\star` and
    :math:`\sqrt{k}\,(\bar x_k - x^\star)` is asymptotically normal with covariance
    :math:`A^{-1}\operatorname{Cov}(\xi)A^{-1}`. That is the covariance of the optimal stochastic
    approximation method, which steps with the matrix :math:`A^{-1}/(k+1)` and so needs the
    Hessian ("the highest possible rate", in their words): averaging attains it with a scalar
    rate. With a *constant* rate the average still converges on a quadratic, i.e. least squares
    (Bach and Moulines, 2013), but on other objectives it keeps a bias of order :math:`\eta` (Dieuleveut, Durmus
    and Bach, 2020). Izmailov et al. (2018) average the iterates of a cyclic or constant rate
    after a burn-in (SWA) to find flatter solutions of neural networks; the EMA is the usual
    choice when the iterate keeps drifting (it forgets the start).

    **torch.** This is ``torch.optim.swa_utils.AveragedModel``'s arithmetic, step for step:
    the first update copies, ``n_averaged`` counts the updates, the default (SWA) average is
    ``avg + (p - avg) / (n_averaged + 1)`` (torch's ``get_swa_avg_fn``, what a CPU model gets by
    default; on CUDA, or with ``multi_avg_fn=get_swa_multi_avg_fn()``, torch computes the same
    mean with ``lerp(avg, p, 1 / (n_averaged + 1))``), and ``get_ema_multi_avg_fn(decay)`` is
    ``lerp(avg, p, 1 - decay)``, ``get_ema_avg_fn(decay)`` is ``decay * avg + (1 - decay) * p``.
    ``start = s`` is the SWA loop ``if k >= s: swa_model.update_parameters(model)`` with ``k``
    the 0-based step (the example in ``AveragedModel``'s docstring writes ``if i > swa_start`` with
    ``i`` the epoch, which is ``start = swa_start + 1`` in those units). The differences: torch's
    ``AveragedModel`` wraps a *model* (a deep copy of it holds the average, and you call
    ``update_parameters`` yourself after ``optimizer.step()``), here the wrapper is an
    *optimizer* that updates the average inside ``step``; before its first update torch's copy
    holds the parameters it was constructed from, here ``x_avg`` follows the iterate until the
    burn-in ends; there are no buffers (batch-norm statistics, ``use_buffers``,
    ``update_bn``): gdlib's models have none. ``tests/test_averaging.py`` follows
    ``AveragedModel`` (SWA and both EMA functions, with and without a burn-in) to 1e-12 through
    ``tests/references/averaging.npz`` (``make references``).

    **dtypes.** The averages are kept in each parameter's dtype (float64, float32 or float16),
    as torch's copy of the model keeps it; the arithmetic is that dtype's. A nan in an iterate
    reaches the average (a nan in gives a nan out); an EMA forgets it never (nan times
    :math:`\beta` is nan), so restart with :meth:`reset`.

    References
    ----------
    B. T. Polyak and A. B. Juditsky, "Acceleration of stochastic approximation by averaging",
    SIAM J. Control and Optimization 30(4), 1992.
    D. Ruppert, "Efficient estimations from a slowly convergent Robbins-Monro process",
    Technical Report 781, Cornell University, 1988.
    F. Bach and E. Moulines, "Non-strongly-convex smooth stochastic approximation with convergence
    rate O(1/n)", NIPS 2013.
    A. Dieuleveut, A. Durmus and F. Bach, "Bridging the gap between constant step size stochastic
    gradient descent and Markov chains", Annals of Statistics 48(3), 2020.
    P. Izmailov, D. Podoprikhin, T. Garipov, D. Vetrov and A. G. Wilson, "Averaging weights
    leads to wider optima and better generalization", UAI 2018.
    ``torch.optim.swa_utils.AveragedModel``, ``get_ema_multi_avg_fn`` (PyTorch documentation).

    Examples
    --------
    >>> import numpy as np, gdlib as gd
    >>> x = np.array([0.0])
    >>> opt = gd.Averaged(gd.SGD(learning_rate=1.0))
    >>> for g in ([-1.0], [-1.0], [-1.0]):      # x: 1, 2, 3
    ...     opt.step(x, np.array(g))
    >>> x, opt.averaged_params(), opt.n_averaged  # the mean of 1, 2, 3
    (array([3.]), array([2.]), 3)
    >>> ema = gd.Averaged(gd.SGD(learning_rate=1.0), mode="ema", decay_rate=0.5, start=1)
    >>> y = np.array([0.0])
    >>> for g in ([-1.0], [-1.0], [-1.0]):      # y: 1 (burn-in), 2 (copied), 3
    ...     ema.step(y, np.array(g))
    >>> ema.state[0]["x_avg"], ema.n_averaged     # 0.5 * 2 + 0.5 * 3
    (array([2.5]), 2)
    >>> with opt.swapped(x):                     # evaluate with the average, then restore
    ...     print(x)
    [2.]
    >>> x
    array([3.])
    >>> gd.Averaged(gd.SGD(learning_rate=0.1), mode="swa")
    Traceback (most recent call last):
    ...
    ValueError: Invalid mode: 'swa' (must be one of 'polyak', 'ema')
    """

    buffers = ("x_avg",)

    def __init__(self, optimizer, mode="polyak", decay_rate=0.999, start=0):
        if isinstance(optimizer, type) or not (isinstance(optimizer, Optimizer) or (
                all(callable(getattr(optimizer, m, None)) for m in ("step", "reset"))
                and hasattr(optimizer, "state") and hasattr(optimizer, "t"))):
            raise TypeError(f"Invalid optimizer: {type(optimizer).__name__} (must be a gdlib.optim optimizer "
                            "instance, e.g. gd.SGD(learning_rate=0.1), or an object with its step, reset, "
                            "state and t)")
        if isinstance(optimizer, Averaged):
            raise ValueError(f"Invalid optimizer: {optimizer!r} is already Averaged (must be a plain optimizer: "
                             "average its iterates once)")
        if not isinstance(mode, str):
            raise TypeError(f"Invalid mode: {mode!r} (must be one of 'polyak', 'ema')")
        if mode not in MODES:
            raise ValueError(f"Invalid mode: {mode!r} (must be one of 'polyak', 'ema')")
        decay_rate = _check_hyper("decay_rate", decay_rate, low=0.0, high=1.0, high_open=False)
        start = check_int(start, "start", minimum=0)
        self.optimizer, self.mode, self.decay_rate, self.start = optimizer, mode, decay_rate, start
        self.n_averaged = 0
        self._avg: list[np.ndarray] | None = None
        self._single = False

    # ---------------------------------------------------------- the wrapped optimizer's
    @property
    def t(self) -> int:
        """The wrapped optimizer's step count."""
        return self.optimizer.t

    @property
    def last_learning_rate(self):
        """The learning rate of the wrapped optimizer's latest step."""
        return self.optimizer.last_learning_rate

    @property
    def learning_rate(self):
        """The wrapped optimizer's ``learning_rate`` (a number or a schedule)."""
        return self.optimizer.learning_rate

    def learning_rate_at(self, k: int) -> float:
        """The wrapped optimizer's validated learning rate of step ``k`` (as :func:`gdlib.nn.train` asks)."""
        return self.optimizer.learning_rate_at(k)

    @property
    def state(self) -> list[dict]:
        """Per array: the wrapped optimizer's state dict's entries, plus ``"x_avg"`` (live arrays)."""
        inner = self.optimizer.state
        if self._avg is None:
            return [dict(s) for s in inner]
        return [{**s, "x_avg": a} for s, a in zip(inner, self._avg)]

    @property
    def needs_objective(self) -> bool:
        """Whether the wrapped optimizer reads the objective (Newton, L-BFGS): :func:`~gdlib.runner.minimize` asks."""
        return bool(getattr(self.optimizer, "needs_objective", False))

    @property
    def needs_hessian(self) -> bool:
        """Whether the wrapped optimizer needs the Hessian (Newton)."""
        return bool(getattr(self.optimizer, "needs_hessian", False))

    def __getattr__(self, name):
        # anything else an optimizer offers (a flag the runner reads, say) is the wrapped one's
        if name.startswith("_") or name == "optimizer":
            raise AttributeError(name)
        return getattr(self.optimizer, name)

    # ---------------------------------------------------------------------- stepping
    def step(self, params, grads, *args, **kwargs) -> None:
        """The wrapped optimizer's step, then one update of the average (see the class docstring).

        Any further arguments (the objective an optimizer such as L-BFGS reads) go to the wrapped
        optimizer's ``step``. Refused, before anything is modified: whatever the wrapped
        optimizer refuses, and params whose count, shapes or dtypes differ from the averages'.
        """
        xs = params if isinstance(params, (list, tuple)) else [params]
        self._check_averages(params)
        k = self.optimizer.t
        self.optimizer.step(params, grads, *args, **kwargs)   # validates everything; refuses before any change
        if self._avg is None:
            self._avg = [np.array(x, copy=True) for x in xs]
            self._single = not isinstance(params, (list, tuple))
        if self.n_averaged == 0:
            for a, x in zip(self._avg, xs):
                a[...] = x                      # the burn-in follows the iterate; the first update copies
        elif k < self.start:
            pass                                # averaging began, then the wrapped optimizer alone was reset
        elif self.mode == "polyak":
            weight = 1.0 / (self.n_averaged + 1)
            for a, x in zip(self._avg, xs):
                a += (x - a) * a.dtype.type(weight)
        else:
            weight = 1.0 - self.decay_rate
            for a, x in zip(self._avg, xs):
                a += (x - a) * a.dtype.type(weight)
        if k >= self.start:
            self.n_averaged += 1

    def _check(self, params, grads):
        """What :meth:`step` refuses, checked without stepping: the averages', then the wrapped optimizer's.

        :class:`~gdlib.optim.Partition` calls it on every group before any group moves, so an
        ``Averaged`` group is checked like any other.
        """
        self._check_averages(params)
        return self.optimizer._check(params, grads)

    def _check_averages(self, params) -> None:
        """Refuse params whose count, shapes or dtypes differ from the averages' (once they exist)."""
        xs = params if isinstance(params, (list, tuple)) else [params]
        if self._avg is None or not all(isinstance(x, np.ndarray) for x in xs):
            return                      # the wrapped optimizer refuses what is not an array
        shapes = [a.shape for a in self._avg]
        if [x.shape for x in xs] != shapes:
            raise ValueError(f"Invalid params: shapes {[x.shape for x in xs]}, but the averages hold "
                             f"{shapes} (must keep the arrays of the first step; call reset() to start over)")
        for i, (x, a) in enumerate(zip(xs, self._avg)):
            if x.dtype != a.dtype:
                where = "" if self._single else f"[{i}]"
                raise ValueError(f"Invalid params{where}: dtype {x.dtype}, but its average is kept in {a.dtype} "
                                 "(must keep the dtype of the first step; call reset() to start over)")

    def reset(self) -> None:
        """Reset the wrapped optimizer and forget the averages (``n_averaged = 0``)."""
        self.optimizer.reset()
        self.n_averaged, self._avg, self._single = 0, None, False

    # ---------------------------------------------------------------- using the average
    def averaged_params(self):
        """A copy of the averages: an array, or a list of arrays, as the params given to :meth:`step`.

        During the burn-in (``n_averaged == 0``) this is the current iterate.

        Raises
        ------
        ValueError
            Before the first :meth:`step` (there is nothing to average yet).
        """
        if self._avg is None:
            raise ValueError("Invalid call: averaged_params() before the first step (must step first: the "
                             "averages are created from the params of the first step)")
        copies = [a.copy() for a in self._avg]
        return copies[0] if self._single else copies

    def swapped(self, params):
        """A context manager that puts the averages into ``params`` (in place) and restores them on exit.

        ``with opt.swapped(model.parameters()): evaluate(model)`` evaluates the averaged model;
        the original values come back when the block ends, even through an exception. Do not
        call :meth:`step` inside the block (it would step from the average).

        Parameters
        ----------
        params : ndarray or list/tuple of ndarray
            The arrays given to :meth:`step` (same count, shapes and dtypes), writable.

        Raises
        ------
        TypeError
            If ``params`` is not a float array or a list/tuple of them.
        ValueError
            Before the first :meth:`step`, or for params of another count, shape or dtype than
            the averages, read-only or repeated arrays. Refused when called (before the
            ``with`` block starts), nothing modified.
        """
        if isinstance(params, np.ndarray):
            xs = [params]
        elif isinstance(params, (list, tuple)):
            xs = list(params)
        else:
            raise TypeError(f"Invalid params: {type(params).__name__} (must be a float numpy array or a "
                            "list/tuple of them, the arrays given to step)")
        if self._avg is None:
            raise ValueError("Invalid params: nothing to swap in before the first step (must step first)")
        if len(xs) != len(self._avg):
            raise ValueError(f"Invalid params: {len(xs)} arrays, but the averages hold {len(self._avg)} "
                             "(must be the arrays given to step)")
        for i, (x, a) in enumerate(zip(xs, self._avg)):
            if not isinstance(x, np.ndarray):
                raise TypeError(f"Invalid params[{i}]: {type(x).__name__} (must be a numpy array, swapped in place)")
            if x.shape != a.shape or x.dtype != a.dtype:
                raise ValueError(f"Invalid params[{i}]: shape {x.shape} and dtype {x.dtype}, but its average has "
                                 f"shape {a.shape} and dtype {a.dtype} (must be the arrays given to step)")
            if not x.flags.writeable:
                raise ValueError(f"Invalid params[{i}]: array is read-only (must be writable: swapped in place)")
        check_distinct(xs, "params")
        return _Swap(params, xs, self._avg)


class _Swap:
    """The context manager :meth:`Averaged.swapped` returns (its checks already done)."""

    def __init__(self, params, xs, averages):
        self._params, self._xs, self._averages, self._saved = params, xs, averages, None

    def __enter__(self):
        self._saved = [x.copy() for x in self._xs]
        for x, a in zip(self._xs, self._averages):
            x[...] = a
        return self._params

    def __exit__(self, *exc):
        for x, s in zip(self._xs, self._saved):
            x[...] = s
        return False
