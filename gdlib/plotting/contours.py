r"""Contour plots of 2-D test functions, trajectories on top of them, and gradient fields."""
from __future__ import annotations

import numbers

import numpy as np
from matplotlib.colors import LogNorm

from .._validation import check_int
from ._common import (check_flag, closes_new_figures_on_error, evaluate, grid, in_window, new_axes,
                      resolve_function, resolve_window, trajectory_points)

__all__ = ["plot_contours", "plot_trajectory", "plot_gradient_field"]


def _label_axes(ax, f, window):
    (x0, x1), (y0, y1) = window
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if not ax.get_title():
        ax.set_title(getattr(f, "name", getattr(f, "__name__", "f")))


def _mark_critical_points(ax, f, window):
    styles = [
        ("minima", dict(marker="*", markersize=14, color="tab:red", markeredgecolor="k", label="global minimum")),
        ("local_minima", dict(marker="o", markersize=6, color="tab:orange", markeredgecolor="k", label="local minimum")),
        ("saddles", dict(marker="X", markersize=8, color="k", label="saddle")),
    ]
    for attr, style in styles:
        pts = in_window(getattr(f, attr, None) or [], window)
        if pts:
            pts = np.asarray(pts)
            if len(pts) > 20:  # e.g. Rastrigin's 120 local minima: small dots
                style = {**style, "markersize": 3, "markeredgewidth": 0}
            ax.plot(pts[:, 0], pts[:, 1], linestyle="none", zorder=5, **style)


@closes_new_figures_on_error
def plot_contours(f, ax=None, levels=30, log=True, n=200, window=None):
    r"""Contour lines of a 2-D function, its minima and saddles marked.

    Parameters
    ----------
    f : TestFunction, str or callable
        A 2-D ``TestFunction``, its registry name (``"rosenbrock"``), or a callable
        accepting a batch ``(..., 2)`` (then ``window`` is required).
    ax : matplotlib.axes.Axes, optional
        Where to draw; by default a new figure.
    levels : int or sequence of float, default 30
        Number of contour levels, or the levels themselves (values of
        :math:`f - f_{\min}` when the log scale is used, else of :math:`f`).
    log : bool, default True
        Space the levels geometrically in :math:`f - f_{\min}` (needs ``f.f_min``;
        functions unbounded below fall back to evenly spaced levels of :math:`f`).
        Valleys like Rosenbrock's are invisible on a linear scale.
    n : int, default 200
        Grid points per axis (``n >= 2``).
    window : ((xmin, xmax), (ymin, ymax)), optional
        Plot window; default ``f.window``.

    Returns
    -------
    matplotlib.axes.Axes
        With a ``ContourSet`` of lines, markers for the global minima (red stars),
        local minima (orange dots) and saddles (black crosses) inside the window,
        labelled axes and equal aspect.

    Raises
    ------
    ValueError
        If ``f`` is not 2-D, ``window`` is malformed or missing, ``n`` < 2 or
        ``levels`` < 1.
    TypeError
        If ``n`` or ``levels`` have the wrong type.

    Notes
    -----
    With :math:`f^* = f_{\min}` and :math:`M` the largest value on the grid, the log
    levels are ``geomspace(max(m, 1e-6 M), M, levels)`` of :math:`f - f^*`, with
    :math:`m` the smallest positive value on the grid.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from gdlib.functions import Rosenbrock
    >>> ax = plot_contours(Rosenbrock(), n=50)
    >>> ax.get_xlabel(), len(ax.collections) >= 1
    ('$x_1$', True)
    >>> plt.close("all")
    """
    f = resolve_function(f)
    window = resolve_window(f, window)
    n = check_int(n, "n", minimum=2)
    log = check_flag(log, "log")
    if isinstance(levels, bool):
        raise TypeError(f"Invalid levels: {levels!r} (must be an int >= 1 or a sequence of numbers)")
    if isinstance(levels, (numbers.Integral, np.integer)):
        levels = check_int(levels, "levels", minimum=1)
        n_levels, level_values = levels, None
    else:
        try:
            level_values = np.asarray(levels, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"Invalid levels: {levels!r} (must be an int >= 1 or a sequence of numbers)") from None
        if level_values.ndim != 1 or level_values.size < 1 or not np.all(np.isfinite(level_values)):
            raise ValueError(f"Invalid levels: {levels!r} (must be an int or a 1-D sequence of numbers)")
        level_values = np.sort(level_values)
        n_levels = level_values.size
    ax = new_axes(ax)
    X, Y, P = grid(window, n)
    Z = evaluate(f, P)
    Z = np.where(np.isfinite(Z), Z, np.nan)
    f_min = getattr(f, "f_min", None)
    if log and f_min is not None:
        D = Z - f_min
        if level_values is None:
            top = np.nanmax(D)
            positive = D[D > 0]
            low = max(float(positive.min()), top * 1e-6) if positive.size else top * 1e-6
            level_values = np.geomspace(low, top, n_levels) if top > low else np.array([top])
        D = np.where(D > 0, D, np.nan)  # the minimum itself has no log level
        ax.contour(X, Y, D, levels=level_values, cmap="viridis", norm=LogNorm(), linewidths=0.8)
    else:
        if level_values is None:
            level_values = n_levels
        ax.contour(X, Y, Z, levels=level_values, cmap="viridis", linewidths=0.8)
    _mark_critical_points(ax, f, window)
    _label_axes(ax, f, window)
    return ax


