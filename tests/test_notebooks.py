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


# --- figures (issue 13 item 1): numbered, captioned, with a text alternative, referred to by number ---------
# A code cell "makes a figure" when it draws with matplotlib or gdlib.plotting or builds an animation; such a
# cell must carry myst-nb's figure caption and name and its image alt text in its metadata, so the site shows
# a numbered <figure> with a <figcaption> and a real alt. The rule is on the source, so a figure cell cannot
# escape it by forgetting the metadata; `def plot_x(` (a helper's definition) alone does not count.
FIGURE_CALL = re.compile(r"plt\.(show|subplots|subplot|figure|imshow)\(|gd\.plotting\.|"
                         r"(?<![\w.])plot_\w+\(|draw_graph\(|\.to_jshtml\(|\bFuncAnimation\(")
FIGURE_NAME = re.compile(r"fig-(\d\d|lab\d)-[a-z0-9]+(-[a-z0-9]+)*")
NUMREF = re.compile(r"\{numref\}`(?:[^`<]*<)?(fig-[^`>]+)>?`")
FIGURE_ABOVE = re.compile(r"\b(figures?|plots?|panels?|graphs?|charts?|animations?)\s+(above|below)\b|"
                          r"\b(above|below)\s+(figures?|plots?|panels?|graphs?|charts?|animations?)\b", re.I)


def _code_only(source):
    """The cell's source without comments, strings that are plain text, magics and helper definitions."""
    lines = []
    for line in source.splitlines():
        if line.lstrip().startswith(("%", "!")):
            continue
        line = re.sub(r"#.*", "", line)
        line = re.sub(r"\bdef\s+\w+\(", "def _(", line)
        lines.append(line)
    return "\n".join(lines)


def makes_figure(cell):
    return cell.cell_type == "code" and bool(FIGURE_CALL.search(_code_only(cell.source)))


def notebook_prefix(path):
    """`fig-07-` for chapters/07_*.ipynb, `fig-lab2-` for labs/lab2_*.ipynb."""
    if path.parent.name == "chapters":
        return f"fig-{path.name[:2]}-"
    return f"fig-{path.name.split('_')[0]}-"


def figure_cells(path):
    nb = nbformat.read(path, as_version=4)
    return [(i, c) for i, c in enumerate(nb.cells) if makes_figure(c)]


def all_figure_names():
    names = []
    for path in NOTEBOOKS:
        for _, cell in figure_cells(path):
            name = cell.metadata.get("mystnb", {}).get("figure", {}).get("name")
            if name:
                names.append(name)
    for md in [ROOT / "intro.md", *ROOT.glob("chapters/*.md"), *ROOT.glob("labs/*.md")]:
        if md.exists():
            names += re.findall(r"^:name:\s*(fig-\S+)", md.read_text(), flags=re.M)
    return names


