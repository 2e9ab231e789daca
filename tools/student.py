"""Write the student version of the labs: every solution replaced by a stub.

The notebooks in ``labs/`` are the instructor's: each exercise's answer is a code cell
tagged ``solution``, followed by a cell tagged ``check`` that calls a ``gdlib.checks``
function. The student version keeps everything else and turns each solution cell into
a stub:

* a function keeps its decorators, signature and docstring; its body becomes a
  ``# YOUR CODE HERE`` line and ``raise NotImplementedError("<exercise>: <hint>")``;
* imports are kept (they are not answers);
* any other statement (an assignment, a loop) is replaced, once per cell, by
  ``# YOUR CODE HERE`` and a ``raise NotImplementedError`` naming the names the cell
  should define.

The hint comes from ``# hint: ...`` comment lines in the solution (inside the function
for a function, anywhere in the cell otherwise); without one, the stub points to the
exercise text. Outputs are dropped, the ``hide-input`` tag of solution cells is removed
(the student must see the cell), and markdown lines holding the ``{download}`` link to
the student notebook itself are dropped.

So that ``tools/grade.py`` can take the answers back (by cell, never by position), cell ids are
kept, each stub carries ``metadata.gdlib.answer`` (the id of the instructor's solution cell) and
the notebook ``metadata.gdlib.lab`` (the lab's file stem).

Usage::

    python tools/student.py [--out _build/student] [labs/lab1_*.ipynb ...]

With no notebooks given, every ``labs/lab*.ipynb`` is converted.
"""
from __future__ import annotations

import argparse
import ast
import copy
import re
import sys
import textwrap
from pathlib import Path

import nbformat

SOLUTION_TAG = "solution"
CHECK_TAG = "check"
STUB_LINE = "# YOUR CODE HERE"
META_KEY = "gdlib"  # metadata key of the answer cells and of the notebook (read by tools/grade.py)
_HINT = re.compile(r"#\s*hint:\s*(.*?)\s*$", re.I)
_DOWNLOAD = re.compile(r"\{download\}|student notebook", re.I)
ROOT = Path(__file__).resolve().parent.parent


def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _hints(lines: list[str]) -> list[str]:
    return [m.group(1) for line in lines if (m := _HINT.search(line)) and m.group(1)]


def _raise_line(what: str, hints: list[str]) -> str:
    hint = " ".join(hints) if hints else "see the exercise text above"
    return f"raise NotImplementedError({f'{what}: {hint}'!r})"


def _stub_function(node: ast.FunctionDef | ast.AsyncFunctionDef, lines: list[str]) -> str:
    """Signature (and docstring) of ``node`` with a body that raises NotImplementedError."""
    start = min([d.lineno for d in node.decorator_list] + [node.lineno])
    first = node.body[0]
    has_doc = (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
               and isinstance(first.value.value, str))
    if first.lineno == node.lineno:  # `def f(x): return x` on one line: rebuild the header
        bare = copy.copy(node)
        bare.body = [ast.Pass()]
        header = [" " * node.col_offset + line for line in ast.unparse(bare).split("\n")[:-1]]
        indent = " " * (node.col_offset + 4)
        doc = []
    else:
        end = max([node.lineno] + [getattr(n, "end_lineno", 0) or 0 for n in ast.walk(node.args)]
                  + ([node.returns.end_lineno] if node.returns else []))
        for j in range(end, first.lineno):  # the line holding the signature's colon
            if lines[j - 1].split("#", 1)[0].rstrip().endswith(":"):
                end = j
                break
        header = lines[start - 1: end]
        indent = re.match(r"\s*", lines[first.lineno - 1]).group(0)
        doc = lines[first.lineno - 1: first.end_lineno] if has_doc else []
    hints = _hints(lines[node.lineno - 1: node.end_lineno])
    out = header + doc + [indent + STUB_LINE, indent + _raise_line(f"write {node.name}", hints)]
    return "\n".join(out)


def stub_source(src: str) -> str:
    """The student's stub for the code of one solution cell.

    >>> print(stub_source('def f(x, h=1e-5):\\n    \"\"\"Double x.\"\"\"\\n    # hint: multiply by 2\\n    return 2 * x'))
    def f(x, h=1e-5):
        \"\"\"Double x.\"\"\"
        # YOUR CODE HERE
        raise NotImplementedError('write f: multiply by 2')
    """
    tree = ast.parse(src)
    lines = src.split("\n")
    pieces: list[str] = []
    others: list[ast.stmt] = []
    claimed: set[int] = set()  # lines of functions and classes, whose hints are their own
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            claimed.update(range(node.lineno, node.end_lineno + 1))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            pieces.append(_stub_function(node, lines))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            pieces.append(ast.get_source_segment(src, node))
        elif isinstance(node, ast.ClassDef):
            start = min([d.lineno for d in node.decorator_list] + [node.lineno])
            header = lines[start - 1: node.body[0].lineno - 1]
            methods = [_stub_function(m, lines) for m in node.body
                       if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))]
            pieces.append("\n".join(header + methods) if methods else
                          "\n".join(header + ["    " + STUB_LINE,
                                              "    " + _raise_line(f"write {node.name}", _hints(lines))]))
        else:
            others.append(node)
    if others:
        names: list[str] = []
        for node in others:
            for sub in ast.walk(node):
                if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store) and sub.id not in names:
                    names.append(sub.id)
        what = f"set {', '.join(names)}" if names else "complete this cell"
        free = [line for k, line in enumerate(lines, 1) if k not in claimed]
        pieces.append("\n".join([STUB_LINE, _raise_line(what, _hints(free))]))
    return "\n\n\n".join(p for p in pieces if p)


def student_notebook(nb: nbformat.NotebookNode, lab: str | None = None) -> nbformat.NotebookNode:
    """A copy of the instructor notebook ``nb`` with solutions stubbed and outputs dropped.

    Cell ids are kept; each stub records the id of its solution cell in ``metadata.gdlib.answer``
    and, when ``lab`` (the lab's file stem) is given, the notebook records it in ``metadata.gdlib.lab``."""
    nb = nbformat.from_dict(nb)  # deep copy
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "markdown":
            cell.source = "\n".join(line for line in cell.source.split("\n") if not _DOWNLOAD.search(line))
            continue
        if cell.cell_type != "code":
            continue
        cell.outputs = []
        cell.execution_count = None
        if SOLUTION_TAG in tags(cell):
            cell.source = stub_source(cell.source)
            cell.metadata["tags"] = [t for t in tags(cell) if t not in (SOLUTION_TAG, "hide-input")] + ["exercise"]
            if cell.get("id"):
                cell.metadata[META_KEY] = {"answer": cell.id}
    nb.metadata.pop("widgets", None)
    if lab:
        nb.metadata[META_KEY] = {"lab": lab}
    return nb


def convert(paths: list[Path], out_dir: Path) -> list[Path]:
    """Write the student version of each notebook into ``out_dir``; return the written paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if not any(SOLUTION_TAG in tags(c) for c in nb.cells):
            raise ValueError(f"Invalid notebook: {path} has no cell tagged {SOLUTION_TAG!r}")
        target = out_dir / path.name
        nbformat.write(student_notebook(nb, lab=path.stem), target)
        written.append(target)
    return written


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=textwrap.dedent(__doc__).split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "student")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "labs").glob("lab*.ipynb"))
    if not paths:
        print("no lab notebooks found", file=sys.stderr)
        return 1
    for target in convert(paths, args.out):
        print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
