"""Tests of gdlib.explorer: validation, the runs behind the settings, the static HTML, the live redraw time."""
import matplotlib

matplotlib.use("Agg")

import json  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import gdlib as gd  # noqa: E402
from gdlib.explorer import MAX_FRAMES, Explorer, explore  # noqa: E402
from gdlib.explorer.frames import Grid, loss_axis  # noqa: E402
from gdlib.explorer.static import contour_image, decode_points, render_html  # noqa: E402

LR = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2]
MU = [0.0, 0.5, 0.8, 0.9, 0.95, 0.99]
CHAPTER = dict(function=["quadratic", "rosenbrock", "beale"], optimizer=["momentum", "nesterov"],
               sliders={"learning_rate": LR, "mu": MU}, steps=150)  # chapter 9's explorer: 216 distinct runs


def _data(page):
    """The JSON payload of the first explorer in ``page``."""
    m = re.search(r'<script type="application/json" class="gd-explorer-data">(.*?)</script>', page, re.S)
    return json.loads(m.group(1))


# --- validation ---------------------------------------------------------------------------------------
def test_grid_product_over_the_limit_is_refused_with_the_sizes():
    with pytest.raises(ValueError, match=r"3 function x 2 optimizer x 6 learning_rate x 6 mu x 2 start = 432"):
        explore(["quadratic", "rosenbrock", "beale"], ["sgd", "momentum"], sliders={"learning_rate": LR, "mu": MU},
                starts=[[1.0, 1.0], [-1.0, 0.5]])
    assert Grid("quadratic", "momentum", {"learning_rate": list(np.linspace(0.01, 0.1, 30)),
                                          "mu": list(np.linspace(0, 0.9, 10))}).n_frames == MAX_FRAMES


@pytest.mark.parametrize("kwargs, message", [
    (dict(optimizer="sophia"), r"Invalid optimizer: 'sophia' \(must be one of \['sgd', 'momentum'"),
    (dict(optimizer=["sgd", "sgd"]), r"names must be distinct"),
    (dict(function="booth"), r"Invalid function: 'booth'"),
    (dict(function=gd.Rosenbrock(dim=3)), r"dim=3"),
    (dict(optimizer="sgd", sliders={"mu": [0.5, 0.9]}), r"'mu' is not a hyperparameter of optimizer 'sgd'"),
    (dict(optimizer=["sgd", "adam"], sliders={"mu": [0.9]}), r"'mu' is not a hyperparameter of any of"),
    (dict(optimizer="adam", fixed={"decay_rate": 0.9}), r"Invalid fixed: 'decay_rate'"),
    (dict(sliders={"learning_rate": []}), r"at least one value"),
    (dict(sliders={"learning_rate": [0.1, 0.1]}), r"distinct"),
    (dict(sliders={"learning_rate": [0.1, float("nan")]}), r"finite number"),
    (dict(sliders={"learning_rate": [0.1, -0.1, 0.2]}), r"learning_rate.*-0.1"),
    (dict(sliders={"mu": [0.5, 0.9, 1.5]}), r"Invalid sliders\['mu'\]: value 1.5 for 'momentum'"),
    (dict(sliders={"mu": [0.5]}, fixed={"mu": 0.9}), r"also a slider"),
    (dict(steps=0), r"Invalid steps: 0"),
    (dict(steps=5000), r"Invalid steps: 5000"),
    (dict(schedule="exponential"), r"Invalid schedule: 'exponential'"),
    (dict(schedule="exponential_decay", sliders={"learning_rate": [0.1]}), r"needs 'k'"),
    (dict(starts=[[0.0, 0.0], [0.0, 0.0]]), r"distinct"),
    (dict(starts=[[0.0, 0.0, 1.0]]), r"two finite numbers"),
    (dict(optimizer="lbfgs", sliders={"line_search": ["strong_wolfe", 1.0]}), r"all numbers or all choices"),
    (dict(optimizer="lbfgs", sliders={"line_search": ["strong_wolfe", "armijo"]}),
     r"for 'lbfgs'.*Invalid line_search: 'armijo'"),
    (dict(optimizer="lbfgs", sliders={"history_size": [0, 5]}), r"Invalid sliders\['history_size'\]: value 0"),
    (dict(optimizer="newton", sliders={"damping": [-1.0, 1.0]}), r"Invalid sliders\['damping'\]: value -1.0"),
])
def test_invalid_arguments_raise_value_error_naming_them(kwargs, message):
    with pytest.raises(ValueError, match=message):
        explore(**kwargs)


