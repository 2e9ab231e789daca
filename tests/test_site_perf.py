"""tools/site/gd_perf.py's rewriting of built pages, on small pages (no build, no browser).

The browser tests (tests/browser/test_performance.py) check the effect on the real site; these
check each rewrite on its own, including that a second pass changes nothing (an incremental
build leaves already rewritten pages in place).
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools" / "site"))
gd_perf = pytest.importorskip("gd_perf")

HEAD = """<html><head>
<link href="../_static/styles/pydata-sphinx-theme.css?digest=1" rel="stylesheet" />
<script defer src="../_static/scripts/fontawesome.js?digest=55c2"></script>
<script src="../_static/documentation_options.js?v=9eb32ce0"></script>
<script src="../_static/doctools.js?v=9a2dae69"></script>
<script src="../_static/togglebutton.js?v=b8b12719"></script>
<script src="../_static/unknown-extension.js"></script>
<script src="../_static/searchtools.js"></script>
<script src="../_static/language_data.js"></script>
<script src="../searchindex.js"></script>
</head><body>
<button aria-label="Color mode"><i class="theme-switch fa-solid fa-sun fa-lg" data-mode="light"></i></button>
<i class="fas fa-download"></i>
<img alt="first" src="a.png" /><img alt="second" src="b.png" /><img loading="eager" src="c.png" />
"""
ANIMATION = """<link rel="stylesheet" href="../_static/gd-vendor/font-awesome/css/font-awesome.min.css">
<button title="Play"><i class="fa fa-play"></i></button><button><i class="fa fa-step-forward"></i></button>
<div class="animation"><img id="_anim_imgabc123"></div>
<script language="javascript">
  (function() {
    var img_id = "_anim_imgabc123";
    var frames = new Array(2);
  frames[0] = "data:image/png;base64,AAAA";
  frames[1] = "data:image/png;base64,BBBB";
  })()
