"""Plotting for the course (matplotlib only, Agg-safe, no numerics of its own).

Every function takes an optional ``ax`` and returns the Axes it drew on::

    from gdlib.plotting import plot_contours, plot_trajectory, plot_losses
    ax = plot_contours(f)                      # contour lines, minima and saddles marked
    plot_trajectory(run, ax=ax, label="Adam")  # run: a Trajectory (or an (N, 2) array)
    plot_losses([run1, run2], labels=["SGD", "Adam"], f_min=f.f_min)

Modules: ``contours`` (``plot_contours``, ``plot_trajectory``,
``plot_gradient_field``), ``surface`` (``plot_surface``), ``curves``
(``plot_losses``).
"""
from .contours import plot_contours, plot_gradient_field, plot_trajectory
from .curves import plot_losses
from .graph import draw_graph
from .surface import plot_surface

__all__ = ["plot_contours", "plot_trajectory", "plot_gradient_field", "plot_surface", "plot_losses", "draw_graph"]