@pytest.mark.parametrize("kwargs", [dict(optimizer=3), dict(sliders=[0.1]), dict(steps=10.0), dict(function=42),
                                    dict(sliders={"learning_rate": 0.1}), dict(fixed=[("mu", 0.9)])])
def test_wrong_types_raise_type_error(kwargs):
    with pytest.raises(TypeError):
        explore(**kwargs)


def test_a_slider_some_optimizers_ignore_is_allowed_and_shares_their_runs():
    g = Grid("quadratic", ["sgd", "momentum"], {"learning_rate": [0.01, 0.1], "mu": [0.0, 0.5, 0.9]}, steps=30)
    assert g.n_frames == 12 and g.n_runs == 2 + 6
    assert not g.uses("sgd", "mu") and g.uses("momentum", "mu")
    a, b = g.run((0, 0, 1, 0, 0)), g.run((0, 0, 1, 2, 0))  # sgd, two values of mu: one run
    assert a is b
    assert g.run((0, 1, 1, 0, 0)) is not g.run((0, 1, 1, 2, 0))


# --- the runs ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, cls, extra", [
    ("momentum", gd.Momentum, {"mu": 0.8}), ("nesterov", gd.Nesterov, {"mu": 0.8}),
    ("adam", gd.Adam, {"beta1": 0.8}), ("rmsprop", gd.RMSProp, {"decay_rate": 0.8}),
])
def test_runs_equal_minimize_with_the_same_optimizer(name, cls, extra):
    (hp, value), = extra.items()
    fixed = {"eps": 1e-6} if name in ("adam", "rmsprop") else {}
    g = Grid("rosenbrock", name, {"learning_rate": [1e-3, 1e-2], hp: [value]}, fixed=fixed, steps=80)
    f = gd.Rosenbrock()
    for i, lr in enumerate([1e-3, 1e-2]):  # momentum/Nesterov diverge at 1e-2: the run is cut before the blow-up
        run = g.run((0, 0, i, 0, 0))
        ref = gd.minimize(f, f.x0, cls(learning_rate=lr, **fixed, **extra), max_steps=80)
        n = ref.n_steps if ref.status == "diverged" else len(ref.x)
        assert run.status == ref.status
        np.testing.assert_array_equal(run.x, ref.x[:n])
        np.testing.assert_array_equal(run.values, ref.values[:n])


def test_a_refused_newton_step_stops_the_run_there_and_says_why():
    # x^2 - y^2 has Hessian diag(2, -2): damping 2 makes H + damping I singular everywhere, refused at step 0
    ex = explore("saddle", "newton", sliders={"damping": [1.0, 2.0, 3.0]}, steps=50)
    run = ex.select(damping=2.0).run
    assert run.status == "stopped" and run.n_steps == 0 and len(run.x) == 1
    assert run.message.startswith("stopped at step 0: Invalid damping: 2.0 leaves the Hessian singular")
    assert ex.select(damping=3.0).run.status != "stopped"                  # the other settings run as before
    assert "stopped at step 0: Invalid damping: 2.0" in ex.to_html()       # the static page says it too

    class GoesFlat(gd.Quadratic):  # a Hessian that vanishes near the minimum: Newton's step 4 is refused
        def hessian(self, x):
            return super().hessian(x) if np.linalg.norm(x) > 0.3 else np.zeros((2, 2))

    f = GoesFlat()
    g = Grid(f, "newton", {"learning_rate": [0.5]}, steps=100)   # halves the distance to 0 each step
    run = g.run((0, 0, 0, 0))
    ref = gd.minimize(f, f.x0, gd.Newton(learning_rate=0.5), max_steps=4)
    assert run.status == "stopped" and run.n_steps == 4 and run.message.startswith("stopped at step 4: ")
    np.testing.assert_array_equal(run.x, ref.x)
    np.testing.assert_array_equal(run.values, ref.values)
    with pytest.raises(ValueError, match="singular"):
        gd.minimize(f, f.x0, gd.Newton(learning_rate=0.5), max_steps=5)
    assert g.result_text((0, 0, 0, 0)).endswith(f"f \u2212 f* = {gd.explorer.frames._number_text(ref.values[-1])}")


