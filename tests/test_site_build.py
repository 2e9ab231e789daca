"""tools/site/gd_site.py's build hooks, on a stand-in Sphinx app (no build)."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools" / "site"))
gd_site = pytest.importorskip("gd_site")


def _app(suffix):
    noted: list[str] = []
    env = SimpleNamespace(doc2path=lambda docname: ROOT / f"{docname}{suffix}", note_dependency=noted.append)
    return SimpleNamespace(env=env), noted


def test_a_notebook_is_out_of_date_when_gdlib_changes():
    """Sphinx re-reads a document when a file it noted as a dependency is newer than the document's last read."""
    app, noted = _app(".ipynb")
    gd_site._depend_on_gdlib(app, "chapters/13_adam", [""])
    files = {Path(p).relative_to(ROOT).as_posix() for p in noted}
    assert {"gdlib/__init__.py", "gdlib/explorer/static.py", "gdlib/optim/adam.py"} <= files
    assert all(f.startswith("gdlib/") and f.endswith(".py") for f in files)


def test_a_markdown_page_does_not_depend_on_gdlib():
    app, noted = _app(".md")
    gd_site._depend_on_gdlib(app, "intro", [""])
    assert noted == []
