"""The built site as a reader gets it, in a real browser (issue 6).

Serves ``_build/html`` on 127.0.0.1 and opens every page in Debian's headless Chromium
through Playwright (pip; never ``playwright install``). For every page: no request
leaves 127.0.0.1, no request fails, no JavaScript error, all math typeset by MathJax,
every image decoded, every internal link resolving to a file, no sideways scrolling on
a phone. On pages with a ``.gd-explorer``: moving each slider changes the figure.
A page opened from ``file://`` renders its math too. Screenshots of every page at
desktop (1280 px, light theme) and phone (390 px, dark theme) widths go to
``_build/screenshots/``.

Run by ``make browser`` (part of ``make test``) after the book build, with
``GD_BROWSER_TESTS=1``; see conftest.py.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("GD_SITE_DIR", ROOT / "_build" / "html")).resolve()  # override to test another build
SHOTS = ROOT / "_build" / "screenshots"
REPORT = ROOT / "_build" / "browser-report.json"
from chromium_setup import CHROMIUM, EXPLORERS_READY_JS, FLAGS  # noqa: E402
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
VENDOR = "_static/gd-vendor/"

# (substring of the error message, why it is acceptable). Keep it empty if you can.
ALLOWED_ERRORS: list[tuple[str, str]] = []

if not Path(CHROMIUM).exists():
    pytest.skip(
        f"BROWSER TESTS SKIPPED: {CHROMIUM} not found (Debian's chromium; `make test` installs it "
        "with apt-get when run as root)",
        allow_module_level=True,
    )
if not (SITE / "index.html").exists():
    pytest.skip(f"BROWSER TESTS SKIPPED: no site in {SITE}; run `make book` first",
                allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (pip) is not installed")


def _pages() -> list[str]:
    skip = ("_static/", "_sources/", "_images/", "_vendor/")
    return sorted(
        p.relative_to(SITE).as_posix()
        for p in SITE.rglob("*.html")
        if not p.relative_to(SITE).as_posix().startswith(skip)
    )


PAGES = _pages()
WEIGHTS: dict[str, dict[str, int]] = {}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output readable
        pass


@pytest.fixture(scope="module")
def server():
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    if SHOTS.exists():
        shutil.rmtree(SHOTS)
    SHOTS.mkdir(parents=True)
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()
    _write_report()


def _context(browser, base, viewport, **kwargs):
    ctx = browser.new_context(viewport=viewport, **kwargs)
    ctx.external = []  # type: ignore[attr-defined]

    def block(r):  # never let a request out; record it as a failure of the page
        ctx.external.append(r.request.url)
        r.abort()

    # matched in the driver, so the site's own requests do not make a round trip through Python
    ctx.route(re.compile(rf"^(?!{re.escape(base)}|data:|blob:|about:)"), block)
    return ctx


@pytest.fixture(scope="module")
def desktop(browser, server):
    ctx = _context(browser, server, DESKTOP)
    yield ctx
    ctx.close()


SETTLE_JS = """async () => {
  const views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]');
  for (let i = 0; i < 100 && document.querySelectorAll('.widget-subarea > *').length < views.length; i++)
    await new Promise(r => setTimeout(r, 50));
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  // MathJax typesets lazily (tools/site/gd_perf.py): typeset every equation before checking them
  if (window.MathJax && MathJax.startup && MathJax.startup.document && MathJax.startup.document.lazyTypesetAll)
    await MathJax.startup.document.lazyTypesetAll();
  if (document.fonts) await document.fonts.ready;
  for (const img of document.images) img.loading = 'eager';
  return true;
}"""

CHECK_JS = r"""async () => {
  const maths = [...document.querySelectorAll('.math')];
  const untypeset = maths.filter(m => !m.querySelector('mjx-container'))
                         .map(m => m.textContent.trim().slice(0, 60));
  const clone = document.body.cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, textarea, mjx-container').forEach(e => e.remove());
  const text = clone.textContent;
  const raw = ['\\(', '\\[', '$$'].filter(s => text.includes(s))
      .map(s => s + ' ...' + text.slice(Math.max(0, text.indexOf(s) - 40), text.indexOf(s) + 40).replace(/\s+/g, ' '));
  for (const w of document.querySelectorAll('.widget-subarea')) {
    const c = w.cloneNode(true);
    c.querySelectorAll('mjx-container').forEach(e => e.remove());
    if (/\$[^$]+\$/.test(c.textContent)) raw.push('$...$ in a widget: ' + c.textContent.trim().slice(0, 60));
  }
  const images = await Promise.all([...document.images].map(img =>
      img.decode().then(() => null, () => null).then(() =>
          img.naturalWidth > 0 ? null : (img.getAttribute('src') || '').slice(0, 100))));
  const links = [...document.querySelectorAll('a[href]')].map(a => a.href);
  const nav = performance.getEntriesByType('navigation')[0];
  const loaded = performance.getEntriesByType('resource').reduce((s, e) => s + (e.decodedBodySize || 0), 0);
  return {n_math: maths.length, untypeset, raw, broken_images: images.filter(Boolean), links,
          html_bytes: nav ? nav.decodedBodySize : 0, loaded_bytes: loaded + (nav ? nav.decodedBodySize : 0),
          n_explorers: document.querySelectorAll('.gd-explorer').length};
}"""

OVERFLOW_JS = """() => {
  const d = document.documentElement;
  if (d.scrollWidth <= d.clientWidth + 1) return null;
  const wide = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > d.clientWidth + 1)
      .filter(e => !e.closest('.bd-sidebar-primary, .bd-sidebar-secondary'))
      .slice(-3).map(e => e.tagName.toLowerCase() + '.' + [...e.classList].join('.'));
  return {scrollWidth: d.scrollWidth, clientWidth: d.clientWidth, elements: wide};
}"""

FIGURE_HASH_JS = """(root) => {
  const fig = root.querySelector('.gd-explorer-figure');
  if (!fig) return null;
  let s = fig.innerHTML, h = 0;
  for (const img of fig.querySelectorAll('img')) s += img.className + getComputedStyle(img).display;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return h + ':' + s.length;
}"""


def _open(ctx, url):
    page = ctx.new_page()
    events = {"failed": [], "errors": []}
    page.on("requestfailed", lambda r: events["failed"].append(f"{r.url} ({r.failure})"))
    page.on("response", lambda r: r.status >= 400 and events["failed"].append(f"{r.url} (HTTP {r.status})"))
    page.on("pageerror", lambda e: events["errors"].append(f"uncaught: {e}"))
    page.on("console", lambda m: m.type == "error" and events["errors"].append(f"console: {m.text}"))
    page.goto(url, wait_until="load")
    page.evaluate(SETTLE_JS)
    return page, events


def _allowed(message: str) -> bool:
    return any(pattern in message for pattern, _reason in ALLOWED_ERRORS)


def _shot(page, rel: str, kind: str) -> None:
    name = rel[: -len(".html")].replace("/", "__")
    page.screenshot(path=str(SHOTS / f"{name}.{kind}.png"), full_page=True)


def _check_links(base: str, links: list[str]) -> list[str]:
    missing = []
    for href in links:
        if not href.startswith(base):
            continue
        path = unquote(urlsplit(href).path)[len(urlsplit(base).path):]
        target = SITE / path
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            missing.append(href[len(base):])
    return sorted(set(missing))


def _check_explorers(page) -> list[str]:
    problems = [f"explorer {uid}: its runs never loaded (the file its data-src names)"
                for uid in page.evaluate(EXPLORERS_READY_JS)]
    roots = page.locator(".gd-explorer")
    for i in range(roots.count()):
        root = roots.nth(i)
        sliders = root.locator('input[type="range"]')
        if sliders.count() == 0:
            problems.append(f"explorer {i}: no slider")
        moved = 0
        for j in range(sliders.count()):
            slider = sliders.nth(j)
            ignored = slider.evaluate("s => !!s.closest('.gd-explorer-ignored') || s.disabled")
            if ignored:
                continue
            before = root.evaluate(FIGURE_HASH_JS)
            at_max = slider.evaluate("s => Number(s.value) >= Number(s.max)")
            slider.scroll_into_view_if_needed()
            slider.focus()
            page.keyboard.press("ArrowLeft" if at_max else "ArrowRight")
            after = root.evaluate(FIGURE_HASH_JS)
            if before is None:
                problems.append(f"explorer {i}: no .gd-explorer-figure")
            elif before == after:
                name = slider.get_attribute("id") or f"slider {j}"
                problems.append(f"explorer {i}: moving {name} did not change the figure")
            moved += 1
        if sliders.count() and not moved:
            problems.append(f"explorer {i}: every slider is marked ignored")
    return problems


@pytest.mark.parametrize("rel", PAGES)
def test_page(rel, server, desktop):
    url = server + rel
    problems: list[str] = []
    redirect = re.match(r'\s*<meta http-equiv="Refresh" content="0; url=([^"]+)"',
                        (SITE / rel).read_text(encoding="utf-8"), re.IGNORECASE)
    if redirect:  # Jupyter Book's index.html only forwards to the root page
        assert (SITE / rel).parent.joinpath(redirect.group(1)).is_file(), f"{rel} redirects to a missing page"
        return
    d0 = len(desktop.external)

    page, events = _open(desktop, url)
    result = page.evaluate(CHECK_JS)
    if result["n_explorers"]:
        problems += _check_explorers(page)
        page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    overflow_desktop = page.evaluate(OVERFLOW_JS)
    _shot(page, rel, "desktop")

    # the same page on a phone, in the dark theme (the site follows the system's): one load, not two
    page.set_viewport_size(PHONE)
    page.emulate_media(color_scheme="dark")
    page.wait_for_timeout(150)
    overflow = page.evaluate(OVERFLOW_JS)
    _shot(page, rel, "phone")
    page.close()

    external = sorted(set(desktop.external[d0:]))
    if external:
        problems.append(f"requests leaving 127.0.0.1 (blocked): {external[:5]}")
    failed = sorted(set(events["failed"]))
    failed = [f for f in failed if not any(f.startswith(u + " ") for u in external)]
    if failed:
        problems.append(f"failed requests: {failed[:5]}")
    # a failed load also logs "Failed to load resource" on the console: reported above with its URL
    errors = sorted(set(events["errors"]))
    errors = [e for e in errors if not _allowed(e) and not e.startswith("console: Failed to load resource")]
    if errors:
        problems.append(f"JavaScript errors: {errors[:5]}")
    if result["untypeset"]:
        problems.append(f"{len(result['untypeset'])} of {result['n_math']} math elements not typeset, "
                        f"e.g. {result['untypeset'][:3]}")
    if result["raw"]:
        problems.append(f"raw TeX delimiters in the visible text: {result['raw'][:3]}")
    if result["broken_images"]:
        problems.append(f"images not decoded: {result['broken_images'][:5]}")
    missing = _check_links(server, result["links"])
    if missing:
        problems.append(f"internal links to missing files: {missing[:5]}")
    if overflow:
        problems.append(f"page scrolls sideways on a {PHONE['width']} px phone: {overflow}")
    if overflow_desktop:
        problems.append(f"page scrolls sideways at {DESKTOP['width']} px: {overflow_desktop}")
    WEIGHTS[rel] = {"html_bytes": result["html_bytes"], "loaded_bytes": result["loaded_bytes"]}
    assert not problems, f"{rel}:\n  " + "\n  ".join(problems)


def test_file_url_renders_math(browser):
    """Opened straight from disk (file://), a page with math still typesets it."""
    with_math = [rel for rel in PAGES if 'class="math' in (SITE / rel).read_text(encoding="utf-8")]
    if not with_math:
        pytest.fail("no page of the site has math: nothing to check from file://")
    rel = with_math[0]
    ctx = browser.new_context(viewport=DESKTOP)
    page = ctx.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: errors.append(f"failed: {r.url}"))

    def route(r):  # from disk too, nothing may be fetched from elsewhere
        if r.request.url.startswith(("file:", "data:", "blob:")):
            r.continue_()
        else:
            errors.append(f"request leaving the disk: {r.request.url}")
            r.abort()

    ctx.route("**/*", route)
    page.goto((SITE / rel).as_uri(), wait_until="load")
    page.evaluate(SETTLE_JS)
    result = page.evaluate(CHECK_JS)
    ctx.close()
    assert result["n_math"] > 0
    assert not result["untypeset"], f"{rel} from file://: math not typeset: {result['untypeset'][:3]}"
    assert not [e for e in errors if not _allowed(e)], f"{rel} from file://: {errors[:5]}"


