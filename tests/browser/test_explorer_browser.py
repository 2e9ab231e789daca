"""The explorer's static HTML in a real browser: opened from file://, its sliders and dropdowns change the figure.

Uses Debian's /usr/bin/chromium through Playwright (skipped, with the reason, when either is missing).
Collected when GD_BROWSER_TESTS=1 (see conftest.py), like the site tests; run it alone with
``GD_BROWSER_TESTS=1 .venv/bin/pytest -q tests/browser/test_explorer_browser.py``.
"""
from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from chromium_setup import CHROMIUM, launch  # noqa: E402


@pytest.fixture(scope="module")
def page_file(tmp_path_factory):
    from gdlib.explorer import explore

    first = explore(["quadratic", "rosenbrock"], ["sgd", "momentum"],
                    sliders={"learning_rate": [1e-3, 1e-2, 0.25], "mu": [0.0, 0.9]}, steps=60)
    second = explore("saddle", "adam", sliders={"learning_rate": [0.01, 0.1]},
                     starts=[[-1.5, 0.01], [-1.0, 0.5]], steps=60)
    path = tmp_path_factory.mktemp("explorer") / "two_explorers.html"
    # a theme's generic image rule (pydata-sphinx-theme pads output images in dark mode) must not move the image
    # away from the trajectory overlay
    theme = "<style>img{padding:.5rem;border:3px solid #888;background:#ccc;max-width:90%}</style>"
    path.write_text('<!doctype html><html><head><meta charset="utf-8">' + theme + '</head><body>'
                    + first.to_html() + second.to_html() + "</body></html>", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip)")
    with launch(sync_api) as b:
        yield b


def test_sliders_and_dropdowns_change_only_their_own_explorer(browser, page_file):
    page = browser.new_page()
    errors, requests = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("request", lambda r: requests.append(r.url))
    page.goto(page_file.as_uri())
    roots = page.locator("div.gd-explorer")
    assert roots.count() == 2
    one, two = roots.nth(0), roots.nth(1)
    path1, path2 = one.locator("polyline.gd-explorer-path"), two.locator("polyline.gd-explorer-path")
    before1, before2 = path1.get_attribute("points"), path2.get_attribute("points")
    assert len(before1.split()) > 10 and len(before2.split()) > 1  # drawn on load
    img = one.locator("img.gd-explorer-current").bounding_box()
    overlay = one.locator(".gd-explorer-contour svg").bounding_box()
    assert all(abs(img[k] - overlay[k]) < 0.5 for k in ("x", "y", "width", "height")), (img, overlay)

    lr = one.locator('input[type="range"]').first
    lr.focus()
    page.keyboard.press("ArrowLeft")  # 1e-2 -> 1e-3
    after1 = path1.get_attribute("points")
    assert after1 != before1
    assert one.locator("output").first.text_content() == "0.001"
    assert path2.get_attribute("points") == before2  # the other explorer did not move

    lr.focus()
    page.keyboard.press("End")  # 0.25 > 2/L on the quadratic: SGD diverges
    status = one.locator(".gd-explorer-status")
    assert status.text_content().startswith("quadratic, sgd, learning_rate 0.25: diverged at step")
    assert one.locator(".gd-explorer-result").text_content().startswith("diverged at step")

    one.locator("select").first.select_option(label="rosenbrock")
    assert one.locator("img.gd-explorer-current").get_attribute("alt").startswith("Contour plot of rosenbrock: ")
    assert path1.get_attribute("points") != after1

    one.locator("select").nth(1).select_option(label="momentum")
    mu_box = one.locator('input[type="range"]').nth(1).locator("xpath=..")
    assert "gd-explorer-ignored" not in (mu_box.get_attribute("class") or "")
    one.locator("select").nth(1).select_option(label="sgd")
    assert "gd-explorer-ignored" in mu_box.get_attribute("class")

    start = two.locator('input[type="range"]').nth(1)
    start.focus()
    page.keyboard.press("ArrowRight")
    assert path2.get_attribute("points") != before2

    assert errors == []
    assert all(u.startswith(("file:", "data:")) for u in requests), requests
    page.close()


