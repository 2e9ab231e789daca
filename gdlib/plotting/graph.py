"""Draw a small computation graph as a circuit diagram (matplotlib only, no graphviz)."""
from __future__ import annotations

import numpy as np
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from ._common import closes_new_figures_on_error, new_axes

__all__ = ["draw_graph"]

MAX_NODES = 40
COLUMN_WIDTH = 1.8  # horizontal distance between layers (data units; circles have radius 0.22)
ROW_HEIGHT = 1.3  # least vertical distance between two nodes of a layer
VALUE_COLOR = "tab:green"
GRAD_COLOR = "tab:red"

_OP_SYMBOLS = {"neg": "\u2212x", "softmax_ce": "CE", "linear": "xW+b", "sigmoid": "\u03c3", "reshape": "rs"}


def _half_width(leaf):
    """Half the width of an input's box (it grows with the label)."""
    return max(0.2, 0.07 * len(leaf.label or "in") + 0.08)


def _format(arr):
    """A short text for a value or gradient: the number for one element, the shape otherwise."""
    if arr is None:
        return None
    arr = np.asarray(arr)
    if arr.size == 1:
        return f"{float(arr.reshape(())):.4g}"
    return "[" + "\u00d7".join(str(n) for n in arr.shape) + "]"


def _layout(root):
    """Nodes in topological order and their ``(x, y)`` positions.

    Columns: an operation sits one column right of its deepest operand
    (inputs at the earliest in column 0), so every wire runs left to right
    and the output is rightmost; an input sits just left of the first
    operation that uses it, which keeps wires short. Rows, column by column
    from the output leftwards: each node wants the mean height of the nodes
    that use it (operands of one operation in operand order, top to bottom),
    then nodes are pushed apart to at least ``ROW_HEIGHT``. No randomness: the
    same graph always gets the same picture.
    """
    from ..autograd import Tensor, _topological_order

    if not isinstance(root, Tensor):
        raise TypeError(f"Invalid tensor: {root!r} (must be a gdlib.autograd.Tensor)")
    order = _topological_order(root, everything=True)
    if len(order) > MAX_NODES:
        raise ValueError(
            f"Invalid tensor: its graph has {len(order)} nodes (draw_graph draws at most {MAX_NODES}; "
            "draw a smaller example, e.g. one neuron or a scalar circuit)"
        )
    index = {id(node): k for k, node in enumerate(order)}
    users = {id(node): [] for node in order}  # (user, operand position), in topological order
    layer = {}
    for node in order:  # parents come first, so their layers are known
        layer[id(node)] = 1 + max((layer[id(p)] for p in node.parents), default=-1)
        for slot, p in enumerate(node.parents):
            users[id(p)].append((node, slot))
    for node in order:
        if not node.parents and users[id(node)]:
            layer[id(node)] = min(layer[id(u)] for u, _ in users[id(node)]) - 1
    columns = {}
    for node in order:
        columns.setdefault(layer[id(node)], []).append(node)
    pos = {}
    for x in sorted(columns, reverse=True):
        nodes = columns[x]

        def wanted(node):
            us = users[id(node)]
            if not us:
                return 0.0, 0.0, index[id(node)]
            mean = sum(pos[id(u)][1] for u, _ in us) / len(us)
            return mean, -min(slot for _, slot in us), -index[id(node)]

        ranked = sorted(nodes, key=wanted, reverse=True)  # top (largest y) first
        targets = [wanted(node)[0] for node in ranked]
        ys = []
        for t in targets:
            ys.append(t if not ys else min(t, ys[-1] - ROW_HEIGHT))
        shift = (sum(targets) - sum(ys)) / len(ys)  # keep the column centred on what it wanted
        for node, y in zip(ranked, ys):
            pos[id(node)] = (COLUMN_WIDTH * x, y + shift)
    return order, pos