def _write_report() -> None:
    if not WEIGHTS:
        return
    files = [p for p in SITE.rglob("*") if p.is_file()]
    site_bytes = sum(p.stat().st_size for p in files)
    vendor_bytes = sum(p.stat().st_size for p in (SITE / VENDOR).rglob("*") if p.is_file())
    heaviest = max(WEIGHTS, key=lambda k: WEIGHTS[k]["loaded_bytes"])
    largest = max(WEIGHTS, key=lambda k: WEIGHTS[k]["html_bytes"])
    # merged: test_performance.py writes its own keys ("transfer", "lighthouse") to the same file
    previous = json.loads(REPORT.read_text()) if REPORT.exists() else {}
    REPORT.write_text(json.dumps({**previous,
        "n_pages": len(WEIGHTS),
        "site_bytes": site_bytes,
        "site_bytes_without_vendor": site_bytes - vendor_bytes,
        "heaviest": {"page": heaviest, **WEIGHTS[heaviest]},
        "largest_html": {"page": largest, **WEIGHTS[largest]},
        "pages": WEIGHTS,
        "screenshots": str(SHOTS.relative_to(ROOT)),
    }, indent=1))


def test_search_works_offline(server, desktop):
    """The search page finds a word that the course uses on many pages, from the local index."""
    if "search.html" not in PAGES:
        pytest.skip("the site has no search page")
    page = desktop.new_page()
    page.goto(server + "search.html?q=gradient", wait_until="load")
    results = page.locator("#search-results li")
    results.first.wait_for(timeout=15000)
    n = results.count()
    page.close()
    assert n >= 3, f"search for 'gradient' found {n} pages"
