"""3-D surface plot of a 2-D test function."""
from __future__ import annotations

import numpy as np

from .._validation import check_int
from ._common import closes_new_figures_on_error, evaluate, grid, new_axes, resolve_function, resolve_window

__all__ = ["plot_surface"]


@closes_new_figures_on_error
def plot_surface(f, ax=None, n=60, window=None):
    """Draw :math:`z = f(x_1, x_2)` as a 3-D surface.

    Parameters
    ----------
    f : TestFunction, str or callable
        A 2-D ``TestFunction``, its registry name, or a callable on batches
        ``(..., 2)`` (then ``window`` is required).
    ax : mpl_toolkits.mplot3d.axes3d.Axes3D, optional
        A 3-D Axes (``fig.add_subplot(projection="3d")``); default a new figure.
    n : int, default 60
        Grid points per axis (``n >= 2``).
    window : ((xmin, xmax), (ymin, ymax)), optional
        Default ``f.window``.

    Returns
    -------
    mpl_toolkits.mplot3d.axes3d.Axes3D
        With one ``Poly3DCollection`` (the surface) and labelled axes.

    Raises
    ------
    ValueError
        If ``ax`` is not a 3-D Axes, ``f`` is not 2-D, or ``n`` < 2.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> ax = plot_surface("himmelblau", n=20)
    >>> ax.name, ax.get_zlabel()
    ('3d', '$f(x)$')
    >>> plt.close("all")
    """
    f = resolve_function(f)
    window = resolve_window(f, window)
    n = check_int(n, "n", minimum=2)
    ax = new_axes(ax, projection="3d", figsize=(6.5, 5.0))  # after the checks: a refused call opens no figure
    X, Y, P = grid(window, n)
    Z = evaluate(f, P)
    Z = np.where(np.isfinite(Z), Z, np.nan)
    ax.plot_surface(X, Y, Z, cmap="viridis", linewidth=0, antialiased=True, alpha=0.9)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_zlabel("$f(x)$")
    if not ax.get_title():
        ax.set_title(getattr(f, "name", getattr(f, "__name__", "f")))
    return ax
