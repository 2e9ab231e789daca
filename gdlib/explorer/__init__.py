r"""The course's one hyperparameter explorer: live ipywidgets in Jupyter, precomputed frames on the site.

::

    from gdlib.explorer import explore
    explore(function=["quadratic", "rosenbrock"], optimizer=["sgd", "momentum"],
            sliders={"learning_rate": [1e-3, 3e-3, 1e-2], "mu": [0.0, 0.5, 0.9]}, steps=150)

Modules: ``frames`` (numerics: the grid of settings and its runs, computed with
:func:`gdlib.runner.minimize`, :mod:`gdlib.optim` and :mod:`gdlib.schedules`),
``live`` (the ipywidgets + matplotlib app) and ``static`` (the self-contained
HTML with inline JS for the static website).
"""
from __future__ import annotations

import math
import numbers

from .frames import EXPLORER_OPTIMIZERS, MAX_FRAMES, MAX_STEPS, OPTIMIZERS, Grid, Run

__all__ = ["explore", "Explorer", "Grid", "Run", "OPTIMIZERS", "EXPLORER_OPTIMIZERS", "MAX_FRAMES", "MAX_STEPS"]


def _same(grid_value, value):
    """A grid value equals ``value`` (floats up to rounding, so ``0.1 * 3`` finds ``0.3``)."""
    if isinstance(grid_value, numbers.Real) and isinstance(value, numbers.Real) and not isinstance(value, bool):
        return math.isclose(grid_value, value, rel_tol=1e-9, abs_tol=1e-15)
    return grid_value == value


