r"""The explorer's numerics: the grid of settings and the optimisation run behind each one.

No drawing here. A :class:`Grid` validates the arguments of
:func:`gdlib.explorer.explore`, lays the settings out on axes (``function``,
``optimizer``, one axis per slider, ``start``) and computes the run behind a
setting with :func:`gdlib.runner.minimize`, the optimizers of :mod:`gdlib.optim`
and the schedules of :mod:`gdlib.schedules`. Runs are cached; settings that
differ only in a slider the chosen optimizer ignores share one run.
"""
from __future__ import annotations

import inspect
import itertools
import math
import numbers
import re
from dataclasses import dataclass

import numpy as np

from ..optim import LBFGS, OPTIMIZERS, Newton  # OPTIMIZERS: lowercase name -> class, the course's optimizers

__all__ = ["Grid", "Run", "OPTIMIZERS", "EXPLORER_OPTIMIZERS", "MAX_FRAMES", "MAX_STEPS", "loss_axis",
           "loss_coordinate", "loss_ticks", "result_text", "function_text", "point_text", "path_text", "loss_text"]

#: The names the explorer's ``optimizer`` argument accepts: every name of ``OPTIMIZERS`` plus ``"newton"``
#: (:class:`~gdlib.optim.Newton`) and ``"lbfgs"`` (:class:`~gdlib.optim.LBFGS`). These two are kept out of
#: ``OPTIMIZERS`` on purpose: they need the objective (Newton its Hessian, L-BFGS ``f`` and its gradient along
#: a line search), which :func:`gdlib.nn.train`'s minibatch loop cannot give, and the races by name run
#: ``OPTIMIZERS``. The explorer runs every setting with :func:`gdlib.runner.minimize`, which hands the
#: objective to optimizers with ``needs_objective``, so it can offer them.
EXPLORER_OPTIMIZERS = {**OPTIMIZERS, "newton": Newton, "lbfgs": LBFGS}

#: Largest number of settings (product of all dropdown and slider sizes).
MAX_FRAMES = 300
#: Largest ``steps`` (every setting is precomputed for the static page).
MAX_STEPS = 1000


@dataclass(frozen=True)
class Run:
    r"""One optimisation run, trimmed to its finite iterates.

    Attributes
    ----------
    x : numpy.ndarray
        Iterates, shape ``(k + 1, 2)``, all finite (a diverged run is cut before
        the first non-finite or exploded iterate).
    values : numpy.ndarray
        :math:`f` at those iterates, shape ``(k + 1,)``.
    status : str
        The runner's status: ``"converged"``, ``"max_steps"`` or ``"diverged"``; or ``"stopped"``
        when the optimizer refused a step with a ``ValueError`` (Newton where
        :math:`\nabla^2 f + \zeta I` is singular): the run ends at the last iterate it reached.
    n_steps : int
        Steps the runner took (for a diverged run: the step at which it diverged; for a stopped
        one: the steps taken before the refused one).
    message : str
        One line for the reader, e.g. ``"diverged at step 37"``, or ``"stopped at step 0: "``
        followed by the optimizer's reason.
    """

    x: np.ndarray
    values: np.ndarray
    status: str
    n_steps: int
    message: str


def _schedules():
    from .. import schedules

    return schedules


def _parameters(func):
    """Names of ``func``'s parameters (in order) and the set of those without a default."""
    names, required = [], set()
    for p in inspect.signature(func).parameters.values():
        if p.name == "self" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        names.append(p.name)
        if p.default is inspect.Parameter.empty:
            required.add(p.name)
    return names, required


def optimizer_class(name):
    """The :mod:`gdlib.optim` class behind an explorer optimizer name (a key of ``EXPLORER_OPTIMIZERS``)."""
    return EXPLORER_OPTIMIZERS[name]


def _is_real(v):
    return isinstance(v, (numbers.Real, np.bool_)) and not isinstance(v, np.ndarray)


def _is_choice(v):
    """A non-numeric slider value: a str or ``None`` (e.g. L-BFGS's ``line_search``: ``"strong_wolfe"``, None)."""
    return v is None or isinstance(v, str)


