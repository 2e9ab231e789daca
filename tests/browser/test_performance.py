"""The built site on a phone: page weight, Lighthouse, equations that fit, no raw TeX (issue 13).

The site is served from ``_build/html`` on 127.0.0.1 with gzip (``gzip_server.py``), as a
static host serves it; Chromium is Debian's, driven by Playwright (``chromium_setup.py``).

``test_phone_page`` opens every page once at phone size (390 x 844) and checks:

- page weight: until its load event it transfers at most ``PAGE_BUDGET_BYTES`` (gzip, what a
  reader's phone downloads to show the page: lazy images further down and the animations' frames
  come later) and never loads the theme's ``fontawesome.js``;
- math rendered at build time: every equation is MathJax's CHTML already in the HTML
  (``tools/site/gd_perf.py`` renders it with MathJax 4 in Node) and the page loads no MathJax
  script (typesetting in the browser was the main-thread work that kept Lighthouse's performance
  at 0.34-0.75 on the math pages);
- equations that fit: no display equation is wider than its column (no sideways scrolling inside
  its box); display math is laid out only near the viewport (``content-visibility: auto``), so the
  check lays it all out first, and checks that the height each equation holds until then (MathJax's
  measure at build time) is its height within half an em (the page does not jump as one appears);
- paragraphs laid out lazily (``gd_perf.lazy_paragraphs``): on every chapter some are, none on the first
  screen, none wider than its column, and each has a reserved height at least its own (laid out, fonts
  loaded);
- no raw TeX: no TeX delimiter (``$``, ``$$``, ``\\(``, ``\\[``) nor TeX command is left in the
  page's rendered text outside code, preformatted text and MathJax's output.
``test_reading_upward_keeps_the_text_in_place`` lands in the middle of the longest chapter by each way a
reader can (a link into it, a link within it, the End key, the page left idle) and reads upward: the text in
view moves only by the scroll (every lazily laid out paragraph is laid out by then).
``test_lighthouse`` runs Lighthouse 12 (``tools/site/lighthouse``, pinned, installed by ``npm ci``
into ``_vendor/lighthouse`` when missing; Node 20) with its mobile defaults on a few representative
pages and fails below ``PERFORMANCE_MIN`` performance or ``ACCESSIBILITY_MIN`` accessibility. The
performance score is noisy on a shared machine (README, "The website works offline", has the
measured spread): a page under the floor is measured once more and keeps its better score, while
the Lighthouse runs of the session have taken less than ``LIGHTHOUSE_RERUN_BUDGET_S``. Scores go to
``_build/browser-report.json`` under ``"lighthouse"``, page weights under ``"transfer"`` (merged
with what the other browser tests write there).
"""

from __future__ import annotations

import filecmp
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from chromium_setup import CHROMIUM, FLAGS, content_pages, launch
from gzip_server import serve

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("GD_SITE_DIR", ROOT / "_build" / "html")).resolve()
REPORT = ROOT / "_build" / "browser-report.json"
LIGHTHOUSE_SRC = ROOT / "tools" / "site" / "lighthouse"
LIGHTHOUSE_DIR = ROOT / "_vendor" / "lighthouse"
LIGHTHOUSE_BIN = LIGHTHOUSE_DIR / "node_modules" / ".bin" / "lighthouse"
PHONE = {"width": 390, "height": 844}
LAYOUT_ALL_WAIT_MS = 15_000  # gd_perf.LAYOUT_ALL_IDLE_MS after the load event, then when the browser is idle

# Bytes a page transfers (gzip) on a phone until its load event. Measured on a build of 2026-11-30
# after the issue 13 changes: 0.42-0.74 MB (the theme's CSS and scripts ~0.11 MB, MathJax 4 0.28 MB,
# the page and the figures near the top), and chapter 14 at 1.00 MB (its first figure is a 446 kB PNG).
# Before them: 1.2-1.7 MB a page, 0.54 MB of it the theme's fontawesome.js.
PAGE_BUDGET_BYTES = 1_200_000
# the intro, the labs' heaviest, and the chapters that were slowest: the first optimizer chapters with explorers
# and animations, the most elements (chapter 10: 16,900), the most display math, the longest (chapter 18)
LIGHTHOUSE_PAGES = ["intro.html", "chapters/03_gradient_descent.html", "chapters/08_momentum.html",
                    "chapters/10_convexity_rates_limits.html", "chapters/13_adam.html", "chapters/16_curvature.html",
                    "chapters/18_choosing_an_optimizer.html", "labs/lab4_optimizer_zoo.html"]
