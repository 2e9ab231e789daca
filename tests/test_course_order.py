"""The course's order, told in three places, is told once (issue 9 item 5).

Each lab is done after one chapter. That place is written in ``_toc.yml`` (a ``# after: chapters/<file>``
comment on the lab's entry: the Labs part keeps the labs' own order, so the comment is what records the
place), in intro.md's table of labs (a link to the chapter) and in the lab's first cell (the sentence
"It follows [<chapter title>](../chapters/<file>.ipynb)."). They must agree, and every link's text must be
the title of the chapter it points to, so a renamed chapter cannot leave a stale name behind. intro.md's
map lists every chapter of the toc, in the toc's order, by its title and without a typed number.
"""
import re
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
LABS = sorted((ROOT / "labs").glob("*.ipynb"))
INTRO = (ROOT / "intro.md").read_text(encoding="utf-8")
TOC_TEXT = (ROOT / "_toc.yml").read_text(encoding="utf-8")

AFTER_COMMENT = re.compile(r"^\s*-\s*file:\s*(labs/[\w-]+)\s*#\s*after:\s*(chapters/[\w-]+)\s*$", re.M)
INTRO_LAB_ROW = re.compile(r"^\|\s*\[[^\]]+\]\((labs/[\w-]+)\.ipynb\)\s*\|\s*\[([^\]]+)\]\((chapters/[\w-]+)\.ipynb\)\s*\|",
                           re.M)
FOLLOWS = re.compile(r"It\s+follows\s+\[([^\]]+)\]\(\.\./(chapters/[\w-]+)\.ipynb\)")
MAP_ROW = re.compile(r"^\|\s*(?P<num>\d+\s*\|\s*)?\[(?P<title>[^\]]+)\]\((?P<file>chapters/[\w-]+)\.ipynb\)\s*\|", re.M)


def chapter_title(chapter: str) -> str:
    """The first heading of a chapter notebook, without the '# '."""
    nb = nbformat.read(ROOT / f"{chapter}.ipynb", as_version=4)
    return nb.cells[0].source.splitlines()[0].lstrip("# ").strip()


def toc_chapters() -> list[str]:
    toc = yaml.safe_load(TOC_TEXT)
    return [e["file"] for part in toc["parts"] for e in part.get("chapters", [])
            if e["file"].startswith("chapters/")]


def toc_places() -> dict:
    return dict(AFTER_COMMENT.findall(TOC_TEXT))


def intro_places() -> dict:
    return {lab: (title, chapter) for lab, title, chapter in INTRO_LAB_ROW.findall(INTRO)}


def test_every_lab_has_a_place_in_the_toc_and_in_the_intro():
    labs = {f"labs/{p.stem}" for p in LABS}
    assert set(toc_places()) == labs, "each lab entry of _toc.yml needs a '# after: chapters/<file>' comment"
    assert set(intro_places()) == labs, "intro.md's table of labs must list every lab with the chapter it follows"
    for lab, chapter in toc_places().items():
        assert chapter in toc_chapters(), f"{lab} follows {chapter}, which is not a chapter of the toc"


@pytest.mark.parametrize("path", LABS, ids=lambda p: p.stem)
def test_the_lab_says_where_it_belongs_as_the_toc_and_the_intro_do(path):
    lab = f"labs/{path.stem}"
    first = nbformat.read(path, as_version=4).cells[0].source
    said = FOLLOWS.findall(first)
    assert len(said) == 1, (f"{path.name}: the first cell must say once 'It follows [<title>](../chapters/<file>.ipynb)'"
                            f" (found {said})")
    title, chapter = " ".join(said[0][0].split()), said[0][1]
    expected = toc_places()[lab]
    assert chapter == expected, f"{path.name} says it follows {chapter}; _toc.yml says {expected}"
    assert intro_places()[lab][1] == expected, f"intro.md places {lab} after {intro_places()[lab][1]}, not {expected}"
    assert chapter_title(chapter).startswith(title), f"{path.name} names {chapter} {title!r}"


def test_the_intro_names_the_chapters_the_labs_follow_by_their_titles():
    for lab, (title, chapter) in intro_places().items():
        assert chapter_title(chapter).startswith(title), f"intro.md names {chapter} {title!r} for {lab}"


def test_the_intro_map_lists_every_chapter_in_order_by_title_without_a_typed_number():
    rows = [m.groupdict() for m in MAP_ROW.finditer(INTRO)]
    assert [r["file"] for r in rows] == toc_chapters(), "intro.md's map must list the toc's chapters in order"
    for r in rows:
        assert r["num"] is None, f"typed chapter number in intro.md's map: {r['num']!r} for {r['file']}"
        assert chapter_title(r["file"]).startswith(r["title"]), f"intro.md calls {r['file']} {r['title']!r}"
    assert not re.search(r"\(after (chapter )?\d+\)", INTRO), "a lab placed by a typed chapter number"


def test_the_rules_fire():
    """The patterns find what they must (so the checks above cannot pass by matching nothing)."""
    assert AFTER_COMMENT.findall("      - file: labs/lab9_x   # after: chapters/03_gd\n") == [("labs/lab9_x", "chapters/03_gd")]
    assert FOLLOWS.findall("It follows [Gradient descent](../chapters/03_gradient_descent.ipynb).") == [
        ("Gradient descent", "chapters/03_gradient_descent")]
    assert FOLLOWS.findall("It follows\n[Adam](../chapters/13_adam.ipynb).") == [("Adam", "chapters/13_adam")]
    row = "| [Lab 9: x](labs/lab9_x.ipynb) | [Adam](chapters/13_adam.ipynb) |"
    assert INTRO_LAB_ROW.findall(row) == [("labs/lab9_x", "Adam", "chapters/13_adam")]
    numbered = [m.group("num") for m in MAP_ROW.finditer("| 12 | [Adam](chapters/13_adam.ipynb) | derive |")]
    assert numbered == ["12 | "]
