"""Keep the course's notebooks in the form the repository stores them.

Stored notebooks carry no outputs (the book executes them), except cells tagged
``nbval-check-output``: their printed numbers are part of the lesson, so their
outputs are stored and nbval (``pytest --nbval-lax``) compares them.

Usage::

    python tools/nbtool.py from-md SRC.md OUT.ipynb   # author in MyST-like text, write a notebook
    python tools/nbtool.py strip NB.ipynb ...          # drop outputs but the checked cells'
    python tools/nbtool.py refresh NB.ipynb ...        # execute, keep outputs of checked cells only
    python tools/nbtool.py check NB.ipynb ...          # exit 1 if a notebook stores other outputs

The ``from-md`` format: markdown text, with code cells written as::

    ```{code-cell} ipython3
    :tags: [nbval-check-output, hide-input]
    print(1 + 1)
    ```

and ``+++`` on a line of its own to split one markdown cell into two.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

CHECK_TAG = "nbval-check-output"
KERNEL = {"display_name": "Python 3", "language": "python", "name": "python3"}

_FENCE = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)


def from_md(text: str) -> nbformat.NotebookNode:
    """Turn MyST-like text with ``{code-cell}`` fences into a notebook."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = KERNEL
    nb.metadata["language_info"] = {"name": "python"}
    pos = 0

    def add_markdown(chunk: str) -> None:
        for part in re.split(r"^\+\+\+[ \t]*$", chunk, flags=re.M):
            part = part.strip("\n")
            if part.strip():
                nb.cells.append(nbformat.v4.new_markdown_cell(part))

    for match in _FENCE.finditer(text):
        add_markdown(text[pos:match.start()])
        body = match.group(1)
        tags: list[str] = []
        lines = body.split("\n")
        while lines and lines[0].startswith(":"):
            key, _, value = lines.pop(0)[1:].partition(":")
            if key.strip() == "tags":
                tags = [t.strip() for t in value.strip().strip("[]").split(",") if t.strip()]
        cell = nbformat.v4.new_code_cell("\n".join(lines).rstrip("\n"))
        if tags:
            cell.metadata["tags"] = tags
        nb.cells.append(cell)
        pos = match.end()
    add_markdown(text[pos:])
    return nb


def _checked(cell) -> bool:
    return CHECK_TAG in cell.get("metadata", {}).get("tags", [])


def strip(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove outputs and execution counts, except the outputs of checked cells."""
    count = 0
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        count += 1
        if not _checked(cell):
            cell.outputs = []
            cell.execution_count = None
        else:
            # nbval refuses a cell with outputs but no execution count ("unrun reference cell");
            # number checked cells by their position so re-stripping is stable.
            cell.execution_count = count
            for out in cell.outputs:
                if "execution_count" in out:
                    out["execution_count"] = count
    nb.metadata.pop("widgets", None)
    return nb


def refresh(path: Path, timeout: int = 300) -> None:
    """Execute a notebook in its own folder and store only the checked cells' outputs."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(strip(nb), path)


def stored_outputs(nb: nbformat.NotebookNode) -> list[int]:
    """Indices of code cells that store outputs they should not."""
    return [i for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and c.outputs and not _checked(c)]


def unchecked_checks(nb: nbformat.NotebookNode) -> list[int]:
    """Indices of checked cells with no stored output: nbval would pass them without comparing."""
    return [i for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and _checked(c) and not c.outputs]


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"from-md", "strip", "refresh", "check"}:
        print(__doc__)
        return 2
    cmd, args = argv[0], [Path(a) for a in argv[1:]]
    if cmd == "from-md":
        src, out = args
        nbformat.write(from_md(src.read_text()), out)
        return 0
    bad = 0
    for path in args:
        if cmd == "refresh":
            refresh(path)
        elif cmd == "strip":
            nbformat.write(strip(nbformat.read(path, as_version=4)), path)
        else:
            nb = nbformat.read(path, as_version=4)
            cells = stored_outputs(nb)
            if cells:
                print(f"{path}: code cells {cells} store outputs but are not tagged {CHECK_TAG!r}")
                bad = 1
            empty = unchecked_checks(nb)
            if empty:
                print(f"{path}: cells {empty} are tagged {CHECK_TAG!r} but store no output to compare "
                      "(run: python tools/nbtool.py refresh)")
                bad = 1
    return bad


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