# The goal is 0.90; the floor's margin is the noise of a shared machine. Measured 2026-11-30 after the explorers'
# runs, the lazy images, MathML and paragraphs (gd_perf.py), Lighthouse 12.2.3 mobile: on a quiet machine (load
# 1-2, its own runs) all 25 content pages twice, 0.93-0.99 but one run of lab 1 at 0.89 (a first paint of 2.8 s
# instead of 2.0 s in the simulation; its other run 0.97), median 0.97; with 2 busy processes on the 2 cores (load
# 3-4.6) chapters 3, 10, 13 and 16 at 0.90-0.97; with 4 (load 5) chapters 10 and 16 at 0.85-0.95. What moves is
# total blocking time (0.01-0.43 s) and, rarely, the simulated first paint. A page under the floor is run again.
PERFORMANCE_MIN = 0.80
ACCESSIBILITY_MIN = 1.0
LIGHTHOUSE_TIMEOUT_S = 180  # one run; about 30-70 s on this machine
LIGHTHOUSE_RERUN_BUDGET_S = 300  # no re-run once the session's Lighthouse runs took this long (8 pages: ~130 s)

if not Path(CHROMIUM).exists():
    pytest.skip(f"BROWSER TESTS SKIPPED: {CHROMIUM} not found", allow_module_level=True)
