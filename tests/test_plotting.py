"""Tests of gdlib.plotting under the Agg backend: each function returns an Axes with the expected artists."""
import matplotlib

matplotlib.use("Agg")

from dataclasses import dataclass  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402
from matplotlib.quiver import Quiver  # noqa: E402

from gdlib.functions import FUNCTIONS, Himmelblau, Quadratic, Rosenbrock, Saddle  # noqa: E402
from gdlib.plotting import (  # noqa: E402
    plot_contours,
    plot_gradient_field,
    plot_losses,
    plot_surface,
    plot_trajectory,
)


@dataclass
class FakeTrajectory:
    """The part of the runner's Trajectory contract that plotting uses."""

    x: np.ndarray
    values: np.ndarray


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _gd_run(f, learning_rate, steps=30):
    xs = [f.x0]
    for _ in range(steps):
        xs.append(xs[-1] - learning_rate * f.grad(xs[-1]))
    xs = np.array(xs)
    return FakeTrajectory(x=xs, values=f.value(xs))


def _labels(ax):
    return [line.get_label() for line in ax.lines]


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_plot_contours_every_function(name):
    f = FUNCTIONS[name]()
    ax = plot_contours(f, n=40)
    assert isinstance(ax, matplotlib.axes.Axes)
    assert any(isinstance(c, ContourSet) for c in ax.collections)
    (x0, x1), (y0, y1) = f.window
    assert ax.get_xlim() == (x0, x1) and ax.get_ylim() == (y0, y1)
    assert ax.get_aspect() == 1.0
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title() == name
    labels = _labels(ax)
    assert ("global minimum" in labels) == bool(f.minima)
    assert ("saddle" in labels) == bool(f.saddles)
    assert ("local minimum" in labels) == bool(f.local_minima)


def test_plot_contours_marks_all_four_himmelblau_minima_and_log_levels():
    f = Himmelblau()
    ax = plot_contours(f, n=60, levels=12)
    (stars,) = [line for line in ax.lines if line.get_label() == "global minimum"]
    np.testing.assert_allclose(np.sort(stars.get_xdata()), np.sort([m[0] for m in f.minima]))
    (cs,) = [c for c in ax.collections if isinstance(c, ContourSet)]
    lv = np.asarray(cs.levels)
    assert len(lv) == 12 and np.allclose(np.diff(np.log(lv)), np.log(lv[1] / lv[0]))  # geometric
    ax2 = plot_contours(f, n=60, levels=12, log=False)
    (cs2,) = [c for c in ax2.collections if isinstance(c, ContourSet)]
    assert np.ptp(np.diff(cs2.levels)) < 1e-9 * np.ptp(cs2.levels)  # evenly spaced


def test_plot_contours_on_given_axes_with_window_and_name():
    fig, ax = plt.subplots()
    out = plot_contours("rosenbrock", ax=ax, n=30, levels=[0.1, 1.0, 10.0], window=((-1, 1), (0, 2)))
    assert out is ax and ax.get_xlim() == (-1.0, 1.0)
    (cs,) = [c for c in ax.collections if isinstance(c, ContourSet)]
    np.testing.assert_allclose(cs.levels, [0.1, 1.0, 10.0])


def test_plot_contours_unbounded_function_falls_back_to_linear_levels():
    ax = plot_contours(Saddle(), n=30, levels=9, log=True)
    (cs,) = [c for c in ax.collections if isinstance(c, ContourSet)]
    assert np.min(cs.levels) < 0 < np.max(cs.levels)


def test_plot_contours_bad_input():
    with pytest.raises(ValueError, match="Invalid f"):
        plot_contours(Rosenbrock(dim=3))
    with pytest.raises(ValueError, match="Invalid n"):
        plot_contours(Himmelblau(), n=1)
    with pytest.raises(ValueError, match="Invalid window"):
        plot_contours(Himmelblau(), window=((1, 0), (0, 1)))
    with pytest.raises(ValueError, match="Invalid window"):
        plot_contours(lambda p: p[..., 0] ** 2)  # a bare callable needs a window
    with pytest.raises(ValueError, match="Invalid levels"):
        plot_contours(Himmelblau(), levels=0)
    with pytest.raises(ValueError, match="Invalid f: .banana."):
        plot_contours("banana")


def test_plot_contours_of_a_plain_callable():
    ax = plot_contours(lambda p: p[..., 0] ** 2 + 3 * p[..., 1] ** 2, window=((-1, 1), (-1, 1)), n=20)
    assert any(isinstance(c, ContourSet) for c in ax.collections)


def test_plot_trajectory_from_trajectory_and_array():
    f = Quadratic(condition_number=10.0)
    run = _gd_run(f, 0.15)
    ax = plot_contours(f, n=30)
    limits = ax.get_xlim(), ax.get_ylim()
    n_before = len(ax.lines)
    out = plot_trajectory(run, ax=ax, label="SGD", color="tab:blue")
    assert out is ax and len(ax.lines) == n_before + 3
    path = ax.lines[n_before]
    np.testing.assert_allclose(path.get_xdata(), run.x[:, 0])
    np.testing.assert_allclose(path.get_ydata(), run.x[:, 1])
    assert path.get_label() == "SGD" and matplotlib.colors.same_color(path.get_color(), "tab:blue")
    assert "SGD" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert (ax.get_xlim(), ax.get_ylim()) == limits  # the contour window is kept
    ax2 = plot_trajectory(np.array([[0.0, 0.0], [1.0, 1.0]]))
    assert len(ax2.lines) == 3 and ax2.get_legend() is None


