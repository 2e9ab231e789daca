"""intro.md's promise, kept: every page of the course passes the claims scanner (issue 9 items 1 and 4).

``tools/claims.py`` finds, in the prose of every chapter, lab and book page, a number that looks measured
but is neither glued from the executed notebook nor declared (a constant with its reason, or the literal
of a neighbouring ``assert``), and an exercise, figure, section or chapter referred to by a typed number.
tests/test_claims.py shows each rule firing; this file runs the scanner over the pages themselves.

While the chapter pass is under way, a page that still has findings is an expected failure listing them;
set ``ENFORCE_ALL = True`` (one line, below) when it is done, and every page must be clean.
"""
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import claims  # noqa: E402

#: True: every page is checked (set at 03:22 UTC on 2026-11-30, when every committed chapter and lab passed).
#: False would check only the pages in CLEAN and report the others as expected failures.
ENFORCE_ALL = True

#: pages checked even while ENFORCE_ALL is False (clean in the committed tree); add a page when it is done
CLEAN = {"intro.md", "notation.md", "labs/lab1_finite_differences.ipynb", "labs/lab2_gradient_descent.ipynb"} | {
    f"chapters/{name}.ipynb" for name in (
        "01_partial_derivatives", "02_gradient", "03_gradient_descent", "04_computing_gradients",
        "05_backpropagation", "06_challenges", "07_physics_of_descent", "08_momentum", "09_nesterov",
        "11_adagrad", "12_rmsprop", "13_adam", "17_schedules")}

PAGES = [p.relative_to(ROOT).as_posix() for p in claims.course_pages()]


def test_the_scanner_covers_every_page_of_the_book():
    names = set(PAGES)
    assert {"intro.md", "notation.md"} <= names
    assert len([p for p in PAGES if p.startswith("chapters/")]) == len(list((ROOT / "chapters").glob("*.ipynb")))
    assert len([p for p in PAGES if p.startswith("labs/")]) == len(list((ROOT / "labs").glob("*.ipynb")))


@pytest.mark.parametrize("rel", PAGES)
def test_the_page_passes_the_claims_scanner(rel):
    found = claims.scan(ROOT / rel)
    if found and not ENFORCE_ALL and rel not in CLEAN:
        pytest.xfail(f"{rel}: {len(found)} finding(s), e.g. {found[0]}")
    assert not found, "\n".join(map(str, found))