def test_schedule_parameters_are_routed_to_the_schedule():
    g = Grid("quadratic", "momentum", {"learning_rate": [0.05, 0.1], "k": [0.01, 0.05]}, fixed={"mu": 0.5},
             schedule="exponential_decay", steps=60)
    opt = g.optimizer((0, 0, 1, 0, 0))
    assert callable(opt.learning_rate) and opt.mu == 0.5
    assert opt.learning_rate_at(10) == pytest.approx(0.1 * np.exp(-0.01 * 10))
    f = gd.Quadratic()
    ref = gd.minimize(f, f.x0, gd.Momentum(gd.exponential_decay(0.1, 0.01), mu=0.5), max_steps=60)
    np.testing.assert_array_equal(g.run((0, 0, 1, 0, 0)).x, ref.x)
    cosine = Grid("quadratic", "sgd", {"learning_rate": [0.1]}, schedule="cosine_decay", steps=40)
    assert cosine.optimizer((0, 0, 0, 0)).learning_rate_at(20) == pytest.approx(0.05)  # total_steps = steps


def test_diverged_run_is_cut_and_says_where():
    g = Grid("quadratic", "sgd", {"learning_rate": [0.1, 0.25]}, steps=200)  # L = 10: diverges above 0.2
    run = g.run((0, 0, 1, 0))
    f = gd.Quadratic()
    ref = gd.minimize(f, f.x0, gd.SGD(0.25), max_steps=200)
    assert ref.status == "diverged" and run.status == "diverged"
    assert run.message == f"diverged at step {ref.n_steps}"
    assert len(run.x) == ref.n_steps and np.isfinite(run.x).all()  # the exploded iterate is dropped
    page = render_html(g)
    data = _data(page)
    rec = data["runs"][data["index"][g.flat_index((0, 0, 1, 0))]]
    assert rec["d"] == 1 and rec["m"].startswith(f"diverged at step {ref.n_steps}")
    ok = data["runs"][data["index"][g.flat_index((0, 0, 0, 0))]]
    assert "d" not in ok and "diverged" not in ok["m"]


def test_precomputing_216_runs_of_150_steps_takes_under_3_s():
    g = Grid(**CHAPTER)
    assert g.n_runs == 216
    t0 = time.process_time()  # CPU time of this process: other jobs on a shared machine do not count
    runs, index = g.compute_all()
    elapsed = time.process_time() - t0
    assert len(runs) == 216 and len(index) == 216
    assert elapsed < 3.0, f"precomputing took {elapsed:.2f} s"


# --- the static HTML --------------------------------------------------------------------------------
def test_static_html_has_sliders_dropdowns_and_every_frame():
    ex = explore(**{**CHAPTER, "optimizer": ["sgd", "momentum"]})
    page = ex.to_html()
    assert page.startswith('<div class="gd-explorer" id="gd-explorer-')
    assert page.count('<input type="range"') == 2 and page.count("<select") == 2
    assert 'class="gd-explorer-figure"' in page
    assert page.count('<img src="data:image/png;base64,') == 3
    data = _data(page)
    assert data["shape"] == [3, 2, 6, 6, 1] and len(data["index"]) == 216
    assert len(data["runs"]) == 3 * (6 + 36)  # sgd ignores mu
    assert data["axes"][2]["labels"] == ["0.0001", "0.0003", "0.001", "0.003", "0.01", "0.03"]
    assert data["uses"] == {"sgd": ["learning_rate"], "momentum": ["learning_rate", "mu"]}
    # nothing outside the page: no external URL, no require.js, no CDN
    assert not re.search(r'(src|href)="(https?:)?//', page) and "require(" not in page