class Explorer:
    r"""A hyperparameter explorer over a grid of settings; see :func:`explore` for the parameters.

    In Jupyter the last expression of a cell shows the live app (:attr:`widget`);
    its ``text/html`` representation (:meth:`to_html`) holds every run of the grid
    and a few lines of inline JS, so the static website's sliders work with no
    kernel. Both views show the same runs.

    Attributes
    ----------
    grid : Grid
        The validated settings and their (cached) runs.
    setting : tuple of int
        The current setting: one index per axis of ``grid.axes`` (``function``,
        ``optimizer``, the sliders, ``start``). Initially the first function and
        optimizer, the middle value of every slider and the first start.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ex = Explorer("quadratic", ["sgd", "momentum"],      # L = 10: SGD is stable for learning_rate < 0.2
    ...               sliders={"learning_rate": [0.01, 0.1, 0.25], "mu": [0.0, 0.9]}, steps=50)
    >>> ex.current()
    {'function': 'quadratic', 'optimizer': 'sgd', 'learning_rate': 0.1, 'mu': 0.9, 'start': 0}
    >>> ex.select(learning_rate=0.25).run.message
    'diverged at step 24'
    >>> ex.select(optimizer="momentum").run.message       # stable while learning_rate * L < 2 (1 + mu)
    '50 steps'
    >>> html = ex.to_html()
    >>> html.count('<input type="range"'), 'class="gd-explorer-figure"' in html
    (2, True)
    """

    def __init__(self, function="rosenbrock", optimizer="momentum", sliders=None, fixed=None, starts=None,
                 schedule=None, steps=100):
        self.grid = Grid(function=function, optimizer=optimizer, sliders=sliders, fixed=fixed, starts=starts,
                         schedule=schedule, steps=steps)
        self.setting = tuple([0, 0] + [len(v) // 2 for v in self.grid.sliders.values()] + [0])
        self._live = None
        self._html = {}

    # --- the current setting ----------------------------------------------------
    def current(self):
        """The current setting by name: function and optimizer names, slider values, start index."""
        out = {}
        for (name, values, _), i in zip(self.grid.axes, self.setting):
            out[name] = values[i]
        return out

    def select(self, **choices):
        """Move to another setting (and redraw the live view, if shown); returns ``self``.

        Parameters
        ----------
        **choices
            ``function=`` / ``optimizer=`` a name from the dropdown, a slider name
            ``=`` one of its grid values, ``start=`` an index into ``starts``.

        Raises
        ------
        ValueError
            For an unknown name or a value that is not on the grid.
        """
        setting = list(self.setting)
        names = [name for name, _, _ in self.grid.axes]
        for name, value in choices.items():
            if name not in names:
                raise ValueError(f"Invalid choice: {name!r} (must be one of {names})")
            a = names.index(name)
            _, values, labels = self.grid.axes[a]
            matches = [i for i, v in enumerate(values) if _same(v, value) or labels[i] == value]
            if not matches:
                raise ValueError(f"Invalid {name}: {value!r} (must be one of {values})")
            setting[a] = matches[0]
        self.setting = tuple(setting)
        if self._live is not None:
            self._live.set_setting(self.setting)
        return self

    @property
    def run(self):
        """The :class:`Run` of the current setting (computed on demand)."""
        return self.grid.run(self.setting)

    # --- live -------------------------------------------------------------------
    @property
    def live(self):
        """The :class:`~gdlib.explorer.live.LiveView` (built on first use; needs ipywidgets)."""
        if self._live is None:
            from .live import LiveView

            self._live = LiveView(self.grid, self.setting, on_change=self._follow)
        return self._live

    def _follow(self, setting):
        self.setting = tuple(setting)

    @property
    def widget(self):
        """The ipywidgets app (a ``VBox``)."""
        return self.live.widget

    def update(self):
        """Redraw the live view for the current setting (the controls' callback)."""
        self.live.set_setting(self.setting)

    # --- static -----------------------------------------------------------------
    def to_html(self):
        """The self-contained ``<div class="gd-explorer">`` (every run precomputed), opening at the current setting."""
        from .static import ID_PLACEHOLDER, render_html, with_new_id

        html = self._html.get(self.setting)
        if html is None:
            html = self._html[self.setting] = render_html(self.grid, setting=self.setting, element_id=ID_PLACEHOLDER)
        return with_new_id(html)  # a fresh id each time: the same explorer may be shown twice on a page

    def save_html(self, path, title="gdlib explorer"):
        """Write a standalone HTML page holding this explorer (e.g. to open from ``file://``).

        Raises
        ------
        TypeError
            For a ``path`` that is not a str or path-like (an int would be taken by ``open`` as a
            file descriptor, and written to and closed), or a ``title`` that is not a str.
        """
        import html as _html
        import os

        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"Invalid path: {path!r} (must be a str or a pathlib.Path)")
        if not isinstance(title, str):
            raise TypeError(f"Invalid title: {title!r} (must be a str)")

        page = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{_html.escape(title)}'
                f'</title><meta name="viewport" content="width=device-width, initial-scale=1"></head>'
                f"<body>{self.to_html()}</body></html>")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(page)
        return path

    def _repr_html_(self):
        return self.to_html()

    def _repr_mimebundle_(self, include=None, exclude=None):
        """Both views: the widget (live Jupyter) and ``text/html`` (the static site)."""
        bundle = {"text/plain": repr(self), "text/html": self.to_html()}
        try:
            widget_bundle = self.widget._repr_mimebundle_()
        except ImportError:  # ipywidgets missing: the static view alone
            widget_bundle = None
        if widget_bundle:
            bundle.update({k: v for k, v in widget_bundle.items() if k != "text/plain"})
        return bundle

    def __repr__(self):
        g = self.grid
        funcs = [f.name for f in g.functions]
        sliders = {k: len(v) for k, v in g.sliders.items()}
        return (f"Explorer(function={funcs if len(funcs) > 1 else funcs[0]!r}, "
                f"optimizer={g.optimizers if len(g.optimizers) > 1 else g.optimizers[0]!r}, "
                f"sliders={sliders}, steps={g.steps}: {g.n_frames} settings, {g.n_runs} runs)")


