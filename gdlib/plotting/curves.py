"""Loss curves: objective value against step, for one or several runs."""
from __future__ import annotations

import numbers

import numpy as np
from matplotlib.ticker import MaxNLocator

from ._common import check_flag, closes_new_figures_on_error, new_axes

__all__ = ["plot_losses"]


def _values(traj, k):
    vals = getattr(traj, "values", traj)
    if callable(vals):  # a dict's .values method: the caller passed a dict where a run was expected
        raise TypeError(f"Invalid trajs[{k}]: {traj!r} (must be a Trajectory or a 1-D array of values)")
    try:
        vals = np.asarray(vals)
    except (TypeError, ValueError):   # ragged
        raise TypeError(f"Invalid trajs[{k}]: {traj!r} (must be a Trajectory or a 1-D array of numbers)") from None
    if vals.dtype.kind not in "iuf" or vals.ndim != 1:
        raise ValueError(
            f"Invalid trajs[{k}]: values of shape {vals.shape} and dtype {vals.dtype} "
            "(must be a Trajectory or a 1-D array of numbers)"
        )
    return vals.astype(np.float64)


@closes_new_figures_on_error
def plot_losses(trajs, ax=None, log=True, labels=None, f_min=None):
    r"""Plot :math:`f(x_t)` (or :math:`f(x_t) - f^*`) against the step :math:`t` for each run.

    Parameters
    ----------
    trajs : Trajectory, array_like, list of them, or dict
        One run or several. A run is anything with a ``values`` array (the runner's
        ``Trajectory``) or a 1-D array of values. A dict maps labels to runs.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure.
    log : bool, default True
        Log scale on the y axis. Used when ``f_min`` is given (the gap
        :math:`f(x_t) - f^*` is plotted, points with a zero gap are left out) or when
        every value is positive; otherwise the axis stays linear.
    labels : sequence of str, optional
        One legend entry per run (default the dict keys, or none).
    f_min : float, optional
        The minimum value :math:`f^*` (e.g. ``f.f_min`` of a ``TestFunction``). When
        given, the plotted quantity is the optimality gap :math:`f(x_t) - f^*`.

    Returns
    -------
    matplotlib.axes.Axes
        With one line per run, labelled axes, and a legend when there are labels.

    Raises
    ------
    ValueError
        If a run is not 1-D, ``labels`` has the wrong length, or ``f_min`` is not finite.
    TypeError
        If ``f_min`` is not a number.

    Notes
    -----
    On a log axis, linear convergence :math:`f(x_t) - f^* \approx C r^t` is a
    straight line of slope :math:`\log_{10} r` per step; a sublinear
    :math:`O(1/t)` rate bends. Non-finite values (diverged runs) are not drawn.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> ax = plot_losses({"fast": [4.0, 1.0, 0.25], "slow": [4.0, 2.0, 1.0]}, f_min=0.0)
    >>> [line.get_label() for line in ax.lines], ax.get_yscale()
    (['fast', 'slow'], 'log')
    >>> plt.close("all")
    """
    if trajs is None or isinstance(trajs, (str, bytes, numbers.Number)) or not (
            hasattr(trajs, "__iter__") or hasattr(trajs, "values")):
        raise TypeError(f"Invalid trajs: {trajs!r} (must be a Trajectory, a list of them or of value arrays, "
                        "or a dict label -> run)")
    if isinstance(trajs, dict):
        if labels is None:
            labels = [str(k) for k in trajs]
        runs = list(trajs.values())
    elif hasattr(trajs, "values") and not isinstance(trajs, (list, tuple)):
        runs = [trajs]
    else:
        arr = np.asarray(trajs, dtype=object) if isinstance(trajs, (list, tuple)) else np.asarray(trajs)
        if arr.ndim == 1 and all(isinstance(v, numbers.Real) for v in arr):
            runs = [trajs]  # one run given as a flat sequence of numbers
        else:
            runs = list(trajs)
    if labels is not None:
        labels = list(labels)
        if len(labels) != len(runs):
            raise ValueError(f"Invalid labels: {len(labels)} labels for {len(runs)} runs (must be one per run)")
    if f_min is not None:
        if isinstance(f_min, bool) or not isinstance(f_min, numbers.Real):
            raise TypeError(f"Invalid f_min: {f_min!r} (must be a finite number or None)")
        if not np.isfinite(f_min):
            raise ValueError(f"Invalid f_min: {f_min!r} (must be finite)")
        f_min = float(f_min)
    ys = []
    for k, run in enumerate(runs):
        y = _values(run, k)
        if f_min is not None:
            y = y - f_min
        ys.append(np.where(np.isfinite(y), y, np.nan))
    use_log = check_flag(log, "log") and (
        f_min is not None or all(np.all(y[np.isfinite(y)] > 0) for y in ys)
    )
    ax = new_axes(ax, figsize=(6.0, 4.0))
    for k, y in enumerate(ys):
        if use_log:
            y = np.where(y > 0, y, np.nan)
        label = labels[k] if labels is not None else None
        ax.plot(np.arange(y.size), y, linewidth=1.5, label=label)
    if use_log:
        ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("step $k$")
    ax.set_ylabel("$f(x_k) - f^*$" if f_min is not None else "$f(x_k)$")
    ax.grid(True, which="major", alpha=0.3)
    if labels is not None:
        ax.legend(loc="best", fontsize="small")
    return ax
