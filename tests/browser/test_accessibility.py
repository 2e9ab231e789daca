"""Accessibility of the built site in a real browser (issue 13, items 2, 3 and 5).

- axe-core (pinned in ``tools/site/package.json``, fetched by ``make vendor`` into
  ``_vendor/npm``, injected from that local file) on every page in the light and the
  dark theme: every WCAG 2.0/2.1 A/AA and best-practice rule in the light theme, then the
  colour rules again after switching the page to dark in place (the theme's own
  ``data-theme``/``localStorage["mode"]``; one test loads a page with ``mode=dark`` to show
  that is what a reader gets). A critical or serious violation fails, listed as page,
  theme, rule and target. Every violation, of any impact,
  is written to ``_build/accessibility-report.json``.
- Every content image has a real text alternative: a phrase, not a file name, not empty
  (unless marked decorative with ``role="presentation"``); every figure of a chapter or
  lab (a cell's image or animation) sits in a ``<figure>`` with a ``<figcaption>``.
- The explorers: each slider and dropdown has a name, a slider says its value in words
  (``aria-valuetext``), a key press changes the polite live region's text, which names the
  new value, and the image's text alternative follows; a standalone explorer's texts equal
  gdlib's (``Grid.summary``, ``contour_text``, ``loss_text``) for every setting.
- matplotlib animations: a labelled frame slider, buttons with names, an image whose text
  alternative comes from the notebook cell (not the fallback ``data-gd-alt="missing"``).

Run by ``make browser`` with ``GD_BROWSER_TESTS=1`` (see conftest.py).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import threading
from pathlib import Path

import pytest

from chromium_setup import CHROMIUM, EXPLORERS_READY_JS, content_pages, launch

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("GD_SITE_DIR", ROOT / "_build" / "html")).resolve()
AXE = ROOT / "_vendor" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
REPORT = ROOT / "_build" / "accessibility-report.json"
DESKTOP = {"width": 1280, "height": 800}
THEMES = ("light", "dark")
FAILING_IMPACTS = ("critical", "serious")
# the WCAG 2.0/2.1 A and AA rules, and axe's best practices (landmarks, unique names, ...)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
# The dark theme is the same DOM with other colours: in it, the rules that read colours (the others would
# repeat the light run's findings, at twice the time)
AXE_COLOUR_RULES = ["color-contrast", "link-in-text-block"]

if not Path(CHROMIUM).exists():
    pytest.skip(f"BROWSER TESTS SKIPPED: {CHROMIUM} not found", allow_module_level=True)
if not (SITE / "index.html").exists():
    pytest.skip(f"BROWSER TESTS SKIPPED: no site in {SITE}; run `make book` first", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (pip) is not installed")


PAGES = content_pages(SITE)
FIGURE_PAGES = [rel for rel in PAGES if rel.startswith(("chapters/", "labs/"))]
RESULTS: dict[str, dict] = {}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(SITE)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    with launch(sync_api) as b:
        yield b
    if RESULTS:
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        REPORT.write_text(json.dumps({"axe_core": _axe_version(), "light": AXE_TAGS, "dark": AXE_COLOUR_RULES,
                                      "pages": RESULTS}, indent=1))


def _axe_version() -> str:
    meta = AXE.parent / "package.json"
    return json.loads(meta.read_text())["version"] if meta.exists() else "missing"


def _theme_context(browser, base, theme):
    ctx = browser.new_context(viewport=DESKTOP, color_scheme=theme)
    # the theme reads localStorage["mode"] before the first paint; nothing may leave the site
    ctx.add_init_script(f"try {{ localStorage.setItem('mode', '{theme}'); }} catch (e) {{}}")
    ctx.route(re.compile(rf"^(?!{re.escape(base)}|data:|blob:|about:)"), lambda r: r.abort())
    return ctx


@pytest.fixture(scope="module")
def contexts(browser, server):
    ctxs = {theme: _theme_context(browser, server, theme) for theme in THEMES}
    yield ctxs
    for ctx in ctxs.values():
        ctx.close()


# the theme's colour transitions would leave axe measuring colours half-way: switch them off first
DARK_JS = """() => { const d = document.documentElement, style = document.createElement('style');
  style.textContent = '*, *::before, *::after { transition: none !important; animation: none !important; }';
  document.head.appendChild(style); localStorage.setItem('mode', 'dark');
  d.dataset.mode = 'dark'; d.dataset.theme = 'dark'; return getComputedStyle(document.body).backgroundColor; }"""
AUDITS: dict[str, dict] = {}


def _audit(rel, server, contexts):
    """One load of a page for the axe runs (light, then the dark theme switched in place), alts and captions."""
    if rel in AUDITS:
        return AUDITS[rel]
    if not AXE.exists():
        pytest.fail(f"{AXE.relative_to(ROOT)} is missing: axe-core is pinned in tools/site/package.json and "
                    "fetched by `make vendor` (run by `make book`); run `make vendor`")
    page, shown = _open(contexts["light"], server + rel)
    try:
        audit = {"shown": {"light": shown}, "axe": {}}
        audit["alt"] = page.evaluate(ALT_JS)
        audit["captions"] = page.evaluate(CAPTION_JS)
        page.add_script_tag(path=str(AXE))
        audit["axe"]["light"] = page.evaluate(AXE_JS, {"type": "tag", "values": AXE_TAGS})
        light_bg = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
        dark_bg = page.evaluate(DARK_JS)
        page.wait_for_timeout(50)
        audit["shown"]["dark"] = page.evaluate("() => document.documentElement.dataset.theme") \
            if dark_bg != light_bg else f"light (the background stayed {light_bg})"
        audit["axe"]["dark"] = page.evaluate(AXE_JS, {"type": "rule", "values": AXE_COLOUR_RULES})
    finally:
        page.close()
    AUDITS[rel] = audit
    return audit


SETTLE_JS = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  if (document.fonts) await document.fonts.ready;
  return document.documentElement.dataset.theme;
}"""