if not (SITE / "index.html").exists():
    pytest.skip(f"BROWSER TESTS SKIPPED: no site in {SITE}; run `make book` first", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (pip) is not installed")


PAGES = content_pages(SITE)
MATH_PAGES = [rel for rel in PAGES if 'class="math' in (SITE / rel).read_text(encoding="utf-8")]


def _merge_report(key: str, value) -> None:
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(REPORT.read_text()) if REPORT.exists() else {}
    data[key] = value
    REPORT.write_text(json.dumps(data, indent=1))


@pytest.fixture(scope="module")
def gzip_site():
    httpd = serve(SITE)
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    with launch(sync_api) as b:
        yield b


@pytest.fixture
def phone(browser, gzip_site):
    """A fresh phone-sized context for each test: nothing cached from another page."""
    ctx = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    external: list[str] = []

    def block(route):  # the site loads nothing from outside itself
        external.append(route.request.url)
        route.abort()

    ctx.route(lambda url: not url.startswith((gzip_site, "data:", "blob:", "about:")), block)
    yield ctx
    ctx.close()
    assert not external, f"requests leaving the site (blocked): {external[:5]}"


# math rendered at build time: every math element holds MathJax's output, and no MathJax runs here
PRERENDERED_JS = """() => ({mathjax: typeof window.MathJax !== 'undefined',
  scripts: [...document.scripts].map(s => s.src).filter(s => /mathjax/i.test(s)),
  untypeset: [...document.querySelectorAll('.math')].filter(m => !m.querySelector('mjx-container'))
             .map(m => m.textContent.trim().slice(0, 60))})"""

# a page that still loads MathJax (a TeX error left to the browser) typesets lazily: typeset it all
TYPESET_ALL_JS = """async () => {
  if (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) {
    if (document.fonts) await document.fonts.ready;
    return true;
  }
  await MathJax.startup.promise;
  const doc = MathJax.startup.document;
  if (doc && doc.lazyTypesetAll) await doc.lazyTypesetAll();
  if (document.fonts) await document.fonts.ready;
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  return true;
}"""

# what the page needs until its load event (the animations' frames and lazy images come after)
TRANSFER_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const res = performance.getEntriesByType('resource').filter(e => !nav || e.startTime <= nav.loadEventStart);
  return {total: res.reduce((s, e) => s + (e.transferSize || 0), nav ? nav.transferSize : 0),
          html: nav ? nav.transferSize : 0, n: res.length + 1,
          urls: res.map(e => e.name)};
}"""

# display math away from the viewport is not laid out (content-visibility: auto, gd-perf.css): lay it all out
# first, or a skipped equation would measure as fitting whatever its width
# display math away from the viewport is not laid out (content-visibility: auto, gd-perf.css) but keeps the
# height MathJax measured at build time: lay it all out, then compare. A skipped equation would otherwise
# measure as fitting whatever its width.
WIDE_EQUATIONS_JS = """() => {
  const shown = [...document.querySelectorAll('mjx-container[display="true"]')].filter(c => c.offsetParent !== null);
  const reserved = shown.map(c => c.getBoundingClientRect().height);
  document.head.insertAdjacentHTML('beforeend', '<style>mjx-container { content-visibility: visible !important; }</style>');
  const tex = c => ((c.closest('.math') || c.parentElement).textContent || '').trim().slice(0, 80);
  return {wide: shown.filter(c => c.scrollWidth > c.clientWidth + 1
                                  || c.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
                     .map(c => ({width: c.scrollWidth, column: c.clientWidth, tex: tex(c)})),
          jumps: shown.map((c, i) => ({reserved: reserved[i], height: c.getBoundingClientRect().height, tex: tex(c)}))
                      .filter(j => Math.abs(j.reserved - j.height) > MAX_JUMP_PX)};
}""".replace("MAX_JUMP_PX", "8")  # half an em: the page does not jump when an equation is laid out

# paragraphs far down a page are laid out near the viewport only, on a phone (gd_perf.lazy_paragraphs): none on
# the first screen (there a reserve other than its height would move the text as the page paints), and each
# with a reserve at least its height (axe-core checks a skipped link's colour against what lies under its real
# box: a paragraph given less room than it needs puts its links over the next block)
LAZY_PARAGRAPHS_JS = """async () => {
  document.documentElement.classList.remove('gd-layout-all');  // as the page first paints (it may be later now)
  const lazy = [...document.querySelectorAll('.bd-article section > p.gd-lazy')]
      .filter(p => getComputedStyle(p).contentVisibility === 'auto');
  const tops = lazy.map(p => p.getBoundingClientRect().top + window.scrollY);
  const reserved = lazy.map(p => parseFloat(getComputedStyle(p).containIntrinsicBlockSize.replace('auto', '')));
  document.head.insertAdjacentHTML('beforeend', '<style>p.gd-lazy { content-visibility: visible !important; }</style>');
  lazy.forEach(p => p.getBoundingClientRect());  // laid out: the fonts they use are asked for
  if (document.fonts) await document.fonts.ready;
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const text = p => p.textContent.trim().replace(/\\s+/g, ' ').slice(0, 60);
  return {n: lazy.length,
          first_screen: lazy.filter((p, i) => tops[i] < window.innerHeight).map(text),
          wide: lazy.filter(p => p.scrollWidth > p.clientWidth + 1).map(text),
          short: lazy.map((p, i) => ({reserved: reserved[i], height: p.getBoundingClientRect().height, text: text(p)}))
                     .filter(r => !(r.reserved >= r.height))};
}"""

RAW_TEX_JS = r"""() => {
  const clone = document.body.cloneNode(true);
  clone.querySelectorAll('pre, code, kbd, samp, script, style, textarea, mjx-container, mjx-lazy, svg')
       .forEach(e => e.remove());
  const found = [];
  const walker = document.createTreeWalker(clone, NodeFilter.SHOW_TEXT);
  const tex = /\$|\\\(|\\\)|\\\[|\\\]|\\(?:frac|sqrt|nabla|partial|sum|hat|mathbf|mathrm|left|right|begin|end|cdot|alpha|beta|eta|mu|epsilon|lambda|top|qquad|quad|text)\b/;
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const t = n.textContent, m = t.match(tex);
    if (m) found.push(t.slice(Math.max(0, m.index - 40), m.index + 40).replace(/\s+/g, ' ').trim());
  }
  return found;
}"""


def _open(ctx, url):
    page = ctx.new_page()
    page.goto(url, wait_until="load")
    return page


@pytest.mark.parametrize("rel", PAGES)
def test_phone_page(rel, gzip_site, phone):
    """One load per page: page weight, equations that fit, lazily laid out paragraphs, no raw TeX."""
    page = _open(phone, gzip_site + rel)
    page.evaluate("async () => { if (window.MathJax && MathJax.startup) await MathJax.startup.promise; }")
    page.wait_for_timeout(300)  # the fonts MathJax asks for once it has typeset what is in view
    weight = page.evaluate(TRANSFER_JS)  # up to the load event, before the reader scrolls
    has_math = rel in MATH_PAGES
    prerendered = page.evaluate(PRERENDERED_JS)
    typeset = page.evaluate(TYPESET_ALL_JS) if has_math else True
    lazy = page.evaluate(LAZY_PARAGRAPHS_JS)
    fit = page.evaluate(WIDE_EQUATIONS_JS) if has_math else {"wide": [], "jumps": []}
    wide = fit["wide"]
    raw = page.evaluate(RAW_TEX_JS)
    page.close()

    problems = []
    transfer = _merge_entry(rel, weight)
    if [u for u in weight["urls"] if "fontawesome.js" in u]:
        problems.append("loads the theme's fontawesome.js (tools/site/gd_perf.py should have removed it)")
    if transfer > PAGE_BUDGET_BYTES:
        problems.append(f"transfers {transfer / 1e3:.0f} kB on a phone before scrolling (gzip), over the budget "
                        f"of {PAGE_BUDGET_BYTES / 1e3:.0f} kB ({weight['n']} requests)")
    if not typeset:
        problems.append("MathJax did not start")
    mathjax_js = [u for u in weight["urls"] if "/mathjax/" in u and u.split("?", 1)[0].endswith(".js")]
    if has_math and (prerendered["mathjax"] or prerendered["scripts"] or mathjax_js):
        problems.append("loads MathJax in the browser (its math should all be rendered at build time by "
                        f"tools/site/gd_perf.py; see the build's gd_perf warnings): {prerendered['scripts'] or mathjax_js}")
    if prerendered["untypeset"]:
        problems.append(f"{len(prerendered['untypeset'])} math element(s) not rendered: {prerendered['untypeset'][:3]}")
    if wide:
        problems.append(f"{len(wide)} display equation(s) wider than a {PHONE['width']} px phone's column (they "
                        "scroll sideways): " + "; ".join(f"{w['width']} px in {w['column']} px: {w['tex']}"
                                                         for w in wide[:4]))
    if fit["jumps"]:
        problems.append(f"{len(fit['jumps'])} display equation(s) whose reserved height (--gd-math-height, laid out "
                        "only near the viewport) differs from their height by more than half an em: "
                        + "; ".join(f"{j['reserved']:.0f} px vs {j['height']:.0f} px: {j['tex']}" for j in fit["jumps"][:4]))
    if rel.startswith("chapters/") and not lazy["n"]:
        problems.append("no paragraph is laid out lazily on a phone (gd_perf.lazy_paragraphs, gd-perf.css): the long "
                        "chapters' total blocking time depends on it")
    if lazy["wide"]:
        problems.append(f"{len(lazy['wide'])} lazily laid out paragraph(s) wider than the column (their containment "
                        f"would clip what a reader could otherwise scroll to): {lazy['wide'][:3]}")
    if lazy["first_screen"]:
        problems.append(f"{len(lazy['first_screen'])} paragraph(s) laid out lazily on the first screen "
                        f"(gd_perf.LAZY_PARAGRAPH_AFTER_CHARS): {lazy['first_screen'][:3]}")
    if lazy["short"]:
        problems.append(f"{len(lazy['short'])} lazily laid out paragraph(s) taller than the height reserved for "
                        "them (gd-perf.css): " + "; ".join(f"{r['height']:.0f} px > {r['reserved']} px: {r['text']}"
                                                           for r in lazy["short"][:3]))
    if raw:
        problems.append(f"TeX left as text (the parser gave up on it): {raw[:4]}")
    assert not problems, f"{rel}:\n  " + "\n  ".join(problems)


# a reader who is anywhere but reading down from the top reads upward: paragraphs above must already be laid out
# (a lazily laid out paragraph shrinks from its reserve when it is, and the text in view would jump: Chromium's
# scroll anchoring does not make up for it), so nothing in view moves but by the scroll itself
READ_UPWARD_JS = """async (id) => {
  const frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const target = document.getElementById(id);
  await frame();
  const steps = [];
  for (let i = 0; i < 12; i++) {
    const top = target.getBoundingClientRect().top, y = window.scrollY;
    window.scrollBy(0, -300);
    await frame();
    // the reader scrolled min(300, y): the text in view moves by that (scroll anchoring may move scrollY more,
    // to make up for something above that changed size)
    steps.push({scrolled: Math.min(300, y), moved: target.getBoundingClientRect().top - top});
  }
  const skipped = [...document.querySelectorAll('p.gd-lazy')].filter(p => getComputedStyle(p).contentVisibility === 'auto');
  return {all: document.documentElement.classList.contains('gd-layout-all'), skipped: skipped.length,
          jumps: steps.filter(s => Math.abs(s.moved - s.scrolled) > 1)};
}"""
LONG_PAGE = "chapters/10_convexity_rates_limits.html"


@pytest.mark.parametrize("arrival", ["link into the page", "link within the page", "End key", "idle"])
def test_reading_upward_keeps_the_text_in_place(arrival, gzip_site, phone):
    html_text = (SITE / LONG_PAGE).read_text(encoding="utf-8")
    assert 'class="gd-lazy"' in html_text, "no paragraph of the long chapter is laid out lazily (gd_perf.lazy_paragraphs)"
    last = re.findall(r'<section id="([^"]+)"', html_text)[-1]
    page = phone.new_page()
    if arrival == "link into the page":
        page.goto(f"{gzip_site}{LONG_PAGE}#{last}", wait_until="load")
    else:
        page.goto(f"{gzip_site}{LONG_PAGE}", wait_until="load")
        assert page.evaluate("() => !document.documentElement.classList.contains('gd-layout-all')")
        if arrival == "link within the page":
            page.evaluate(f"""() => {{ const a = document.createElement('a'); a.href = '#{last}'; a.textContent = 'to the end';
                                      document.querySelector('.bd-article').prepend(a); a.click(); }}""")
        elif arrival == "End key":
            page.keyboard.press("End")
        else:
            page.wait_for_function("() => document.documentElement.classList.contains('gd-layout-all')",
                                   timeout=LAYOUT_ALL_WAIT_MS)
            page.evaluate(f"() => document.getElementById('{last}').scrollIntoView()")
    page.wait_for_timeout(300)
    result = page.evaluate(READ_UPWARD_JS, last)
    page.close()
    assert result["all"] and not result["skipped"], f"{arrival}: the page was not laid out whole: {result}"
    assert not result["jumps"], f"{arrival}: the text in view moved by more than the scroll: {result['jumps'][:4]}"


_TRANSFER: dict[str, dict[str, int]] = {}


def _merge_entry(rel: str, result: dict) -> int:
    _TRANSFER[rel] = {"transfer_bytes": result["total"], "html_transfer_bytes": result["html"],
                      "requests": result["n"]}
    heaviest = max(_TRANSFER, key=lambda k: _TRANSFER[k]["transfer_bytes"])
    _merge_report("transfer", {"budget_bytes": PAGE_BUDGET_BYTES, "viewport": PHONE, "gzip": True,
                               "heaviest": heaviest, "pages": _TRANSFER})
    return result["total"]


def _install_lighthouse() -> Path:
    """npm ci of the pinned Lighthouse into _vendor/lighthouse, only when missing or out of date."""
    lock = LIGHTHOUSE_DIR / "package-lock.json"
    if (LIGHTHOUSE_BIN.exists() and lock.exists()
            and filecmp.cmp(lock, LIGHTHOUSE_SRC / "package-lock.json", shallow=False)):
        return LIGHTHOUSE_BIN
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is needed to install the pinned Lighthouse (tools/site/lighthouse)")
    LIGHTHOUSE_DIR.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(LIGHTHOUSE_SRC / name, LIGHTHOUSE_DIR / name)
    subprocess.run([npm, "ci", "--prefix", str(LIGHTHOUSE_DIR), "--no-audit", "--no-fund",
                    "--ignore-scripts", "--loglevel=error"], check=True, timeout=600)
    return LIGHTHOUSE_BIN


def run_lighthouse(url: str, binary: Path) -> dict:
    """One Lighthouse run (mobile defaults, simulated throttling); the scores and main metrics."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        cmd = [str(binary), url, "--quiet", "--output=json", f"--output-path={out}",
               "--only-categories=performance,accessibility",
               "--chrome-flags=" + " ".join(FLAGS)]
        env = dict(os.environ, CHROME_PATH=CHROMIUM)
        subprocess.run(cmd, check=True, timeout=LIGHTHOUSE_TIMEOUT_S, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        data = json.loads(out.read_text())
    audits = data["audits"]
    metrics = {name: round(audits[name]["numericValue"]) for name in
               ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time",
                "speed-index", "total-byte-weight") if name in audits}
    metrics["cumulative-layout-shift"] = round(audits["cumulative-layout-shift"]["numericValue"], 3)
    failing = [ref["id"] for ref in data["categories"]["accessibility"]["auditRefs"]
               if audits.get(ref["id"], {}).get("score") not in (None, 1)]
    return {"performance": data["categories"]["performance"]["score"],
            "accessibility": data["categories"]["accessibility"]["score"],
            "metrics_ms": metrics, "accessibility_failures": failing,
            "lighthouse": data.get("lighthouseVersion")}


