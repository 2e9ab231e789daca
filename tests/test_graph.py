"""Tests of gdlib.plotting.draw_graph under Agg: labels, values and gradients present, a deterministic
layered layout (same picture twice, inputs left of their gates, output rightmost), bad input."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch  # noqa: E402

from gdlib.autograd import Tensor  # noqa: E402
from gdlib.plotting import draw_graph  # noqa: E402
from gdlib.plotting.graph import COLUMN_WIDTH, GRAD_COLOR, VALUE_COLOR, _layout  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def circuit():
    x, y, z = Tensor(-2.0, label="x"), Tensor(5.0, label="y"), Tensor(-4.0, label="z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    f.backward()
    return x, y, z, q, f


def neuron():
    """CS231n's 2-D sigmoid neuron: f = sigma(w0 x0 + w1 x1 + w2)."""
    w0, x0, w1, x1, w2 = (Tensor(v, label=n) for v, n in
                          zip([2.0, -1.0, -3.0, -2.0, -3.0], ["w0", "x0", "w1", "x1", "w2"]))
    f = (w0 * x0 + w1 * x1 + w2).sigmoid()
    f.backward()
    return (w0, x0, w1, x1, w2), f


def snapshot(ax):
    texts = [(t.get_text(), tuple(np.round(t.get_position(), 9)), t.get_color()) for t in ax.texts]
    patches = []
    for p in ax.patches:
        if isinstance(p, Circle):
            patches.append(("circle", tuple(np.round(p.center, 9))))
        elif isinstance(p, FancyBboxPatch):
            patches.append(("box", round(p.get_x(), 9), round(p.get_y(), 9)))
        elif isinstance(p, FancyArrowPatch):
            patches.append(("wire", tuple(np.round(p.get_path().vertices.ravel(), 6))))
    return texts, patches


def test_circuit_labels_values_and_gradients():
    *_, f = circuit()
    ax = draw_graph(f)
    texts = [t.get_text() for t in ax.texts]
    for name in ("x", "y", "z", "q", "f", "+", "*"):
        assert name in texts
    green = sorted(t.get_text() for t in ax.texts if t.get_color() == VALUE_COLOR)
    red = sorted(t.get_text() for t in ax.texts if t.get_color() == GRAD_COLOR)
    # Wires: x, y, z, q and the output f carry value (forward) and gradient (backward).
    assert green == sorted(["-2", "5", "-4", "3", "-12"])
    assert red == sorted(["-4", "-4", "3", "-4", "1"])
    assert sum(isinstance(p, Circle) for p in ax.patches) == 2  # the + and * gates
    assert sum(isinstance(p, FancyBboxPatch) for p in ax.patches) == 3  # the inputs
    assert sum(isinstance(p, FancyArrowPatch) for p in ax.patches) == 5  # 4 wires + the output's


def test_values_above_and_gradients_below_their_wire():
    *_, f = circuit()
    ax = draw_graph(f)
    pairs = {}
    for t in ax.texts:
        if t.get_color() in (VALUE_COLOR, GRAD_COLOR):
            pairs.setdefault(tuple(np.round(t.get_position()[0], 9).ravel()), []).append(t)
    for group in pairs.values():
        values = [t for t in group if t.get_color() == VALUE_COLOR]
        grads = [t for t in group if t.get_color() == GRAD_COLOR]
        for v, g in zip(values, grads):
            assert v.get_position()[1] > g.get_position()[1]
            assert v.get_va() == "bottom" and g.get_va() == "top"


def test_layout_is_deterministic_and_layered():
    _, f1 = neuron()
    _, f2 = neuron()
    a1, a2 = draw_graph(f1), draw_graph(f2)
    assert snapshot(a1) == snapshot(a2)
    (w0, x0, w1, x1, w2), f = neuron()
    order, pos = _layout(f)
    again = _layout(f)[1]
    assert pos == again
    for node in order:  # every wire runs left to right
        for p in node.parents:
            assert pos[id(p)][0] < pos[id(node)][0]
    assert pos[id(f)][0] == max(x for x, _ in pos.values())
    # Inputs sit just left of the gate that uses them; operands of one gate in order, top to bottom.
    assert pos[id(w0)][0] == pos[id(x0)][0] == 0.0
    assert pos[id(w0)][1] > pos[id(x0)][1] > pos[id(w1)][1] > pos[id(x1)][1]
    gate_of_w2 = f.parents[0]
    assert pos[id(w2)][0] == pytest.approx(pos[id(gate_of_w2)][0] - COLUMN_WIDTH)
    # No two nodes share a place.
    assert len(set(pos.values())) == len(pos)


def test_arrays_show_shapes_and_reused_operands_get_two_wires():
    W = Tensor(np.ones((3, 2)), label="W")
    X = np.ones((4, 3))
    loss = (X @ W).relu().sum()
    loss.backward()
    texts = [t.get_text() for t in draw_graph(loss).texts]
    assert "[3\u00d72]" in texts and "[4\u00d72]" in texts and "relu" in texts and "24" in texts
    a = Tensor(3.0, label="a")
    f = a * a + a
    f.backward()
    ax = draw_graph(f)
    assert sum(isinstance(p, FancyArrowPatch) for p in ax.patches) == 5  # a->* twice, a->+, *->+, output
    assert [t.get_text() for t in ax.texts if t.get_color() == GRAD_COLOR].count("7") == 3


def test_draws_on_a_given_axes_and_without_gradients():
    fig, ax = plt.subplots()
    t = Tensor(2.0, label="t")
    out = t.tanh()
    assert draw_graph(out, ax=ax) is ax
    assert not any(txt.get_color() == GRAD_COLOR for txt in ax.texts)  # no backward() yet: no red
    assert not ax.axison


def test_bad_input():
    with pytest.raises(TypeError, match="Tensor"):
        draw_graph(np.ones(3))
    x = Tensor(1.0)
    y = x
    for _ in range(50):
        y = y + 1.0
    with pytest.raises(ValueError, match="51 nodes"):
        draw_graph(y)
