"""Every number in the course's prose comes from the code (issue 9): tools/claims.py, and the pages.

Each rule of the scanner is shown to fire and to pass what it should.
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import claims  # noqa: E402

ALLOWED = claims.GLOBAL_CONSTANTS | claims.publication_years()


def findings(source, declared=None, code=""):
    return [(f.kind, f.text) for f in claims.scan_text("t.ipynb", 0, source, declared or {}, ALLOWED, code)]


def test_a_typed_result_is_found_in_prose_math_and_tables():
    assert findings("The run stops after 127 steps.") == [("unbound number", "127")]
    assert findings("the rate is $\\rho \\approx 0.818$") == [("unbound number", "0.818")]
    assert findings("| adam | 0.37 |") == [("unbound number", "0.37")]
    assert findings("removes $18\\%$ of the error") == [("unbound number", "18\\%")]
    assert findings("about $4 \\times 10^{-4}$ per step") == [("unbound number", "4 \\times 10^{-4}")]
    assert findings("reaches 3.2e-5") == [("unbound number", "3.2e-5")]


def test_glue_code_roles_options_links_and_years_are_not_prose():
    assert findings("after {glue:text}`ch03_steps:d` steps, see {numref}`fig-03-rate`") == []
    assert findings("`gd.SGD(learning_rate=0.125)` and\n```python\nx = 12345\n```\n") == []
    assert findings("```{exercise} Title\n:label: ex-03-one-dim\nText.\n```") == []
    assert findings("[the momentum chapter](08_momentum.ipynb), Polyak 1964 and Nesterov 1983") == []
    assert findings("1. first\n2. second") == []
    assert findings("single digits count things: three rules, 2 panels, x_{12}") == []


def test_directive_bodies_are_prose_and_are_scanned():
    text = "````{solution} ex-03-one-dim\n:class: dropdown\nIt converges in 37 steps.\n````"
    assert findings(text) == [("unbound number", "37")]


def test_the_bare_fence_closing_a_directive_does_not_open_a_code_block():
    text = ("```{exercise} One\n:label: ex-01-a\nStep 0.25.\n```\n\n"
            "````{solution} ex-01-a\n:class: dropdown\nIt takes 37 steps.\n\n```python\nx = 12345\n```\n````")
    assert findings(text) == [("unbound number", "0.25"), ("unbound number", "37")]
    assert findings(":::{admonition} Note\nabout 465 steps\n:::") == [("unbound number", "465")]
    assert findings("1. Show it.\n3. ```python\n   x = 0.25\n   ```\n\n   It takes 37 steps.") == [
        ("unbound number", "37")]


def test_a_declared_constant_needs_a_reason():
    text = "a bold $\\eta = 0.195$"
    assert findings(text, {"constants": {"0.195": "a chosen rate, just below 2/L"}}) == []
    assert findings(text, {"constants": {"0.195": "chosen"}}) == [("bad declaration", "0.195")]


def test_a_declared_assertion_must_be_in_a_neighbouring_assert_line():
    text = "every rate is within $5\\%$ of theory"
    declared = {"asserted": {"5\\%": "0.05"}}
    assert findings(text, declared, "assert np.all(err < 0.05)") == []
    assert findings(text, declared, "print(err < 0.05)") == [("asserted literal missing", "5\\%")]
    assert findings(text, declared, "") == [("asserted literal missing", "5\\%")]


def test_typed_cross_references_are_found_but_not_references_into_other_books():
    assert findings("as in Exercise 3") == [("typed reference", "Exercise 3")]
    assert findings("see [chapter 8](08_momentum.ipynb)") == [("typed reference", "chapter 8")]
    assert findings("shown in Fig. 2 and equation (4)") == [("typed reference", "Fig. 2"),
                                                          ("typed reference", "equation (4)")]
    assert findings("see chapter 2 of {cite}`nocedal2006`") == []


def test_markdown_pages_declare_in_a_comment(tmp_path, monkeypatch):
    page = claims.ROOT / "tests" / "_claims_probe.md"
    page.write_text('<!-- gd_claims {"constants": {"14": "the number of chapters in the toc"}} -->\n'
                    "Fourteen: 14 chapters, and 27 figures.\n")
    try:
        assert [(f.kind, f.text) for f in claims.scan(page)] == [("unbound number", "27")]
    finally:
        page.unlink()
