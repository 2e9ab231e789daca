"""Tests of tools/grade.py (`make grade`): the instructor's labs score full marks, the student copies 0,
edited checks gain nothing, a looping or kernel-killing answer fails alone, odd files are reported;
and of the publishing pieces: the GitHub workflow and `make serve`.

Two grading runs (module fixtures) cover it: one over many kinds of submission with the default
timeout, one with an 8 s timeout for the answers that never finish."""
import csv
import importlib.util
import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
LABS = sorted((ROOT / "labs").glob("lab*.ipynb"))

_spec = importlib.util.spec_from_file_location("grade", ROOT / "tools" / "grade.py")
grade = importlib.util.module_from_spec(_spec)
sys.modules["grade"] = grade  # its dataclasses and its worker processes look it up by name
_spec.loader.exec_module(grade)
student = grade.student


def tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def lab_path(stem):
    return ROOT / "labs" / f"{stem}.ipynb"


def student_copy(stem):
    return student.student_notebook(nbformat.read(lab_path(stem), as_version=4), lab=stem)


def with_answers(nb, answers):
    """``nb`` with the answer cell of each exercise (by function name) replaced by ``answers[name]``."""
    lab = grade.load_lab(lab_path(nb.metadata["gdlib"]["lab"]))
    keys = {ex.name: ex.key for ex in lab.exercises}
    for name, src in answers.items():
        cell = next(c for c in nb.cells if c.get("id") == keys[name])
        cell.source = src
    return nb


def instructor_source(stem, name):
    lab = grade.load_lab(lab_path(stem))
    ex = next(e for e in lab.exercises if e.name == name)
    return lab.nb.cells[ex.answer_index].source


def rows(csv_path):
    with open(csv_path, newline="") as fh:
        return {r["submission"]: r for r in csv.DictReader(fh)}


# --------------------------------------------------------------------------- the labs as the grader sees them
@pytest.mark.parametrize("path", LABS, ids=[p.stem for p in LABS])
def test_every_lab_has_exercises_with_ids_and_checks(path):
    lab = grade.load_lab(path)
    assert lab.exercises and all(ex.check_indices for ex in lab.exercises)
    assert len({ex.key for ex in lab.exercises}) == len(lab.exercises)
    assert all(ex.defines for ex in lab.exercises), "each exercise asks for a named function"


def test_student_copy_keeps_ids_and_marks_answers():
    nb = nbformat.read(LABS[0], as_version=4)
    copy = student.student_notebook(nb, lab=LABS[0].stem)
    assert [c.id for c in copy.cells] == [c.id for c in nb.cells]
    assert copy.metadata["gdlib"] == {"lab": LABS[0].stem}
    marked = [c.metadata["gdlib"]["answer"] for c in copy.cells if "gdlib" in c.metadata]
    assert marked == [c.id for c in nb.cells if "solution" in tags(c)]


def test_a_lab_is_recognised_by_metadata_ids_or_name():
    labs = grade.load_labs(ROOT / "labs")
    first, second = LABS[0].stem, LABS[1].stem
    nb = student_copy(first)
    assert grade.identify(nb, "whatever.ipynb", labs) == (labs[first], "notebook metadata")
    del nb.metadata["gdlib"]
    assert grade.identify(nb, f"{second}.ipynb", labs) == (labs[first], "cell ids")  # content beats the name
    for cell in nb.cells:
        cell.id = nbformat.v4.new_code_cell().id
    assert grade.identify(nb, "alice-Lab2.ipynb", labs) == (labs[second], "file name")
    assert grade.identify(nb, "untitled.ipynb", labs) == (labs[first], "the functions it defines")
    nb.cells = [c for c in nb.cells if c.cell_type == "markdown"]
    lab, reason = grade.identify(nb, "essay.ipynb", labs)
    assert lab is None and "not one of the labs" in reason


def test_answers_are_found_by_id_metadata_or_definition_never_by_position():
    lab = grade.load_lab(LABS[0])
    ex = lab.exercises[0]
    nb = student_copy(LABS[0].stem)
    nb.cells.insert(0, nbformat.v4.new_code_cell("x = 1"))  # positions shift: nothing changes
    assert grade.find_answers(nb, lab)[ex.key][1] == "cell id"
    answer = next(c for c in nb.cells if c.id == ex.key)
    answer.id = "renamed1"
    assert grade.find_answers(nb, lab)[ex.key][1] == "cell metadata"
    del answer.metadata["gdlib"]
    answer.source = f"def {ex.defines[0]}(*args):\n    return 42\n"
    src, how = grade.find_answers(nb, lab)[ex.key]
    assert how.startswith("the cell defining") and "return 42" in src
    nb.cells.remove(answer)
    assert grade.find_answers(nb, lab)[ex.key] == (ex.stub, "missing")


