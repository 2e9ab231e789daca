"""Helpers shared by the plotting functions: axes creation and evaluating ``f`` on a grid.

This is the only numerical work plotting does: it *evaluates* test functions (through
their ``value``/``grad``) on a regular grid; everything else comes from ``gdlib``.
"""
from __future__ import annotations

import functools

import numpy as np


def closes_new_figures_on_error(fn):
    """Decorate a plotting function so that a refused (or failing) call leaves no figure behind.

    A function opens its figure only after checking its arguments, but ``f`` itself can fail
    when it is evaluated on the grid; any figure opened during the call is then closed before
    the exception propagates, so ``plt.get_fignums()`` is as before the call.
    """
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        import matplotlib.pyplot as plt

        before = set(plt.get_fignums())
        try:
            return fn(*args, **kwargs)
        except BaseException:
            for num in set(plt.get_fignums()) - before:
                plt.close(num)
            raise

    return wrapper


def check_flag(value, name):
    """A plotting flag (``log``, ``descent``, ``normalize``): ``True`` or ``False`` only."""
    from .._validation import check_bool

    return check_bool(value, name)


def new_axes(ax=None, projection=None, figsize=(6.0, 5.0)):
    """Return ``ax``, or a fresh Axes on a new pyplot figure (so notebooks display it)."""
    if ax is not None:
        from matplotlib.axes import Axes

        if not isinstance(ax, Axes):
            raise TypeError(f"Invalid ax: {ax!r} (must be a matplotlib Axes or None)")
        if projection == "3d" and getattr(ax, "name", None) != "3d":
            raise ValueError(f"Invalid ax: {ax!r} (must be a 3-D Axes, e.g. fig.add_subplot(projection='3d'))")
        return ax
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=figsize)
    return fig.add_subplot(projection=projection)


def resolve_function(f):
    """Accept a ``TestFunction``, a registry name, or a callable on batches ``(..., 2)``."""
    if isinstance(f, str):
        from ..functions import FUNCTIONS, get_function

        if f not in FUNCTIONS:
            raise ValueError(f"Invalid f: {f!r} (must be a TestFunction or one of {sorted(FUNCTIONS)})")
        return get_function(f)
    if not callable(f) and not hasattr(f, "value"):
        raise TypeError(f"Invalid f: {f!r} (must be a TestFunction, a function name or a callable)")
    dim = getattr(f, "dim", 2)
    if dim != 2:
        raise ValueError(f"Invalid f: {f!r} has dim={dim} (these plots need a function of 2 variables)")
    return f


def resolve_window(f, window):
    """The plot window ``((xmin, xmax), (ymin, ymax))``: the given one, else ``f.window``."""
    if window is None:
        window = getattr(f, "window", None)
        if window is None:
            raise ValueError("Invalid window: None (f has no window attribute; pass window=((xmin, xmax), (ymin, ymax)))")
    try:
        (x0, x1), (y0, y1) = window
        x0, x1, y0, y1 = (float(v) for v in (x0, x1, y0, y1))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"Invalid window: {window!r} (must be ((xmin, xmax), (ymin, ymax)))") from exc
    if not (np.isfinite([x0, x1, y0, y1]).all() and x0 < x1 and y0 < y1):
        raise ValueError(f"Invalid window: {window!r} (bounds must be finite with min < max)")
    return (x0, x1), (y0, y1)


def grid(window, n):
    """``X, Y`` of shape ``(n, n)`` and the stacked points ``(n, n, 2)`` covering ``window``."""
    (x0, x1), (y0, y1) = window
    X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    return X, Y, np.stack([X, Y], axis=-1)


def evaluate(f, points):
    """``f`` on a batch of points ``(..., 2)`` (its ``value`` method if it has one)."""
    values = f.value(points) if hasattr(f, "value") else f(points)
    values = np.asarray(values, dtype=np.float64)
    if values.shape != points.shape[:-1]:
        raise ValueError(
            f"Invalid f: returned shape {values.shape} on a grid of shape {points.shape} "
            "(f must accept a batch (..., 2) and return (...))"
        )
    return values


def in_window(points, window):
    """The points (arrays of shape ``(2,)``) that lie inside ``window``."""
    (x0, x1), (y0, y1) = window
    return [p for p in points if x0 <= p[0] <= x1 and y0 <= p[1] <= y1]


def trajectory_points(traj, name="traj"):
    """The ``(N, 2)`` float array of a Trajectory (its ``x``) or of an array-like."""
    xs = getattr(traj, "x", traj)
    try:
        xs = np.asarray(xs)
    except (TypeError, ValueError):   # ragged nested lists
        raise TypeError(f"Invalid {name}: {traj!r} (must be a Trajectory or an (N, 2) array of numbers)") from None
    if xs.dtype.kind not in "iuf":
        raise TypeError(f"Invalid {name}: dtype {xs.dtype} (must be a Trajectory or an (N, 2) array of numbers)")
    if xs.ndim != 2 or xs.shape[1] != 2 or xs.shape[0] < 1:
        raise ValueError(f"Invalid {name}: points of shape {xs.shape} (must be (N, 2), N >= 1)")
    xs = xs.astype(np.float64)
    return np.where(np.isfinite(xs), xs, np.nan)
