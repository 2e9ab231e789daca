"""tools/determinism.py, the tool behind ``make determinism``, on tiny synthetic notebooks.

It must catch an unseeded random number (naming the notebook, the cell and the first differing
line), pass a deterministic notebook, honour its two documented exclusions (the
``nbval-ignore-output`` tag and memory addresses), really give the kernels 1 and 2 BLAS threads,
and report a notebook that raises. One call of the tool executes all of them (3 runs each).
"""
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import determinism  # noqa: E402

NOTEBOOKS = {
    "unseeded": [
        ("import numpy as np\nprint('a fixed line')", []),
        ("print('draw:', np.random.default_rng().random())", []),
    ],
    "seeded": [
        ("import numpy as np\nrng = np.random.default_rng(0)\nA = rng.standard_normal((60, 60))", []),
        ("print(np.round(A @ A.T, 6)[:2, :4])\nprint('rank', np.linalg.matrix_rank(A))", []),
        ("np.linalg.norm(A) ** 2", []),                               # an execute_result (text/plain)
        ("import time\nprint('took', time.perf_counter())", ["nbval-ignore-output"]),
        ("object()", []),                                             # <object object at 0x7f...>
        ("import sys\nprint('to stderr', file=sys.stderr)", []),
    ],
    "glued": [
        # a myst-nb glue value (stored under application/papermill.record/text/plain) is compared too
        ("import numpy as np\nfrom myst_nb import glue\nglue('rate', 0.5)", []),
        ("glue('draw', float(np.random.default_rng().random()))", []),
    ],
    "threads": [
        # what numpy's BLAS itself reports (threadpoolctl), not only the environment variable
        ("import numpy as np\nfrom threadpoolctl import threadpool_info\n"
         "print('blas', sorted({i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'}))", []),
    ],
    "raises": [
        ("print('fine')", []),
        ("raise ValueError('broken on purpose')", []),
    ],
    "hash_order": [
        ("print(list({'adam', 'sgd', 'momentum', 'nesterov', 'rmsprop', 'adagrad'}))", []),
    ],
}


def write(path, cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    for source, tags in cells:
        cell = nbformat.v4.new_code_cell(source)
        if tags:
            cell.metadata["tags"] = tags
        nb.cells.append(cell)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell("# a synthetic notebook"))
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nbs")
    paths = {name: write(folder / f"{name}.ipynb", cells) for name, cells in NOTEBOOKS.items()}
    problems, report = determinism.check(list(paths.values()), threads=(1, 2, 1), jobs=2, timeout=60,
                                         root=folder)
    return paths, problems, report


def problem(result, name):
    _, problems, _ = result
    found = [p for p in problems if p.startswith(f"{name}.ipynb:")]
    assert len(found) <= 1, found
    return found[0] if found else None


def test_an_unseeded_random_number_is_caught_naming_notebook_cell_and_line(result):
    text = problem(result, "unseeded")
    assert text is not None, "an unseeded random draw passed as deterministic"
    assert text.startswith("unseeded.ipynb: cell 2 (") and "np.random.default_rng().random()" in text
    assert "first at output line 1" in text
    assert "run 1: stdout| draw: 0." in text and "stdout| draw: 0." in text.split("run 1:")[1]


def test_a_deterministic_notebook_passes_with_ignored_timing_and_addresses(result):
    paths, _, report = result
    assert problem(result, "seeded") is None
    stats = report[str(paths["seeded"].resolve())]
    assert stats["identical"] and stats["cells"] == 5 and stats["ignored_cells"] == 1
    # the lines really were compared: 2 matrix rows, rank, norm, object repr, stderr line
    assert stats["lines"] == 6
    assert len(stats["seconds"]) == 3


def test_an_unseeded_glued_value_is_caught(result):
    text = problem(result, "glued")
    assert text is not None and text.startswith("glued.ipynb: cell 2 (")
    assert "run 1: glue draw| 0." in text


def test_the_kernels_blas_really_runs_with_1_and_with_2_threads(result):
    text = problem(result, "threads")
    assert text is not None
    assert "between run 1 (1 BLAS thread(s)) and run 2 (2)" in text
    assert "run 1: stdout| blas [1]" in text and "run 2: stdout| blas [2]" in text


def test_a_notebook_that_raises_is_reported_with_its_cell(result):
    text = problem(result, "raises")
    assert text is not None
    assert "execution failed in cell 2 in run(s) 1, 2, 3 of 3" in text
    assert text.endswith("ValueError: broken on purpose")


def test_output_in_hash_order_is_caught_since_each_kernel_has_its_own_hash_seed(result):
    # six strings in a set: two hash seeds give one order with a chance of about 1 in 720, so the
    # three kernels all agree (and this test fails) about once in half a million runs
    text = problem(result, "hash_order")
    assert text is not None and "cell 1" in text


def test_rules_on_lines_without_a_kernel():
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="a\nb"),
        nbformat.v4.new_output("stream", name="stdout", text="c\n"),
        nbformat.v4.new_output("execute_result", data={"text/plain": "<Foo at 0x7f00deadbeef>",
                                                       "image/png": "AAAA"}, execution_count=1),
        nbformat.v4.new_output("display_data", data={"application/papermill.record/text/plain": "0.5"},
                               metadata={"scrapbook": {"name": "rate",
                                                       "mime_prefix": "application/papermill.record/"}}),
        nbformat.v4.new_output("error", ename="KeyError", evalue="'x'", traceback=[]),
    ]
    assert determinism.checked_lines(cell) == [
        "stdout| a", "stdout| bc", "result| <Foo at 0x...>", "glue rate| 0.5", "error| KeyError: 'x'"]
    assert len(determinism.rich_digests(cell)) == 1
    cell.metadata["tags"] = ["nbval-ignore-output"]
    assert determinism.checked_lines(cell) == [] and determinism.rich_digests(cell) == []
    assert determinism.first_difference(["a", "b"], ["a"]) == (2, "b", "<no line>")
    env = determinism.kernel_env(2, {"PYTHONHASHSEED": "0", "PATH": "/bin"})
    assert env["OPENBLAS_NUM_THREADS"] == env["OMP_NUM_THREADS"] == env["MKL_NUM_THREADS"] == "2"
    assert "PYTHONHASHSEED" not in env and env["PATH"] == "/bin"


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="threads"):
        determinism.check([], threads=(1,))
    with pytest.raises(ValueError, match="jobs"):
        determinism.check([], threads=(1, 2), jobs=0)
    with pytest.raises(SystemExit):
        determinism.main(["--threads", "1,x"])