def test_only_cells_grading_needs_run():
    lab = grade.load_lab(lab_path("lab4_optimizer_zoo"))
    answers = {ex.key: (lab.nb.cells[ex.answer_index].source, "cell id") for ex in lab.exercises}
    planned = grade.assemble(lab, answers)
    kinds = [kind for kind, _ in planned.role]
    assert kinds.count("answer") == kinds.count("check") == len(lab.exercises)
    sources = [c.source for c in planned.nb.cells]
    assert any("import numpy" in s for s in sources), "the imports the checks need run"
    assert not any("explore(" in s for s in sources), "the demonstrations after the checks do not"
    # a context cell runs when a check uses what it defines, also through x.append(...)
    names = grade._loaded_names(grade._python("def f(x):\n    y = x + z\n    return y\nf(w)"))
    assert names == {"z", "w", "f"}  # not x or y, the function's own
    stored = grade._stored_names(grade._python("results.append(1)\nnp.mean(a)\nd['k'] = 2"), frozenset({"np"}))
    assert stored == {"results", "d"}


# --------------------------------------------------------------------------- one run over many submissions
CORRECT_LAB1 = {name: instructor_source("lab1_finite_differences", name)
                for name in ("numerical_gradient", "grad_f", "svm_loss_grad")}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    sub = tmp_path_factory.mktemp("submissions")
    out = tmp_path_factory.mktemp("grades")
    (sub / "instructor").mkdir()
    (sub / "untouched").mkdir()
    for path in LABS:  # the instructor's own notebooks, and the student copies as handed out
        nbformat.write(nbformat.read(path, as_version=4), sub / "instructor" / path.name)
        nbformat.write(student_copy(path.stem), sub / "untouched" / path.name)
    # checks replaced by `pass`: the student's stubs are still stubs, the grader runs its own checks
    nb = student_copy("lab1_finite_differences")
    for cell in nb.cells:
        if "check" in tags(cell):
            cell.source = "pass"
    nbformat.write(nb, sub / "pass_checks.ipynb")
    # a wrong answer whose check became `pass`, and two right ones: 2 of 3
    nb = with_answers(student_copy("lab1_finite_differences"), {
        **CORRECT_LAB1,
        "numerical_gradient": "import numpy as np\n\ndef numerical_gradient(f, x, h=1e-5):\n"
                              "    return np.zeros_like(x)\n"})
    for cell in nb.cells:
        if "check" in tags(cell):
            cell.source = "pass"
    nbformat.write(nb, sub / "wrong_with_pass.ipynb")
    # correct answers, every check cell deleted, cells added and moved, renamed file: full marks
    nb = with_answers(student_copy("lab1_finite_differences"), CORRECT_LAB1)
    nb.cells = [c for c in nb.cells if "check" not in tags(c)]
    nb.cells.insert(1, nbformat.v4.new_code_cell("print('my scratch work')"))
    nb.cells.append(nbformat.v4.new_code_cell("assert False, 'my own cell fails'"))
    nbformat.write(nb, sub / "no_checks_renamed.ipynb")
    # ids regenerated and metadata gone (another editor): found by the file name and the definitions
    nb = with_answers(student_copy("lab1_finite_differences"), CORRECT_LAB1)
    del nb.metadata["gdlib"]
    for cell in nb.cells:
        cell.id = nbformat.v4.new_code_cell().id
        cell.metadata.pop("gdlib", None)
    nbformat.write(nb, sub / "bob_lab1.ipynb")
    # an answer that writes a file and prints where it runs
    nb = with_answers(student_copy("lab1_finite_differences"), {
        "grad_f": "import os\nopen('written_by_student.txt', 'w').write('x')\nprint('CWD=' + os.getcwd())\n"
                  "print('HOME=' + os.environ['HOME'], 'SECRET=' + os.environ.get('GD_TEST_SECRET', 'absent'))\n"
                  + instructor_source("lab1_finite_differences", "grad_f")})
    nbformat.write(nb, sub / "writes_files.ipynb")
    # an answer that disarms the check it is graded by: it scores, and is flagged for review
    nb = with_answers(student_copy("lab1_finite_differences"), {
        "numerical_gradient": "import gdlib.checks\ngdlib.checks.check_numerical_gradient = lambda f: None\n\n"
                              "def numerical_gradient(f, x, h=1e-5):\n    return 0 * x\n"})
    nbformat.write(nb, sub / "tampers.ipynb")
    # files that are not labs
    (sub / "notes.txt").write_text("my answers are in my head")
    (sub / "broken.ipynb").write_text('{"cells": [ {"cell_type": "code", ')
    essay = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# My essay")])
    nbformat.write(essay, sub / "essay.ipynb")
    (sub / ".ipynb_checkpoints").mkdir()
    nbformat.write(essay, sub / ".ipynb_checkpoints" / "essay-checkpoint.ipynb")  # hidden: skipped
    progress = io.StringIO()
    os.environ["GD_TEST_SECRET"] = "a token the grader must not hand to students' code"
    try:
        results = grade.grade_folder(sub, ROOT / "labs", out, timeout=60, notebook_timeout=300, jobs=2,
                                     progress_stream=progress)
    finally:
        del os.environ["GD_TEST_SECRET"]
    return sub, out, results, progress.getvalue()