def _format_value(v):
    """Short label of a hyperparameter value: ``0.001``, ``3e-05``, ``0.9``, ``True``, ``strong_wolfe``, ``None``."""
    if _is_choice(v):
        return str(v)
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, numbers.Integral):
        return str(int(v))
    v = float(v)
    return f"{v:.4g}"


def _format_point(p):
    return "(" + ", ".join(f"{float(c):.4g}" for c in p) + ")"


#: The minus sign of the texts read by people (and screen readers): "f − f*", not a hyphen.
MINUS = "\u2212"


def point_text(p):
    """A point as the explorer's texts write it: ``(x, y)`` with 3 significant digits, a real minus sign.

    Examples
    --------
    >>> point_text([-1.5, 2.0])
    '(−1.5, 2)'
    """
    return "(" + ", ".join(_number_text(c) for c in p) + ")"


def _number_text(v):
    """3 significant digits, a real minus sign, a short exponent: ``-4.9e-08`` -> ``−4.9e−8``."""
    text = re.sub(r"e([+-])0*(\d+)", lambda m: "e" + ("-" if m.group(1) == "-" else "") + m.group(2),
                  f"{float(v):.3g}")
    return text.replace("-", MINUS)


def result_text(run, f_min):
    """One line on the result of a run, the same in the live and the static view.

    Parameters
    ----------
    run : Run
        From :meth:`Grid.run`.
    f_min : float or None
        The function's minimum value (``None`` when unbounded below).

    Returns
    -------
    str
        The run's message and its final gap :math:`f - f^*` (or :math:`f` when
        there is no minimum); a diverged run says where it stopped.

    Examples
    --------
    >>> g = Grid("quadratic", "sgd", {"learning_rate": [0.1, 0.25]}, steps=40)
    >>> result_text(g.run((0, 0, 0, 0)), 0.0)
    '40 steps, f − f* = 0.000683'
    >>> result_text(g.run((0, 0, 1, 0)), 0.0)
    'diverged at step 24 (the path ends at the last iterate before it blew up)'
    """
    if run.status == "diverged":
        return f"{run.message} (the path ends at the last iterate before it blew up)"
    final = float(run.values[-1])
    if f_min is None:
        return f"{run.message}, f = {_number_text(final)}"
    return f"{run.message}, f {MINUS} f* = {_number_text(final - f_min)}"


def path_text(run):
    """Where a run's path starts and ends: ``"from (x0, y0) to (x, y)"`` (a diverged run: its last sound iterate)."""
    return f"from {point_text(run.x[0])} to {point_text(run.x[-1])}"


def loss_text(run, f_min):
    """The text alternative of a run's loss curve: the first and the last value plotted, and at which step.

    Examples
    --------
    >>> g = Grid("quadratic", "sgd", {"learning_rate": [0.1]}, steps=40)
    >>> loss_text(g.run((0, 0, 0, 0)), 0.0)
    'Loss curve, f − f* (log scale) against the step: 14.4 at step 0, 0.000683 at step 40'
    """
    last = len(run.values) - 1
    if f_min is None:
        what, first, final = "f (symmetric log scale)", run.values[0], run.values[-1]
    else:
        what, first, final = f"f {MINUS} f* (log scale)", run.values[0] - f_min, run.values[-1] - f_min
    return (f"Loss curve, {what} against the step: {_number_text(first)} at step 0, "
            f"{_number_text(final)} at step {last}")


def _points_text(points, one, many, mark, marks, limit=4):
    """``"global minimum at (1, 1) (red star)"``; several: their count and (up to ``limit``) where."""
    points = list(points)
    if not points:
        return None
    if len(points) == 1:
        return f"{one} at {point_text(points[0])} ({mark})"
    if len(points) > limit:
        return f"{len(points)} {many} ({marks})"
    return f"{len(points)} {many} ({marks}) at " + ", ".join(point_text(p) for p in points)


