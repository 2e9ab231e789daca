"""tools/site/gd_perf.py's rewriting of built pages, on small pages (no build, no browser).

The browser tests (tests/browser/test_performance.py) check the effect on the real site; these
check each rewrite on its own, including that a second pass changes nothing (an incremental
build leaves already rewritten pages in place).
"""

from __future__ import annotations

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


def test_images_lazy_but_the_first(packs):
    out = rewrite(HEAD, packs)
    assert '<img alt="first"' in out
    assert '<img loading="lazy" alt="second"' in out
    assert '<img loading="eager" src="c.png"' in out


def test_animation_frames_move_to_a_file(packs, tmp_path):
    out = gd_perf.externalize_animations(rewrite(HEAD + ANIMATION, packs), "../", tmp_path)
    frames = tmp_path / "_static" / "gd-frames" / "abc123.js"
    assert frames.read_text().count("data:image/png") == 2
    assert "data:image/png" not in out
    assert '"../_static/gd-frames/abc123.js"' in out and "IntersectionObserver" in out


def test_second_pass_changes_nothing(packs, tmp_path):
    once = gd_perf.externalize_animations(rewrite(HEAD + ANIMATION, packs), "../", tmp_path)
    twice = gd_perf.externalize_animations(rewrite(once, packs), "../", tmp_path)
    assert once == twice


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
