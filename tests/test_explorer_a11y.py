"""The explorer's words (issue 13, item 2): a text alternative that follows the setting and its result.

The static page and the live widgets show the same line, ``Grid.summary``: the setting
(function, optimizer, the sliders it uses, the start) and the run's result, computed from
the run's numbers. The browser tests check that the page's script writes the same texts
for every setting (tests/browser/test_accessibility.py).
"""
import matplotlib

matplotlib.use("Agg")

import html  # noqa: E402
import re  # noqa: E402

import numpy as np  # noqa: E402

import gdlib as gd  # noqa: E402
from gdlib.explorer import explore  # noqa: E402
from gdlib.explorer.frames import Grid, function_text, loss_text, path_text, point_text, result_text  # noqa: E402


def _number(text):
    """A number as the explorer writes it (real minus sign, short exponent) back to a float."""
    return float(text.replace("\u2212", "-"))


def _attr(page, pattern):
    return html.unescape(re.search(pattern, page).group(1))


def test_summary_names_the_setting_and_quotes_the_run():
    g = Grid("quadratic", ["sgd", "momentum"], {"learning_rate": [0.003, 0.1], "mu": [0.5, 0.9]}, steps=150)
    setting = (0, 1, 0, 1, 0)
    run = g.run(setting)
    gap = run.values[-1] - g.functions[0].f_min
    assert run.status == "max_steps" and run.n_steps == 150
    text = g.summary(setting)
    head, number = text.rsplit(" = ", 1)
    assert head == "quadratic, momentum, learning_rate 0.003, mu 0.9: 150 steps, f \u2212 f*"
    assert np.isclose(_number(number), gap, rtol=5e-3)   # the run's own final gap, 3 significant digits
    assert g.summary((0, 0, 0, 1, 0)).startswith("quadratic, sgd, learning_rate 0.003: ")  # sgd ignores mu


def test_result_text_says_diverged_and_unbounded():
    g = Grid("quadratic", "sgd", {"learning_rate": [0.25]}, steps=100)   # 0.25 > 2 / L: diverges
    run = g.run((0, 0, 0, 0))
    assert result_text(run, 0.0) == f"diverged at step {run.n_steps} (the path ends at the last iterate before it blew up)"
    s = Grid("saddle", "sgd", {"learning_rate": [0.01]}, steps=20)
    srun = s.run((0, 0, 0, 0))
    head, number = result_text(srun, None).rsplit(" = ", 1)
    assert head == "20 steps, f" and np.isclose(_number(number), srun.values[-1], rtol=5e-3)
    assert "symmetric log scale" in loss_text(srun, None)


def test_starts_appear_when_there_are_several():
    g = Grid("rosenbrock", "adam", {"learning_rate": [0.01, 0.1]}, starts=[[-1.5, 2.0], [0.5, -0.5]], steps=30)
    assert g.setting_text((0, 0, 1, 1)) == "rosenbrock, adam, learning_rate 0.1, start (0.5, -0.5)"
    run = g.run((0, 0, 1, 1))
    assert path_text(run) == f"from (0.5, \u22120.5) to {point_text(run.x[-1])}"


def test_function_text_lists_the_marked_points():
    assert function_text(gd.Himmelblau()).startswith("Contour plot of himmelblau: 4 global minima (red stars) at (3, 2), ")
    assert "120 local minima (orange dots)" in function_text(gd.Rastrigin())
    assert point_text(np.array([-0.000123, 2.5e7])) == "(\u22120.000123, 2.5e7)"


def test_static_page_opens_with_the_texts_of_its_setting():
    ex = explore(["quadratic", "rosenbrock"], ["sgd", "momentum"],
                 sliders={"learning_rate": [1e-3, 3e-3, 1e-2], "mu": [0.5, 0.9]}, steps=80)
    ex.select(function="rosenbrock", optimizer="momentum", learning_rate=1e-3, mu=0.9)
    page, g, s = ex.to_html(), ex.grid, ex.setting
    assert _attr(page, r'class="gd-explorer-setting">([^<]*)<') == g.setting_text(s)
    assert _attr(page, r'class="gd-explorer-result">([^<]*)<') == g.result_text(s)
    assert 'aria-live="polite"' in page
    assert _attr(page, r'<img [^>]*alt="([^"]*)" class="gd-explorer-current"') == g.contour_text(s)
    assert _attr(page, r'class="gd-explorer-loss"[^>]*aria-label="([^"]*)"') == g.loss_text(s)
    valuetexts = re.findall(r'type="range"[^>]*aria-valuetext="([^"]*)"', page)
    assert valuetexts == ["0.001", "0.9"]  # the value in words, not the index of the position
    assert re.search(r'<label for="[^"]+-2" class="gd-explorer-name">learning_rate</label>', page)


def test_live_view_carries_the_same_words():
    ex = explore("quadratic", ["sgd", "momentum"], sliders={"learning_rate": [0.01, 0.1, 0.25], "mu": [0.5, 0.9]},
                 steps=50)
    live = ex.live
    assert live.summary == ex.grid.summary(ex.setting)
    assert 'role="status"' in live.status.value and html.escape(ex.grid.result_text(ex.setting)) in live.status.value
    assert live.figure_text == f"{ex.grid.contour_text(ex.setting)}. {ex.grid.loss_text(ex.setting)}"
    assert html.escape(live.figure_text) in live.status.value
    live.controls["learning_rate"].value = 2          # 0.25: sgd diverges, and the words follow
    assert live.summary.startswith("quadratic, sgd, learning_rate 0.25: diverged at step")
    assert "diverged at step" in live.status.value
    for name, w in live.controls.items():             # every control is named
        assert w.description.startswith(name)