AXE_JS = """async (only) => {
  const r = await axe.run(document, {runOnly: only, resultTypes: ['violations']});
  return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: (n.failureSummary || '').split('\\n').slice(1, 2).join(' ').trim()}))}));
}"""


def _open(ctx, url):
    page = ctx.new_page()
    page.goto(url, wait_until="load")
    theme = page.evaluate(SETTLE_JS)
    waiting = page.evaluate(EXPLORERS_READY_JS)
    assert not waiting, f"{url}: the runs of explorer(s) {waiting} never loaded (tools/site/gd_perf.py's data-src)"
    return page, theme


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("rel", PAGES)
def test_axe_finds_no_serious_violation(rel, theme, server, contexts):
    audit = _audit(rel, server, contexts)
    assert audit["shown"][theme] == theme, f"{rel}: asked for the {theme} theme, the page shows {audit['shown'][theme]!r}"
    violations = audit["axe"][theme]
    RESULTS.setdefault(rel, {})[theme] = [
        {"rule": v["id"], "impact": v["impact"], "targets": [n["target"] for n in v["nodes"]]} for v in violations]
    bad = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    lines = [f"{rel} [{theme}] {v['impact']} {v['id']} ({v['help']}): {n['target']} -- {n['summary']}"
             for v in bad for n in v["nodes"][:8]]
    assert not bad, f"{len(lines)} critical/serious axe-core violations:\n  " + "\n  ".join(lines)



PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("rel", PAGES)
def test_axe_colours_on_a_phone(rel, browser, server):
    """The colour rules at 390 px, light then dark, as the page first paints: on a phone, paragraphs further down are
    laid out only near the viewport (tools/site/gd_perf.py), and axe-core checks a skipped link's colour against what
    lies under its real box (a reserve smaller than the paragraph once put a link over a code cell's grey)."""
    if not AXE.exists():
        pytest.fail(f"{AXE.relative_to(ROOT)} is missing: run `make vendor`")
    ctx = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, color_scheme="light")
    ctx.add_init_script("try { localStorage.setItem('mode', 'light'); } catch (e) {}")
    ctx.route(re.compile(rf"^(?!{re.escape(server)}|data:|blob:|about:)"), lambda r: r.abort())
    page = ctx.new_page()
    try:
        page.goto(server + rel, wait_until="load")
        page.evaluate(SETTLE_JS)
        page.add_script_tag(path=str(AXE))
        found = {"light": page.evaluate(AXE_JS, {"type": "rule", "values": AXE_COLOUR_RULES})}
        page.evaluate(DARK_JS)
        page.wait_for_timeout(50)
        found["dark"] = page.evaluate(AXE_JS, {"type": "rule", "values": AXE_COLOUR_RULES})
        lazy = page.evaluate("() => document.querySelectorAll('p.gd-lazy').length")
    finally:
        ctx.close()
    lines = [f"{rel} [{theme}, {PHONE['width']} px] {v['impact']} {v['id']}: {n['target']} -- {n['summary']}"
             for theme, vs in found.items() for v in vs if v["impact"] in FAILING_IMPACTS for n in v["nodes"][:8]]
    assert not lines, f"{len(lines)} critical/serious axe-core colour violations on a phone ({lazy} lazy paragraphs):\n  " \
        + "\n  ".join(lines)

# A text alternative that is a file name or a path, or a single token, is no text alternative.
ALT_JS = r"""() => {
  const fileName = /(^|[\/\\])[\w.-]+\.(png|jpe?g|gif|svg|webp)$|_images\/|^data:/i;
  const words = s => (s.match(/[A-Za-z\u00C0-\u024F]{2,}/g) || []).length;
  const problems = [];
  const describe = el => (el.id ? '#' + el.id : el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : ''))
      + ' ' + (el.getAttribute('src') || '').slice(0, 60);
  const article = document.querySelector('.bd-article') || document.body;
  for (const img of article.querySelectorAll('img, svg[role="img"], [role="img"]')) {
    if (img.closest('[aria-hidden="true"]')) continue;
    if (img.closest('mjx-container, .math')) continue;  // typeset math: MathJax names it (speech), not an image
    const role = img.getAttribute('role');
    const alt = img.tagName === 'IMG' ? img.getAttribute('alt') : (img.getAttribute('aria-label') || '');
    if (alt === null) { problems.push(describe(img) + ': no alt attribute'); continue; }
    if (alt.trim() === '') {
      if (role === 'presentation' || role === 'none') continue;
      problems.push(describe(img) + ': empty alt but not marked decorative (role="presentation")'); continue;
    }
    if (img.getAttribute('data-gd-alt') === 'missing') { problems.push(describe(img) + ': fallback text, the notebook cell gives no caption or alt: ' + alt.slice(0, 80)); continue; }
    if (fileName.test(alt.trim())) { problems.push(describe(img) + ': alt is a file name: ' + alt.slice(0, 80)); continue; }
    if (words(alt) < 2) problems.push(describe(img) + ': alt is not a phrase: ' + JSON.stringify(alt.slice(0, 80)));
  }
  return problems;
}"""

CAPTION_JS = r"""() => {
  const article = document.querySelector('.bd-article') || document.body;
  const figures = [...article.querySelectorAll('.cell_output img, .cell_output .animation')]
      .filter(el => !el.closest('.gd-explorer') && !(el.tagName === 'IMG' && el.closest('.animation')));
  const problems = [];
  figures.forEach((el, i) => {
    const fig = el.closest('figure');
    const cap = fig && fig.querySelector(':scope > figcaption');
    const text = cap ? cap.textContent.replace(/\s+/g, ' ').trim() : '';
    if (!fig) problems.push(`figure ${i + 1} (${el.tagName === 'IMG' ? 'image' : 'animation'}): not in a <figure>, no caption`);
    else if (!text) problems.push(`figure ${i + 1}: <figure> without a <figcaption> text`);
  });
  return {n: figures.length, problems};
}"""


@pytest.mark.parametrize("rel", PAGES)
def test_every_image_has_a_real_text_alternative(rel, server, contexts):
    problems = _audit(rel, server, contexts)["alt"]
    assert not problems, f"{rel}: {len(problems)} images without a real text alternative:\n  " + "\n  ".join(problems[:20])