def test_instructor_notebooks_score_full_marks(graded):
    sub, out, results, _ = graded
    table = rows(out / "grades.csv")
    for path in LABS:
        row = table[f"instructor/{path.name}"]
        assert row["lab"] == path.stem and row["reason"] == ""
        assert int(row["score"]) == int(row["max_score"]) == len(grade.load_lab(path).exercises), row
        feedback = (out / "feedback" / "instructor" / f"{path.name}.md").read_text()
        assert "FAIL" not in feedback and "passed" in feedback


def test_untouched_student_notebooks_score_zero(graded):
    sub, out, results, _ = graded
    table = rows(out / "grades.csv")
    for path in LABS:
        row = table[f"untouched/{path.name}"]
        assert row["lab"] == path.stem and row["score"] == "0" and int(row["max_score"]) >= 2, row
        feedback = (out / "feedback" / "untouched" / f"{path.name}.md").read_text()
        assert "is not written yet: it raised NotImplementedError" in feedback  # the checks' own sentence
        assert "PASS" not in feedback


def test_checks_replaced_by_pass_gain_nothing(graded):
    sub, out, results, _ = graded
    table = rows(out / "grades.csv")
    assert table["pass_checks.ipynb"]["score"] == "0"
    row = table["wrong_with_pass.ipynb"]
    assert (row["numerical_gradient"], row["grad_f"], row["svm_loss_grad"], row["score"]) == ("0", "1", "1", "2")
    feedback = (out / "feedback" / "wrong_with_pass.ipynb.md").read_text()
    assert "## Exercise 1: numerical_gradient: FAIL" in feedback and "## Exercise 2: grad_f: PASS" in feedback
    # the CheckFailed sentence a student would have seen, not a traceback
    said = feedback.split("## Exercise 2")[0].split("FAIL", 1)[1]
    assert said.strip().startswith("numerical_gradient") and "Traceback" not in feedback


def test_correct_answers_score_without_their_checks_and_wherever_they_moved(graded):
    sub, out, results, _ = graded
    table = rows(out / "grades.csv")
    assert table["no_checks_renamed.ipynb"]["score"] == "3"
    assert table["bob_lab1.ipynb"]["lab"] == "lab1_finite_differences"
    assert table["bob_lab1.ipynb"]["score"] == "3"