def test_static_trajectories_equal_minimize_after_the_pixel_transform():
    g = Grid(["quadratic", "beale"], ["sgd", "momentum"], {"learning_rate": [1e-3, 1e-2, 3e-2], "mu": [0.5, 0.9]},
             steps=120)
    data = _data(render_html(g))
    images = {f.name: contour_image(f) for f in g.functions}
    checked = 0
    for flat in range(g.n_frames):
        setting = g.setting(flat)
        f, opt, values, start = g.describe(setting)
        cls = {"sgd": gd.SGD, "momentum": gd.Momentum}[opt]
        kwargs = {"learning_rate": values["learning_rate"]}
        if opt == "momentum":
            kwargs["mu"] = values["mu"]
        ref = gd.minimize(f, start, cls(**kwargs), max_steps=120)
        xs = ref.x[:ref.n_steps] if ref.status == "diverged" else ref.x
        expected = np.clip(images[f.name].to_pixels(xs), -4000, 4000)
        got = decode_points(data["runs"][data["index"][flat]])
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, atol=0.05 + 1e-9)
        checked += 1
    assert checked == 24


def test_pixel_transform_puts_the_minimum_under_its_marker():
    f = gd.Rosenbrock()
    img = contour_image(f)
    (x0, x1), (y0, y1) = f.window
    corners = img.to_pixels([[x0, y1], [x1, y0]])  # top-left and bottom-right of the plot area
    np.testing.assert_allclose(corners.ravel(), img.axes_box, atol=1.0)


def test_several_explorers_get_distinct_ids():
    a = explore("quadratic", "sgd", sliders={"learning_rate": [0.01, 0.1]}, steps=20)
    b = explore("quadratic", "sgd", sliders={"learning_rate": [0.01, 0.1]}, steps=20)  # identical arguments
    page = a.to_html() + b.to_html() + a.to_html()  # the same explorer shown twice too
    roots = re.findall(r'<div class="gd-explorer" id="([^"]+)"', page)
    assert len(roots) == 3 and len(set(roots)) == 3
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    for root in roots:  # every id and the script are scoped to their root
        part = page[page.index(f'id="{root}"'):]
        part = part[:part.index("</script></div>")]
        assert all(i == root or i.startswith(root + "-") for i in re.findall(r'\bid="([^"]+)"', part))
        assert f"document.getElementById({json.dumps(root)})" in part


def test_page_weight_and_contour_images_are_small():
    page = explore(**CHAPTER).to_html()
    assert len(page.encode()) < 600_000
    for png in re.findall(r'src="data:image/png;base64,([^"]+)"', page):
        assert len(png) < 60_000


def test_unbounded_function_uses_a_symmetric_log_axis():
    f = gd.Saddle()
    kind, lo, hi = loss_axis(f, [f.x0])
    assert kind == "symlog" and lo == -hi and hi > 8
    page = explore("saddle", "sgd", sliders={"learning_rate": [0.01, 0.1]}, steps=100).to_html()
    assert "f (symmetric log scale)" in page and "f = " in _data(page)["runs"][0]["m"]


def test_mimebundle_offers_the_widget_and_the_static_html():
    ex = explore("quadratic", ["sgd", "momentum"], sliders={"learning_rate": [0.01, 0.1]}, steps=20)
    bundle = ex._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/html"].startswith('<div class="gd-explorer"')
    assert bundle["text/plain"].startswith("Explorer(")