def function_text(f):
    """What the contour plot of ``f`` shows, in words (the start of the explorer image's text alternative).

    Examples
    --------
    >>> from gdlib.functions import Rosenbrock, Saddle
    >>> function_text(Rosenbrock())
    'Contour plot of rosenbrock: global minimum at (1, 1) (red star)'
    >>> function_text(Saddle())
    'Contour plot of saddle, unbounded below: saddle point at (0, 0) (black cross)'
    """
    parts = [_points_text(f.minima, "global minimum", "global minima", "red star", "red stars"),
             _points_text(f.local_minima, "local minimum", "local minima", "orange dot", "orange dots"),
             _points_text(f.saddles, "saddle point", "saddle points", "black cross", "black crosses")]
    head = f"Contour plot of {f.name}" + (", unbounded below" if f.f_min is None else "")
    parts = [p for p in parts if p]
    return head + (": " + "; ".join(parts) if parts else "")


class Grid:
    r"""The settings an explorer offers and the run behind each one.

    Parameters are those of :func:`gdlib.explorer.explore` (see there); this
    class validates them and raises ``ValueError``/``TypeError`` naming the
    argument and the value.

    Attributes
    ----------
    functions : list of TestFunction
        The functions of the ``function`` axis.
    optimizers : list of str
        The optimizer names of the ``optimizer`` axis.
    sliders : dict of str to list
        Slider name -> its grid of values (in the given order).
    fixed : dict
        Hyperparameters held fixed.
    starts : list of list of numpy.ndarray
        ``starts[i][j]``: the ``j``-th starting point of function ``i``.
    schedule : str or None
        The :mod:`gdlib.schedules` function name, if any.
    steps : int
        Maximum number of steps of each run.
    axes : list of (str, list, list of str)
        ``(name, values, labels)`` per axis, in the order ``function``,
        ``optimizer``, the sliders, ``start``. A setting is a tuple of indices,
        one per axis; settings are numbered row-major (:meth:`flat_index`).

    Examples
    --------
    >>> g = Grid("quadratic", ["sgd", "momentum"], {"learning_rate": [0.01, 0.1], "mu": [0.0, 0.9]})
    >>> [name for name, _, _ in g.axes], g.n_frames
    (['function', 'optimizer', 'learning_rate', 'mu', 'start'], 8)
    >>> g.uses("sgd", "mu"), g.uses("momentum", "mu")
    (False, True)
    >>> g.n_runs                      # sgd ignores mu: 2 runs for sgd, 4 for momentum
    6
    """

    def __init__(self, function="rosenbrock", optimizer="momentum", sliders=None, fixed=None, starts=None,
                 schedule=None, steps=100):
        self.functions = self._check_functions(function)
        self.optimizers = self._check_optimizers(optimizer)
        self.steps = self._check_steps(steps)
        self.schedule, self._schedule_params, self._schedule_required = self._check_schedule(schedule)
        self.sliders = self._check_sliders(sliders)
        self.fixed = self._check_fixed(fixed)
        self.starts = self._check_starts(starts)
        self._route()
        self.axes = self._make_axes()
        self.shape = tuple(len(values) for _, values, _ in self.axes)
        self.n_frames = math.prod(self.shape)
        if self.n_frames > MAX_FRAMES:
            sizes = " x ".join(f"{len(v)} {name}" for name, v, _ in self.axes if len(v) > 1)
            raise ValueError(
                f"Invalid grid: {sizes} = {self.n_frames} settings (must be <= {MAX_FRAMES}: every setting "
                "is precomputed for the website; use fewer slider values or fewer dropdown entries)"
            )
        self._check_hyperparameters()
        self._cache: dict = {}

    # --- validation -------------------------------------------------------------
    @staticmethod
    def _check_functions(function):
        from ..functions import TestFunction, get_function

        items = list(function) if isinstance(function, (list, tuple)) else [function]
        if not items:
            raise ValueError(f"Invalid function: {function!r} (must name at least one function)")
        out = []
        for item in items:
            if isinstance(item, str):
                try:
                    f = get_function(item)
                except (KeyError, ValueError) as exc:
                    from ..functions import FUNCTIONS

                    raise ValueError(
                        f"Invalid function: {item!r} (must be one of {sorted(FUNCTIONS)} or a TestFunction)"
                    ) from exc
            elif isinstance(item, TestFunction):
                f = item
            else:
                raise TypeError(f"Invalid function: {item!r} (must be a function name, a TestFunction or a list)")
            if f.dim != 2:
                raise ValueError(f"Invalid function: {item!r} has dim={f.dim} (the explorer draws 2-D functions)")
            out.append(f)
        names = [f.name for f in out]
        if len(set(names)) != len(names):
            raise ValueError(f"Invalid function: {function!r} (names in the dropdown must be distinct: {names})")
        return out

    @staticmethod
    def _check_optimizers(optimizer):
        items = list(optimizer) if isinstance(optimizer, (list, tuple)) else [optimizer]
        if not items:
            raise ValueError(f"Invalid optimizer: {optimizer!r} (must name at least one optimizer)")
        for item in items:
            if not isinstance(item, str):
                raise TypeError(f"Invalid optimizer: {item!r} (must be a name such as 'adam', or a list of names)")
            if item not in EXPLORER_OPTIMIZERS:
                raise ValueError(f"Invalid optimizer: {item!r} (must be one of {list(EXPLORER_OPTIMIZERS)})")
        if len(set(items)) != len(items):
            raise ValueError(f"Invalid optimizer: {optimizer!r} (names must be distinct)")
        return items

    @staticmethod
    def _check_steps(steps):
        if isinstance(steps, bool) or not isinstance(steps, (numbers.Integral, np.integer)):
            raise TypeError(f"Invalid steps: {steps!r} (must be an int)")
        if not 1 <= steps <= MAX_STEPS:
            raise ValueError(f"Invalid steps: {steps!r} (must be between 1 and {MAX_STEPS})")
        return int(steps)

    @staticmethod
    def _check_schedule(schedule):
        if schedule is None:
            return None, [], set()
        if not isinstance(schedule, str):
            raise TypeError(f"Invalid schedule: {schedule!r} (must be None or a gdlib.schedules function name)")
        mod = _schedules()
        names = [n for n in getattr(mod, "__all__", []) if inspect.isfunction(getattr(mod, n, None))]
        if schedule not in names:
            raise ValueError(f"Invalid schedule: {schedule!r} (must be None or one of {names})")
        params, required = _parameters(getattr(mod, schedule))
        if "schedule" in params:  # a wrapper (warmup): it wraps constant(learning_rate)
            params = ["learning_rate"] + [p for p in params if p != "schedule"]
            required = (required - {"schedule"}) | {"learning_rate"}
        return schedule, params, required

    @staticmethod
    def _check_name(name, arg):
        if not isinstance(name, str):
            raise TypeError(f"Invalid {arg} key: {name!r} (must be a hyperparameter name, a str)")

    def _check_sliders(self, sliders):
        if sliders is None:
            return {}
        if not isinstance(sliders, dict):
            raise TypeError(f"Invalid sliders: {sliders!r} (must be a dict name -> list of values)")
        out = {}
        for name, values in sliders.items():
            self._check_name(name, "sliders")
            if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
                raise TypeError(f"Invalid sliders[{name!r}]: {values!r} (must be a list of values)")
            values = list(values)
            if not values:
                raise ValueError(f"Invalid sliders[{name!r}]: {values!r} (must hold at least one value)")
            for v in values:
                if _is_choice(v):
                    continue
                if not _is_real(v) or (not isinstance(v, (bool, np.bool_)) and not math.isfinite(float(v))):
                    raise ValueError(f"Invalid sliders[{name!r}]: value {v!r} (must be a finite number, a str or None)")
            if any(_is_choice(v) for v in values) and not all(_is_choice(v) for v in values):
                raise ValueError(f"Invalid sliders[{name!r}]: {values!r} (must be all numbers or all choices: "
                                 "str or None)")
            labels = [_format_value(v) for v in values]
            if len(set(labels)) != len(labels):
                raise ValueError(f"Invalid sliders[{name!r}]: {values!r} (values must be distinct)")
            out[name] = [v.item() if isinstance(v, np.generic) else v for v in values]
        return out

    def _check_fixed(self, fixed):
        if fixed is None:
            return {}
        if not isinstance(fixed, dict):
            raise TypeError(f"Invalid fixed: {fixed!r} (must be a dict name -> value)")
        for name in fixed:
            self._check_name(name, "fixed")
            if name in self.sliders:
                raise ValueError(f"Invalid fixed: {name!r} is also a slider (give it in one of sliders, fixed)")
        return dict(fixed)

    def _check_starts(self, starts):
        if starts is None:
            return [[f.x0] for f in self.functions]
        if isinstance(starts, np.ndarray) and starts.ndim == 2:
            starts = list(starts)
        if isinstance(starts, (str, bytes)) or not isinstance(starts, (list, tuple)) or not starts:
            raise ValueError(f"Invalid starts: {starts!r} (must be a non-empty list of points (x1, x2))")
        points = []
        for s in starts:
            try:
                p = np.asarray(s, dtype=np.float64)
            except (TypeError, ValueError) as exc:
                raise TypeError(f"Invalid starts: point {s!r} (must be two numbers)") from exc
            if p.shape != (2,) or not np.isfinite(p).all():
                raise ValueError(f"Invalid starts: point {s!r} (must be two finite numbers)")
            points.append(p)
        labels = [_format_point(p) for p in points]
        if len(set(labels)) != len(labels):
            raise ValueError(f"Invalid starts: {starts!r} (points must be distinct)")
        return [[p.copy() for p in points] for _ in self.functions]

    def _route(self):
        """Decide, per optimizer, which names go to the optimizer and which to the schedule."""
        given = list(self.sliders) + list(self.fixed)
        sched = set(self._schedule_params)
        self._opt_params = {}
        for name in self.optimizers:
            params, required = _parameters(optimizer_class(name))
            self._opt_params[name] = (params, required)
        for name in given:
            if name in sched:
                continue
            if not any(name in self._opt_params[o][0] for o in self.optimizers):
                where = f"optimizer {self.optimizers[0]!r}" if len(self.optimizers) == 1 else \
                    f"any of the optimizers {self.optimizers}"
                takes = sorted({p for o in self.optimizers for p in self._opt_params[o][0]} | sched)
                arg = "sliders" if name in self.sliders else "fixed"
                extra = f" nor schedule {self.schedule!r}" if self.schedule else ""
                raise ValueError(
                    f"Invalid {arg}: {name!r} is not a hyperparameter of {where}{extra} (they take {takes})"
                )
        for req in sorted(self._schedule_required):
            if req not in given and req != "total_steps":
                raise ValueError(
                    f"Invalid schedule: {self.schedule!r} needs {req!r} (give it in sliders or fixed)"
                )
        for o in self.optimizers:
            params, required = self._opt_params[o]
            for req in sorted(required):
                if req == "learning_rate" and self.schedule is not None:
                    continue
                if req not in given:
                    raise ValueError(
                        f"Invalid sliders/fixed: optimizer {o!r} needs {req!r} (give it in sliders or fixed)"
                    )

    def _make_axes(self):
        axes = [
            ("function", [f.name for f in self.functions], [f.name for f in self.functions]),
            ("optimizer", list(self.optimizers), list(self.optimizers)),
        ]
        for name, values in self.sliders.items():
            axes.append((name, values, [_format_value(v) for v in values]))
        n_starts = len(self.starts[0])
        axes.append(("start", list(range(n_starts)), [_format_point(p) for p in self.starts[0]]
                     if n_starts > 1 or self._starts_given else ["x0"]))
        return axes

    @property
    def _starts_given(self):
        return any(not np.array_equal(s[0], f.x0) for f, s in zip(self.functions, self.starts))

    def _check_hyperparameters(self):
        """Build every distinct optimizer once so a bad value fails now, naming the slider."""
        for o in self.optimizers:
            try:
                self._make_optimizer(o, {})
            except (ValueError, TypeError) as exc:
                given = {**self._default_values(), **self.fixed}
                given = {k: v for k, v in given.items() if self.uses(o, k)}
                where = f" with schedule {self.schedule!r}" if self.schedule else ""
                what = " and ".join(w for w, d in (("sliders (at their middle values)", self.sliders),
                                                   ("fixed", self.fixed)) if any(self.uses(o, k) for k in d))
                raise type(exc)(f"Invalid hyperparameters for {o!r}{where}: {given!r} from {what or 'defaults'} "
                                f"({exc})") from exc
            for name in self.sliders:
                if not self.uses(o, name):
                    continue
                for v in self.sliders[name]:
                    try:
                        self._make_optimizer(o, {name: v})
                    except (ValueError, TypeError) as exc:
                        raise type(exc)(f"Invalid sliders[{name!r}]: value {v!r} for {o!r} ({exc})") from exc

    # --- settings ---------------------------------------------------------------
    def uses(self, optimizer, name):
        """Whether slider/fixed ``name`` affects runs of ``optimizer`` (else it is ignored)."""
        return name in self._schedule_params or name in self._opt_params[optimizer][0]

    def _default_values(self):
        return {name: values[len(values) // 2] for name, values in self.sliders.items()}

    def _make_optimizer(self, optimizer, values):
        """The optimizer object for ``optimizer`` with slider ``values`` (missing sliders: middle value)."""
        merged = {**self._default_values(), **self.fixed, **values}
        params = self._opt_params[optimizer][0]
        kwargs = {k: v for k, v in merged.items() if k in params and k not in self._schedule_params}
        if self.schedule is not None:
            mod = _schedules()
            skw = {k: v for k, v in merged.items() if k in self._schedule_params}
            sched_func = getattr(mod, self.schedule)
            if "total_steps" in self._schedule_params and "total_steps" not in skw:
                skw["total_steps"] = self.steps
            if "schedule" in _parameters(sched_func)[0]:
                lr = skw.pop("learning_rate")
                sched = sched_func(mod.constant(lr), **skw)
            else:
                sched = sched_func(**skw)
            kwargs["learning_rate"] = sched
        return optimizer_class(optimizer)(**kwargs)

    def flat_index(self, setting):
        """Row-major number of a setting (a tuple of axis indices)."""
        return int(np.ravel_multi_index(tuple(setting), self.shape))

    def setting(self, flat):
        """The tuple of axis indices of setting number ``flat``."""
        return tuple(int(i) for i in np.unravel_index(flat, self.shape))

    def describe(self, setting):
        """``(function, optimizer name, {slider: value}, start point)`` of a setting."""
        setting = tuple(setting)
        if len(setting) != len(self.axes) or any(not 0 <= i < n for i, n in zip(setting, self.shape)):
            raise ValueError(f"Invalid setting: {setting!r} (must be {len(self.shape)} indices below {self.shape})")
        fi, oi, *si, ti = setting
        opt = self.optimizers[oi]
        values = {name: self.sliders[name][i] for name, i in zip(self.sliders, si)}
        return self.functions[fi], opt, values, self.starts[fi][ti]

    def key(self, setting):
        """Settings with the same key share one run (sliders the optimizer ignores are dropped)."""
        fi, oi, *si, ti = setting
        opt = self.optimizers[oi]
        used = tuple(i if self.uses(opt, name) else -1 for name, i in zip(self.sliders, si))
        return (fi, opt, used, ti)

    def optimizer(self, setting):
        """A fresh optimizer object for a setting."""
        _, opt, values, _ = self.describe(setting)
        return self._make_optimizer(opt, values)

    # --- runs -------------------------------------------------------------------
    @property
    def n_runs(self):
        """Number of distinct runs behind the ``n_frames`` settings."""
        return len({self.key(self.setting(i)) for i in range(self.n_frames)})

    def run(self, setting):
        """The :class:`Run` of a setting (computed on first use, then cached)."""
        setting = tuple(int(i) for i in setting)
        f, _, _, start = self.describe(setting)
        key = self.key(setting)
        run = self._cache.get(key)
        if run is None:
            run = self._compute(f, start, lambda: self.optimizer(setting))
            self._cache[key] = run
        return run

    def _compute(self, f, start, make_optimizer):
        from ..runner import minimize

        def attempt(max_steps):
            return minimize(f, np.array(start, dtype=np.float64), make_optimizer(), max_steps=max_steps,
                            record_state=False)

        try:
            return self._trim(f, attempt(self.steps))
        except ValueError as exc:
            # the optimizer refused a step (Newton: H + damping I singular at an iterate). Runs are
            # deterministic, so a budget of m steps fails exactly when m exceeds the steps taken before
            # the refusal: bisect for that count, then show the run up to there.
            done, failed = 0, self.steps
            try:
                attempt(0)
            except ValueError:
                raise exc from None             # refused before any step: not a step's refusal
            while failed - done > 1:
                mid = (done + failed) // 2
                try:
                    attempt(mid)
                    done = mid
                except ValueError:
                    failed = mid
            run = self._trim(f, attempt(done))
            return Run(x=run.x, values=run.values, status="stopped", n_steps=done,
                       message=f"stopped at step {done}: {exc}")

    @staticmethod
    def _trim(f, traj):
        x = np.asarray(traj.x, dtype=np.float64)
        values = np.asarray(traj.values, dtype=np.float64)
        ok = np.isfinite(x).all(axis=1) & np.isfinite(values)
        keep = len(ok) if ok.all() else int(np.argmin(ok))
        status = traj.status
        n = int(traj.n_steps)
        if status == "diverged":
            # the runner's last row is the iterate that blew up (or whose gradient did): cut it,
            # the path shown ends at the last sound iterate
            keep = max(1, min(keep, n))
            message = f"diverged at step {n}"
        elif status == "converged":
            message = f"converged after {n} steps"
        else:
            message = f"{n} steps"
        return Run(x=x[:keep].copy(), values=values[:keep].copy(), status=status, n_steps=n, message=message)

    def compute_all(self):
        """Compute every run; return ``(runs, index)`` with ``runs[index[flat]]`` the run of setting ``flat``."""
        keys, runs, index = {}, [], []
        for flat in range(self.n_frames):
            setting = self.setting(flat)
            key = self.key(setting)
            if key not in keys:
                keys[key] = len(runs)
                runs.append(self.run(setting))
            index.append(keys[key])
        return runs, index

    def settings(self):
        """All settings, in row-major order."""
        return list(itertools.product(*(range(n) for n in self.shape)))

    # --- words (the text alternative of both views) --------------------------------
    def setting_text(self, setting):
        """The setting in words: function, optimizer, the sliders it uses, the start when there are several.

        The static page's script writes the same text from the same labels.

        Examples
        --------
        >>> g = Grid("quadratic", ["sgd", "momentum"], {"learning_rate": [0.01, 0.1], "mu": [0.0, 0.9]})
        >>> g.setting_text((0, 1, 0, 1, 0))
        'quadratic, momentum, learning_rate 0.01, mu 0.9'
        >>> g.setting_text((0, 0, 0, 1, 0))             # sgd ignores mu
        'quadratic, sgd, learning_rate 0.01'
        """
        self.describe(setting)
        fi, oi, *si, ti = setting
        opt = self.optimizers[oi]
        parts = [self.functions[fi].name, opt]
        for (name, _, labels), i in zip(self.axes[2:-1], si):
            if self.uses(opt, name):
                parts.append(f"{name} {labels[i]}")
        _, starts, labels = self.axes[-1]
        if len(starts) > 1:
            parts.append(f"start {labels[ti]}")
        return ", ".join(parts)

    def result_text(self, setting):
        """The result of a setting's run in words (see :func:`result_text`)."""
        f = self.describe(setting)[0]
        return result_text(self.run(setting), f.f_min)

    def summary(self, setting):
        """``"<setting>: <result>"``, the line both views show and announce when the setting changes.

        Examples
        --------
        >>> g = Grid("quadratic", "momentum", {"learning_rate": [0.01, 0.1], "mu": [0.5, 0.9]}, steps=150)
        >>> g.summary((0, 0, 0, 1, 0))
        'quadratic, momentum, learning_rate 0.01, mu 0.9: 150 steps, f − f* = 8.08e−7'
        """
        return f"{self.setting_text(setting)}: {self.result_text(setting)}"

    def path_text(self, setting):
        """Where the setting's path starts and ends (see :func:`path_text`)."""
        return path_text(self.run(setting))

    def contour_text(self, setting):
        """The text alternative of the contour plot with the setting's path."""
        f, opt, _, _ = self.describe(setting)
        return f"{function_text(f)}; the path of {opt} {self.path_text(setting)} (white circle to square)"

    def loss_text(self, setting):
        """The text alternative of the setting's loss curve (see :func:`loss_text`)."""
        return loss_text(self.run(setting), self.describe(setting)[0].f_min)

def loss_axis(f, starts):
    r"""The vertical axis both views use for the loss curve of function ``f``.

    Returns ``("log", lo, hi)``: :math:`f - f_{\min}` on a log scale from
    :math:`10^{lo}` to :math:`10^{hi}` (one decade above the largest starting gap,
    twelve decades deep); or, for a function unbounded below (``f_min`` is None),
    ``("symlog", -lim, lim)``: :math:`\operatorname{sign}(f)\log_{10}(1 + |f|)` up to
    the runner's divergence threshold :math:`10^8 \max(1, |f(x_0)|)`.

    Examples
    --------
    >>> from gdlib.functions import Quadratic, Saddle
    >>> f = Quadratic()
    >>> loss_axis(f, [f.x0])
    ('log', -9, 3)
    >>> loss_axis(Saddle(), [Saddle().x0])
    ('symlog', -8.4, 8.4)
    """
    if f.f_min is None:
        top = max(max(1.0, abs(f.value(np.asarray(s, dtype=np.float64)))) for s in starts)
        lim = math.ceil(math.log10(1.0 + 1e8 * top) * 20) / 20
        return ("symlog", -lim, lim)
    gap = max(f.value(np.asarray(s, dtype=np.float64)) - f.f_min for s in starts)
    hi = math.ceil(math.log10(max(gap, 1e-12))) + 1
    return ("log", hi - 12, hi)


def loss_coordinate(values, f_min, axis):
    """Loss values mapped to the axis coordinate of :func:`loss_axis` (decades), clipped to it."""
    values = np.asarray(values, dtype=np.float64)
    kind, lo, hi = axis
    if kind == "log":
        gap = values - f_min
        with np.errstate(divide="ignore", invalid="ignore"):
            y = np.log10(np.where(gap > 0, gap, 10.0 ** lo))
    else:
        y = np.sign(values) * np.log10(1.0 + np.abs(values))
    return np.clip(y, lo, hi)


def loss_ticks(axis):
    """Tick positions (axis coordinates, in decades) and labels for a loss axis from :func:`loss_axis`.

    Examples
    --------
    >>> loss_ticks(("log", -3, 1))
    ([-3, -2, -1, 0, 1], ['1e-3', '1e-2', '1e-1', '1e0', '1e1'])
    """
    kind, lo, hi = axis
    if kind == "log":
        span = hi - lo
        every = 1 if span <= 6 else (2 if span <= 12 else 3)
        ticks = [d for d in range(math.ceil(lo), math.floor(hi) + 1) if (d - hi) % every == 0]
        return ticks, [f"1e{d}" for d in ticks]
    pos, labels = [0.0], ["0"]
    for d in range(2, int(math.floor(hi)) + 1, 2):
        v = math.log10(1.0 + 10.0 ** d)
        pos += [v, -v]
        labels += [f"1e{d}", f"-1e{d}"]
    return pos, labels