@closes_new_figures_on_error
def plot_trajectory(traj, ax=None, label=None, color=None):
    """Draw an optimisation path in the plane: a line through the iterates, start and end marked.

    Parameters
    ----------
    traj : Trajectory or array_like of shape (N, 2)
        Anything with an attribute ``x`` of shape ``(steps + 1, 2)`` (the runner's
        ``Trajectory``), or the points themselves.
    ax : matplotlib.axes.Axes, optional
        Where to draw (typically the output of ``plot_contours``, whose limits are
        kept, so a diverging run does not rescale the view); default a new figure.
    label : str, optional
        Legend entry; a legend is drawn when given.
    color : color, optional
        Matplotlib color; default the next in the cycle.

    Returns
    -------
    matplotlib.axes.Axes
        With three new lines: the path (small dots at the iterates), the start
        (open circle) and the end (filled square).

    Raises
    ------
    ValueError
        If the points do not have shape ``(N, 2)``.
    TypeError
        If they are not numbers.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> ax = plot_trajectory([[0.0, 0.0], [1.0, 0.5], [1.5, 0.6]], label="path")
    >>> len(ax.lines), ax.lines[0].get_label()
    (3, 'path')
    >>> plt.close("all")
    """
    xs = trajectory_points(traj)
    if label is not None and not isinstance(label, str):
        raise TypeError(f"Invalid label: {label!r} (must be a str or None)")
    if color is not None:
        from matplotlib.colors import is_color_like

        if not is_color_like(color):
            raise ValueError(f"Invalid color: {color!r} (must be a matplotlib color, e.g. 'C1' or '#1f77b4')")
    ax = new_axes(ax)
    (line,) = ax.plot(xs[:, 0], xs[:, 1], "-o", markersize=2.5, linewidth=1.3, color=color, label=label, zorder=6)
    c = line.get_color()
    ax.plot(xs[0, 0], xs[0, 1], "o", markersize=7, markerfacecolor="white", markeredgecolor=c, zorder=7,
            label="_start")
    finite = np.flatnonzero(np.all(np.isfinite(xs), axis=1))
    last = finite[-1] if finite.size else 0
    ax.plot(xs[last, 0], xs[last, 1], "s", markersize=6, color=c, markeredgecolor="k", zorder=7, label="_end")
    if label is not None:
        ax.legend(loc="best", fontsize="small")
    return ax


@closes_new_figures_on_error
def plot_gradient_field(f, ax=None, n=15, window=None, descent=True, normalize=True):
    r"""Arrows of :math:`-\nabla f` (or :math:`\nabla f`) on a grid, colored by :math:`\|\nabla f\|`.

    Parameters
    ----------
    f : TestFunction or str
        A 2-D function with a ``grad`` method, or its registry name.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure.
    n : int, default 15
        Arrows per axis (``n >= 2``).
    window : ((xmin, xmax), (ymin, ymax)), optional
        Default ``f.window``.
    descent : bool, default True
        Draw :math:`-\nabla f`, the direction gradient descent moves; ``False`` draws
        :math:`\nabla f` (steepest ascent).
    normalize : bool, default True
        Draw unit arrows (directions only) and show the magnitude by color; gradient
        norms on test functions span orders of magnitude.

    Returns
    -------
    matplotlib.axes.Axes
        With one ``Quiver`` collection.

    Raises
    ------
    TypeError
        If ``f`` has no ``grad`` method.
    ValueError
        If ``f`` is not 2-D or ``n`` < 2.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> ax = plot_gradient_field("quadratic", n=5)
    >>> type(ax.collections[0]).__name__
    'Quiver'
    >>> plt.close("all")
    """
    f = resolve_function(f)
    if not hasattr(f, "grad"):
        raise TypeError(f"Invalid f: {f!r} (must have a grad method, e.g. a gdlib TestFunction)")
    window = resolve_window(f, window)
    n = check_int(n, "n", minimum=2)
    descent = check_flag(descent, "descent")
    normalize = check_flag(normalize, "normalize")
    ax = new_axes(ax)
    X, Y, P = grid(window, n)
    G = np.asarray(f.grad(P), dtype=np.float64)
    if descent:
        G = -G
    norm = np.linalg.norm(G, axis=-1)
    U, V = G[..., 0], G[..., 1]
    if normalize:
        (x0, x1), (y0, y1) = window
        length = 0.8 * min(x1 - x0, y1 - y0) / (n - 1)  # arrows of 80% of the grid spacing
        safe = np.where(norm > 0, norm, 1.0)
        U, V = length * U / safe, length * V / safe
        ax.quiver(X, Y, U, V, norm, cmap="plasma", angles="xy", scale_units="xy", scale=1.0, pivot="mid")
    else:
        ax.quiver(X, Y, U, V, norm, cmap="plasma", angles="xy", pivot="mid")
    _label_axes(ax, f, window)
    return ax