@closes_new_figures_on_error
def draw_graph(tensor, ax=None):
    """Draw the graph that computed ``tensor``: values forward (green, above wires), gradients backward (red, below).

    Parameters
    ----------
    tensor : gdlib.autograd.Tensor
        The output; every node it depends on is drawn. Call ``backward()``
        first to see the gradients.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        With one circle per operation (labelled with its symbol, e.g. ``+``,
        ``*``, ``relu``), each input's label at the left end of its wire, and
        the value and gradient of every node written on the wire leaving it.

    Raises
    ------
    TypeError
        If ``tensor`` is not a Tensor.
    ValueError
        If the graph has more than 40 nodes (this is for chapter-sized examples).

    Notes
    -----
    The layout is layered, as in CS231n's circuit diagrams: each operation
    one layer right of its deepest operand, each input just left of the
    first operation using it, the output on the far right. Each wire carries
    the value of the node it leaves (above, green) and
    :math:`\\partial \\mathcal L/\\partial(\\text{that node})` (below, red), so reading
    the red numbers from right to left replays the backward pass. Arrays are
    shown by their shape, e.g. ``[32×10]``. Constants (numbers and arrays
    mixed with Tensors) are not nodes and do not appear.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from gdlib.autograd import Tensor
    >>> x, y, z = Tensor(-2.0, label="x"), Tensor(5.0, label="y"), Tensor(-4.0, label="z")
    >>> f = (x + y) * z
    >>> f.label = "f"
    >>> f.backward()
    >>> ax = draw_graph(f)
    >>> sorted(t.get_text() for t in ax.texts if t.get_color() == "tab:red")
    ['-4', '-4', '-4', '1', '3']
    """
    order, pos = _layout(tensor)
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    x_last, y_low, y_high = max(xs), min(ys), max(ys)
    ax = new_axes(ax, figsize=(0.75 * (x_last + 2.5), 0.75 * (y_high - y_low) + 1.4))
    radius = 0.22

    def wire(start, end, node, rad=0.0):
        """An arrow from ``start`` to ``end`` with ``node``'s value above it and its gradient below."""
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=10, shrinkA=0, shrinkB=0,
                                     connectionstyle=f"arc3,rad={rad}", color="0.35", lw=1.2, zorder=2))
        (x0, y0), (x1, y1) = start, end
        if rad:  # the middle of matplotlib's arc3 Bezier curve
            xm, ym = (x0 + x1) / 2.0 + 0.5 * rad * (y1 - y0), (y0 + y1) / 2.0 - 0.5 * rad * (x1 - x0)
        else:  # a little before the middle: wires that meet at one gate keep their numbers apart
            xm, ym = x0 + 0.45 * (x1 - x0), y0 + 0.45 * (y1 - y0)
        value, grad = _format(node.data), _format(node.grad)
        ax.text(xm, ym + 0.06, value, color=VALUE_COLOR, ha="center", va="bottom", fontsize=9, zorder=5)
        if grad is not None:
            ax.text(xm, ym - 0.06, grad, color=GRAD_COLOR, ha="center", va="top", fontsize=9, zorder=5)

    for node in order:
        x, y = pos[id(node)]
        if node.parents:
            ax.add_patch(Circle((x, y), radius, facecolor="white", edgecolor="0.2", lw=1.3, zorder=3))
            symbol = _OP_SYMBOLS.get(node.op, node.op)
            ax.text(x, y, symbol, ha="center", va="center", fontsize=10 if len(symbol) <= 2 else 7.5, zorder=4)
            if node.label:
                ax.text(x, y + radius + 0.05, node.label, ha="center", va="bottom", fontsize=9,
                        style="italic", zorder=4)
        else:
            name, half = node.label or "in", _half_width(node)
            ax.add_patch(FancyBboxPatch((x - half, y - 0.13), 2 * half, 0.26, boxstyle="round,pad=0.02",
                                        facecolor="0.93", edgecolor="0.4", zorder=3))
            ax.text(x, y, name, ha="center", va="center", fontsize=10, zorder=4)
        drawn = {}
        for parent in node.parents:
            px, py = pos[id(parent)]
            copies = drawn.get(id(parent), 0)  # an operand used twice (a * a) gets two arcs
            drawn[id(parent)] = copies + 1
            rad = 0.0
            if copies or node.parents.count(parent) > 1:
                rad = (-0.45, 0.45, -0.8, 0.8)[copies % 4]
            elif x - px > 1.5 * COLUMN_WIDTH:  # skips a column: bend over the gates in between
                rad = -0.3
            start = (px + (radius if parent.parents else _half_width(parent)), py)
            wire(start, (x - radius, y), parent, rad)

    # The output's own wire, carrying its value and the seed gradient.
    x, y = pos[id(tensor)]
    wire((x + (radius if tensor.parents else _half_width(tensor)), y), (x + 0.9 * COLUMN_WIDTH, y), tensor)
    if tensor.label:
        ax.text(x + 0.95 * COLUMN_WIDTH, y, tensor.label, ha="left", va="center", fontsize=10, style="italic")

    ax.set_xlim(-0.5, x_last + 1.3 * COLUMN_WIDTH)
    ax.set_ylim(y_low - 0.8, y_high + 0.8)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title("values (green) forward, gradients (red) backward", fontsize=9, color="0.3")
    return ax
