"""Debian's Chromium as every browser test launches it (never `playwright install`).

The flags keep headless Chromium from reaching for Google's hosts on this closed network
(background networking, component updates, sync) and from needing a GPU or a sandbox.
"""
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def content_pages(site) -> list[str]:
    """The built site's pages, as paths relative to ``site``: no Sphinx folders, no redirect page.

    ``index.html`` only forwards to the first page (a ``<meta http-equiv="Refresh">``), so the tests
    that look at a page's content leave it out.
    """
    import re
    from pathlib import Path

    site = Path(site)
    skip = ("_static/", "_sources/", "_images/", "_vendor/")
    pages = []
    for p in sorted(site.rglob("*.html")):
        rel = p.relative_to(site).as_posix()
        if rel.startswith(skip):
            continue
        if re.match(r'\s*<meta http-equiv="Refresh"', p.read_text(encoding="utf-8"), re.IGNORECASE):
            continue
        pages.append(rel)
    return pages


def launch(sync_api):
    """Debian's Chromium with the flags above, as a context manager: ``with launch(sync_api) as browser``."""
    import contextlib

    @contextlib.contextmanager
    def _browser():
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
            try:
                yield browser
            finally:
                browser.close()

    return _browser()


# On the built site the explorers' runs are files of their own (tools/site/gd_perf.py), fetched when the reader
# comes near an explorer or focuses one of its controls. A test that works a page's explorers first asks each
# for its runs, as a focused control would, and waits until each says it responds (``data-ready="2"``,
# gdlib/explorer/static.py); an explorer whose runs never came stays at "1", which the test then reports.
EXPLORERS_READY_JS = """async () => {
  const roots = [...document.querySelectorAll('.gd-explorer')];
  roots.forEach(r => r.dispatchEvent(new FocusEvent('focusin')));
  for (let i = 0; i < 200 && roots.some(r => r.getAttribute('data-ready') !== '2'); i++)
    await new Promise(r => setTimeout(r, 50));
  return roots.filter(r => r.getAttribute('data-ready') !== '2').map(r => r.id);
}"""