@pytest.mark.parametrize("rel", FIGURE_PAGES)
def test_every_chapter_figure_has_a_caption(rel, server, contexts):
    result = _audit(rel, server, contexts)["captions"]
    problems = result["problems"]
    assert not problems, (f"{rel}: {len(problems)} of {result['n']} figures without a caption "
                          "(myst-nb cell metadata mystnb.figure.caption):\n  " + "\n  ".join(problems[:20]))


def test_the_dark_theme_set_before_loading_is_the_one_shown(server, contexts):
    """The in-place switch of the audits matches what a reader who chose dark gets on loading a page."""
    page, shown = _open(contexts["dark"], server + PAGES[0])
    page.close()
    assert shown == "dark"


EXPLORER_PAGES = [rel for rel in PAGES if 'class="gd-explorer"' in (SITE / rel).read_text(encoding="utf-8")]
ANIMATION_PAGES = [rel for rel in PAGES if 'class="animation"' in (SITE / rel).read_text(encoding="utf-8")]

EXPLORER_STATE_JS = """(root) => {
  const status = root.querySelector('.gd-explorer-status');
  const img = root.querySelector('.gd-explorer-contour img.gd-explorer-current');
  return {status: status.textContent, live: status.getAttribute('aria-live'), alt: img.getAttribute('alt'),
          loss: root.querySelector('svg.gd-explorer-loss').getAttribute('aria-label'),
          sliders: [...root.querySelectorAll('input[type=range]')].map(s => ({
              name: (s.labels && s.labels.length ? s.labels[0].textContent : s.getAttribute('aria-label')) || '',
              valuetext: s.getAttribute('aria-valuetext'), disabled: s.disabled,
              output: (root.querySelector(`output[for="${s.id}"]`) || {}).textContent})),
          selects: [...root.querySelectorAll('select')].map(s => (s.labels && s.labels.length ? s.labels[0].textContent : '') || '')};
}"""


@pytest.mark.skipif(not EXPLORER_PAGES, reason="no page of the site has an explorer")
@pytest.mark.parametrize("rel", EXPLORER_PAGES)
def test_explorers_are_named_keyboard_operable_and_announce_their_result(rel, server, contexts):
    page, _ = _open(contexts["light"], server + rel)
    problems = []
    try:
        roots = page.locator(".gd-explorer")
        for i in range(roots.count()):
            root = roots.nth(i)
            state = root.evaluate(EXPLORER_STATE_JS)
            if state["live"] != "polite":
                problems.append(f"explorer {i}: the status line is not a polite live region")
            for s in state["sliders"]:
                if not s["name"].strip():
                    problems.append(f"explorer {i}: a slider without a name")
                if s["valuetext"] != s["output"]:
                    problems.append(f"explorer {i}: slider {s['name']} says {s['valuetext']!r}, shows {s['output']!r}")
            if any(not name.strip() for name in state["selects"]):
                problems.append(f"explorer {i}: a dropdown without a name")
            sliders = root.locator('input[type="range"]')
            for j in range(sliders.count()):
                slider = sliders.nth(j)
                if slider.evaluate("s => s.disabled || !!s.closest('.gd-explorer-ignored')"):
                    continue
                at_max = slider.evaluate("s => Number(s.value) >= Number(s.max)")
                slider.focus()
                page.keyboard.press("ArrowLeft" if at_max else "ArrowRight")
                after = root.evaluate(EXPLORER_STATE_JS)
                name, value = after["sliders"][j]["name"].strip(), after["sliders"][j]["valuetext"]
                if after["status"] == state["status"]:
                    problems.append(f"explorer {i}: moving {name} by key did not change the announced text")
                elif f"{name} {value}" not in after["status"]:
                    problems.append(f"explorer {i}: the announced text {after['status']!r} does not say {name} {value}")
                if after["alt"] == state["alt"] and after["loss"] == state["loss"]:
                    problems.append(f"explorer {i}: moving {name} left the figure's text alternative unchanged")
                state = after
    finally:
        page.close()
    assert not problems, f"{rel}:\n  " + "\n  ".join(problems)