def test_grading_runs_in_a_scratch_directory_outside_the_repository(graded):
    sub, out, results, _ = graded
    assert rows(out / "grades.csv")["writes_files.ipynb"]["score"] == "1"  # grad_f is right, the others stubs
    executed = nbformat.read(out / "executed" / "writes_files.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    cwd = Path(printed.split("CWD=")[1].split()[0])
    assert cwd.is_relative_to(Path(tempfile.gettempdir())) and not cwd.is_relative_to(ROOT)
    assert not cwd.exists(), "the scratch directory is removed"
    assert f"HOME={cwd} SECRET=absent" in printed, "a bare environment, HOME in the scratch directory"
    assert not list(ROOT.rglob("written_by_student.txt")) and not list(sub.rglob("written_by_student.txt"))


def test_answers_that_reach_for_the_checks_are_flagged_for_review(graded):
    sub, out, results, _ = graded
    table = rows(out / "grades.csv")
    assert table["tampers.ipynb"]["review"] == "the answer to numerical_gradient uses checks"
    assert all(row["review"] == "" for name, row in table.items() if name != "tampers.ipynb")
    assert grade.tampering("x = eval ('1')\nimport importlib") == ["eval", "importlib"]
    for path in LABS:  # no instructor solution would be flagged
        lab = grade.load_lab(path)
        assert not any(grade.tampering(lab.nb.cells[ex.answer_index].source) for ex in lab.exercises)


def test_files_that_are_not_labs_get_a_row_with_the_reason(graded):
    sub, out, results, _ = graded
    table = rows(out / "grades.csv")
    assert table["notes.txt"]["score"] == "0" and "not a notebook" in table["notes.txt"]["reason"]
    assert table["broken.ipynb"]["score"] == "0" and "not a readable notebook" in table["broken.ipynb"]["reason"]
    assert table["essay.ipynb"]["score"] == "0" and "not one of the labs" in table["essay.ipynb"]["reason"]
    assert not any(".ipynb_checkpoints" in name for name in table)
    assert "not a readable notebook" in (out / "feedback" / "broken.ipynb.md").read_text()


def test_csv_columns_and_progress(graded):
    sub, out, results, progress = graded
    with open(out / "grades.csv", newline="") as fh:
        header = next(csv.reader(fh))
    assert header[:2] == ["submission", "lab"] and header[-4:] == ["score", "max_score", "reason", "review"]
    every = [ex.name for p in LABS for ex in grade.load_lab(p).exercises]
    assert header[2:-4] == every, "one 1/0 column per exercise, in lab order"
    n = len(results)
    assert n == 2 * len(LABS) + 9 and len(rows(out / "grades.csv")) == n   # each lab twice, and 9 others
    lines = progress.strip().splitlines()
    assert len(lines) == n and lines[-1].startswith(f"grading [{'#' * 30}] {n}/{n}")


# --------------------------------------------------------------------------- answers that never finish
LOOPING = """def momentum_step(x, dx, v, learning_rate, mu):
    while True:
        pass
"""
DEAF = """import signal


def nesterov_step(x, dx, v, learning_rate, mu):
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # deaf to the interrupt: the kernel must be replaced
    while True:
        pass
"""


@pytest.fixture(scope="module")
def looping(tmp_path_factory):
    sub = tmp_path_factory.mktemp("loops")
    out = tmp_path_factory.mktemp("loop_grades")
    stem = "lab4_optimizer_zoo"
    right = {ex.name: instructor_source(stem, ex.name) for ex in grade.load_lab(lab_path(stem)).exercises}
    nbformat.write(with_answers(student_copy(stem), {**right, "momentum_step": LOOPING}), sub / "loop.ipynb")
    nbformat.write(with_answers(student_copy(stem), {**right, "nesterov_step": DEAF}), sub / "deaf.ipynb")
    nb = with_answers(student_copy("lab1_finite_differences"),
                      {**CORRECT_LAB1, "grad_f": "import os\nos._exit(3)\n"})
    nbformat.write(nb, sub / "exits.ipynb")
    assert grade.main([str(sub), "--timeout", "8", "--out", str(out)]) == 0
    return out


def test_an_infinite_loop_is_cut_off_and_the_other_exercises_graded(looping):
    row = rows(looping / "grades.csv")["loop.ipynb"]
    assert (row["momentum_step"], row["score"], row["max_score"]) == ("0", "4", "5"), row
    feedback = (looping / "feedback" / "loop.ipynb.md").read_text()
    assert "did not finish within 8 s" in feedback
    executed = nbformat.read(looping / "executed" / "loop.ipynb", as_version=4)
    assert executed.metadata["gdlib_grade"]["kernels"] == 1, "interrupted, not replaced"


def test_a_loop_that_ignores_the_interrupt_gets_a_new_kernel(looping):
    row = rows(looping / "grades.csv")["deaf.ipynb"]
    assert (row["nesterov_step"], row["score"]) == ("0", "4"), row
    executed = nbformat.read(looping / "executed" / "deaf.ipynb", as_version=4)
    assert executed.metadata["gdlib_grade"]["kernels"] == 2


def test_a_kernel_that_dies_is_replaced(looping):
    row = rows(looping / "grades.csv")["exits.ipynb"]
    assert (row["numerical_gradient"], row["grad_f"], row["svm_loss_grad"]) == ("1", "0", "1"), row
    assert "kernel died" in (looping / "feedback" / "exits.ipynb.md").read_text()
    executed = nbformat.read(looping / "executed" / "exits.ipynb", as_version=4)
    assert executed.metadata["gdlib_grade"]["kernels"] == 2


def test_the_whole_notebook_limit_stops_the_run(tmp_path):
    cells = [nbformat.v4.new_code_cell(src) for src in ("x = 1", "while True:\n    pass", "y = x + 1")]
    planned = grade.Planned(nb=nbformat.v4.new_notebook(cells=cells),
                            role=[("context", None), ("answer", "a"), ("check", "b")])
    runs = grade.execute(planned, tmp_path, timeout=60, notebook_timeout=6, memory_mb=None)
    assert [r.status for r in runs] == ["ok", "timeout", "not run"]
    assert int(runs[1].evalue) < 6 and "limit (6 s) was used up" in runs[2].evalue


def test_a_kernel_that_does_not_start_is_tried_again_and_then_reported(tmp_path, monkeypatch):
    """No student code has run when a kernel fails to start: the grader tries other kernels first."""
    from nbclient import NotebookClient
    real = NotebookClient.setup_kernel
    calls = []

    def flaky(self, **kwargs):
        calls.append(1)
        if len(calls) <= fails:
            raise RuntimeError("Kernel didn't respond in 120 seconds")
        return real(self, **kwargs)

    monkeypatch.setattr(NotebookClient, "setup_kernel", flaky)
    cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("assert x == 1")]
    planned = grade.Planned(nb=nbformat.v4.new_notebook(cells=cells), role=[("answer", "a"), ("check", "a")])
    fails = grade.KERNEL_START_TRIES - 1                       # the last try starts: graded as usual
    runs = grade.execute(planned, tmp_path, timeout=60, notebook_timeout=120, memory_mb=None)
    assert [r.status for r in runs] == ["ok", "ok"] and len(calls) == grade.KERNEL_START_TRIES
    calls.clear()
    fails = grade.KERNEL_START_TRIES                           # none starts: reported, not a silent 0
    runs = grade.execute(planned, tmp_path, timeout=60, notebook_timeout=120, memory_mb=None)
    assert [r.status for r in runs] == ["not run", "not run"] and len(calls) == grade.KERNEL_START_TRIES
    assert "didn't respond" in runs[0].evalue


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS is enforced on Linux")
def test_the_kernel_has_a_memory_limit(tmp_path):
    cells = [nbformat.v4.new_code_cell("block = bytearray(3 * 2**30)")]  # 3 GiB against a 2 GiB limit
    planned = grade.Planned(nb=nbformat.v4.new_notebook(cells=cells), role=[("answer", "a")])
    runs = grade.execute(planned, tmp_path, timeout=60, notebook_timeout=60, memory_mb=2048)
    assert (runs[0].status, runs[0].ename) == ("error", "MemoryError")


