"""The Adam family chapter shows each optimizer's update lines next to Adam's: they must be the lines of the
optimizer's own docstring (its ``.. code-block:: python``), so that the chapter and gdlib cannot drift apart.
The chapter's code cells check numpy transcriptions of the same lines against the classes when it executes
(nbval); this test catches an edit of the prose or of a docstring without executing anything."""
import re
from pathlib import Path

import nbformat
import pytest

import gdlib as gd

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "chapters" / "14_adam_family.ipynb"
SHOWN = [gd.Adam, gd.Adadelta, gd.Adamax, gd.NAdam, gd.RAdam, gd.AMSGrad]


def docstring_lines(cls) -> str:
    """The first ``.. code-block:: python`` of the class docstring, dedented, ending with a newline."""
    match = re.search(r"\.\. code-block:: python\n\n(.*?)\n\n", cls.__doc__, re.S)
    assert match, f"{cls.__name__}'s docstring has no code-block"
    lines = match.group(1).split("\n")
    indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
    return "\n".join(line[indent:] for line in lines) + "\n"


def chapter_blocks() -> list[str]:
    md = "\n".join(c.source for c in nbformat.read(CHAPTER, as_version=4).cells if c.cell_type == "markdown")
    return re.findall(r"^```python\n(.*?)^```", md, re.S | re.M)


@pytest.mark.parametrize("cls", SHOWN, ids=lambda c: c.__name__)
def test_the_chapter_shows_the_docstring_lines(cls):
    lines = docstring_lines(cls)
    assert lines in chapter_blocks(), (
        f"chapters/14_adam_family.ipynb does not show {cls.__name__}'s docstring lines verbatim:\n{lines}")


def test_a_changed_line_is_caught():
    blocks = chapter_blocks()
    changed = docstring_lines(gd.Adamax).replace("np.abs(dx) + eps", "np.abs(dx)")
    assert changed not in blocks and docstring_lines(gd.Adamax) in blocks