def test_the_figure_rule_sees_figures_and_ignores_helpers():
    cell = nbformat.v4.new_code_cell
    assert makes_figure(cell("fig, ax = plt.subplots()\nax.plot(x)\nplt.show()"))
    assert makes_figure(cell("gd.plotting.plot_contours(f)"))
    assert makes_figure(cell("plot_losses(trajs, f_min=0)"))
    assert makes_figure(cell("draw_graph(loss)"))
    assert makes_figure(cell("HTML(anim.to_jshtml())"))
    assert not makes_figure(cell("def plot_path(ax, traj):\n    return ax"))
    assert not makes_figure(cell("x = 1  # plt.show() in a comment"))
    assert not makes_figure(cell("%config InlineBackend.figure_formats = ['png']\nimport matplotlib.pyplot as plt"))
    assert not makes_figure(nbformat.v4.new_markdown_cell("plt.show()"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_figure_is_numbered_captioned_and_has_a_text_alternative(path):
    names = all_figure_names()
    problems = []
    for i, cell in figure_cells(path):
        meta = cell.metadata.get("mystnb", {})
        figure, image = meta.get("figure", {}), meta.get("image", {})
        caption, name, alt = figure.get("caption", ""), figure.get("name", ""), image.get("alt", "")
        where = f"cell {i}"
        if len(caption.split()) < 5:
            problems.append(f"{where}: mystnb.figure.caption missing or shorter than five words: {caption!r}")
        if not FIGURE_NAME.fullmatch(name) or not name.startswith(notebook_prefix(path)):
            problems.append(f"{where}: mystnb.figure.name {name!r} is not {notebook_prefix(path)}<slug>")
        elif names.count(name) > 1:
            problems.append(f"{where}: figure name {name!r} is used {names.count(name)} times in the book")
        if len(re.findall(r"[A-Za-z]{2,}", alt)) < 5 or re.search(r"\.(png|svg|jpe?g|gif)\b|_images/|\.\./", alt):
            problems.append(f"{where}: mystnb.image.alt is not a phrase of five words or more: {alt!r}")
        if _code_only(cell.source).count("plt.show(") > 1:
            problems.append(f"{where}: shows more than one figure; split the cell or use subplots")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_text_refers_to_figures_by_number_not_by_position(path):
    nb = nbformat.read(path, as_version=4)
    found = [f"cell {i}: {m.group(0)!r}" for i, c in enumerate(nb.cells) if c.cell_type == "markdown"
             for m in FIGURE_ABOVE.finditer(c.source)]
    assert not found, "refer to a figure with {numref}`fig-...`, not by its position: " + "; ".join(found)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_numref_to_a_figure_has_a_target(path):
    nb = nbformat.read(path, as_version=4)
    texts = [c.source for c in nb.cells if c.cell_type == "markdown"]
    texts += [str(c.metadata.get("mystnb", {}).get("figure", {}).get("caption", "")) for c in nb.cells]
    names = set(all_figure_names())
    missing = sorted({t for text in texts for t in NUMREF.findall(text)} - names)
    assert not missing, f"{{numref}} to figures that do not exist: {missing}"


# --- no wall-clock time in a checked claim (issue 11 item 1) ------------------------------------------------
TIMING = re.compile(r"perf_counter|process_time|\btime\.time\(|\btime\.monotonic|timeit|%%?time\b")
ASSERTS = re.compile(r"^\s*assert\b|np\.testing\.assert|pytest\.approx", re.M)


def timed_names(sources):
    """Names whose value flows from a clock, across the notebook's code cells in order.

    A name is timed when it is assigned from an expression that reads a clock (perf_counter, time.time,
    timeit, ...) or a timed name, or when a timed value is appended/added into it (`ts.append(t1 - t0)`).
    """
    import ast
    timed = set()
    for _ in range(3):                                   # a fixed point: names feed names in later loops
        for source in sources:
            code = "\n".join("pass" if ln.lstrip().startswith(("%", "!")) else ln for ln in source.splitlines())
            try:
                tree = ast.parse(code)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and node.value is not None:
                    value, targets = node.value, getattr(node, "targets", None) or [node.target]
                elif (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
                      and isinstance(node.value.func, ast.Attribute)
                      and isinstance(node.value.func.value, ast.Name)):
                    value, targets = node.value, [node.value.func.value]
                else:
                    continue
                text = ast.get_source_segment(code, value) or ""
                if TIMING.search(text) or timed & set(re.findall(r"\b\w+\b", text)):
                    for target in targets:
                        timed |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return timed


def test_the_timing_rule_follows_a_timing_into_a_later_assert():
    sources = ["t0 = time.perf_counter()\nrun()\nelapsed = time.perf_counter() - t0",
               "ratio = elapsed / 2\nts = []\nts.append(ratio)", "n_calls = 4"]
    assert timed_names(sources) >= {"t0", "elapsed", "ratio", "ts"}
    assert "n_calls" not in timed_names(sources)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_assert_depends_on_wall_clock_time(path):
    nb = nbformat.read(path, as_version=4)
    code = [(i, c.source) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    bad = [f"cell {i} measures time and asserts" for i, s in code if TIMING.search(s) and ASSERTS.search(s)]
    timed = timed_names([s for _, s in code])
    for i, s in code:
        for line in s.splitlines():
            if ASSERTS.search(line):
                used = timed & set(re.findall(r"\b\w+\b", re.sub(r"#.*", "", line)))
                if used:
                    bad.append(f"cell {i} asserts on {sorted(used)}, which come from a clock")
    assert not bad, "; ".join(bad)


def shown_timings(source, timed):
    """The output calls of a cell (print, display, glue) whose arguments read a clock or a timed name."""
    import ast
    code = "\n".join("pass" if ln.lstrip().startswith(("%", "!")) else ln for ln in source.splitlines())
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    shown = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in ("print", "display", "glue")):
            text = ast.get_source_segment(code, node) or ""
            names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            if TIMING.search(text) or names & timed:
                shown.append(text.splitlines()[0])
    return shown


def test_the_shown_timing_rule_reads_multi_line_prints():
    timed = timed_names(["t0 = time.process_time()\nrun()\nrace_seconds = time.process_time() - t0"])
    cell = 'print(f"{n:,} evaluations, "\n      f"{race_seconds:.1f} s of CPU time")\nprint(n)'
    assert shown_timings(cell, timed) == ['print(f"{n:,} evaluations, "']
    assert shown_timings("start = time.process_time()\nprint(n)", timed) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_cell_that_shows_a_timing_is_not_compared(path):
    """A cell that prints, displays or glues a clock reading or a timed value is tagged
    ``nbval-ignore-output``, so that ``make determinism`` (tools/determinism.py) skips it: its numbers
    differ at every run. Keep such a print in a small cell of its own, so the rest stays compared."""
    nb = nbformat.read(path, as_version=4)
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    timed = timed_names([c.source for _, c in code])
    bad = [f"cell {i} shows a timing ({shown[0]!r}) but is not tagged nbval-ignore-output"
           for i, cell in code if (shown := shown_timings(cell.source, timed))
           and "nbval-ignore-output" not in cell.metadata.get("tags", [])]
    assert not bad, "; ".join(bad)


# --- no markdown swallowed by a broken fence (issue 13 item 7) ----------------------------------------------
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_backtick_fence_with_a_backtick_in_its_info_string(path):
    """CommonMark refuses a ``` fence whose info string holds a backtick (```{admonition} Pitfall: `x`): the line
    is no fence, the next ``` opens a code block, and the section after it shows as raw text and raw TeX.
    A title with inline code needs a colon fence (:::{admonition} ...), which MyST's colon_fence allows."""
    nb = nbformat.read(path, as_version=4)
    bad = [f"cell {i}: {line.strip()}" for i, c in enumerate(nb.cells) if c.cell_type == "markdown"
           for line in c.source.splitlines() if re.match(r"^\s*`{3,}(?!`)[^`]*`", line)]
    assert not bad, "; ".join(bad)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_text_cites_every_figure_by_number(path):
    """A figure the prose never cites is either unexplained or cited as 'the figure above'."""
    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    cited = set(NUMREF.findall(text))
    names = [c.metadata.get("mystnb", {}).get("figure", {}).get("name") for _, c in figure_cells(path)]
    uncited = [n for n in names if n and n not in cited]
    assert not uncited, f"figures never cited with {{numref}} in the text: {uncited}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_figure_metadata_only_on_cells_that_make_a_figure(path):
    """myst-nb wraps every rich output of a cell with figure metadata in the figure: on another cell the
    caption would land on a table or a printed number (and the figure rule above would not see it)."""
    nb = nbformat.read(path, as_version=4)
    stray = [i for i, c in enumerate(nb.cells)
             if "figure" in c.metadata.get("mystnb", {}) and not makes_figure(c)]
    assert not stray, f"cells {stray} carry mystnb.figure but make no figure"


NEW_FIGURE = re.compile(r"plt\.(subplots|figure)\(")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_cell_that_opens_a_figure_shows_or_closes_it(path):
    """A figure left open at the end of its cell is shown by whichever later cell the inline backend
    flushes it in: with the lowest admitted matplotlib-inline (`make oldest`) chapter 14's RAdam figure
    came out of the next checked cell, whose stored outputs then differed. `plt.show()` pins it."""
    nb = nbformat.read(path, as_version=4)
    open_ = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
             and NEW_FIGURE.search(_code_only(c.source))
             and not re.search(r"plt\.(show|close)\(", _code_only(c.source))]
    assert not open_, f"{path.name}: cells {open_} open a figure without plt.show() or plt.close()"