@pytest.mark.skipif(not ANIMATION_PAGES, reason="no page of the site has a matplotlib animation")
@pytest.mark.parametrize("rel", ANIMATION_PAGES)
def test_animations_have_labelled_controls_and_the_text_of_their_cell(rel, server, contexts):
    page, _ = _open(contexts["light"], server + rel)
    try:
        found = page.evaluate("""() => [...document.querySelectorAll('.animation')].map(a => {
          const img = a.querySelector('img'), slider = a.querySelector('input[type=range]');
          return {alt: img && img.getAttribute('alt'), missing: img && img.getAttribute('data-gd-alt') === 'missing',
                  slider: slider && (slider.getAttribute('aria-label') || (slider.labels[0] || {}).textContent || ''),
                  unnamed: [...a.querySelectorAll('button')].filter(b => !(b.getAttribute('aria-label') || b.textContent.trim())).length};
        })""")
        if found:  # the frame slider works from the keyboard (once the frames, loaded after the page, are in)
            page.wait_for_function("() => { const i = document.querySelector('.animation img');"
                                   " return (i.getAttribute('src') || '').startsWith('data:'); }", timeout=20_000)
            slider = page.locator(".animation input[type=range]").first
            before = page.locator(".animation img").first.get_attribute("src")
            slider.focus()
            page.keyboard.press("End")
            after = page.locator(".animation img").first.get_attribute("src")
    finally:
        page.close()
    problems = []
    for i, a in enumerate(found):
        if not a["alt"] or a["missing"]:
            problems.append(f"animation {i}: no text alternative from its cell (alt {a['alt']!r})")
        if not (a["slider"] or "").strip():
            problems.append(f"animation {i}: the frame slider has no name")
        if a["unnamed"]:
            problems.append(f"animation {i}: {a['unnamed']} buttons without a name")
    if found and before == after:
        problems.append("the End key on the frame slider did not change the frame")
    assert not problems, f"{rel}:\n  " + "\n  ".join(problems)


def test_explorer_texts_follow_every_setting_as_gdlib_words_them(browser, tmp_path):
    """The static explorer's script writes, for every setting, the texts gdlib computes in Python."""
    import matplotlib

    matplotlib.use("Agg")
    from gdlib.explorer import explore

    ex = explore(["quadratic", "saddle"], ["sgd", "momentum"], sliders={"learning_rate": [0.01, 0.1, 0.25],
                 "mu": [0.5, 0.9]}, starts=[[2.0, 1.0], [0.5, -1.5]], steps=60)
    grid = ex.grid
    path = ex.save_html(tmp_path / "explorer.html")
    ctx = browser.new_context(viewport=DESKTOP)
    ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort())
    page = ctx.new_page()
    page.goto(Path(path).as_uri(), wait_until="load")
    set_js = """([values]) => { const root = document.querySelector('.gd-explorer');
      for (const c of root.querySelectorAll('[data-axis]')) { c.value = String(values[+c.dataset.axis]);
        c.dispatchEvent(new Event('input')); }
      const img = root.querySelector('.gd-explorer-contour img.gd-explorer-current');
      return {status: root.querySelector('.gd-explorer-status').textContent, alt: img.getAttribute('alt'),
              loss: root.querySelector('svg.gd-explorer-loss').getAttribute('aria-label')}; }"""
    mismatches = []
    try:
        for setting in grid.settings():
            got = page.evaluate(set_js, [list(setting)])
            want = {"status": grid.summary(setting), "alt": grid.contour_text(setting), "loss": grid.loss_text(setting)}
            for key in want:
                if got[key] != want[key]:
                    mismatches.append(f"{setting} {key}: page {got[key]!r} != gdlib {want[key]!r}")
    finally:
        ctx.close()
    assert grid.n_frames == 48
    assert not mismatches, f"{len(mismatches)} of {3 * grid.n_frames} texts differ:\n  " + "\n  ".join(mismatches[:10])
