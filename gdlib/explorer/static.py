r"""The explorer as one self-contained piece of HTML: precomputed frames and a few lines of inline JS.

For the static website, where no kernel runs. :func:`render_html` computes every
run of a :class:`~gdlib.explorer.frames.Grid` and writes

- a ``<div class="gd-explorer">`` root with a unique id, holding ``<select>``
  dropdowns and ``<input type="range">`` sliders (one position per grid value)
  with ``<output>`` labels showing the current values;
- a ``.gd-explorer-figure``: per function one small contour PNG (base64, drawn
  once with :func:`gdlib.plotting.plot_contours`), an inline SVG on top of it
  where the script draws the trajectory polyline, and a loss-curve SVG
  (:math:`f - f_{\min}` on a log scale);
- the runs as compact JSON: pixel coordinates times 10, rounded to integers
  (0.1 px), a diverged run cut at divergence with its message
  ``"diverged at step k"``;
- an inline script scoped to its root (several explorers per page work; nothing
  is fetched, so the page works from ``file://``).

The course website moves each explorer's runs and contour images out of the page
(``tools/site/gd_perf.py``: on a phone they were 40-55 % of an explorer page's bytes).
The data script is then empty, with ``data-src`` naming a script file that calls
``window.gdExplorerData[<root id>](<the runs>)``; the inline script inserts that file
(a ``<script src>``, so it still works from ``file://``) when the explorer comes
within a screen of the viewport, when a control gets focus or a pointer, or a few
seconds (``data-idle-ms``) after the load event. Until then the first setting drawn
in the HTML shows; ``data-ready`` is ``"2"`` once the controls respond (and the other
functions' contour images are fetched), ``"error"`` if the file did not load (the status
line says so; the next focus or pointer tries again).

For every reader (issue 13): each control is labelled and works from the keyboard (a
slider says its value in words through ``aria-valuetext``); the line under the figure
is a polite live region that says the setting and its result, e.g. "rosenbrock,
momentum, learning_rate 0.003, mu 0.9: 150 steps, f − f* = 1.27", and the contour
image's and loss curve's text alternatives say what they show for the current setting.
Every text is computed in Python (:meth:`Grid.summary`, :meth:`Grid.contour_text`,
:meth:`Grid.loss_text`, from the run's numbers); the script only assembles the same
pieces. A diverged run is said in words, not only in red.

The contour image, the loss plot and the status line sit on white in light and dark mode (the
theme's output area is light grey in dark mode: a light red on it failed WCAG's 4.5:1).
"""
from __future__ import annotations

import base64
import hashlib
import html
import io
import itertools
import json
import math

import numpy as np

from .frames import function_text, loss_axis, loss_coordinate, loss_text, loss_ticks, path_text, result_text

__all__ = ["render_html", "contour_image", "encode_run", "decode_points", "new_id", "with_new_id", "LOSS_BOX",
           "PNG_SIZE"]

#: Pixel size (width, height) of each contour image.
PNG_SIZE = (400, 300)
#: Loss plot: viewBox (width, height) and plot area (left, top, right, bottom) in pixels.
LOSS_BOX = ((320, 300), (54, 26, 310, 262))
#: Pixel coordinates further than this outside the image are clamped (keeps numbers short).
_CLAMP = 4000.0
#: At most this many points per run are stored (evenly subsampled beyond it).
MAX_POINTS = 400
#: At most this many points over all runs of one explorer (keeps a page under ~600 KB).
POINT_BUDGET = 36_000

_counter = itertools.count(1)


class ContourImage:
    """A rendered contour plot: PNG bytes and the data -> pixel map of its axes.

    Attributes
    ----------
    png : bytes
        The image, ``PNG_SIZE`` pixels.
    axes_box : tuple of float
        ``(left, top, right, bottom)`` of the plot area in image pixels (y down).
    """

    def __init__(self, png, transform, axes_box):
        self.png = png
        self._transform = transform
        self.axes_box = axes_box

    def to_pixels(self, points):
        """Image pixel coordinates ``(N, 2)`` (y down) of data points ``(N, 2)``."""
        points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        return self._transform(points)


