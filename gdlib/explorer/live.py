r"""The explorer as a live ipywidgets app: dropdowns, selection sliders and one matplotlib figure.

The figure (contour plot with the trajectory, loss curve beside it) is drawn
with matplotlib's Agg renderer into an ``ipywidgets.Image``, so it needs no
interactive backend (no ipympl). Each function's figure, contours included, is
drawn once and cached with its background pixels; a slider move only updates the
moving artists with ``set_data``, blits them over the cached background and
encodes one PNG (well under 100 ms).

The sliders are ``SelectionSlider`` over the same value grids the static page
uses, so the live and the static views show the same runs. Runs are computed
on demand (and cached in the :class:`~gdlib.explorer.frames.Grid`).
"""
from __future__ import annotations

import html
import io

import numpy as np

from .frames import loss_axis, loss_coordinate, loss_ticks

__all__ = ["LiveView"]

_COLOR = "#d62728"
#: Read by screen readers, not shown (the usual clip pattern).
_VISUALLY_HIDDEN = ("position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;"
                    "clip:rect(0,0,0,0);white-space:nowrap;border:0")


class _Panel:
    """One function's figure: contours and loss axes drawn once, moving artists blitted."""

    def __init__(self, f, axis, steps, size=(8.0, 3.3), dpi=100):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        from ..plotting import plot_contours

        self.f, self.axis, self.steps = f, axis, steps
        self.fig = Figure(figsize=size, dpi=dpi)
        self.canvas = FigureCanvasAgg(self.fig)
        self.ax = self.fig.add_axes((0.07, 0.14, 0.42, 0.78))
        self.ax_loss = self.fig.add_axes((0.6, 0.14, 0.37, 0.76))
        with np.errstate(all="ignore"):
            plot_contours(f, ax=self.ax, n=160, levels=25)
        kind, lo, hi = axis
        al = self.ax_loss
        al.set_xlim(0, steps)
        al.set_ylim(lo, hi)
        ticks, labels = loss_ticks(axis)
        al.set_yticks(ticks, labels)
        al.grid(True, axis="y", color="#ddd", linewidth=0.7)
        al.set_xlabel("step")
        al.set_title(r"$f - f^*$ (log scale)" if kind == "log" else r"$f$ (symmetric log scale)", fontsize=10)
        (self.path,) = self.ax.plot([], [], "-", color=_COLOR, linewidth=1.6, animated=True)
        (self.dots,) = self.ax.plot([], [], "o", color=_COLOR, markersize=2, animated=True)
        (self.start,) = self.ax.plot([], [], "o", markersize=7, markerfacecolor="white",
                                     markeredgecolor=_COLOR, animated=True)
        (self.end,) = self.ax.plot([], [], "s", markersize=6, color=_COLOR, markeredgecolor="k", animated=True)
        (self.loss,) = al.plot([], [], "-", color=_COLOR, linewidth=1.5, animated=True)
        self.text = self.ax.text(0.02, 0.02, "", transform=self.ax.transAxes, fontsize=9, color="#b71c1c",
                                 animated=True, bbox=dict(facecolor="white", alpha=0.85, edgecolor="none"))
        self.canvas.draw()
        self.background = self.canvas.copy_from_bbox(self.fig.bbox)

    def draw(self, run, message, diverged):
        """Blit ``run`` over the cached background; return the figure as PNG bytes."""
        from PIL import Image

        x = run.x
        self.path.set_data(x[:, 0], x[:, 1])
        self.dots.set_data(x[:, 0], x[:, 1])
        self.start.set_data(x[:1, 0], x[:1, 1])
        self.end.set_data(x[-1:, 0], x[-1:, 1])
        y = loss_coordinate(run.values, self.f.f_min if self.f.f_min is not None else 0.0, self.axis)
        self.loss.set_data(np.arange(len(y)), y)
        self.text.set_text(message if diverged else "")
        self.canvas.restore_region(self.background)
        for artist in (self.path, self.dots, self.start, self.end):
            self.ax.draw_artist(artist)
        if diverged:
            self.ax.draw_artist(self.text)
        self.ax_loss.draw_artist(self.loss)
        buf = np.asarray(self.canvas.buffer_rgba())
        out = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(buf[..., :3])).save(out, format="PNG", compress_level=1)
        return out.getvalue()