def test_plot_trajectory_diverged_run_and_bad_input():
    xs = np.array([[0.0, 0.0], [1.0, 2.0], [np.inf, np.nan]])
    ax = plot_trajectory(xs)
    end = ax.lines[2]
    assert end.get_xdata()[0] == 1.0 and end.get_ydata()[0] == 2.0  # last finite point
    with pytest.raises(ValueError, match="Invalid traj"):
        plot_trajectory(np.zeros((5, 3)))
    with pytest.raises(TypeError, match="Invalid traj"):
        plot_trajectory(np.array([["a", "b"]]))


def test_plot_surface():
    ax = plot_surface(Himmelblau(), n=20)
    assert ax.name == "3d"
    assert len(ax.collections) == 1
    assert ax.get_zlabel()
    fig = plt.figure()
    ax3 = fig.add_subplot(projection="3d")
    assert plot_surface("quadratic", ax=ax3, n=10) is ax3
    with pytest.raises(ValueError, match="Invalid ax"):
        plot_surface("quadratic", ax=plt.subplots()[1])


def test_plot_losses_gap_on_log_scale():
    f = Quadratic(condition_number=10.0)
    runs = [_gd_run(f, 0.05), _gd_run(f, 0.15)]
    ax = plot_losses(runs, labels=["slow", "fast"], f_min=f.f_min)
    assert ax.get_yscale() == "log"
    assert _labels(ax) == ["slow", "fast"]
    np.testing.assert_allclose(ax.lines[1].get_ydata(), runs[1].values - f.f_min)
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), np.arange(31))
    assert "f^*" in ax.get_ylabel()


def test_plot_losses_subtracts_nonzero_f_min_and_masks_zero_gap():
    ax = plot_losses([[3.0, 1.0, -1.0, -1.0]], f_min=-1.0)
    y = ax.lines[0].get_ydata()
    np.testing.assert_allclose(y[:2], [4.0, 2.0])
    assert np.all(np.isnan(y[2:]))


def test_plot_losses_linear_when_values_not_positive_and_no_f_min():
    run = _gd_run(Saddle(), 0.1)
    ax = plot_losses(run)  # values go negative, f_min unknown
    assert ax.get_yscale() == "linear" and len(ax.lines) == 1 and ax.get_legend() is None
    ax2 = plot_losses({"a": [3.0, 2.0, 1.0]})
    assert ax2.get_yscale() == "log" and _labels(ax2) == ["a"]
    ax3 = plot_losses([[3.0, 2.0], [4.0, 1.0]], log=False)
    assert ax3.get_yscale() == "linear" and len(ax3.lines) == 2


def test_plot_losses_bad_input():
    with pytest.raises(ValueError, match="Invalid labels"):
        plot_losses([[1.0, 2.0], [3.0, 4.0]], labels=["one"])
    with pytest.raises(TypeError, match="Invalid f_min"):
        plot_losses([1.0, 2.0], f_min="zero")
    with pytest.raises(ValueError, match=r"Invalid trajs\[0\]"):
        plot_losses([np.zeros((2, 2))])


def test_plot_gradient_field_points_downhill():
    f = Quadratic(condition_number=4.0)
    ax = plot_gradient_field(f, n=5)
    (q,) = [c for c in ax.collections if isinstance(c, Quiver)]
    U, V = np.asarray(q.U).ravel(), np.asarray(q.V).ravel()
    X, Y = q.X.ravel(), q.Y.ravel()
    g = f.grad(np.stack([X, Y], -1))
    dot = U * g[:, 0] + V * g[:, 1]
    assert np.all(dot[np.linalg.norm(g, axis=1) > 0] < 0)  # -grad: descent directions
    ax2 = plot_gradient_field(f, n=5, descent=False)
    (q2,) = [c for c in ax2.collections if isinstance(c, Quiver)]
    np.testing.assert_allclose(np.asarray(q2.U).ravel(), -U)
    with pytest.raises(TypeError, match="Invalid f"):
        plot_gradient_field(lambda p: p[..., 0], window=((0, 1), (0, 1)))


def test_refused_plot_surface_opens_no_figure():
    plt.close("all")
    with pytest.raises(ValueError, match="dim"):
        plot_surface(Rosenbrock(dim=3))
    with pytest.raises(ValueError, match="Invalid n"):
        plot_surface("quadratic", n=1)
    assert plt.get_fignums() == []


@pytest.mark.parametrize("f_min", [float("inf"), float("nan")])
def test_plot_losses_non_finite_f_min_is_a_value_error(f_min):
    with pytest.raises(ValueError, match="Invalid f_min"):
        plot_losses([1.0, 2.0], f_min=f_min)