def contour_image(f, size=PNG_SIZE, colors=64):
    """Render ``f``'s contour plot once, as a small palette PNG.

    Parameters
    ----------
    f : TestFunction
        A 2-D function.
    size : (int, int), default PNG_SIZE
        Width and height in pixels.
    colors : int, default 64
        Palette size of the PNG (a contour plot needs few colors; this keeps it small). The
        octree quantizer keeps small saturated marks (the red star of the minimum) red.

    Returns
    -------
    ContourImage

    Examples
    --------
    >>> from gdlib.functions import Quadratic
    >>> img = contour_image(Quadratic())
    >>> img.png[:4] == b"\\x89PNG", len(img.png) < 45_000
    (True, True)
    >>> px = img.to_pixels([[0.0, 0.0]])      # the center of the window...
    >>> l, t, r, b = img.axes_box
    >>> bool(abs(px[0, 0] - (l + r) / 2) < 1 and abs(px[0, 1] - (t + b) / 2) < 1)
    True
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image

    from ..plotting import plot_contours

    w, h = size
    dpi = 100
    fig = Figure(figsize=(w / dpi, h / dpi), dpi=dpi)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_axes((0.13, 0.13, 0.84, 0.8))
    with np.errstate(all="ignore"):
        plot_contours(f, ax=ax, n=160, levels=25)
    ax.set_title(f.name, fontsize=10)
    ax.tick_params(labelsize=8)
    ax.xaxis.label.set_size(9)
    ax.yaxis.label.set_size(9)
    canvas.draw()
    trans = ax.transData.frozen()
    bbox = ax.get_window_extent()
    buf = np.asarray(canvas.buffer_rgba())[..., :3]
    img = Image.fromarray(np.ascontiguousarray(buf)).quantize(colors=colors, method=Image.Quantize.FASTOCTREE)
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)

    def transform(points):
        disp = trans.transform(points)
        return np.column_stack([disp[:, 0], h - disp[:, 1]])

    return ContourImage(out.getvalue(), transform, (bbox.x0, h - bbox.y1, bbox.x1, h - bbox.y0))


def _ints(a):
    return [int(v) for v in np.rint(np.asarray(a, dtype=np.float64) * 10.0)]


def _subsample(n, max_points=MAX_POINTS):
    if n <= max_points:
        return np.arange(n)
    return np.unique(np.rint(np.linspace(0, n - 1, max_points)).astype(int))


def encode_run(run, image, axis, f_min, steps, max_points=MAX_POINTS):
    """The compact JSON record of one run.

    Parameters
    ----------
    run : Run
        From :meth:`Grid.run`.
    image : ContourImage
        The contour image of the run's function (gives the pixel map).
    axis : tuple
        The loss axis, from :func:`gdlib.explorer.frames.loss_axis`.
    f_min : float or None
        The function's minimum value.
    steps : int
        The explorer's step budget (the loss plot's horizontal extent).
    max_points : int, default MAX_POINTS
        Longer runs are evenly subsampled (first and last point kept).

    Returns
    -------
    dict
        ``"k"``: iterate numbers kept (omitted when all are); ``"p"``: flat
        ``[x0, y0, x1, y1, ...]`` image pixels times 10 as integers (trailing
        points that no longer move a tenth of a pixel are dropped; the reader
        repeats the last one); ``"l"``: the loss plot's y pixel times 10 per kept
        iterate; ``"m"``: the result in words (:func:`~gdlib.explorer.frames.result_text`),
        shown under the figure after the setting; ``"pa"``: where the path starts and
        ends, ``"la"``: the loss curve in words (the text alternatives of the two
        plots); ``"d"``: 1 when the run diverged.
    """
    keep = _subsample(len(run.x), max_points)
    px = np.clip(image.to_pixels(run.x[keep]), -_CLAMP, _CLAMP)
    p = np.rint(px * 10.0).astype(np.int64)
    last = len(p)
    while last > 1 and (p[last - 1] == p[last - 2]).all():
        last -= 1
    (_, _), (left, top, right, bottom) = LOSS_BOX
    kind, lo, hi = axis
    y = loss_coordinate(run.values[keep], f_min if f_min is not None else 0.0, axis)
    ly = bottom - (y - lo) / (hi - lo) * (bottom - top)
    rec = {"p": p[:last].ravel().tolist(), "l": _ints(ly), "m": result_text(run, f_min), "pa": path_text(run),
           "la": loss_text(run, f_min)}
    if len(keep) != len(run.x):
        rec["k"] = keep.tolist()
    if run.status == "diverged":
        rec["d"] = 1
    return rec


def decode_points(rec):
    """The ``(N, 2)`` pixel coordinates of a record from :func:`encode_run` (as the page's script reads them)."""
    p = np.asarray(rec["p"], dtype=np.float64).reshape(-1, 2) / 10.0
    n = len(rec["l"])
    if len(p) < n:
        p = np.vstack([p, np.repeat(p[-1:], n - len(p), axis=0)])
    return p


def _loss_axis_svg(axis, steps, f_min):
    """SVG markup of a loss plot's frame, ticks and labels (drawn once per function)."""
    (_, _), (left, top, right, bottom) = LOSS_BOX
    kind, lo, hi = axis
    parts = [f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" '
             'fill="none" stroke="#888" stroke-width="1"/>']

    def ypix(v):
        return bottom - (v - lo) / (hi - lo) * (bottom - top)

    positions, labels = loss_ticks(axis)
    ticks = list(zip(positions, labels))
    title = "f - f* (log scale)" if kind == "log" else "f (symmetric log scale)"
    for v, label in ticks:
        y = ypix(v)
        parts.append(f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd" stroke-width="0.7"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 3:.1f}" text-anchor="end">{label}</text>')
    for s in _nice_steps(steps):
        x = left + s / steps * (right - left)
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{bottom}" y2="{bottom + 4}" stroke="#888"/>')
        parts.append(f'<text x="{x:.1f}" y="{bottom + 15}" text-anchor="middle">{s}</text>')
    parts.append(f'<text x="{(left + right) / 2:.1f}" y="{bottom + 31}" text-anchor="middle">step</text>')
    parts.append(f'<text x="{(left + right) / 2:.1f}" y="{top - 9}" text-anchor="middle" '
                 f'font-size="12">{title}</text>')
    return "".join(parts)


def _nice_steps(steps):
    raw = steps / 4
    mag = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    step = max(1, int(step))
    return list(range(0, steps + 1, step))


def new_id(text):
    """A fresh element id: a hash of ``text`` and a per-process counter (unique on a page, stable per build)."""
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
    return f"gd-explorer-{digest}-{next(_counter)}"


#: Placeholder id of a cached rendering; :func:`with_new_id` swaps in a fresh one each time it is shown.
ID_PLACEHOLDER = "gd-explorer-ID-PLACEHOLDER"


def with_new_id(page):
    """``page`` (rendered with ``element_id=ID_PLACEHOLDER``) with a fresh unique id.

    Showing one explorer twice on a page must not give two roots the same id.
    """
    return page.replace(ID_PLACEHOLDER, new_id(page))


_CSS = """
#ID{font-family:inherit;margin:1em 0;max-width:760px}
#ID .gd-explorer-controls{display:flex;flex-wrap:wrap;gap:.35em 1.4em;margin-bottom:.5em;align-items:center}
#ID .gd-explorer-control{display:flex;align-items:center;gap:.45em;font-size:.92em}
#ID .gd-explorer-control>span.gd-explorer-name{font-family:monospace}
#ID select{font:inherit;color:inherit;background:transparent;border:1px solid #888;border-radius:4px;padding:1px 4px}
#ID select option{color:#222;background:#fff}
#ID input[type=range]{width:9em;accent-color:#d62728}
#ID output{font-family:monospace;min-width:4.5em}
#ID .gd-explorer-ignored input{opacity:.45}
#ID .gd-explorer-ignored .gd-explorer-name{text-decoration:line-through}
#ID .gd-explorer-figure{display:flex;flex-wrap:wrap;gap:6px;background:#fff;color:#222;border-radius:6px;padding:6px}
#ID .gd-explorer-contour{position:relative;flex:1 1 300px;max-width:400px;aspect-ratio:4/3}
#ID .gd-explorer-contour img{position:absolute;left:0;top:0;width:100%;height:100%;display:none;filter:none;margin:0;
padding:0;border:0;border-radius:0;background:none;box-shadow:none;max-width:none}
#ID .gd-explorer-contour img.gd-explorer-current{display:block}
#ID .gd-explorer-contour svg{position:absolute;left:0;top:0;width:100%;height:100%}
#ID svg.gd-explorer-loss{flex:1 1 240px;max-width:320px;aspect-ratio:320/300;font-size:10px;font-family:sans-serif}
#ID svg text{fill:#222}
#ID .gd-explorer-status{margin-top:.35em;font-size:.92em;min-height:1.3em;background:#fff;color:#222;border-radius:6px;
padding:2px 6px}
#ID .gd-explorer-diverged .gd-explorer-result{color:#c62828;font-weight:600}
#ID :focus-visible{outline:2px solid #1a73e8;outline-offset:2px}
"""

_JS = """
(function(){
var root=document.getElementById("ID");if(!root||root.getAttribute("data-ready"))return;
root.setAttribute("data-ready","1");
var data=root.querySelector("script.gd-explorer-data"),src=data.getAttribute("data-src");
if(!src){ready(JSON.parse(data.textContent));return;}
var done=false;(window.gdExplorerData=window.gdExplorerData||{})[root.id]=ready;
function load(){if(done)return;done=true;var s=document.createElement("script");s.src=src;
s.onerror=function(){done=false;s.remove();root.setAttribute("data-ready","error");
root.querySelector(".gd-explorer-result").textContent="the runs of this explorer did not load (they load again when you use a control)";};
document.head.appendChild(s);}
root.addEventListener("focusin",load);root.addEventListener("pointerdown",load);
if("IntersectionObserver" in window)new IntersectionObserver(function(es,o){
if(es.some(function(e){return e.isIntersecting;})){o.disconnect();load();}},{rootMargin:"100% 0px"}).observe(root);else load();
function idle(){setTimeout(function(){(window.requestIdleCallback||setTimeout)(load,{timeout:2000});},+(data.getAttribute("data-idle-ms")||5000));}
if(document.readyState==="complete")idle();else addEventListener("load",idle);
function ready(D){
var ctrls=root.querySelectorAll("[data-axis]");
var imgs=root.querySelectorAll(".gd-explorer-contour img");
var frames=root.querySelectorAll("g.gd-explorer-loss-axis");
var path=root.querySelector("polyline.gd-explorer-path");
var start=root.querySelector("circle.gd-explorer-start");
var end=root.querySelector("rect.gd-explorer-end");
var loss=root.querySelector("polyline.gd-explorer-loss-line");
var status=root.querySelector(".gd-explorer-status");
var said=root.querySelector(".gd-explorer-setting"),result=root.querySelector(".gd-explorer-result");
var lossSvg=root.querySelector("svg.gd-explorer-loss");
var clip=root.querySelector("g.gd-explorer-clip");
var L=D.loss;
function current(){var idx=[];for(var a=0;a<D.shape.length;a++)idx.push(0);
for(var i=0;i<ctrls.length;i++){idx[+ctrls[i].getAttribute("data-axis")]=+ctrls[i].value;}return idx;}
function update(){
var idx=current(),flat=0;
for(var a=0;a<D.shape.length;a++)flat=flat*D.shape[a]+idx[a];
var r=D.runs[D.index[flat]],fi=idx[0],opt=D.axes[1].values[idx[1]];
var words=[D.axes[0].labels[fi],opt];
for(var a=2;a<D.axes.length;a++){var ax=D.axes[a];
if(ax.kind==="slider"&&D.uses[opt].indexOf(ax.name)>=0)words.push(ax.name+" "+ax.labels[idx[a]]);
if(ax.kind==="start"&&ax.labels.length>1)words.push("start "+ax.labels[idx[a]]);}
for(var i=0;i<imgs.length;i++){imgs[i].className=(i===fi?"gd-explorer-current":"");
if(i===fi)imgs[i].alt=D.falt[fi]+"; the path of "+opt+" "+r.pa+" (white circle to square)";}
lossSvg.setAttribute("aria-label",r.la);
for(var i=0;i<frames.length;i++)frames[i].style.display=(i===fi?"":"none");
clip.setAttribute("clip-path","url(#"+root.id+"-clip"+fi+")");
var n=r.l.length,m=r.p.length/2,pts=[],lp=[],k,x,y;
for(k=0;k<n;k++){var j=(k<m?k:m-1);x=r.p[2*j]/10;y=r.p[2*j+1]/10;pts.push(x+","+y);
var s=r.k?r.k[k]:k;lp.push((L.left+s*(L.right-L.left)/D.steps).toFixed(1)+","+(r.l[k]/10));}
path.setAttribute("points",pts.join(" "));
loss.setAttribute("points",lp.join(" "));
start.setAttribute("cx",r.p[0]/10);start.setAttribute("cy",r.p[1]/10);
end.setAttribute("x",r.p[2*m-2]/10-3);end.setAttribute("y",r.p[2*m-1]/10-3);
var text=words.join(", ");
if(said.textContent!==text||result.textContent!==r.m){said.textContent=text;result.textContent=r.m;}
status.className="gd-explorer-status"+(r.d?" gd-explorer-diverged":"");
for(var i=0;i<ctrls.length;i++){var c=ctrls[i],a=+c.getAttribute("data-axis"),ax=D.axes[a];
var out=root.querySelector("output[data-label='"+a+"']");if(out)out.textContent=ax.labels[idx[a]];
if(c.type==="range")c.setAttribute("aria-valuetext",ax.labels[idx[a]]);
var box=c.parentNode,note=box.querySelector(".gd-explorer-note");
if(ax.kind==="slider"){var used=D.uses[opt].indexOf(ax.name)>=0;
box.className="gd-explorer-control"+(used?"":" gd-explorer-ignored");
if(note)note.textContent=used?"":"(not used by "+opt+")";}}
}
for(var i=0;i<ctrls.length;i++){ctrls[i].addEventListener("input",update);ctrls[i].addEventListener("change",update);}
update();
for(var i=0;i<imgs.length;i++)imgs[i].loading="eager";
root.setAttribute("data-ready","2");
}
})();
"""


def _first_frame(rec, steps):
    """The initial figure written into the HTML (what the script draws on load; shown without JS too)."""
    (_, _), (left, _, right, _) = LOSS_BOX
    pts = decode_points(rec)
    ks = rec.get("k", range(len(rec["l"])))
    loss = " ".join(f"{left + k * (right - left) / steps:.1f},{y / 10:g}" for k, y in zip(ks, rec["l"]))
    return {"path": " ".join(f"{x:g},{y:g}" for x, y in pts), "start": pts[0], "end": pts[-1], "loss": loss,
            "message": rec["m"], "status_class": " gd-explorer-diverged" if rec.get("d") else ""}


def _initial_setting(grid):
    return tuple([0, 0] + [len(v) // 2 for v in grid.sliders.values()] + [0])


def render_html(grid, setting=None, element_id=None):
    """The self-contained HTML of an explorer over ``grid``.

    Parameters
    ----------
    grid : Grid
        The settings; every run is computed here (cached in ``grid``).
    setting : tuple of int, optional
        The setting shown first (one index per axis); default the first function
        and optimizer, the middle value of each slider, the first start.
    element_id : str, optional
        Id of the root element; default a fresh unique id (a hash of the content
        and a counter, so two explorers on one page never share one).

    Returns
    -------
    str
        ``<div class="gd-explorer" id=...>...</div>``, with ``<style>`` and
        ``<script>`` inside it.

    Examples
    --------
    >>> from gdlib.explorer.frames import Grid
    >>> grid = Grid("quadratic", "sgd", {"learning_rate": [0.01, 0.1, 1.0]}, steps=20)
    >>> page = render_html(grid)
    >>> page.startswith('<div class="gd-explorer"'), page.count('type="range"')
    (True, 1)
    """
    runs, index = grid.compute_all()
    images = [contour_image(f) for f in grid.functions]
    axes_loss = [loss_axis(f, grid.starts[i]) for i, f in enumerate(grid.functions)]
    fi_of_run = {}
    for flat, r in enumerate(index):
        fi_of_run.setdefault(r, grid.setting(flat)[0])
    max_points = max(60, min(MAX_POINTS, POINT_BUDGET // max(1, len(runs))))
    records = []
    for r, run in enumerate(runs):
        fi = fi_of_run[r]
        f = grid.functions[fi]
        records.append(encode_run(run, images[fi], axes_loss[fi], f.f_min, grid.steps, max_points=max_points))
    (lw, lh), (left, top, right, bottom) = LOSS_BOX
    data = {
        "shape": list(grid.shape),
        "steps": grid.steps,
        "axes": [{"name": name, "labels": labels, "values": (values if name in ("function", "optimizer") else None),
                  "kind": "dropdown" if name in ("function", "optimizer") else
                  ("start" if name == "start" else "slider")}
                 for name, values, labels in grid.axes],
        "uses": {o: [s for s in grid.sliders if grid.uses(o, s)] for o in grid.optimizers},
        "falt": [function_text(f) for f in grid.functions],
        "loss": {"left": left, "right": right, "top": top, "bottom": bottom},
        "index": index,
        "runs": records,
    }
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    uid = element_id or new_id(payload)
    esc = html.escape
    init = _initial_setting(grid) if setting is None else tuple(int(i) for i in setting)
    if len(init) != len(grid.shape) or not all(0 <= i < n for i, n in zip(init, grid.shape)):
        raise ValueError(f"Invalid setting: {setting!r} (must be {len(grid.shape)} indices below {grid.shape})")

    controls = []
    for a, (name, values, labels) in enumerate(grid.axes):
        n = len(values)
        if name in ("function", "optimizer"):
            if n == 1:
                controls.append(f'<span class="gd-explorer-control"><span>{name}:</span>'
                                f'<span class="gd-explorer-name">{esc(labels[0])}</span></span>')
                continue
            opts = "".join(f'<option value="{i}"{" selected" if i == init[a] else ""}>{esc(lab)}</option>'
                           for i, lab in enumerate(labels))
            controls.append(f'<label class="gd-explorer-control"><span>{name}</span>'
                            f'<select data-axis="{a}" id="{uid}-{a}">{opts}</select></label>')
        else:
            if name == "start" and n == 1:
                continue
            label = "start" if name == "start" else name
            controls.append(
                f'<span class="gd-explorer-control"><label for="{uid}-{a}" class="gd-explorer-name">{esc(label)}'
                f'</label><input type="range" id="{uid}-{a}" data-axis="{a}" min="0" max="{n - 1}" step="1" '
                f'value="{init[a]}" aria-label="{esc(label)}" aria-valuetext="{esc(labels[init[a]])}">'
                f'<output data-label="{a}" for="{uid}-{a}">'
                f'{esc(labels[init[a]])}</output><span class="gd-explorer-note"></span></span>')

    first = _first_frame(records[index[grid.flat_index(init)]], grid.steps)
    w, h = PNG_SIZE
    current, hidden = ' class="gd-explorer-current"', ' style="display:none"'
    imgs = "".join(
        f'<img src="data:image/png;base64,{base64.b64encode(im.png).decode("ascii")}" width="{w}" height="{h}" '
        f'alt="{esc(grid.contour_text(init) if i == init[0] else function_text(f))}"'
        f'{current if i == init[0] else ""}>'
        for i, (f, im) in enumerate(zip(grid.functions, images)))
    clips = "".join(
        f'<clipPath id="{uid}-clip{i}"><rect x="{im.axes_box[0]:.1f}" y="{im.axes_box[1]:.1f}" '
        f'width="{im.axes_box[2] - im.axes_box[0]:.1f}" height="{im.axes_box[3] - im.axes_box[1]:.1f}"/></clipPath>'
        for i, im in enumerate(images))
    clip_ref = f"url(#{uid}-clip{init[0]})"
    overlay = (
        f'<svg viewBox="0 0 {w} {h}" xmlns="http://www.w3.org/2000/svg" aria-hidden="true"><defs>{clips}'
        f'<marker id="{uid}-dot" viewBox="-2 -2 4 4" markerWidth="4" markerHeight="4" markerUnits="userSpaceOnUse">'
        '<circle r="1.1" fill="#d62728"/></marker></defs>'
        f'<g class="gd-explorer-clip" clip-path="{clip_ref}">'
        f'<polyline class="gd-explorer-path" points="{first["path"]}" '
        'fill="none" '
        f'stroke="#d62728" stroke-width="1.6" stroke-linejoin="round" marker-mid="url(#{uid}-dot)"/>'
        f'<circle class="gd-explorer-start" r="4.5" cx="{first["start"][0]:g}" cy="{first["start"][1]:g}" fill="#fff" '
        'stroke="#d62728" stroke-width="1.8"/>'
        f'<rect class="gd-explorer-end" width="6" height="6" x="{first["end"][0] - 3:g}" y="{first["end"][1] - 3:g}" '
        'fill="#d62728" stroke="#000" '
        'stroke-width="0.8"/></g></svg>')
    loss_frames = "".join(
        f'<g class="gd-explorer-loss-axis"{"" if i == init[0] else hidden}>'
        f'{_loss_axis_svg(axes_loss[i], grid.steps, f.f_min)}</g>'
        for i, f in enumerate(grid.functions))
    loss_svg = (
        f'<svg class="gd-explorer-loss" viewBox="0 0 {lw} {lh}" xmlns="http://www.w3.org/2000/svg" '
        f'role="img" aria-label="{esc(grid.loss_text(init))}">{loss_frames}'
        f'<polyline class="gd-explorer-loss-line" points="{first["loss"]}" fill="none" stroke="#d62728" '
        'stroke-width="1.6"/></svg>')
    css = _CSS.replace("#ID", "#" + uid).strip().replace("\n", "")
    js = _JS.replace('"ID"', json.dumps(uid)).strip()
    return (
        f'<div class="gd-explorer" id="{uid}"><style>{css}</style>'
        f'<div class="gd-explorer-controls" role="group" aria-label="explorer settings">{"".join(controls)}</div>'
        f'<div class="gd-explorer-figure"><div class="gd-explorer-contour">{imgs}{overlay}</div>{loss_svg}</div>'
        f'<div class="gd-explorer-status{first["status_class"]}" aria-live="polite" aria-atomic="true">'
        f'<span class="gd-explorer-setting">{esc(grid.setting_text(init))}</span>: '
        f'<span class="gd-explorer-result">{esc(first["message"])}</span></div>'
        f'<script type="application/json" class="gd-explorer-data">{payload}</script>'
        f'<script>{js}</script></div>'
    )