# --- the live view ------------------------------------------------------------------------------------
def test_live_redraw_takes_under_100_ms_and_changes_the_figure():
    # CPU time of this process (time.process_time), so other jobs on a shared machine do not count
    ex = explore(**CHAPTER)
    view = ex.live  # builds the widgets and every function's contours once
    times, images = [], set()
    for fn in ["quadratic", "rosenbrock", "beale"]:
        for lr in [1e-4, 3e-2, 1e-3]:  # runs not computed yet: computed on demand inside the redraw
            t0 = time.process_time()
            ex.select(function=fn, learning_rate=lr, mu=0.9)
            times.append(time.process_time() - t0)
            images.add(view.image.value)
    for _ in range(5):  # the controls' callback, called directly
        t0 = time.process_time()
        view.update()
        times.append(time.process_time() - t0)
    assert max(times) < 0.1, f"redraws took {[round(t * 1000) for t in times]} ms"
    assert len(images) == 9


def test_live_controls_drive_the_setting_and_flag_ignored_sliders():
    ex = explore("quadratic", ["sgd", "momentum"], sliders={"learning_rate": [0.01, 0.25], "mu": [0.5, 0.9]},
                 steps=60)
    view = ex.live
    assert set(view.controls) == {"optimizer", "learning_rate", "mu"}
    assert view.controls["mu"].disabled  # sgd ignores mu
    view.controls["optimizer"].value = 1
    assert not view.controls["mu"].disabled and ex.current()["optimizer"] == "momentum"
    view.controls["optimizer"].value = 0
    view.controls["learning_rate"].value = 1  # SGD above 2/L: diverges
    assert ex.current()["learning_rate"] == 0.25
    assert "diverged at step" in view.status.value
    assert ex.run.status == "diverged"


def test_select_validates_names_and_values():
    ex = explore("quadratic", "momentum", sliders={"learning_rate": [0.01, 0.1]}, steps=20)
    with pytest.raises(ValueError, match="Invalid choice: 'beta1'"):
        ex.select(beta1=0.9)
    with pytest.raises(ValueError, match=r"Invalid learning_rate: 0.5"):
        ex.select(learning_rate=0.5)
    assert isinstance(ex.select(learning_rate=0.01), Explorer) and ex.current()["learning_rate"] == 0.01


def test_long_runs_are_subsampled_keeping_the_first_and_last_iterate():
    g = Grid("rosenbrock", "momentum", {"learning_rate": [1e-4, 1e-3]}, fixed={"mu": 0.5}, steps=1000)
    data = _data(render_html(g))
    run = g.run((0, 0, 0, 0))
    rec = data["runs"][data["index"][0]]
    assert len(run.x) == 1001 and rec["k"][0] == 0 and rec["k"][-1] == 1000 and len(rec["k"]) == 400
    pts = decode_points(rec)
    expected = contour_image(g.functions[0]).to_pixels(run.x[rec["k"]])
    np.testing.assert_allclose(pts, expected, atol=0.05 + 1e-9)


def test_static_view_opens_at_the_current_setting():
    ex = explore("quadratic", ["sgd", "momentum"], sliders={"learning_rate": [0.01, 0.1, 0.2]}, steps=20)
    assert '<option value="0" selected>sgd' in ex.to_html() and 'value="1" aria-label="learning_rate"' in ex.to_html()
    page = ex.select(optimizer="momentum", learning_rate=0.2).to_html()
    assert '<option value="1" selected>momentum' in page and 'value="2" aria-label="learning_rate"' in page
    with pytest.raises(ValueError, match="Invalid setting"):
        render_html(ex.grid, setting=(0, 2, 0, 0))


def test_every_optimizer_and_every_function_renders():
    from gdlib.explorer import OPTIMIZERS
    from gdlib.functions import FUNCTIONS

    ex = explore("himmelblau", list(OPTIMIZERS), sliders={"learning_rate": [1e-2, 1e-1]}, steps=40)
    data = _data(ex.to_html())
    assert data["axes"][1]["labels"] == list(OPTIMIZERS) and len(data["runs"]) == 2 * len(OPTIMIZERS)
    ex = explore(list(FUNCTIONS), "adam", sliders={"learning_rate": [1e-2, 1e-1]}, steps=40)
    page = ex.to_html()
    assert page.count('<img src="data:image/png;base64,') == len(FUNCTIONS)
    assert page.count('class="gd-explorer-loss-axis"') == len(FUNCTIONS)


