"""Sphinx extension for the course site (loaded through ``_config.yml``'s ``local_extensions``).

What it does, and why (issue 6: the site works offline and loads nothing from outside):

- Checks that the vendored browser assets exist (``make vendor`` puts them in
  ``_vendor/site``) and stops the build with a clear message when they do not, instead
  of producing pages whose math and widgets silently fail.
- Switches sphinx-thebe off. Jupyter Book loads it unconditionally; it adds a script
  naming a CDN URL (twice: a ``THEBE_JS_URL`` redeclaration error on every page) and a
  stylesheet, for a feature the course does not use (live code needs a public Binder).
- Points links to Font Awesome 4 on a CDN in notebook outputs (matplotlib's animation
  HTML from ``to_jshtml`` has one, for its buttons) at the copy the site serves.
- Adds ``tools/site/static/gd-site.css``: a few style fixes (nothing may push a page
  sideways on a phone).
- Keeps pydata-sphinx-theme 0.17 from adding its own top bar with a second search
  field on every page (it defaults ``navbar_persistent`` when the user did not set it,
  overriding sphinx-book-theme's empty one): on a desktop that bar covered the
  sidebar's search field. The book theme's article bar keeps a search button.
- Loads require.js, the ipywidgets html-manager and its shim only on pages that render
  a saved ipywidgets view. myst-nb adds them (with the saved widget state) to every
  notebook page whose kernel created a widget, but the site shows the explorer's
  self-contained ``text/html`` instead of its widget view (``nb_mime_priority_overrides``),
  so on those pages the 4 MB bundle and the state would be dead weight.
- Makes every notebook depend on gdlib's source: Sphinx re-reads (and myst-nb re-executes) only the
  documents whose source changed, so after a change to gdlib an incremental ``make book`` kept each
  notebook's outputs from before it (the figures, the glued numbers, the explorers' HTML). Now a newer
  ``gdlib/*.py`` makes every notebook out of date.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
VENDOR_STAMP = Path("_vendor") / "site" / ".stamp"
STATIC = Path(__file__).resolve().parent / "static"
FONT_AWESOME_4 = re.compile(r"https?://[^\s\"']+/font-awesome/4\.\d+\.\d+/css/font-awesome(?:\.min)?\.css")
FONT_AWESOME_4_SERVED = "_static/gd-vendor/font-awesome/css/font-awesome.min.css"


def _drop_thebe(app: Sphinx) -> None:
    """Disconnect sphinx-thebe's event handlers and its stylesheet."""
    for event, listeners in list(app.events.listeners.items()):
        for listener in list(listeners):
            if getattr(listener.handler, "__module__", "").startswith("sphinx_thebe"):
                app.disconnect(listener.id)
    app.registry.css_files[:] = [
        entry for entry in app.registry.css_files if "sphinx-thebe" not in (entry[0] or "")
    ]


def _configure(app: Sphinx, config: Any) -> None:
    if str(STATIC) not in config.html_static_path:
        config.html_static_path.append(str(STATIC))
    options = config.html_theme_options
    if config.html_theme == "sphinx_book_theme" and "navbar_persistent" not in options:
        options["navbar_persistent"] = []


def _check_vendor(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    stamp = Path(app.srcdir) / VENDOR_STAMP
    if not stamp.exists():
        raise ExtensionError(
            f"{VENDOR_STAMP} is missing: the site's MathJax, require.js and widget manager are "
            "fetched at pinned versions by `make vendor` (run by `make book`). "
            "Run `make vendor`, then build again."
        )


def _widget_assets(app: Sphinx) -> set[str]:
    return {"_static/" + path for path in app.config.nb_ipywidgets_js if "://" not in path} | set(
        app.config.nb_ipywidgets_js
    )


def _serve_font_awesome(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Point CDN links to Font Awesome 4 in the page body at the served copy."""
    body = context.get("body")
    if body and "font-awesome" in body:
        local = context["pathto"](FONT_AWESOME_4_SERVED, resource=True)
        context["body"] = FONT_AWESOME_4.sub(local, body)


def _prune_widget_scripts(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Keep the widget manager only where a widget view is rendered."""
    body = context.get("body") or ""
    if WIDGET_VIEW in body:
        return
    scripts = context.get("script_files")
    if not scripts:
        return
    assets = _widget_assets(app)
    scripts[:] = [
        js
        for js in scripts
        if getattr(js, "filename", None) not in assets
        and getattr(js, "attributes", {}).get("type") != WIDGET_STATE
    ]


GDLIB = Path(__file__).resolve().parents[2] / "gdlib"


def _depend_on_gdlib(app: Sphinx, docname: str, source: list[str]) -> None:
    """``source-read``: a notebook's outputs come from gdlib, so it is out of date when gdlib changes."""
    if not str(app.env.doc2path(docname)).endswith(".ipynb"):
        return
    for path in sorted(GDLIB.rglob("*.py")):
        app.env.note_dependency(str(path))


def setup(app: Sphinx) -> dict[str, Any]:
    _drop_thebe(app)
    app.setup_extension("gd_a11y")  # accessibility fixes (issue 13): tools/site/gd_a11y.py
    app.connect("config-inited", _configure)
    app.connect("builder-inited", _check_vendor)
    app.add_css_file("gd-site.css")
    app.connect("source-read", _depend_on_gdlib)
    app.connect("html-page-context", _serve_font_awesome)
    # after myst-nb's own html-page-context handler (default priority 500) adds the scripts
    app.connect("html-page-context", _prune_widget_scripts, priority=900)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