def test_explorer_moved_out_of_the_page_fetches_its_runs_when_the_reader_comes_near(browser, tmp_path):
    """The website's explorer (runs and images moved to files by tools/site/gd_perf.py), from file://.

    Far below the first screen it fetches nothing at the load event; the first setting is drawn from the
    HTML; a control moved before the runs arrive is drawn once they have; scrolled to, it fetches its runs.
    """
    import sys
    from pathlib import Path

    from gdlib.explorer import explore

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "site"))
    import gd_perf

    ex = explore(["quadratic", "rosenbrock"], ["sgd", "momentum"],
                 sliders={"learning_rate": [1e-3, 1e-2, 0.25], "mu": [0.0, 0.9]}, steps=60)
    page_html = gd_perf.externalize_explorers(
        '<!doctype html><html><head><meta charset="utf-8"></head><body><p>First screen.</p>'
        '<div style="height:6000px"></div>' + ex.to_html() + "</body></html>", "", tmp_path)
    assert "data:image" not in page_html and 'data-src="_static/gd-explorer/' in page_html
    page_html = page_html.replace(f'data-idle-ms="{gd_perf.EXPLORER_IDLE_MS}"', 'data-idle-ms="60000"')
    path = tmp_path / "page.html"
    path.write_text(page_html, encoding="utf-8")

    page = browser.new_page(viewport={"width": 800, "height": 600})
    errors, requests = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_timeout(500)
    root = page.locator("div.gd-explorer")
    fetched = [u for u in requests if "/gd-explorer/" in u]
    assert fetched == [], f"fetched before the reader came near: {fetched}"
    assert root.get_attribute("data-ready") == "1"
    drawn = root.locator("polyline.gd-explorer-path").get_attribute("points")
    assert len(drawn.split()) > 10  # the first setting, from the HTML

    # a slider moved (by a script, no focus: nothing fetched yet) is drawn once the runs arrive
    page.evaluate("""() => { const s = document.querySelector('.gd-explorer input[type=range]');
                             s.value = '0'; s.dispatchEvent(new Event('input')); }""")
    assert root.get_attribute("data-ready") == "1"
    root.scroll_into_view_if_needed()
    page.wait_for_function("() => document.querySelector('.gd-explorer').getAttribute('data-ready') === '2'",
                           timeout=10_000)
    assert root.locator("output").first.text_content() == "0.001"
    assert "learning_rate 0.001" in root.locator(".gd-explorer-status").text_content()
    assert root.locator("polyline.gd-explorer-path").get_attribute("points") != drawn
    assert root.locator("img.gd-explorer-current").evaluate("i => i.complete && i.naturalWidth") == 400

    lr = root.locator('input[type="range"]').first
    lr.focus()
    page.keyboard.press("End")
    assert root.locator(".gd-explorer-result").text_content().startswith("diverged at step")
    assert errors == []
    assert all(u.startswith("file:") for u in requests), requests
    assert len([u for u in requests if u.endswith(".js")]) == 1
    page.close()


def test_explorer_whose_runs_do_not_load_says_so_and_tries_again(browser, tmp_path):
    import sys
    from pathlib import Path

    from gdlib.explorer import explore

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "site"))
    import gd_perf

    ex = explore("quadratic", "sgd", sliders={"learning_rate": [1e-3, 1e-2, 0.25]}, steps=30)
    page_html = gd_perf.externalize_explorers('<!doctype html><html><head><meta charset="utf-8"></head><body>'
                                             + ex.to_html() + "</body></html>", "", tmp_path)
    (tmp_path / "page.html").write_text(page_html, encoding="utf-8")
    runs = next((tmp_path / "_static" / "gd-explorer").glob("*.js"))
    kept = runs.read_text(encoding="utf-8")
    runs.unlink()  # a page copied without _static/, or a connection that failed
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((tmp_path / "page.html").as_uri(), wait_until="load")
    root = page.locator("div.gd-explorer")
    root.locator('input[type="range"]').first.focus()
    page.wait_for_function("() => document.querySelector('.gd-explorer').getAttribute('data-ready') === 'error'",
                           timeout=10_000)
    assert "did not load" in root.locator(".gd-explorer-status").text_content()
    runs.write_text(kept, encoding="utf-8")
    page.evaluate("() => document.activeElement.blur()")
    root.locator('input[type="range"]').first.focus()  # used again: tried again
    page.wait_for_function("() => document.querySelector('.gd-explorer').getAttribute('data-ready') === '2'",
                           timeout=10_000)
    page.keyboard.press("End")
    assert root.locator(".gd-explorer-result").text_content().startswith("diverged at step")
    assert errors == []
    page.close()
