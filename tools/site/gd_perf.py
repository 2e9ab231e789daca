"""Sphinx extension: make the course site fast on a phone (issue 13, item 4), offline still.

Loaded through ``_config.yml``'s ``local_extensions`` beside ``gd_site``. Measured with
Lighthouse 12 (mobile defaults, the site served with gzip) before these changes: performance
25-56, first contentful paint 8-24 s. What cost most, and what this module does about it:

- The theme's ``fontawesome.js`` (1.45 MB, 540 kB gzipped, plus a 157 kB icon font it makes
  the browser fetch) draws about fifteen icons. After the build, every ``<i class="fa-...">``
  of every page becomes the same inline ``<svg>`` that script would have made at run time
  (the paths are read from the theme's own copy of Font Awesome 6 Free, so icons and licence
  are unchanged), and the script tag goes. Font Awesome 4 icons of matplotlib's animation
  buttons (``fa fa-play``, ...) are mapped to their Font Awesome 6 names the same way, so
  the animation pages no longer need the Font Awesome 4 stylesheet and font either.
- The theme's stylesheet carries Font Awesome's whole icon table (about 100 kB of
  ``.fa-x:before{content:...}`` rules) and its ``@font-face`` rules: with no icon font left
  in use, the served copy drops them (the build copy of the theme is rewritten, not the
  installed theme).
- Sphinx and the extensions load seven scripts synchronously in ``<head>`` (each one holds up
  the first paint); they get ``defer``, which keeps their order and runs them before
  ``DOMContentLoaded``, when their handlers expect to run. ``documentation_options.js`` stays
  synchronous: inline scripts of the page assign to ``DOCUMENTATION_OPTIONS`` right away. The
  search page keeps them all synchronous (its ``searchtools.js`` calls ``doctools.js`` at once).
- pydata-sphinx-theme loads the search index (``searchindex.js``, 110 kB) and Sphinx's search
  code on every page for its "search as you type" option; with that option off (the default,
  and the course's setting) nothing on those pages uses them, so they are dropped there. The
  search page keeps them.
- Content images get ``loading="lazy"`` (all but those in a phone's first screen, which may be the
  largest paint), so a phone fetches the figures as the reader reaches them. The figures Sphinx
  copies to ``_images/`` (matplotlib's PNGs) are served as lossless WebP where that is at least 10 %
  smaller (about half: the same pixels); the PNG stays beside it.
- matplotlib's animations (``to_jshtml``) carry all their frames as base64 PNGs in an inline
  script: 1.3-1.6 MB of a chapter's HTML that the browser must download and parse before the
  first paint. The frames script moves to its own file (``_static/gd-frames/<id>.js``) that a
  few lines of inline script insert when the animation comes within a screen of the viewport or
  one of its controls gets focus or a pointer, or else ``FRAMES_IDLE_MS`` after the load event
  when the browser is idle (not at the load event: there its 0.8 MB competed with the first
  screen's fonts, and on a busy machine Lighthouse counted it in the largest contentful paint);
  a control used before the frames arrive is replayed once they have. A ``<script src>`` (not
  ``fetch``), so it works from ``file://`` too.
- The explorers (``gdlib/explorer/static.py``) carried their runs as inline JSON and their contour
  images as base64 PNGs: 40-55 % of an explorer page's gzipped HTML. The runs move to
  ``_static/gd-explorer/<id>-<hash>.js`` and the images to content-named files beside them; the
  explorer's own script fetches the runs when the reader comes near, focuses or points at it, or a few
  seconds after load (its ``data-src`` protocol), and says so if they do not load.
- Code cells: Pygments wraps every token in a ``<span>``; those whose class looks exactly like
  the block's own text in both themes (names, punctuation, whitespace: ``plain_token_classes``
  reads the served ``pygments.css``) are unwrapped, which changes nothing on screen and takes
  1,900 of chapter 8's 14,200 elements away from style recalculation and layout.
- The math is rendered at build time. Typesetting in the browser was what kept the math pages at
  Lighthouse performance 0.34-0.75 (MathJax's 283 kB script, then 0.3-0.8 s of main-thread work a
  chapter, four times that under Lighthouse's CPU throttling). After the build, one run of
  ``prerender_math.mjs`` (MathJax 4 in Node, ``@mathjax/src`` pinned in ``package.json`` and
  installed by ``make vendor``) turns the TeX of every math element Sphinx wrote (``\\(..\\)``,
  ``\\[..\\]``, ``$$..$$``; class ``math``) into MathJax's CHTML with its assistive MathML beside
  it (``<mjx-assistive-mml>``: screen readers and axe-core read the MathML, the visual part is
  ``aria-hidden``). Its stylesheet (MathJax's rules and the ``@font-face`` of each font part used,
  woff2 from the vendored ``@mathjax/mathjax-newcm-font``) is one file for the whole site,
  ``_static/gd-math.css``. A page whose math is all rendered, and whose text holds no other TeX
  delimiter, no longer loads MathJax at all. An equation MathJax cannot parse is reported as a
  build warning and left as TeX; its page keeps loading MathJax, which shows it as before.
- Display math away from the viewport is not styled nor laid out until the reader comes near it
  (``content-visibility: auto`` in ``gd-perf.css``): on the long chapters its CHTML is a quarter of
  the page's elements. Each display equation carries its height as MathJax measured it at build
  time (``--gd-math-height``), which the browser reserves meanwhile, so the page does not jump as
  equations appear (``tests/browser/test_performance.py`` checks the reserve against the real height).
  Its assistive MathML stays in the accessibility tree, its text in find-in-page. (The same rule on
  whole sections, tried before, made Lighthouse's colour-contrast audit fail on skipped text; the
  visual part of the math is ``aria-hidden``, and its audit stays at 1.00.)

- The MathML copy MathJax puts beside each equation (clipped to a pixel, for screen readers and axe-core)
  is skipped away from the viewport too (``content-visibility: auto`` keeps it in the accessibility tree):
  a third of the elements of inline math.
- On a phone, the paragraphs further down than the first screens (most of the rest: the inline math of
  the text) are laid out when the reader comes near (``lazy_paragraphs``), with a reserved height never
  below their own, for a page read from its top; before the reader can be anywhere else (a link into or
  within the page, a jump key, a restored position, printing) and once the browser is idle after load,
  the whole page is laid out (``LAYOUT_ALL_JS``). Whole sections, tried first, made the colour-contrast
  audit fail (see the comments at ``LAZY_PARAGRAPH_AFTER_CHARS``).

The MathJax configuration below still serves such a page: MathJax 4 (``vendor.py``) typesets
lazily (``ui/lazy``) and breaks a display equation that is wider than its column at its operators
(``displayOverflow: linebreak``); ``gd-perf.css`` gives it the column's width to measure (the theme
lays ``div.math`` out as a flex row, in which MathJax measured a few em and broke every equation at
every operator). Rendered at build time, equations are not broken into lines (Node has no column
to measure): the chapters' display equations are stacked to fit a 390 px phone, which
``tests/browser/test_performance.py`` checks.

All of it happens in ``build-finished`` on the written files, so it sees the final HTML that
the templates, myst-nb and the other extensions produced; a page it does not recognise is
left as it is. Run alone on a built site: ``python tools/site/gd_perf.py _build/html``.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

try:  # the module also runs as a script, on a built site, without Sphinx
    from sphinx.util import logging

    logger = logging.getLogger(__name__)
except ImportError:  # pragma: no cover
    import logging  # type: ignore[no-redef]

    logger = logging.getLogger(__name__)  # type: ignore[assignment]

# --- icons -----------------------------------------------------------------------------------------
FA_STYLE_PREFIXES = {"fa-solid": "fas", "fas": "fas", "fa-regular": "far", "far": "far",
                     "fa-brands": "fab", "fab": "fab", "fa": "fas"}
# Font Awesome 4 names (matplotlib's to_jshtml buttons) whose Font Awesome 6 name differs and is not
# among the version 6 aliases the theme's script carries
FA4_NAMES = {"step-forward": "forward-step", "step-backward": "backward-step",
             "fast-forward": "forward-fast", "fast-backward": "backward-fast"}
# classes that only select Font Awesome's style or set its size/transform: they stay on the svg
FA_MODIFIERS = {"fa-lg", "fa-xs", "fa-sm", "fa-xl", "fa-2xl", "fa-fw", "fa-2x", "fa-3x",
                "fa-flip-horizontal", "fa-flip-vertical", "fa-spin", "fa-pulse", "fa-inverse"}
ICON_TAG = re.compile(r'<i\s+([^<>]*?\bclass="([^"]*\bfa[srb]?\b[^"]*|[^"]*\bfa-(?:solid|regular|brands)\b[^"]*)"[^<>]*)>\s*</i>')
PACK_END = re.compile(r'\(function\(\)\{\w+\("(fa[srb])",\w+\)')
ICON_DEF = re.compile(
    r'(?:"([a-z0-9-]+)"|\b([a-z][a-z0-9]*)):\[(\d+),(\d+),\[([^\]]*)\],"[0-9a-f]+",("[^"]*"|\[[^\]]*\])\]'
)
THEME_FA_JS = "pydata_sphinx_theme/theme/pydata_sphinx_theme/static/scripts/fontawesome.js"

# --- scripts and styles ----------------------------------------------------------------------------
FA_SCRIPT = re.compile(r'[ \t]*<script[^>]*\bsrc="[^"]*_static/scripts/fontawesome\.js[^"]*"[^>]*>\s*</script>\n?')
FA4_LINK = re.compile(r'<link[^>]*\bhref="[^"]*font-awesome(?:\.min)?\.css"[^>]*>\n?')
SYNC_SCRIPT = re.compile(r'<script(?P<attrs>(?![^>]*\b(?:defer|async|type)\b)[^>]*\bsrc="(?P<src>[^"]+)"[^>]*)>\s*</script>')
# synchronous scripts that nothing runs before DOMContentLoaded and no inline script of the page calls
DEFERRABLE = ("doctools.js", "sphinx_highlight.js", "clipboard.min.js", "copybutton.js",
              "sphinx-book-theme.js", "togglebutton.js", "design-tabs.js")
SEARCH_SCRIPTS = re.compile(
    r'[ \t]*<script src="[^"]*(?:_static/searchtools\.js|_static/language_data\.js|searchindex\.js)"></script>\n?'
)
FA4_ICON = re.compile(r'<i\b[^>]*\bclass="(?:[^"]*\s)?fa[\s"]')
IMG_TAG = re.compile(r'<img\b(?![^>]*\bloading=)')
FA_CSS_ICON_RULE = re.compile(r'(?:\.fa-[a-z0-9-]+:(?:before|after),?)+\{content:"[^"]*"\}')
FA_CSS_FONT_FACE = re.compile(r'@font-face\{[^}]*Font Awesome[^}]*\}')
# matplotlib's to_jshtml: the inline script that fills `frames` with data: URIs and starts the Animation
ANIMATION_SCRIPT = re.compile(
    r'<script language="javascript">(?P<js>(?:(?!</script>).)*?var img_id = "(?P<img>_anim_img(?P<id>\w+))"'
    r'(?:(?!</script>).)*?frames\[0\] = "data:image(?:(?!</script>).)*)</script>',
    re.S,
)
FRAMES_DIR = "_static/gd-frames"
LAZY_SCRIPT_JS = """<script>(function(){var img=document.getElementById("%(img)s"),name="anim%(id)s";
var box=img&&img.closest(".animation")||img,done=false,calls=[];
function load(){if(done)return;done=true;var s=document.createElement("script");s.src="%(src)s";
s.onload=function(){setTimeout(function(){var a=window[name];if(a&&a!==stub)calls.forEach(function(c){a[c[0]].apply(a,c[1]);});},0);};
document.head.appendChild(s);}
var stub=window.Proxy?new Proxy({},{get:function(t,m){return function(){calls.push([m,[].slice.call(arguments)]);load();};}}):undefined;
if(stub&&!(name in window))window[name]=stub;
if(!box||!("IntersectionObserver" in window)){load();return;}
new IntersectionObserver(function(es,o){if(es.some(function(e){return e.isIntersecting;})){o.disconnect();load();}},
{rootMargin:"100%% 0px"}).observe(box);
box.addEventListener("focusin",load);box.addEventListener("pointerdown",load);
function idle(){setTimeout(function(){(window.requestIdleCallback||setTimeout)(load,{timeout:2000});},%(idle_ms)d);}
if(document.readyState==="complete")idle();else addEventListener("load",idle);})();</script>"""
# the frames of an animation the reader has not come near are fetched this long after the load event (then
# when the browser is idle): early enough to be there when the reader scrolls to it, late enough not to
# compete with what the first screen needs. Fetched at the load event, a chapter's 0.8 MB of frames
# finished before the first paint on a busy machine and Lighthouse's simulation then counted them in the
# largest contentful paint (8.7 s instead of 3.3 s, performance 0.53 instead of 0.78; see
# tests/browser/test_performance.py)
FRAMES_IDLE_MS = 5000


@lru_cache(maxsize=1)
def _icons(js_path: str) -> dict[str, dict[str, tuple[int, int, str]]]:
    """Font Awesome 6's icon table from the theme's script: pack -> name (and aliases) -> (w, h, path)."""
    text = Path(js_path).read_text(encoding="utf-8")
    packs: dict[str, dict[str, tuple[int, int, str]]] = {}
    start = 0
    for end in PACK_END.finditer(text):
        table = packs.setdefault(end.group(1), {})
        for m in ICON_DEF.finditer(text, start, end.start()):
            name = m.group(1) or m.group(2)
            path = m.group(6)
            if path.startswith("["):  # duotone pairs: the solid pack has none; keep the second layer
                parts = re.findall(r'"([^"]*)"', path)
                path = parts[-1] if parts else ""
            else:
                path = path[1:-1]
            icon = (int(m.group(3)), int(m.group(4)), path)
            table.setdefault(name, icon)
            for alias in re.findall(r'"([a-z0-9-]+)"', m.group(5)):
                table.setdefault(alias, icon)
        start = end.end()
    if "fas" not in packs or "magnifying-glass" not in packs["fas"]:
        raise ValueError(f"no Font Awesome icon table found in {js_path}")
    return packs


def _theme_fa_js() -> Path:
    for entry in sys.path:
        candidate = Path(entry) / THEME_FA_JS
        if candidate.exists():
            return candidate
    raise FileNotFoundError(THEME_FA_JS)


def _svg_for(match: re.Match, packs) -> str:
    attrs, classes = match.group(1), match.group(2).split()
    pack = next((FA_STYLE_PREFIXES[c] for c in classes if c in FA_STYLE_PREFIXES), "fas")
    names = [c[3:] for c in classes if c.startswith("fa-") and c not in FA_MODIFIERS
             and c not in FA_STYLE_PREFIXES]
    icon = None
    for name in names:
        table = packs.get(pack, {})
        icon = table.get(name) or table.get(FA4_NAMES.get(name, "")) or packs["fas"].get(FA4_NAMES.get(name, name))
        if icon:
            break
    if icon is None:
        return match.group(0)  # an icon we do not know: leave it (the test of icons reports it)
    width, height, path = icon
    kept = [c for c in classes if c not in FA_STYLE_PREFIXES]
    other = re.sub(r'\s*\bclass="[^"]*"', "", attrs).strip()
    if "aria-hidden" not in other:
        other = ('aria-hidden="true" ' + other).strip()
    return (f'<svg class="svg-inline--fa {" ".join(kept)}" {other} focusable="false" '
            f'xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}">'
            f'<path fill="currentColor" d="{html.escape(path)}"/></svg>')


def optimize_page(text: str, packs, *, is_search_page: bool, search_as_you_type: bool) -> str:
    """Every change this module makes to one written page (see the module docstring)."""
    text = ICON_TAG.sub(lambda m: _svg_for(m, packs), text)
    text = FA_SCRIPT.sub("", text)
    if not FA4_ICON.search(text):  # no Font Awesome 4 icon left
        text = FA4_LINK.sub("", text)
    if not is_search_page and not search_as_you_type:
        text = SEARCH_SCRIPTS.sub("", text)

    def defer(m: re.Match) -> str:
        src = m.group("src").split("?", 1)[0]
        if src.rsplit("/", 1)[-1] in DEFERRABLE:
            return f'<script defer{m.group("attrs")}></script>'
        return m.group(0)

    if not is_search_page:  # there Sphinx's searchtools.js (synchronous) calls doctools.js's _ready
        text = SYNC_SCRIPT.sub(defer, text)
    # every image but one in a phone's first screen (which may be the largest contentful paint): chapter
    # 18's first figure, eager though a few screens down, took the bandwidth of the first screen and
    # Lighthouse counted it in the largest paint (3.3-3.5 s; lazy, 2.26 s)
    article = text.find('<article')
    counted = [article, 0]  # text counted so far: up to this position, this many characters

    def lazy(m: re.Match) -> str:
        if 0 <= article < m.start() and counted[1] < FIRST_SCREEN_CHARS:
            counted[1] += _visible_chars(text[counted[0]:m.start()])
            counted[0] = m.start()
            if counted[1] < FIRST_SCREEN_CHARS:
                return m.group(0)
        return '<img loading="lazy"'

    return IMG_TAG.sub(lazy, text)


# about the text a 390 px phone shows in its first screen under the page's header
FIRST_SCREEN_CHARS = 600


def _visible_chars(fragment: str) -> int:
    """Characters of text a reader sees in an HTML fragment (no markup, scripts, styles nor hidden MathML)."""
    return len(" ".join(html.unescape(re.sub(r"<[^>]*>", " ", HIDDEN_MARKUP.sub("", fragment))).split()))


# --- code cells: fewer elements -------------------------------------------------------------------
# a rule of Sphinx's pygments.css: `html[data-theme="light"] .highlight .n { color: #080808 } /* Name */`
PYGMENTS_RULE = re.compile(r'(?:html\[data-theme="(?P<theme>\w+)"\]\s*)?\.highlight(?:\s+\.(?P<cls>[\w-]+))?\s*\{(?P<decl>[^}]*)\}')
HIGHLIGHT_BLOCK = re.compile(r'(<div class="highlight"><pre>)(.*?)(</pre>)', re.S)
TOKEN_SPAN = re.compile(r'<span class="(?P<cls>[\w-]+)">(?P<text>[^<]*)</span>')


def _declarations(text: str) -> dict[str, str]:
    out = {}
    for part in text.split(";"):
        if ":" in part:
            key, value = part.split(":", 1)
            out[key.strip().lower()] = value.strip().lower()
    return out


def plain_token_classes(css: str) -> set[str]:
    """Pygments token classes that look exactly like the code block's own text, in every theme.

    A class qualifies when, in each theme the stylesheet styles, its only declaration is the
    ``color`` the ``.highlight`` block itself has there (Name, Punctuation, Whitespace in the
    course's a11y-high-contrast styles). Such a ``<span>`` changes nothing on screen.
    """
    base: dict[str | None, dict[str, str]] = {}
    classes: dict[str, dict[str | None, dict[str, str]]] = {}
    for m in PYGMENTS_RULE.finditer(css):
        decl = _declarations(m.group("decl"))
        if m.group("cls") is None:
            base.setdefault(m.group("theme"), {}).update(decl)
        else:
            classes.setdefault(m.group("cls"), {}).setdefault(m.group("theme"), {}).update(decl)
    plain = set()
    for cls, by_theme in classes.items():
        if all(theme in base and set(decl) == {"color"} and decl["color"] == base[theme].get("color")
               for theme, decl in by_theme.items()) and set(by_theme) >= {t for t in base if "color" in base[t]}:
            plain.add(cls)
    return plain


def coarsen_highlighting(text: str, plain: set[str]) -> str:
    """Unwrap the code cells' token ``<span>``s whose class is in ``plain`` (no change on screen).

    On the long chapters these are 60 % of the code cells' spans (chapter 8: 1,891 of 3,136, a
    seventh of the page's elements), each one an element the browser styles and lays out.
    """
    if not plain:
        return text

    def block(m: re.Match) -> str:
        body = TOKEN_SPAN.sub(lambda s: s.group("text") if s.group("cls") in plain else s.group(0), m.group(2))
        return m.group(1) + body + m.group(3)

    return HIGHLIGHT_BLOCK.sub(block, text)


# --- paragraphs far down a page: laid out when the reader comes near ------------------------------
# On a phone, styling and laying out a long chapter at once was Lighthouse's total blocking time (10,000-17,000
# elements, most of them the inline math of the text). A paragraph of a section further down than a phone's
# first screens (LAZY_PARAGRAPH_AFTER_CHARS of the article's text before it) is marked `gd-lazy` with its
# length in characters (`--gd-chars`, the math's hidden MathML copy not counted); gd-perf.css skips its style
# and layout away from the viewport (content-visibility: auto, on screens up to 640 px wide) and reserves a
# height that is never less than its real one. Never less: axe-core (Lighthouse's accessibility audit) checks a
# skipped link's colour against what lies under the link's real box, and a link of a paragraph given less room
# than it needs lay over the next code cell's grey (contrast 4.34 instead of 4.5+, chapter 13). Not on the
# first screens: there the paragraphs are painted at once, and a reserve larger than the paragraph would move
# the text under the reader's eyes (Lighthouse measured a layout shift of 0.14-0.27 when every paragraph was
# marked). tests/browser/test_performance.py checks both at 390 px.
LAZY_PARAGRAPH_AFTER_CHARS = 2500
# The reserve is larger than the paragraph, so a paragraph shrinks when it is first laid out, and Chromium's scroll
# anchoring does not make up for it (measured: reading upward from a link into chapter 10, the text in view
# jumped by 220 px at every other 300 px scroll). Laziness is only for a page read from its top down, where a
# paragraph is first laid out below the reader: the whole page is laid out (html.gd-layout-all) when it opens
# at a fragment or a restored position (a link into it, a reload, back), before the browser follows a link
# within it or a jump key (End, PageDown, ...), before printing, and otherwise once the browser is idle a few
# seconds after the load event (as the animations' frames: after the load Lighthouse measures, before most
# readers leave the first screens). tests/browser/test_performance.py reads upward after each of these.
LAYOUT_ALL_IDLE_MS = FRAMES_IDLE_MS
LAYOUT_ALL_JS = ("""<script>(function(){var d=document.documentElement,n=performance.getEntriesByType&&"""
                 """performance.getEntriesByType("navigation")[0];function all(){d.classList.add("gd-layout-all");}
if(location.hash||(n&&n.type!=="navigate"))all();
addEventListener("hashchange",all);addEventListener("beforeprint",all);
document.addEventListener("click",function(e){var a=e.target.closest&&e.target.closest("a[href*='#']");
if(a&&a.pathname===location.pathname)all();},true);
addEventListener("keydown",function(e){if(/^(End|Home|PageUp|PageDown)$/.test(e.key))all();},true);
function idle(){setTimeout(function(){(window.requestIdleCallback||setTimeout)(all,{timeout:2000});},%d);}
if(document.readyState==="complete")idle();else addEventListener("load",idle);})();</script>""" % LAYOUT_ALL_IDLE_MS)
PARAGRAPH = re.compile(r'<p>((?:(?!</p>|<p[ >]).)*)</p>', re.S)
RAW_TEXT = re.compile(r'<(script|style|textarea|template)\b.*?</\1>|<!--.*?-->', re.S)
HIDDEN_MARKUP = re.compile(r'<mjx-assistive-mml\b.*?</mjx-assistive-mml>|<script\b.*?</script>|<style\b.*?</style>',
                           re.S)


def lazy_paragraphs(text: str) -> str:
    """Mark the paragraphs after a phone's first screens ``gd-lazy``, with their length (``--gd-chars``)."""
    article = text.find("<article")
    if article < 0:
        return text
    end = text.find("</article>", article)
    end = end if end >= 0 else len(text)
    raw = [(r.start(), r.end()) for r in RAW_TEXT.finditer(text, article, end)]  # no <p> in there is a paragraph
    parts, pos, seen = [text[:article]], article, 0
    for m in PARAGRAPH.finditer(text, article, end):
        if any(a <= m.start() < b for a, b in raw):
            continue
        seen += _visible_chars(text[pos:m.start()])
        parts.append(text[pos:m.start()])
        if seen > LAZY_PARAGRAPH_AFTER_CHARS:
            parts.append(f'<p class="gd-lazy" style="--gd-chars: {_visible_chars(m.group(1))}">{m.group(1)}</p>')
        else:
            parts.append(m.group(0))
        pos = m.end()
        seen += _visible_chars(m.group(1))
    parts.append(text[pos:])
    out = "".join(parts)
    if '<p class="gd-lazy"' in out and LAYOUT_ALL_JS not in out:
        out = out.replace("</head>", LAYOUT_ALL_JS + "\n</head>", 1)
    return out


# --- figures: lossless WebP -----------------------------------------------------------------------
# a figure Sphinx copied to _images/ (matplotlib's PNGs), as a page's <img> names it
IMAGE_SRC = re.compile(r'(<img\b[^>]*?\bsrc=")(?P<src>(?:\.\./)*_images/[^"/]+\.png)(")')
WEBP_MIN_SAVING = 0.10  # keep the PNG unless the WebP is at least this much smaller


def webp_copy(png: Path) -> Path | None:
    """A lossless WebP beside ``png`` (same pixels, alpha kept), or None when it is not worth it.

    matplotlib's PNGs come out about half as large (the course's 70 figures: 6.0 MB -> 3.0 MB). On a
    phone the first figure of a page downloads while the first screen's text paints; Lighthouse's
    simulation counts it in the largest contentful paint (a text paragraph on the math chapters):
    chapter 8's 129 kB PNG is 64 kB as WebP.
    """
    webp = png.with_suffix(".webp")
    if webp.exists() and webp.stat().st_mtime >= png.stat().st_mtime:
        return webp if webp.stat().st_size <= png.stat().st_size * (1 - WEBP_MIN_SAVING) else None
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - matplotlib needs Pillow, so the build has it
        return None
    try:
        with Image.open(png) as image:
            image.save(webp, "WEBP", lossless=True, method=4, exact=True)
    except (OSError, ValueError, KeyError) as err:  # no WebP support in this Pillow, or an odd PNG
        logger.warning(f"gd_perf: {png.name} kept as PNG ({err})")
        webp.unlink(missing_ok=True)
        return None
    return webp if webp.stat().st_size <= png.stat().st_size * (1 - WEBP_MIN_SAVING) else None


def webp_images(text: str, page_dir: Path) -> str:
    """Point each ``<img>`` of an ``_images/*.png`` at its lossless WebP copy, where that is smaller."""

    def swap(m: re.Match) -> str:
        webp = webp_copy((page_dir / m.group("src")).resolve())
        if webp is None:
            return m.group(0)
        return m.group(1) + m.group("src")[:-4] + ".webp" + m.group(3)

    return IMAGE_SRC.sub(swap, text)


def externalize_animations(text: str, page_dir_to_root: str, outdir: Path) -> str:
    """Move each to_jshtml frames script to _static/gd-frames/<id>.js, loaded when it is near."""

    def move(m: re.Match) -> str:
        name = f"{m.group('id')}.js"
        target = outdir / FRAMES_DIR / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(m.group("js"), encoding="utf-8")
        src = f"{page_dir_to_root}{FRAMES_DIR}/{name}"
        return LAZY_SCRIPT_JS % {"img": m.group("img"), "id": m.group("id"), "src": src, "idle_ms": FRAMES_IDLE_MS}

    return ANIMATION_SCRIPT.sub(move, text)


# --- explorers: runs and contour images in their own files ----------------------------------------
# gdlib's static explorer (gdlib/explorer/static.py) writes its runs as inline JSON and its contour
# images as base64 PNGs: on the explorer pages 40-55 % of the gzipped HTML, downloaded and parsed before
# the first paint although the explorers sit far below it. The runs move to _static/gd-explorer/<id>-<hash>.js
# (`window.gdExplorerData["<id>"](<runs>)`, named by id and content), which the explorer's own script inserts when the reader
# comes near (its `data-src` protocol); the images to content-named files beside them (one copy for all
# the pages that draw the same function), lazily loaded.
EXPLORER_ROOT = re.compile(r'<div class="gd-explorer" id="(?P<id>[\w-]+)">')
EXPLORER_DATA = re.compile(r'<script type="application/json" class="gd-explorer-data">(?P<json>.*?)</script>', re.S)
EXPLORER_IMAGE = re.compile(r'<img (?P<pre>[^>]*?)src="data:image/png;base64,(?P<b64>[A-Za-z0-9+/=]+)"')
EXPLORER_DIR = "_static/gd-explorer"
EXPLORER_IDLE_MS = FRAMES_IDLE_MS  # as for the animations' frames, and for the same reason


def externalize_explorers(text: str, page_dir_to_root: str, outdir: Path) -> str:
    """Move each static explorer's runs and contour images to files under _static/gd-explorer/."""
    import base64
    import hashlib

    folder = outdir / EXPLORER_DIR
    parts, pos = [], 0
    roots = list(EXPLORER_ROOT.finditer(text))
    for i, root in enumerate(roots):
        end = roots[i + 1].start() if i + 1 < len(roots) else len(text)
        data = EXPLORER_DATA.search(text, root.end(), end)
        if data is None:  # not the HTML this function knows: leave the explorer inline
            continue
        folder.mkdir(parents=True, exist_ok=True)
        uid = root.group("id")
        # named by id and content: two pages' explorers never share a file unless they are the same
        name = f'{uid}-{hashlib.sha256(data.group("json").encode()).hexdigest()[:12]}.js'
        (folder / name).write_text(
            f'window.gdExplorerData[{json.dumps(uid)}]({data.group("json")});\n', encoding="utf-8")

        def image(m: re.Match) -> str:
            png = base64.b64decode(m.group("b64"))
            target = folder / f"{hashlib.sha256(png).hexdigest()[:20]}.png"
            if not target.exists():
                target.write_bytes(png)
            served = webp_copy(target) or target
            lazy = "" if "loading=" in m.group("pre") else 'loading="lazy" '
            return f'<img {lazy}{m.group("pre")}src="{page_dir_to_root}{EXPLORER_DIR}/{served.name}"'

        head = EXPLORER_IMAGE.sub(image, text[root.start():data.start()])
        parts += [text[pos:root.start()], head,
                  f'<script type="application/json" class="gd-explorer-data" '
                  f'data-src="{page_dir_to_root}{EXPLORER_DIR}/{name}" data-idle-ms="{EXPLORER_IDLE_MS}"></script>']
        pos = data.end()
    return "".join(parts) + text[pos:] if parts else text


# --- math rendered at build time ------------------------------------------------------------------
ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "_vendor" / "npm" / "node_modules"   # tools/site/vendor.py's npm ci (`make vendor`)
PRERENDER_JS = Path(__file__).resolve().with_name("prerender_math.mjs")
MATH_CSS = "_static/gd-math.css"
# every (TeX, display) rendered so far, beside Sphinx's doctrees (not served): see prerender_site
MATH_ITEMS = "../.doctrees/gd-math-tex.json"
# MathJax's font files, relative to MATH_CSS (html_extra_path serves _vendor/site as the site root)
MATH_FONT_URL = "gd-vendor/mathjax/newcm-font/chtml/woff2"
# a display equation wider than this (px) also gets a copy broken into lines at this width, shown on
# narrow screens (gd-perf.css): a 360 px phone's column, with the theme's margins
MATH_NARROW_PX = 320
# the math elements Sphinx writes (its mathjax extension: `\(..\)` inline, `\[..\]` display, with an
# equation number before a labelled display)
MATH_ELEMENT = re.compile(
    r'<(?P<tag>span|div) class="math notranslate nohighlight"(?P<attrs>[^>]*)>(?P<body>.*?)</(?P=tag)>', re.S
)
MATH_BODY = re.compile(
    r'(?P<pre>\s*(?:<span class="eqno">.*?</span>)?\s*)'
    r'(?:\\\((?P<inline>.*)\\\)|\\\[(?P<display>.*)\\\]|\$\$(?P<dollars>.*)\$\$)\s*\Z',
    re.S,
)
MATHJAX_SCRIPT = re.compile(r'[ \t]*<script[^>]*\bsrc="[^"]*/mathjax/tex-mml-chtml\.js[^"]*"[^>]*>\s*</script>\n?')
MATHJAX_CONFIG_SCRIPT = re.compile(r'[ \t]*<script>\s*window\.MathJax = (?:(?!</script>).)*</script>\n?', re.S)
# what MathJax would typeset in a page's text (the site's delimiters; `$` alone is not one)
TEX_DELIMITER = re.compile(r'\\\(|\\\[|\$\$|\\begin\{')
NOT_TEXT = re.compile(r'<(script|style|pre|code|textarea)\b.*?</\1>|<mjx-container\b.*?</mjx-container>|<[^>]*>',
                      re.S | re.I)


def _math_items(text: str) -> list[tuple[str, bool]]:
    """The (TeX, display) of every Sphinx math element of a page still holding TeX."""
    items = []
    for m in MATH_ELEMENT.finditer(text):
        body = MATH_BODY.match(m.group("body"))
        if body is None:
            continue
        if body.group("inline") is not None:
            items.append((html.unescape(body.group("inline")).strip(), False))
        else:
            tex = body.group("display") if body.group("display") is not None else body.group("dollars")
            items.append((html.unescape(tex).strip(), True))
    return items


def render_math(items: list[tuple[str, bool]], *, font_url: str = MATH_FONT_URL,
                node_modules: Path = NODE_MODULES) -> tuple[dict[tuple[str, bool], str], str, list[str]]:
    """CHTML for each (TeX, display), MathJax's stylesheet for all of them, and the TeX errors.

    One run of ``prerender_math.mjs`` (MathJax 4 in Node) for the whole list.
    """
    node = shutil.which("node")
    if node is None:
        raise FileNotFoundError("node (Node.js) is needed to render the math at build time")
    if not (node_modules / "@mathjax" / "src").is_dir():
        raise FileNotFoundError(f"@mathjax/src is not installed in {node_modules} (run `make vendor`)")
    unique = list(dict.fromkeys(items))
    request = {"fontURL": font_url, "narrowWidth": MATH_NARROW_PX, "items": [{"tex": t, "display": d} for t, d in unique]}
    proc = subprocess.run([node, str(PRERENDER_JS), str(node_modules)], input=json.dumps(request),
                          capture_output=True, text=True, encoding="utf-8", check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"prerender_math.mjs failed ({proc.returncode}): {proc.stderr[-2000:]}")
    reply = json.loads(proc.stdout)
    rendered = {item: out for item, out in zip(unique, reply["html"]) if out is not None}
    errors = [f"{unique[e['index']][0]!r}: {e['message']}" for e in reply["errors"]]
    return rendered, reply["css"], errors


def tex_left(text: str) -> bool:
    """Whether a page's text (outside code, scripts and rendered math) still holds a TeX delimiter."""
    return bool(TEX_DELIMITER.search(html.unescape(NOT_TEXT.sub(" ", text))))


def prerender_page(text: str, rendered: dict[tuple[str, bool], str], css_href: str) -> str:
    """Replace each math element's TeX by its CHTML; drop MathJax's scripts when no TeX is left."""
    count = [0]

    def replace(m: re.Match) -> str:
        body = MATH_BODY.match(m.group("body"))
        if body is None:
            return m.group(0)
        display = body.group("inline") is None
        tex = next(g for g in (body.group("inline"), body.group("display"), body.group("dollars")) if g is not None)
        out = rendered.get((html.unescape(tex).strip(), display))
        if out is None:  # a TeX error: left to the browser's MathJax, which shows it as it did
            return m.group(0)
        count[0] += 1
        return f'<{m.group("tag")} class="math notranslate nohighlight"{m.group("attrs")}>{body.group("pre")}{out}</{m.group("tag")}>'

    text = MATH_ELEMENT.sub(replace, text)
    if count[0] and css_href not in text:
        text = text.replace("</head>", f'<link rel="stylesheet" href="{css_href}" />\n</head>', 1)
    if not tex_left(text):
        text = MATHJAX_SCRIPT.sub("", text)
        text = MATHJAX_CONFIG_SCRIPT.sub("", text)
    return text


def prerender_site(outdir: Path, *, node_modules: Path = NODE_MODULES) -> dict[str, Any]:
    """Render every page's math at build time (one Node run), write the shared stylesheet."""
    pages = {}
    for page in sorted(outdir.rglob("*.html")):
        rel = page.relative_to(outdir).as_posix()
        if rel.startswith(("_static/", "_sources/", "_images/")):
            continue
        pages[rel] = page.read_text(encoding="utf-8")
    items = [item for text in pages.values() for item in _math_items(text)]
    counts: dict[str, Any] = {"equations": len(items), "math_pages": 0, "mathjax_pages": 0, "errors": []}
    rendered: dict[tuple[str, bool], str] = {}
    if items:
        # an incremental build rewrites only some pages, but the one stylesheet must serve them all:
        # it is made from this build's equations and those of the pages rendered before (MATH_ITEMS)
        known = outdir / MATH_ITEMS
        before = [tuple(i) for i in json.loads(known.read_text(encoding="utf-8"))] if known.exists() else []
        every = list(dict.fromkeys(before + items))
        rendered, css, counts["errors"] = render_math(every, node_modules=node_modules)
        known.parent.mkdir(parents=True, exist_ok=True)
        known.write_text(json.dumps([list(i) for i in every if i in rendered]), encoding="utf-8")
        css_path = outdir / MATH_CSS
        css_path.parent.mkdir(parents=True, exist_ok=True)
        css_path.write_text(css, encoding="utf-8")
        missing = sorted({u for u in re.findall(r'url\("([^"]+)"\)', css) if not (css_path.parent / u).exists()})
        if missing:
            counts["errors"].append(f"{MATH_CSS} names font files the site does not serve: {missing[:5]}")
    for rel, text in pages.items():
        new = prerender_page(text, rendered, "../" * rel.count("/") + MATH_CSS)
        if "<mjx-container" in new:
            counts["math_pages"] += 1
        if MATHJAX_SCRIPT.search(new):
            counts["mathjax_pages"] += 1
        if new != text:
            (outdir / rel).write_text(new, encoding="utf-8")
    return counts


# MathJax 4 (tools/site/vendor.py), as the site configures it. Deep-merged into `mathjax3_config`
# (Sphinx writes it as `window.MathJax = {...}`), so myst-nb's and the book's own settings stay.
MATHJAX_CONFIG: dict[str, Any] = {
    "loader": {
        # typeset an equation when it comes near the viewport, not all of a long chapter at load;
        # hidden MathML beside each equation for screen readers (what MathJax 3 gave by default)
        "load": ["ui/lazy", "a11y/assistive-mml"],
        # the font is served inside the vendored mathjax/ folder (MathJax's default is a CDN)
        "paths": {"mathjax-newcm": "[mathjax]/newcm-font"},
    },
    # a display equation wider than its column is broken into lines at its operators (item 6)
    "output": {"displayOverflow": "linebreak", "linebreaks": {"inline": True}},
    # MathJax 4 by default runs every equation through the speech rule engine's semantic
    # enrichment (3-6x the typesetting time: 1.5-3.3 s instead of 0.3-0.8 s for chapter 3 on this
    # machine) and makes speech and braille strings in a web worker, which a page opened from file://
    # may not start. Off; screen readers get the assistive MathML instead, as they did with MathJax 3.
    "options": {"enableEnrichment": False, "enableSpeech": False, "enableBraille": False,
                "enableAssistiveMml": True,
                "menuOptions": {"settings": {"enrich": False, "speech": False, "braille": False,
                                             "assistiveMml": True}}},
}


def _merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        elif isinstance(value, list) and isinstance(out.get(key), list):
            out[key] = out[key] + [v for v in value if v not in out[key]]
        else:
            out.setdefault(key, value)
    return out


def _configure_mathjax(app: Any, config: Any) -> None:
    config.mathjax3_config = _merge(config.mathjax3_config or {}, MATHJAX_CONFIG)


def optimize_css(text: str) -> str:
    """The theme's stylesheet without Font Awesome's icon-font table and font faces."""
    text = FA_CSS_ICON_RULE.sub("", text)
    return FA_CSS_FONT_FACE.sub("", text)


def optimize_site(outdir: Path, *, search_as_you_type: bool = False) -> dict[str, int]:
    """Apply :func:`optimize_page` to every page and :func:`optimize_css` to the theme's CSS."""
    packs = _icons(str(_theme_fa_js()))
    counts = {"pages": 0, "icons": 0, "unknown_icons": 0, "animations": 0, "code_spans_unwrapped": 0,
              "webp_images": 0, "explorers": 0, "lazy_paragraphs": 0}
    pygments_css = outdir / "_static" / "pygments.css"
    plain = plain_token_classes(pygments_css.read_text(encoding="utf-8")) if pygments_css.exists() else set()
    for page in sorted(outdir.rglob("*.html")):
        rel = page.relative_to(outdir).as_posix()
        if rel.startswith(("_static/", "_sources/", "_images/")):
            continue
        text = page.read_text(encoding="utf-8")
        new = optimize_page(text, packs, is_search_page=(rel == "search.html"),
                            search_as_you_type=search_as_you_type)
        new = externalize_animations(new, "../" * rel.count("/"), outdir)
        explorers = new.count('class="gd-explorer-data">')
        new = externalize_explorers(new, "../" * rel.count("/"), outdir)
        counts["explorers"] += explorers - new.count('class="gd-explorer-data">')
        webp_before = new.count(".webp\"")
        new = webp_images(new, page.parent)
        counts["webp_images"] += new.count(".webp\"") - webp_before
        spans = new.count("<span")
        new = coarsen_highlighting(new, plain)
        lazy = new.count('<p class="gd-lazy"')
        new = lazy_paragraphs(new)
        counts["lazy_paragraphs"] += new.count('<p class="gd-lazy"') - lazy
        counts["code_spans_unwrapped"] += spans - new.count("<span")
        counts["animations"] += new.count(f"{FRAMES_DIR}/")
        counts["icons"] += new.count("svg-inline--fa")
        counts["unknown_icons"] += len(ICON_TAG.findall(new))
        if new != text:
            page.write_text(new, encoding="utf-8")
            counts["pages"] += 1
    css = outdir / "_static" / "styles" / "pydata-sphinx-theme.css"
    if css.exists():
        text = css.read_text(encoding="utf-8")
        css.write_text(optimize_css(text), encoding="utf-8")
    # the theme's script and its icon fonts stay on disk (a theme option may still name them) but no
    # page loads them any more
    return counts


def _build_finished(app: Any, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    search_as_you_type = str(app.config.html_theme_options.get("search_as_you_type", False)).lower() == "true"
    try:
        math = prerender_site(Path(app.outdir))
    except (OSError, RuntimeError, ValueError) as err:  # no node / @mathjax/src: the browser's MathJax stays
        logger.warning(f"gd_perf: math not rendered at build time, the pages load MathJax instead: {err}")
    else:
        for error in math["errors"]:
            logger.warning(f"gd_perf: math left to the browser's MathJax: {error}")
        logger.info(f"gd_perf: {math['equations']} equations rendered at build time on {math['math_pages']} "
                    f"pages; {math['mathjax_pages']} pages still load MathJax")
    counts = optimize_site(Path(app.outdir), search_as_you_type=search_as_you_type)
    if counts["unknown_icons"]:
        logger.warning(f"gd_perf: {counts['unknown_icons']} Font Awesome icon(s) not found in the theme's "
                       "icon table were left as <i> elements (they will show nothing)")
    logger.info(f"gd_perf: {counts['pages']} pages rewritten, {counts['icons']} icons inlined as SVG, "
                f"{counts['animations']} animations' frames and {counts['explorers']} explorers' runs loaded on demand, "
                f"{counts['code_spans_unwrapped']} code spans without a style of their own unwrapped, "
                f"{counts['lazy_paragraphs']} paragraphs past the first screens marked to be laid out near the viewport, "
                f"{counts['webp_images']} figures served as lossless WebP")


def setup(app: Any) -> dict[str, Any]:
    app.add_css_file("gd-perf.css")
    app.connect("config-inited", _configure_mathjax)
    # after the theme's own build-finished handlers (default priority 500): pydata-sphinx-theme writes the
    # served pygments.css (its light and dark styles) there, which plain_token_classes reads
    app.connect("build-finished", _build_finished, priority=900)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    print(prerender_site(Path(sys.argv[1] if len(sys.argv) > 1 else "_build/html")))
    print(optimize_site(Path(sys.argv[1] if len(sys.argv) > 1 else "_build/html")))