def test_cli_refuses_bad_arguments(tmp_path, capsys):
    with pytest.raises(SystemExit):
        grade.main([str(tmp_path / "missing")])
    assert "Invalid SUBMISSIONS" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        grade.main([str(tmp_path), "--timeout", "-1"])
    assert "Invalid timeout: -1 (must be > 0)" in capsys.readouterr().err


# --------------------------------------------------------------------------- publishing
def test_workflow_tests_every_push_and_publishes_main():
    files = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    assert files, "a workflow under .github/workflows/"
    wf = yaml.safe_load(files[0].read_text())
    on = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "push" in on and "pull_request" in on
    jobs = wf["jobs"]
    steps = [s for job in jobs.values() for s in job.get("steps", [])]
    runs = "\n".join(s.get("run", "") for s in steps)
    assert ".ci/run" in runs and "apt-get install" in runs and "chromium" in runs
    assert "make test" in (ROOT / ".ci" / "run").read_text()   # the workflow runs what CI runs
    caches = [s["with"] for s in steps if s.get("uses", "").startswith("actions/cache@")]
    keys = " ".join(c["key"] for c in caches)
    paths = " ".join(c["path"] for c in caches)
    assert ".venv" in paths and "_vendor" in paths
    assert "hashFiles('requirements.txt', 'pyproject.toml')" in keys
    assert "hashFiles('tools/site/package-lock.json')" in keys
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "_build/html" and "refs/heads/main" in upload["if"]
    deploy_job = next(j for j in jobs.values() if any(s.get("uses", "").startswith("actions/deploy-pages@")
                                                      for s in j.get("steps", [])))
    assert deploy_job["permissions"] == {"pages": "write", "id-token": "write"}
    assert "refs/heads/main" in deploy_job["if"] and deploy_job["needs"] == "test"
    assert deploy_job["environment"]["name"] == "github-pages"


def test_make_targets():
    dry = subprocess.run(["make", "-n", "grade", "SUBMISSIONS=some folder", "TIMEOUT=7", "JOBS=2"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    assert 'tools/grade.py "some folder" --timeout 7' in dry and "--jobs 2" in dry
    usage = subprocess.run(["make", "-o", ".venv/.installed", "grade"], cwd=ROOT, capture_output=True, text=True)
    assert usage.returncode != 0 and "usage: make grade SUBMISSIONS=folder" in usage.stderr
    dry = subprocess.run(["make", "-n", "serve", "PORT=8123"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    assert "http.server 8123 --bind 127.0.0.1 --directory _build/html" in dry