</script>
</body></html>"""


@pytest.fixture(scope="module")
def packs():
    return gd_perf._icons(str(gd_perf._theme_fa_js()))


def rewrite(text, packs, search=False):
    return gd_perf.optimize_page(text, packs, is_search_page=search, search_as_you_type=False)


def test_icons_become_inline_svg_with_their_attributes(packs):
    out = rewrite(HEAD + "</body></html>", packs)
    assert "<i " not in out
    assert "fontawesome.js" not in out
    sun = out[out.index('<svg class="svg-inline--fa theme-switch fa-sun fa-lg"'):]
    assert 'data-mode="light"' in sun[:300] and 'aria-hidden="true"' in sun[:300]
    assert sun.index("<path") < sun.index("</svg>")
    # the path is Font Awesome 6's sun: its 512 x 512 box
    assert 'viewBox="0 0 512 512"' in sun[:400]


def test_font_awesome_4_names_are_mapped(packs):
    out = rewrite(HEAD + ANIMATION, packs)
    assert "fa-play" in out and "fa-step-forward" in out and "<i " not in out
    assert "font-awesome.min.css" not in out  # no FA4 icon left, so no FA4 stylesheet


def test_unknown_icon_is_left_alone(packs):
    text = '<i class="fa-solid fa-no-such-icon-anywhere"></i>'
    assert rewrite(text, packs) == text


def test_scripts_deferred_search_dropped_except_on_search_page(packs):
    out = rewrite(HEAD, packs)
    assert '<script src="../_static/documentation_options.js?v=9eb32ce0"></script>' in out
    assert '<script defer src="../_static/doctools.js?v=9a2dae69"></script>' in out
    assert '<script defer src="../_static/togglebutton.js?v=b8b12719"></script>' in out
    assert '<script src="../_static/unknown-extension.js"></script>' in out  # not known safe to defer
    assert "searchindex.js" not in out and "searchtools.js" not in out
    search = rewrite(HEAD, packs, search=True)
    assert "searchindex.js" in search and "searchtools.js" in search
    # the search page's searchtools.js calls doctools.js's _ready as it loads: nothing deferred there
    assert '<script src="../_static/doctools.js?v=9a2dae69"></script>' in search


def test_images_lazy_but_in_a_phones_first_screen(packs):
    out = rewrite(HEAD, packs)  # no article: nothing is known to be in the first screen
    assert '<img loading="lazy" alt="first"' in out and '<img loading="lazy" alt="second"' in out
    assert '<img loading="eager" src="c.png"' in out
    page = ('<nav>' + "menu " * 500 + '</nav><article class="bd-article"><h1>Title</h1><p>A short opening.</p>'
            '<img alt="top" src="t.png"><p>' + "word " * (gd_perf.FIRST_SCREEN_CHARS // 5) + '</p><img alt="below" src="b.png">'
            '</article>')
    out = rewrite(page, packs)
    assert '<img alt="top"' in out and '<img loading="lazy" alt="below"' in out


def test_animation_frames_move_to_a_file(packs, tmp_path):
    out = gd_perf.externalize_animations(rewrite(HEAD + ANIMATION, packs), "../", tmp_path)
    frames = tmp_path / "_static" / "gd-frames" / "abc123.js"
    assert frames.read_text().count("data:image/png") == 2
    assert "data:image/png" not in out
    assert '"../_static/gd-frames/abc123.js"' in out and "IntersectionObserver" in out


def test_animation_frames_wait_for_the_reader_or_an_idle_moment(packs, tmp_path):
    """Not fetched at the load event: near the viewport, on focus or pointer, or FRAMES_IDLE_MS after load."""
    out = gd_perf.externalize_animations(rewrite(HEAD + ANIMATION, packs), "../", tmp_path)
    script = out[out.index("_anim_imgabc123\")"):]
    assert 'addEventListener("load",idle)' in script and "setTimeout(load,0)" not in script
    assert f"}},{gd_perf.FRAMES_IDLE_MS});" in script and gd_perf.FRAMES_IDLE_MS >= 3000
    assert 'addEventListener("focusin",load)' in script and 'addEventListener("pointerdown",load)' in script


def test_second_pass_changes_nothing(packs, tmp_path):
    once = gd_perf.externalize_animations(rewrite(HEAD + ANIMATION, packs), "../", tmp_path)
    twice = gd_perf.externalize_animations(rewrite(once, packs), "../", tmp_path)
    assert once == twice



def test_explorer_runs_and_images_move_to_files(tmp_path):
    """The runs go to _static/gd-explorer/<id>-<hash>.js unchanged, the contour images to content-named files."""
    import base64
    import io

    from PIL import Image

    from gdlib.explorer import explore

    ex = explore(["quadratic", "rosenbrock"], "sgd", sliders={"learning_rate": [0.01, 0.1]}, steps=10)
    page = "<html><body><p>text</p>" + ex.to_html() + "<p>after</p></body></html>"
    runs = json.loads(re.search(r'class="gd-explorer-data">(.*?)</script>', page, re.S).group(1))
    pngs = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    uid = re.search(r'<div class="gd-explorer" id="([^"]+)"', page).group(1)

    out = gd_perf.externalize_explorers(page, "../", tmp_path)
    assert "data:image" not in out and out.endswith("<p>after</p></body></html>")
    src = re.search(r'<script type="application/json" class="gd-explorer-data" data-src="\.\./(_static/gd-explorer/'
                    + re.escape(uid) + r'-[0-9a-f]{12}\.js)" data-idle-ms="(\d+)"></script>', out)
    assert src and int(src.group(2)) == gd_perf.EXPLORER_IDLE_MS
    js = (tmp_path / src.group(1)).read_text()
    call = re.fullmatch(r'window\.gdExplorerData\[("[^"]+")\]\((.*)\);\n', js, re.S)
    assert json.loads(call.group(1)) == uid and json.loads(call.group(2)) == runs
    srcs = re.findall(r'<img loading="lazy" [^>]*src="\.\./(_static/gd-explorer/[0-9a-f]{20}\.(?:png|webp))"', out)
    assert len(srcs) == len(pngs) == 2
    for b64, src in zip(pngs, srcs):  # the same pixels
        with Image.open(io.BytesIO(base64.b64decode(b64))) as a, Image.open(tmp_path / src) as b:
            assert a.size == b.size and list(a.convert("RGBA").getdata()) == list(b.convert("RGBA").getdata())
    assert gd_perf.externalize_explorers(out, "../", tmp_path) == out  # a second pass changes nothing
    assert gd_perf.externalize_explorers("<p>no explorer</p>", "../", tmp_path) == "<p>no explorer</p>"



def test_paragraphs_after_the_first_screens_are_marked_with_their_length():
    math = ('<span class="math"><mjx-container><mjx-math aria-hidden="true"><mjx-mi><mjx-c>x</mjx-c></mjx-mi>'
            '</mjx-math><mjx-assistive-mml><math><mi>x</mi><mi>hidden copy</mi></math></mjx-assistive-mml>'
            '</mjx-container></span>')
    first = "<p>" + "a" * (gd_perf.LAZY_PARAGRAPH_AFTER_CHARS - 3) + "</p>"  # "short" and "code" pass the mark
    page = ('<html><head></head><nav><p>menu</p></nav><article class="bd-article"><section>' + first + '<p>short</p>'
            '<div class="cell"><pre>code</pre></div><p>y = ' + math + ' <a href="#x">link</a></p>'
            '<div class="admonition"><p>note</p></div></section></article><footer><p>foot</p></footer>')
    out = gd_perf.lazy_paragraphs(page)
    assert out.count('class="gd-lazy"') == 2  # after the first screens, not in the nav nor the footer
    assert first in out and "<p>short</p>" in out and "<p>menu</p>" in out and "<p>foot</p>" in out
    # "y = x link": the math counted once (its MathML copy is hidden), the markup not at all
    assert f'<p class="gd-lazy" style="--gd-chars: 10">y = {math} <a href="#x">link</a></p>' in out
    assert '<p class="gd-lazy" style="--gd-chars: 4">note</p>' in out
    # the page lays everything out before the reader can be anywhere but read down from the top
    assert out.count(gd_perf.LAYOUT_ALL_JS + "\n</head>") == 1
    assert '"hashchange"' in gd_perf.LAYOUT_ALL_JS and f"}},{gd_perf.LAYOUT_ALL_IDLE_MS});" in gd_perf.LAYOUT_ALL_JS
    assert gd_perf.lazy_paragraphs(out) == out
    assert gd_perf.lazy_paragraphs("<p>no article</p>") == "<p>no article</p>"
    short = "<html><head></head><article><p>one</p></article>"
    assert gd_perf.lazy_paragraphs(short) == short  # nothing lazy, no script
    # a <p> inside raw text (a widget's JSON state, a template) is not a paragraph: left as it is
    state = '<script type="application/vnd.jupyter.widget-state+json">{"value": "<p>Hello</p>"}</script>'
    raw = page.replace("</section>", state + "<template><p>t</p></template><!-- <p>c</p> --></section>")
    assert state + "<template><p>t</p></template><!-- <p>c</p> -->" in gd_perf.lazy_paragraphs(raw)


PYGMENTS_CSS = """html[data-theme="light"] .highlight { background: #fefefe; color: #080808 }
html[data-theme="light"] .highlight .k { color: #6730C5 } /* Keyword */
html[data-theme="light"] .highlight .n { color: #080808 } /* Name */
html[data-theme="light"] .highlight .p { color: #080808 } /* Punctuation */
html[data-theme="light"] .highlight .gs { font-weight: bold } /* Generic.Strong */
html[data-theme="light"] .highlight .w { color: #080808; font-style: italic }
html[data-theme="light"] .highlight .nn { color: #080808 }
html[data-theme="dark"] .highlight { background: #2b2b2b; color: #F8F8F2 }
html[data-theme="dark"] .highlight .k { color: #DCC6E0 } /* Keyword */
html[data-theme="dark"] .highlight .n { color: #f8f8f2 } /* Name */
html[data-theme="dark"] .highlight .p { color: #F8F8F2 } /* Punctuation */
html[data-theme="dark"] .highlight .nn { color: #ABE338 }
"""


def test_only_token_classes_that_look_like_plain_code_are_plain():
    # .k has a colour of its own, .gs a weight, .w a style, .nn another colour in the dark theme
    assert gd_perf.plain_token_classes(PYGMENTS_CSS) == {"n", "p"}


def test_site_is_rewritten_after_the_theme_writes_pygments_css():
    """pydata-sphinx-theme writes the served pygments.css in build-finished (priority 500): read it after."""
    calls = []

    class App:
        def add_css_file(self, *args, **kwargs):
            pass

        def connect(self, event, callback, priority=500):
            calls.append((event, priority))

    gd_perf.setup(App())
    assert [p for e, p in calls if e == "build-finished"] == [900]


def test_code_spans_without_a_style_of_their_own_are_unwrapped():
    code = ('<div class="highlight"><pre><span></span><span class="kn">import</span><span class="w"> </span>'
            '<span class="nn">numpy</span>\n<span class="n">x</span><span class="p">[</span>'
            '<span class="mi">0</span><span class="p">]</span></pre></div>'
            '<p><span class="n">not code</span></p>')
    out = gd_perf.coarsen_highlighting(code, {"n", "p", "w", "nn"})
    assert out == ('<div class="highlight"><pre><span></span><span class="kn">import</span> numpy\n'
                   'x[<span class="mi">0</span>]</pre></div><p><span class="n">not code</span></p>')
    assert re.sub(r"<[^>]+>", "", out) == re.sub(r"<[^>]+>", "", code)  # the same text
    assert gd_perf.coarsen_highlighting(out, {"n", "p", "w", "nn"}) == out
    assert gd_perf.coarsen_highlighting(code, set()) == code


def test_figures_are_served_as_lossless_webp(tmp_path):
    from PIL import Image, ImageChops, ImageDraw

    images = tmp_path / "_images"
    images.mkdir()
    figure = Image.new("RGBA", (400, 300), (255, 255, 255, 255))  # a plot-like figure: lines on white
    draw = ImageDraw.Draw(figure)
    for i in range(0, 400, 7):
        draw.line([(i, 0), (400 - i, 300)], fill=(31, 119, 180, 255), width=2)
    figure.save(images / "fig.png")
    page_dir = tmp_path / "chapters"
    page_dir.mkdir()
    text = ('<img alt="a figure" src="../_images/fig.png" /><img src="../_images/missing.png" />'
            '<img src="../_static/logo.png" />')
    out = gd_perf.webp_images(text, page_dir)
    assert out == text.replace("_images/fig.png", "_images/fig.webp")  # the others stay as they are
    webp = images / "fig.webp"
    assert webp.stat().st_size <= (images / "fig.png").stat().st_size * (1 - gd_perf.WEBP_MIN_SAVING)
    with Image.open(webp) as a, Image.open(images / "fig.png") as b:  # the same pixels
        assert ImageChops.difference(a.convert("RGBA"), b.convert("RGBA")).getbbox() is None
    assert (images / "fig.png").exists()  # kept beside it
    assert gd_perf.webp_images(out, page_dir) == out  # a second pass changes nothing


def test_theme_css_loses_icon_font_rules():
    css = ('@font-face{font-display:block;font-family:Font Awesome\\ 6 Free;src:url(x.woff2)}'
           '.fa-sun:before{content:"\\f185"}.fa-a:before,.fa-b:before{content:"\\f000"}'
           '.btn{color:red}.fa-lg{font-size:1.25em}')
    assert gd_perf.optimize_css(css) == ".btn{color:red}.fa-lg{font-size:1.25em}"


def test_mathjax_config_is_merged():
    class Config:
        mathjax3_config = {"options": {"processHtmlClass": "math"}, "loader": {"load": ["[tex]/physics"]}}

    config = Config()
    gd_perf._configure_mathjax(None, config)
    mj = config.mathjax3_config
    assert mj["options"]["processHtmlClass"] == "math" and mj["options"]["enableSpeech"] is False
    assert mj["loader"]["load"] == ["[tex]/physics", "ui/lazy", "a11y/assistive-mml"]
    assert mj["options"]["enableEnrichment"] is False and mj["options"]["enableAssistiveMml"] is True
    assert mj["loader"]["paths"]["mathjax-newcm"] == "[mathjax]/newcm-font"
    assert mj["output"]["displayOverflow"] == "linebreak"


# --- math rendered at build time ------------------------------------------------------------------
MATH_PAGE = r"""<html><head>
<link href="../_static/styles/theme.css" rel="stylesheet" />
<script>window.MathJax = {"options": {"processHtmlClass": "tex2jax_process|mathjax_process|math|output_area"}}</script>
<script defer="defer" src="../_static/gd-vendor/mathjax/tex-mml-chtml.js?v=cadf963e"></script>
</head><body>
<p>The step <span class="math notranslate nohighlight">\(x_{k+1} = x_k - \eta \nabla f(x_k)\)</span> and
<span class="math notranslate nohighlight">\(a &lt; b\)</span>.</p>
<div class="math notranslate nohighlight" id="equation-adam">
<span class="eqno">(1)<a class="headerlink" href="#equation-adam" title="Link to this equation">#</a></span>\[
\hat m_t = \frac{m_t}{1 - \beta_1^t}
\]</div>
<pre>a literal \(x\) in code stays</pre>
</body></html>"""


def test_math_items_are_read_from_sphinx_elements():
    assert gd_perf._math_items(MATH_PAGE) == [
        (r"x_{k+1} = x_k - \eta \nabla f(x_k)", False),
        ("a < b", False),  # unescaped: MathJax gets the TeX, not the HTML
        (r"\hat m_t = \frac{m_t}{1 - \beta_1^t}", True),
    ]


def test_prerendered_page_drops_mathjax_and_keeps_equation_numbers():
    fake = {item: f"<mjx-container>{i}</mjx-container>" for i, item in enumerate(gd_perf._math_items(MATH_PAGE))}
    out = gd_perf.prerender_page(MATH_PAGE, fake, "../_static/gd-math.css")
    assert "tex-mml-chtml.js" not in out and "window.MathJax" not in out
    assert out.count('<link rel="stylesheet" href="../_static/gd-math.css" />') == 1
    assert out.index("gd-math.css") < out.index("</head>")
    assert '<span class="math notranslate nohighlight"><mjx-container>1</mjx-container></span>' in out
    assert 'id="equation-adam">\n<span class="eqno">(1)<a class="headerlink"' in out
    assert "<mjx-container>2</mjx-container></div>" in out
    assert r"<pre>a literal \(x\) in code stays</pre>" in out  # code is not math
    assert gd_perf.prerender_page(out, fake, "../_static/gd-math.css") == out  # a second pass changes nothing


def test_math_not_rendered_keeps_mathjax_on_that_page():
    items = gd_perf._math_items(MATH_PAGE)
    partial = {item: "<mjx-container>ok</mjx-container>" for item in items[:2]}  # the third: a TeX error
    out = gd_perf.prerender_page(MATH_PAGE, partial, "../_static/gd-math.css")
    assert "tex-mml-chtml.js" in out and "window.MathJax" in out
    assert r"\hat m_t" in out and out.count("<mjx-container>ok</mjx-container>") == 2


def test_tex_left_ignores_code_and_rendered_math():
    assert gd_perf.tex_left(r"<p>see \(x\)</p>")
    assert gd_perf.tex_left("<p>$$ y $$</p>")
    assert not gd_perf.tex_left(r"<p>costs $5</p><code>\(x\)</code><pre>$$</pre><script>'\\['</script>")
    assert not gd_perf.tex_left(r'<mjx-container><mjx-assistive-mml><math><mi>\[</mi></math></mjx-assistive-mml></mjx-container>')


HAS_MATHJAX_NODE = shutil.which("node") is not None and (gd_perf.NODE_MODULES / "@mathjax" / "src").is_dir()
needs_mathjax_node = pytest.mark.skipif(
    not HAS_MATHJAX_NODE, reason=f"node or @mathjax/src missing in {gd_perf.NODE_MODULES} (run `make vendor`)")


@needs_mathjax_node
def test_mathjax_in_node_renders_chtml_with_assistive_mathml(tmp_path):
    """A small site in, CHTML out: no TeX left, MathML for screen readers, one shared stylesheet."""
    site = tmp_path / "html"
    (site / "chapters").mkdir(parents=True)
    (site / "chapters" / "a.html").write_text(MATH_PAGE, encoding="utf-8")
    (site / "b.html").write_text(MATH_PAGE.replace("../_static", "_static"), encoding="utf-8")
    (site / "plain.html").write_text("<html><head></head><body><p>no math</p></body></html>", encoding="utf-8")
    counts = gd_perf.prerender_site(site)
    assert counts["equations"] == 6 and counts["math_pages"] == 2 and counts["mathjax_pages"] == 0
    # the vendored font folder is not in this small site
    assert [e for e in counts["errors"] if "font files" not in e] == []

    out = (site / "chapters" / "a.html").read_text(encoding="utf-8")
    assert not gd_perf.tex_left(out)
    assert "tex-mml-chtml.js" not in out and "window.MathJax" not in out
    assert out.count('<mjx-container class="MathJax" jax="CHTML"') == 3
    assert out.count('display="true"') >= 1
    # the visual part is hidden from screen readers, which read the MathML beside it
    assert out.count('aria-hidden="true"') >= 3 and out.count("<mjx-assistive-mml") == 3
    mathml = out[out.index("<mjx-assistive-mml"):out.index("</mjx-assistive-mml>")]
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML"' in mathml and "<mi>x</mi>" in mathml
    assert "<mi>η</mi>" in mathml and "∇" in mathml
    assert '<span class="eqno">(1)' in out and "data-latex" not in out
    # a display equation holds its height and depth as MathJax measures them (gd-perf.css reserves it while
    # the browser skips the equation's layout away from the viewport); inline math does not
    heights = re.findall(r'<mjx-container[^>]*display="true"[^>]*style="[^"]*--gd-math-height: ([\d.]+)em;', out)
    assert len(heights) == 1 and 2.0 < float(heights[0]) < 4.0  # a fraction over a fraction: about 2.9 em
    assert out.count("--gd-math-height") == 1
    assert '<link rel="stylesheet" href="../_static/gd-math.css" />' in out
    assert '<link rel="stylesheet" href="_static/gd-math.css" />' in (site / "b.html").read_text(encoding="utf-8")
    assert "gd-math.css" not in (site / "plain.html").read_text(encoding="utf-8")

    css = (site / "_static" / "gd-math.css").read_text(encoding="utf-8")
    assert "mjx-container" in css and "mjx-assistive-mml" in css
    fonts = re.findall(r'url\("([^"]+)"\)', css)
    assert fonts and all(f.startswith(gd_perf.MATH_FONT_URL + "/") and f.endswith(".woff2") for f in fonts)
    # a second build-finished pass (incremental build) changes nothing
    before = {p: p.read_text(encoding="utf-8") for p in site.rglob("*.html")}
    assert gd_perf.prerender_site(site)["equations"] == 0
    assert before == {p: p.read_text(encoding="utf-8") for p in site.rglob("*.html")}
    # an incremental build rewrites one page: the stylesheet is made for every page's equations still
    (site / "c.html").write_text(MATH_PAGE.replace(r"\(a &lt; b\)", r"\(\mathcal{L}\)"), encoding="utf-8")
    assert gd_perf.prerender_site(site)["equations"] == 3
    known = json.loads((site / gd_perf.MATH_ITEMS).read_text(encoding="utf-8"))
    assert ["a < b", False] in known and [r"\mathcal{L}", False] in known and len(known) == 4
    assert "gd-math-tex" not in " ".join(p.name for p in site.rglob("*"))  # not served


@needs_mathjax_node
def test_tex_error_is_reported_not_rendered():
    rendered, _css, errors = gd_perf.render_math([(r"\frac{a", True), ("x", False)])
    assert (r"\frac{a", True) not in rendered and ("x", False) in rendered
    assert len(errors) == 1 and "\\\\frac{a" in errors[0]