class LiveView:
    """The ipywidgets app of an explorer.

    Parameters
    ----------
    grid : Grid
        The settings.
    setting : tuple of int
        The initial setting (one index per axis of ``grid``).
    on_change : callable, optional
        Called with the new setting after each redraw.

    Attributes
    ----------
    widget : ipywidgets.VBox
        The app: controls, the figure (an ``ipywidgets.Image``) and a status line.
    controls : dict of str to ipywidgets.Widget
        Axis name -> its dropdown or slider (axes with one entry have none).
    setting : tuple of int
        The setting shown.
    summary : str
        The setting and its result in words (:meth:`Grid.summary`), shown in
        :attr:`status` (``role="status"``, announced politely) as on the static page.
    figure_text : str
        The figure's text alternative (contour plot with the path, loss curve), in
        :attr:`status` too, visually hidden.
    last_redraw_seconds : float
        Wall time of the last :meth:`update`.

    Examples
    --------
    >>> from gdlib.explorer.frames import Grid
    >>> grid = Grid("quadratic", ["sgd", "momentum"], {"learning_rate": [0.01, 0.1], "mu": [0.5, 0.9]}, steps=30)
    >>> view = LiveView(grid, (0, 0, 1, 1, 0))
    >>> sorted(view.controls)
    ['learning_rate', 'mu', 'optimizer']
    >>> view.controls["optimizer"].value = 1          # momentum: the figure is redrawn
    >>> view.setting, view.image.value[:4] == b"\\x89PNG"
    ((0, 1, 1, 1, 0), True)
    >>> view.summary
    'quadratic, momentum, learning_rate 0.1, mu 0.9: 30 steps, f − f* = 0.149'
    """

    def __init__(self, grid, setting, on_change=None):
        import ipywidgets as W

        self.grid = grid
        self.setting = tuple(setting)
        self._on_change = on_change
        self._panels = {}
        self._hold = False
        self.last_redraw_seconds = float("nan")
        self.controls = {}
        for a, (name, values, labels) in enumerate(grid.axes):
            if len(values) < 2:
                continue
            options = list(zip(labels, range(len(values))))
            if name in ("function", "optimizer"):
                w = W.Dropdown(options=options, value=self.setting[a], description=name)
            else:
                w = W.SelectionSlider(options=options, value=self.setting[a], description=name,
                                      continuous_update=True, style={"description_width": "initial"},
                                      layout=W.Layout(width="340px"))
            w.observe(self._changed, names="value")
            self.controls[name] = w
        self.image = W.Image(format="png", layout=W.Layout(max_width="100%"))
        self.status = W.HTML()
        dropdowns = [w for n, w in self.controls.items() if n in ("function", "optimizer")]
        sliders = [w for n, w in self.controls.items() if n not in ("function", "optimizer")]
        self.widget = W.VBox([W.HBox(dropdowns), W.HBox(sliders, layout=W.Layout(flex_flow="row wrap")),
                              self.image, self.status])
        for fi in range(len(grid.functions)):  # contours drawn once, up front: a dropdown change only blits
            self._panel(fi)
        self.update()

    def _panel(self, fi):
        panel = self._panels.get(fi)
        if panel is None:
            f = self.grid.functions[fi]
            panel = _Panel(f, loss_axis(f, self.grid.starts[fi]), self.grid.steps)
            self._panels[fi] = panel
        return panel

    def _changed(self, change):
        if self._hold:
            return
        self.setting = self._read()
        self.update()

    def _read(self):
        setting = list(self.setting)
        for a, (name, _, _) in enumerate(self.grid.axes):
            w = self.controls.get(name)
            if w is not None:
                setting[a] = int(w.value)
        return tuple(setting)

    def set_setting(self, setting):
        """Move the controls to ``setting`` and redraw once."""
        self._hold = True
        try:
            for a, (name, _, _) in enumerate(self.grid.axes):
                w = self.controls.get(name)
                if w is not None:
                    w.value = int(setting[a])
        finally:
            self._hold = False
        self.setting = tuple(int(i) for i in setting)
        self.update()

    def update(self):
        """Redraw the current setting (the callback of every control)."""
        import time

        t0 = time.perf_counter()
        grid = self.grid
        fi, oi = self.setting[0], self.setting[1]
        opt = grid.optimizers[oi]
        for name, w in self.controls.items():
            if name in grid.sliders:
                used = grid.uses(opt, name)
                w.disabled = not used
                w.tooltip = None if used else f"not used by {opt}"
                w.description = name if used else f"{name} (not used by {opt})"
        run = grid.run(self.setting)
        diverged = run.status == "diverged"
        self.image.value = self._panel(fi).draw(run, run.message, diverged)
        # the same words as the static page: the status line, a polite live region, so a screen reader
        # announces the new result, and the figure's text alternative right after it, visually hidden
        # (ipywidgets.Image has no alt; its tooltip trait stops JupyterLab from rendering the image)
        self.summary = grid.summary(self.setting)
        self.figure_text = f"{grid.contour_text(self.setting)}. {grid.loss_text(self.setting)}"
        style = "color:#c62828;font-weight:600" if diverged else ""
        self.status.value = (f'<div role="status" aria-live="polite">{html.escape(grid.setting_text(self.setting))}: '
                             f'<span style="{style}">{html.escape(grid.result_text(self.setting))}</span></div>'
                             f'<div style="{_VISUALLY_HIDDEN}">{html.escape(self.figure_text)}</div>')
        self.last_redraw_seconds = time.perf_counter() - t0
        if self._on_change is not None:
            self._on_change(self.setting)
