"""Accessibility fixes of the course site (issue 13, WCAG 2.1 AA), loaded by ``gd_site``.

axe-core 4.14 found serious and critical violations on every page; most come from the
theme and the extensions, not from the course's text. Each fix is as close to its cause
as Sphinx allows:

- Template overrides in ``tools/site/templates/`` (put first on ``templates_path``):
  the search button's and colour-mode button's accessible names now contain their
  visible labels (``label-content-name-mismatch``: the search button said "Search" over
  "Search Ctrl+K"; the colour-mode button said "Color mode" over icons titled
  "Light"/"Dark"); the primary sidebar's site title and search button sit in a labelled
  region (``region``).
- ``tools/site/static/gd-a11y.css``: link colours inside admonitions that reach 4.5:1
  on the admonitions' tinted backgrounds in the light and the dark theme
  (``color-contrast``).
- Page bodies, rewritten at ``html-page-context``:

  * bibliography entries: docutils marks them ``role="doc-biblioentry"`` inside a
    ``role="list"``, a role ARIA 1.3 deprecated, so the list has no list items
    (``aria-required-children``, ``aria-deprecated-role``): they become ``listitem``;
  * an empty table header cell (the corner of a two-way table) becomes a ``td``;
  * myst-nb's folded cells name their ``<summary>`` "Toggle hidden content" over the
    visible "Show code cell source": the visible text is the name now;
  * matplotlib animations (``to_jshtml``): the frame image gets a text alternative, the
    frame slider a label, the whole animation a named group. The text comes from the
    notebook cell's metadata, read from the doctree: ``mystnb.image.alt``, else the
    figure caption (``mystnb.figure.caption``). A cell with neither gets a fallback
    marked ``data-gd-alt="missing"``, which the browser tests report as a missing text
    alternative.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"

ANIM_IMG = re.compile(r'<img id="(_anim_img[0-9a-f]+)">')
ANIM_SLIDER = re.compile(r'(<input id="_anim_slider[0-9a-f]+" type="range" class="anim-slider")')
ANIM_DIV = '<div class="animation">'
ANIM_FRAMES = re.compile(r"var frames = new Array\((\d+)\);")
BIBLIOENTRY = re.compile(r'(<div class="citation" id="[^"]*") role="doc-biblioentry"')
EMPTY_TH = re.compile(r'<th class="head">\s*(?:<p>\s*</p>)?\s*</th>')
SUMMARY_TOGGLE = '<summary aria-label="Toggle hidden content">'


def _configure(app: Sphinx, config: Any) -> None:
    if str(TEMPLATES) not in config.templates_path:
        config.templates_path.insert(0, str(TEMPLATES))


def _words(text: str) -> str:
    return " ".join(str(text).split())


def _cell_text_alternative(cell: nodes.Element) -> str | None:
    """The alt text given in the cell's metadata, else its figure caption (None when neither)."""
    meta = cell.get("cell_metadata") or {}
    mystnb = meta.get("mystnb") or {}
    image = mystnb.get("image") or meta.get("image") or {}
    if isinstance(image, dict) and image.get("alt"):
        return _words(image["alt"])
    for caption in cell.findall(nodes.caption):
        return _words(caption.astext())
    figure = mystnb.get("figure") or meta.get("figure") or {}
    if isinstance(figure, dict) and figure.get("caption"):
        return _words(figure["caption"])
    return None


def animation_html(raw: str, alt: str | None) -> str:
    """matplotlib's ``to_jshtml`` markup with a text alternative, a labelled slider and a named group of controls.

    ``alt`` is the animation's description (None: a fallback marked ``data-gd-alt="missing"``).
    """
    m = ANIM_FRAMES.search(raw)
    n_frames = int(m.group(1)) if m else None
    frames = f"{n_frames} frames" if n_frames else "frames"
    if alt:
        text, mark = alt, ""
    else:
        text, mark = f"Animation ({frames}); its notebook cell gives no caption or alt text", ' data-gd-alt="missing"'
    esc = html.escape(text, quote=True)
    raw = ANIM_IMG.sub(lambda mm: f'<img id="{mm.group(1)}" alt="{esc}"{mark}>', raw, count=1)
    raw = ANIM_SLIDER.sub(lambda mm: mm.group(1) + f' aria-label="Animation frame (of {frames})"', raw, count=1)
    raw = raw.replace(ANIM_DIV, f'<div class="animation" role="group" aria-label="Animation ({frames})">', 1)
    return raw


def _label_animations(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Give every ``to_jshtml`` animation the text of its cell (see :func:`animation_html`)."""
    for raw in list(doctree.findall(nodes.raw)):
        if "html" not in raw.get("format", "").split() or "_anim_img" not in raw.astext():
            continue
        cell = raw.parent
        while cell is not None and not (isinstance(cell, nodes.container) and cell.get("nb_element") == "cell_code"):
            cell = cell.parent
        alt = _cell_text_alternative(cell) if cell is not None else None
        raw[0] = nodes.Text(animation_html(raw.astext(), alt))


def _fix_body(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    body = context.get("body")
    if not body:
        return
    body = BIBLIOENTRY.sub(r'\1 role="listitem"', body)
    body = EMPTY_TH.sub('<td class="head"></td>', body)
    body = body.replace(SUMMARY_TOGGLE, "<summary>")
    context["body"] = body


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", _configure)
    app.add_css_file("gd-a11y.css")
    app.connect("doctree-resolved", _label_animations)
    app.connect("html-page-context", _fix_body)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
