"""The stored notebooks: in the table of contents, stored as the repository promises, and complete.

nbval (``make notebooks``) executes them; these checks catch what execution cannot: a notebook
left out of the book, outputs stored by accident, or a checked cell with no stored output (nbval
would pass it without comparing anything).
"""
import re
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import nbtool  # noqa: E402

NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb")) + sorted((ROOT / "labs").glob("*.ipynb"))
CHAPTERS = [p for p in NOTEBOOKS if p.parent.name == "chapters"]


def toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        stack = list(part.get("chapters", []))
        while stack:
            entry = stack.pop(0)
            files.append(entry["file"])
            stack[:0] = entry.get("sections", [])
    return files


def test_every_notebook_is_in_the_toc_and_every_toc_entry_exists():
    listed = toc_files()
    for path in NOTEBOOKS:
        assert str(path.relative_to(ROOT).with_suffix("")) in listed, f"{path.name} is not in _toc.yml"
    for entry in listed:
        assert any((ROOT / entry).with_suffix(s).exists() for s in (".md", ".ipynb")), f"{entry} missing"


def test_chapters_are_in_course_order():
    listed = [e for e in toc_files() if e.startswith("chapters/")]
    assert listed == sorted(listed)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_without_outputs_but_checked_cells(path):
    nb = nbformat.read(path, as_version=4)
    assert nbtool.stored_outputs(nb) == [], "outputs stored in unchecked cells: run tools/nbtool.py strip"
    assert nbtool.unchecked_checks(nb) == [], "checked cells without stored output: run tools/nbtool.py refresh"
    assert nb.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_has_title_exercises_solutions_citations_and_an_assertion(path):
    nb = nbformat.read(path, as_version=4)
    md = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    exercises = re.findall(r"^`{3,}\{exercise\}", md, flags=re.M)
    solutions = re.findall(r"^`{3,}\{solution\}", md, flags=re.M)
    assert len(exercises) >= 3, f"{len(exercises)} exercises"
    assert len(solutions) >= len(exercises), "an exercise without a solution"
    assert "{cite" in md, "no citation"
    assert re.search(r"^\s*assert |np\.testing\.assert", code, flags=re.M), "no claim asserted"
    assert "import gdlib" in code