_LIGHTHOUSE: dict[str, dict] = {}
_LIGHTHOUSE_SECONDS = [0.0]


def _timed_lighthouse(url: str, binary: Path) -> dict:
    start = time.monotonic()
    try:
        return run_lighthouse(url, binary)
    finally:
        _LIGHTHOUSE_SECONDS[0] += time.monotonic() - start


@pytest.fixture(scope="module")
def lighthouse():
    return _install_lighthouse()


@pytest.mark.parametrize("rel", LIGHTHOUSE_PAGES)
def test_lighthouse(rel, gzip_site, lighthouse):
    if not (SITE / rel).exists():
        pytest.fail(f"{rel} is not in the site: update LIGHTHOUSE_PAGES")
    runs = [_timed_lighthouse(gzip_site + rel, lighthouse)]
    if runs[0]["performance"] < PERFORMANCE_MIN and _LIGHTHOUSE_SECONDS[0] < LIGHTHOUSE_RERUN_BUDGET_S:
        runs.append(_timed_lighthouse(gzip_site + rel, lighthouse))  # the score is noisy here
    best = max(runs, key=lambda r: r["performance"])
    _LIGHTHOUSE[rel] = {**best, "performance_runs": [r["performance"] for r in runs]}
    _merge_report("lighthouse", {"form_factor": "mobile (Lighthouse defaults)", "gzip": True,
                                 "performance_min": PERFORMANCE_MIN, "accessibility_min": ACCESSIBILITY_MIN,
                                 "pages": _LIGHTHOUSE})
    assert best["accessibility"] >= ACCESSIBILITY_MIN, (
        f"{rel}: Lighthouse accessibility {best['accessibility']:.2f}, failing audits {best['accessibility_failures']}")
    assert best["performance"] >= PERFORMANCE_MIN, (
        f"{rel}: Lighthouse performance {best['performance']:.2f} (runs {_LIGHTHOUSE[rel]['performance_runs']}) "
        f"< {PERFORMANCE_MIN}; metrics {best['metrics_ms']}")