def explore(function="rosenbrock", optimizer="momentum", sliders=None, fixed=None, starts=None, schedule=None,
            steps=100):
    r"""An explorer of an optimizer's hyperparameters on 2-D test functions.

    Parameters
    ----------
    function : str, TestFunction or list, default "rosenbrock"
        A :mod:`gdlib.functions` name or a 2-D ``TestFunction``; a list of them
        makes a dropdown.
    optimizer : str or list of str, default "momentum"
        A name of ``EXPLORER_OPTIMIZERS``: those of ``gd.OPTIMIZERS`` (``sgd``,
        ``momentum``, ``nesterov``, ``adagrad``, ``rmsprop``, ``adam``, ``adamw``,
        ``amsgrad``, ``adadelta``, ``adamax``, ``nadam``, ``radam``, ``rprop``,
        ``lion``) and ``newton`` (:class:`~gdlib.optim.Newton`) and ``lbfgs``
        (:class:`~gdlib.optim.LBFGS`), which need the objective and so are not in
        ``gd.OPTIMIZERS``; the explorer's runs are :func:`gdlib.runner.minimize`
        runs, which give it to them. A list makes a dropdown. ``Muon`` is not
        offered: it updates matrices, not 2-D points.
    sliders : dict of str to list, optional
        Hyperparameter name -> its grid of values, e.g.
        ``{"learning_rate": [1e-3, 1e-2], "mu": [0.5, 0.9]}``: one slider each,
        moving over exactly these values. Names are the optimizer's (or the
        schedule's) parameter names, e.g. Rprop's ``eta_minus``/``eta_plus``,
        Lion's ``beta1``/``beta2``, Adadelta's ``decay_rate``, Newton's ``damping``,
        L-BFGS's ``history_size`` (integers). Values are numbers, or all choices
        (str or None), e.g. ``{"line_search": ["strong_wolfe", None]}``. A slider that only some optimizers of the
        dropdown take (``mu`` with ``["sgd", "momentum"]``) is allowed: it is
        ignored for the others, and shown as "not used".
    fixed : dict, optional
        Other hyperparameters held fixed, e.g. ``{"eps": 1e-8}`` (same routing
        as ``sliders``). Unlisted ones keep the optimizer's defaults.
    starts : list of points, optional
        Starting points, a slider over them (the same list for every function of
        the dropdown); default one start per function, its ``x0``.
    schedule : str, optional
        A :mod:`gdlib.schedules` function name; the optimizer then gets
        ``schedule(learning_rate, ...)`` as its learning rate. Its parameters
        (``k``, ``decay_steps``, ``drop``, ...) go in ``sliders`` or ``fixed``;
        ``cosine_decay``'s ``total_steps`` defaults to ``steps``; ``warmup``
        warms up to a constant ``learning_rate``. ``rprop`` takes no schedule (its
        ``learning_rate`` is only the initial step size): a ``TypeError``.
    steps : int, default 100
        Step budget of each run (1 to ``MAX_STEPS``); a run stops earlier when it
        converges (gradient norm <= 1e-8) or diverges.

    Returns
    -------
    Explorer
        As the last expression of a cell: the live ipywidgets app in Jupyter,
        the precomputed ``text/html`` form on the static site.

    Raises
    ------
    ValueError
        For an unknown function, optimizer or schedule name; a slider mixing
        numbers and choices; a slider or fixed
        name that no optimizer of the dropdown (nor the schedule) takes; a
        hyperparameter value the optimizer refuses; a missing required
        hyperparameter; or more than ``MAX_FRAMES`` (300) settings (the product
        of all dropdown and slider sizes and the number of starts).
    TypeError
        For arguments of the wrong type.

    Notes
    -----
    Every setting of the grid is one run of :func:`gdlib.runner.minimize` with a
    fresh optimizer of :mod:`gdlib.optim`; settings that differ only in a slider
    the optimizer ignores share a run. A run whose optimizer refuses a step with
    a ``ValueError`` (Newton where the damped Hessian is singular) is shown up to
    the last iterate it reached, with status ``"stopped"`` and the optimizer's
    reason in its message. Computing all runs (for the static page)
    takes about 1 s for 216 runs of 150 steps.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ex = explore("rosenbrock", ["sgd", "momentum"],
    ...              sliders={"learning_rate": [1e-4, 1e-3], "mu": [0.5, 0.9]}, steps=100)
    >>> ex
    Explorer(function='rosenbrock', optimizer=['sgd', 'momentum'], sliders={'learning_rate': 2, 'mu': 2}, steps=100: 8 settings, 6 runs)
    >>> explore("rosenbrock", "sgd", sliders={"mu": [0.9]})
    Traceback (most recent call last):
    ...
    ValueError: Invalid sliders: 'mu' is not a hyperparameter of optimizer 'sgd' (they take ['learning_rate'])

    Newton's damping (a number) and L-BFGS's line search (a choice) are sliders too:

    >>> ex = explore("rosenbrock", ["newton", "lbfgs"], sliders={"damping": [0.0, 10.0],
    ...              "line_search": ["strong_wolfe", None]}, fixed={"learning_rate": 1.0}, steps=100)
    >>> [ex.grid.setting_text(s) for s in [(0, 0, 1, 0, 0), (0, 1, 0, 1, 0)]]   # each names what it uses
    ['rosenbrock, newton, damping 10', 'rosenbrock, lbfgs, line_search None']
    >>> [ex.select(optimizer="newton", damping=z).run.message for z in (0.0, 10.0)]
    ['converged after 6 steps', '100 steps']
    >>> [ex.select(optimizer="lbfgs", line_search=c).run.message for c in ("strong_wolfe", None)]
    ['converged after 37 steps', 'converged after 90 steps']
    """
    return Explorer(function=function, optimizer=optimizer, sliders=sliders, fixed=fixed, starts=starts,
                    schedule=schedule, steps=steps)