# Sensible slider ranges for every hyperparameter an optimizer of gd.OPTIMIZERS takes (besides the learning
# rate): a new optimizer, or a new constructor argument, fails the next test until its range is added here.
SLIDER_RANGES = {
    "mu": [0.0, 0.5, 0.9, 0.99], "decay_rate": [0.5, 0.9, 0.99], "beta1": [0.0, 0.5, 0.9],
    "beta2": [0.9, 0.99, 0.999], "eps": [1e-8, 1e-4, 1e-2], "weight_decay": [0.0, 0.1, 1.0],
    "momentum_decay": [0.0, 4e-3, 0.1], "eta_minus": [0.1, 0.5, 0.9], "eta_plus": [1.05, 1.2, 2.0],
    "step_min": [1e-6, 1e-3, 1e-1], "step_max": [0.1, 1.0, 50.0],
    # Newton and L-BFGS (the explorer's two extra names): damping from none to a gradient-descent-like step,
    # L-BFGS's memory as integers, and its line search as a choice (a non-numeric slider)
    "damping": [0.0, 1.0, 100.0], "history_size": [1, 3, 10], "line_search": ["strong_wolfe", None],
}
LEARNING_RATES = {"adadelta": [0.3, 1.0, 3.0], "lion": [1e-3, 1e-2, 0.1], "rprop": [1e-3, 1e-2, 0.1],
                  "newton": [0.1, 0.5, 1.0], "lbfgs": [0.1, 0.5, 1.0]}


def test_the_explorer_offers_the_package_optimizers_plus_newton_and_lbfgs():
    from gdlib.explorer import EXPLORER_OPTIMIZERS, OPTIMIZERS

    assert OPTIMIZERS is gd.OPTIMIZERS and "newton" not in gd.OPTIMIZERS and "lbfgs" not in gd.OPTIMIZERS
    assert EXPLORER_OPTIMIZERS == {**gd.OPTIMIZERS, "newton": gd.Newton, "lbfgs": gd.LBFGS}
    assert all(getattr(cls, "needs_objective", False) == (name in ("newton", "lbfgs"))
               for name, cls in EXPLORER_OPTIMIZERS.items())


@pytest.mark.parametrize("name", list(gd.OPTIMIZERS) + ["newton", "lbfgs"])
def test_every_hyperparameter_of_every_optimizer_is_a_slider_that_changes_the_run(name):
    import inspect

    from gdlib.explorer import EXPLORER_OPTIMIZERS

    cls = EXPLORER_OPTIMIZERS[name]
    hyper = [p for p in inspect.signature(cls).parameters if p != "learning_rate"]
    assert set(hyper) <= set(SLIDER_RANGES), f"{name}: add a slider range for {set(hyper) - set(SLIDER_RANGES)}"
    lrs = LEARNING_RATES.get(name, [1e-3, 1e-2, 0.1])
    for hp in hyper:
        values = SLIDER_RANGES[hp]
        changed = False
        for function in ("quadratic", "rosenbrock"):
            ex = explore(function, name, sliders={"learning_rate": lrs, hp: values}, steps=60)
            finals = {tuple(np.round(ex.select(**{hp: v}).run.x[-1], 12)) for v in values}
            changed = changed or len(finals) > 1
        assert changed, f"{name}: slider {hp!r} over {values} does not change the run"
    # all of them at once, in both views: one range input (static) and one enabled control (live) each
    sliders = {"learning_rate": lrs[1:], **{hp: SLIDER_RANGES[hp][:2] for hp in hyper}}
    ex = explore("rosenbrock", name, sliders=sliders, steps=40)
    assert ex.to_html().count('<input type="range"') == len(sliders)
    for hp in sliders:
        assert f'aria-label="{hp}"' in ex.to_html()
    view = ex.live
    assert set(sliders) <= set(view.controls) and not any(view.controls[hp].disabled for hp in sliders)
    last = tuple(len(v) - 1 for v in sliders.values())
    ex.select(**{hp: v[-1] for hp, v in sliders.items()})
    f = gd.Rosenbrock()
    kwargs = {hp: v[-1] for hp, v in sliders.items()}
    ref = gd.minimize(f, f.x0, cls(**kwargs), max_steps=40)
    n = ref.n_steps if ref.status == "diverged" else len(ref.x)
    assert ex.grid.run((0, 0) + last + (0,)).status == ref.status
    np.testing.assert_array_equal(ex.run.x, ref.x[:n])
    np.testing.assert_array_equal(ex.run.values, ref.values[:n])


