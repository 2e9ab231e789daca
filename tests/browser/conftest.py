"""Browser tests of the built site: collected only when GD_BROWSER_TESTS=1.

`make browser` (part of `make test`, after the book build) sets it. The unit run
(`pytest tests gdlib`, `make unit`) does not collect anything here: these tests need
_build/html and Debian's /usr/bin/chromium, and take a while.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

ENABLED = os.environ.get("GD_BROWSER_TESTS") == "1"
HERE = Path(__file__).resolve().parent
REPORT = HERE.parents[1] / "_build" / "browser-report.json"  # written by test_site.py


_STARTED = time.time()


def pytest_ignore_collect(collection_path, config):
    if not ENABLED and HERE in (collection_path, *collection_path.parents):
        return True
    return None


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Print the page weights the site test measured (issue 6 asks for them)."""
    if not ENABLED:
        return
    if not REPORT.exists() or REPORT.stat().st_mtime < _STARTED:
        return  # the site test did not run in this session
    data = json.loads(REPORT.read_text())
    tr = terminalreporter
    if "lighthouse" in data or "transfer" in data:
        tr.write_sep("-", "site on a phone (test_performance.py)")
    for rel, scores in data.get("lighthouse", {}).get("pages", {}).items():  # test_performance.py
        tr.write_line(f"lighthouse {rel}: performance {scores['performance']:.2f} "
                      f"(runs {scores['performance_runs']}), accessibility {scores['accessibility']:.2f}")
    if "transfer" in data:
        t = data["transfer"]
        tr.write_line(f"heaviest page on a phone (gzip, before scrolling): {t['heaviest']} "
                      f"{t['pages'][t['heaviest']]['transfer_bytes'] / 1e3:.0f} kB "
                      f"(budget {t['budget_bytes'] / 1e3:.0f} kB)")
    if "n_pages" not in data:
        return  # the site test did not write its part
    tr.write_sep("-", "site weight")
    tr.write_line(f"pages: {data['n_pages']}, site on disk: {data['site_bytes'] / 1e6:.1f} MB "
                  f"({data['site_bytes_without_vendor'] / 1e6:.1f} MB without the vendored "
                  f"MathJax/widget manager)")
    heaviest = data["heaviest"]
    tr.write_line(f"heaviest page: {heaviest['page']} {heaviest['html_bytes'] / 1e3:.0f} kB of HTML, "
                  f"{heaviest['loaded_bytes'] / 1e6:.2f} MB loaded in all")
    tr.write_line(f"largest HTML file: {data['largest_html']['page']} "
                  f"{data['largest_html']['html_bytes'] / 1e3:.0f} kB; screenshots in {data['screenshots']}")