@pytest.mark.parametrize("name, cls, sliders", [
    ("newton", gd.Newton, {"learning_rate": [0.5, 1.0], "damping": [0.0, 1.0, 10.0]}),
    ("lbfgs", gd.LBFGS, {"learning_rate": [0.5, 1.0], "history_size": [1, 5],
                         "line_search": ["strong_wolfe", None]}),
])
def test_newton_and_lbfgs_runs_equal_minimize_and_their_status_says_steps_and_gap(name, cls, sliders):
    f = gd.Rosenbrock()
    ex = explore("rosenbrock", name, sliders=sliders, steps=100)
    data = _data(ex.to_html())
    assert data["uses"] == {name: list(sliders)}
    for flat in range(ex.grid.n_frames):
        setting = ex.grid.setting(flat)
        _, _, values, start = ex.grid.describe(setting)
        ref = gd.minimize(f, start, cls(**values), max_steps=100)
        run = ex.grid.run(setting)
        assert run.status == ref.status != "diverged"
        np.testing.assert_array_equal(run.x, ref.x)
        np.testing.assert_array_equal(run.values, ref.values)
        # the status line (static page and live view): the setting, the steps and f - f*, from this run
        words = ("converged after" if ref.status == "converged" else "") + f" {ref.n_steps} steps"
        summary = ex.grid.summary(setting)
        named = [f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in values.items()]
        assert summary.startswith(", ".join(["rosenbrock", name] + named) + ": ")
        assert words in summary and "f \u2212 f* = " in summary
        gap = float(summary.rsplit(" = ", 1)[1].replace("\u2212", "-"))
        assert np.isclose(gap, ref.values[-1] - f.f_min, rtol=5e-3, atol=0)
        assert data["runs"][data["index"][flat]]["m"] == ex.grid.result_text(setting)
    view = ex.select(**{k: v[-1] for k, v in sliders.items()}).live
    assert set(sliders) == set(view.controls) and not any(c.disabled for c in view.controls.values())
    assert ex.grid.summary(ex.setting) in re.sub(r"<[^>]+>", "", view.status.value)


def test_a_dropdown_of_every_optimizer_flags_the_sliders_each_ignores():
    ex = explore("rosenbrock", list(gd.OPTIMIZERS), sliders={"learning_rate": [1e-3, 1e-2],
                                                             "eta_plus": [1.2, 2.0], "beta1": [0.5, 0.9]}, steps=30)
    view = ex.live
    for i, name in enumerate(gd.OPTIMIZERS):
        view.controls["optimizer"].value = i
        assert ex.current()["optimizer"] == name
        assert view.controls["eta_plus"].disabled == (name != "rprop")
        assert view.controls["beta1"].disabled == (name not in ("adam", "adamw", "amsgrad", "adamax", "nadam",
                                                                  "radam", "lion"))


def test_rprop_with_a_schedule_is_refused_naming_both():
    with pytest.raises(TypeError, match=r"Invalid hyperparameters for 'rprop' with schedule 'exponential_decay'.*"
                                        r"initial step size"):
        explore("rosenbrock", ["sgd", "rprop"], schedule="exponential_decay",
                sliders={"learning_rate": [0.01]}, fixed={"k": 0.01})
