"""Grade submitted labs: the student's answers, the instructor's checks, one fresh kernel each.

``make grade SUBMISSIONS=folder [TIMEOUT=60]`` runs ``python tools/grade.py folder``. For every
file under ``folder`` (hidden files and folders such as ``.ipynb_checkpoints`` skipped):

1. **Which lab.** The notebook's ``metadata.gdlib.lab`` (written by ``tools/student.py``), else
   the lab whose cell ids it shares most (nbformat 4.5 ids survive Jupyter, so a renamed file is
   still recognised), else a ``labN`` in the file name, else the lab whose exercise functions it
   defines. Neither a notebook nor a lab: a row with
   score 0 and the reason.
2. **Only the answers.** Each exercise's answer cell is the cell that ``make student`` turned
   into a stub: found by its cell id, else by ``metadata.gdlib.answer``, else as the last cell
   that defines the exercise's functions. That cell's source, and nothing else of the
   submission, goes into a copy of the *instructor's* notebook: every check cell is the
   instructor's, so editing or deleting a check gains nothing. A missing answer is the stub.
3. **Run.** The copy runs in a fresh kernel whose working directory is a scratch directory
   outside the repository, cell by cell, with a per-cell timeout (``--timeout``), a limit for
   the whole notebook (``--notebook-timeout``) and, where the OS allows, an address-space and a
   CPU-time limit on the kernel process (``--memory``; ``resource.setrlimit``). Only the cells
   grading needs run: the answer and check cells and the cells that define a name they use
   (plots and demonstrations are skipped). A cell that raises or times out (the kernel is
   interrupted) fails its exercise and the run goes on; a kernel that dies or ignores the
   interrupt is restarted and the notebook replayed without the culprit.
4. **Score.** An exercise scores 1 when its answer cell and its check cells ran without error.
   ``_build/grades/grades.csv`` gets one row per file: ``submission``, ``lab``, one 1/0 column
   per exercise (named by the function it asks for), ``score``, ``max_score``, ``reason`` (why a
   file was not graded), ``review`` (answers that touch the checks' machinery: read them by hand);
   ``_build/grades/feedback/<submission>.md`` the checks' own sentences (what students see);
   ``_build/grades/executed/<submission>`` the graded notebook with its outputs.

Grading runs the students' code with your permissions: run it in a container or on CI (see the
README, "For instructors").

Usage::

    python tools/grade.py SUBMISSIONS [--timeout 60] [--notebook-timeout 600] [--memory 4096]
                          [--jobs 1] [--out _build/grades] [--labs labs]
"""
from __future__ import annotations

import argparse
import ast
import copy
import csv
import importlib.util
import logging
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat


def _load_student():
    """tools/student.py (the stubs and the tags), loaded by path: tools/ is not put on sys.path."""
    name = "gd_tools_student"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parent / "student.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


student = _load_student()

ROOT = Path(__file__).resolve().parent.parent
CHECK_TAG = student.CHECK_TAG
SOLUTION_TAG = student.SOLUTION_TAG
META = student.META_KEY
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
SETUP_TIMEOUT = 120  # seconds allowed to each instructor cell before the first answer (imports)
_LAB_NUMBER = re.compile(r"lab[ _-]?(\d+)", re.I)


# --------------------------------------------------------------------------- the labs
@dataclass
class Exercise:
    """One exercise of a lab: an answer cell and the check cells after it."""
    key: str            # the answer cell's id in the instructor's notebook
    name: str           # the CSV column: the function(s) the exercise asks for
    defines: list[str]  # top-level names the solution defines
    answer_index: int   # index of the answer cell in the instructor's notebook
    check_indices: list[int]
    stub: str           # what `make student` gives the student


@dataclass
class Lab:
    name: str                 # file stem, e.g. "lab1_finite_differences"
    path: Path
    nb: nbformat.NotebookNode
    exercises: list[Exercise]
    cell_ids: set[str]

    @property
    def number(self) -> str | None:
        m = _LAB_NUMBER.match(self.name)
        return m.group(1) if m else None


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _python(src: str) -> ast.Module | None:
    """``src`` as a Python module, IPython magics turned into calls; None if it does not parse."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        src = TransformerManager().transform_cell(src)
    except Exception:  # noqa: BLE001 (IPython missing or a transform failing: parse as is)
        pass
    try:
        return ast.parse(src)
    except (SyntaxError, ValueError):
        return None


def _imported_names(tree: ast.Module) -> set[str]:
    return {(a.asname or a.name).split(".")[0] for node in tree.body
            if isinstance(node, (ast.Import, ast.ImportFrom)) for a in node.names}


def _stored_names(tree: ast.Module, modules: frozenset[str] = frozenset()) -> set[str]:
    """Names a cell defines or may change at top level: assignments, defs, imports, ``x[...] = ...``,
    and ``x.method(...)`` (``results.append(...)``) unless ``x`` is one of the imported ``modules``."""
    out: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            out |= _imported_names(ast.Module(body=[node], type_ignores=[]))
            continue
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, (ast.Store, ast.Del)):
                out.add(sub.id)
            elif isinstance(sub, (ast.Attribute, ast.Subscript)) and isinstance(sub.ctx, (ast.Store, ast.Del)):
                base = sub.value
                while isinstance(base, (ast.Attribute, ast.Subscript)):
                    base = base.value
                if isinstance(base, ast.Name):
                    out.add(base.id)
            elif (isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute)
                  and isinstance(sub.func.value, ast.Name) and sub.func.value.id not in modules):
                out.add(sub.func.value.id)
    return out


def _loaded_names(tree: ast.Module) -> set[str]:
    """Names a cell reads from the notebook's namespace (a function's own arguments and locals excluded)."""
    loads: set[str] = set()

    def visit(node, local: frozenset[str]) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            a = node.args
            for d in [*getattr(node, "decorator_list", []), *a.defaults, *[k for k in a.kw_defaults if k]]:
                visit(d, local)
            if getattr(node, "returns", None) is not None:
                visit(node.returns, local)
            body = node.body if isinstance(node.body, list) else [node.body]
            inner = {x.arg for x in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg] if x}
            for b in body:
                for sub in ast.walk(b):
                    if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                        inner.add(sub.id)
                    elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                        inner.add(sub.name)
                    elif isinstance(sub, (ast.Import, ast.ImportFrom)):
                        inner |= {(x.asname or x.name).split(".")[0] for x in sub.names}
            for b in body:
                visit(b, local | inner)
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in local:
            loads.add(node.id)
        for child in ast.iter_child_nodes(node):
            visit(child, local)

    visit(tree, frozenset())
    return loads


def _defined_functions(src: str) -> list[str]:
    tree = _python(src)
    if tree is None:
        return []
    return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]


def load_lab(path: Path) -> Lab:
    """The exercises of the instructor notebook ``path`` (answer: ``solution``; checks: ``check``)."""
    nb = nbformat.read(path, as_version=4)
    exercises: list[Exercise] = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if SOLUTION_TAG in _tags(cell):
            if not cell.get("id"):
                raise ValueError(f"Invalid lab: {path} has a solution cell without an id (nbformat >= 4.5 needed)")
            funcs = _defined_functions(cell.source)
            tree = _python(cell.source)
            defines = sorted(_stored_names(tree)) if tree is not None else funcs
            exercises.append(Exercise(key=cell.id, name="+".join(funcs) or f"exercise_{len(exercises) + 1}",
                                      defines=funcs or defines, answer_index=i, check_indices=[],
                                      stub=student.stub_source(cell.source)))
        elif CHECK_TAG in _tags(cell):
            if not exercises:
                raise ValueError(f"Invalid lab: {path} has a check cell (index {i}) before any solution cell")
            exercises[-1].check_indices.append(i)
    if not exercises:
        raise ValueError(f"Invalid lab: {path} has no cell tagged {SOLUTION_TAG!r}")
    for ex in exercises:
        if not ex.check_indices:
            raise ValueError(f"Invalid lab: {path}: the answer {ex.name} has no check cell after it")
    return Lab(name=path.stem, path=path, nb=nb, exercises=exercises,
               cell_ids={c.id for c in nb.cells if c.get("id")})


def load_labs(labs_dir: Path) -> dict[str, Lab]:
    labs = {p.stem: load_lab(p) for p in sorted(Path(labs_dir).glob("lab*.ipynb"))}
    if not labs:
        raise ValueError(f"Invalid labs folder: no lab*.ipynb in {labs_dir}")
    return labs


def identify(nb: nbformat.NotebookNode, filename: str, labs: dict[str, Lab]) -> tuple[Lab | None, str]:
    """The lab ``nb`` is a copy of, and how it was recognised (or why not)."""
    meta = nb.get("metadata", {}).get(META, {})
    if isinstance(meta, dict) and meta.get("lab") in labs:
        return labs[meta["lab"]], "notebook metadata"
    ids = {c.get("id") for c in nb.cells if c.get("id")}
    if ids:
        share = {name: len(ids & lab.cell_ids) / len(lab.cell_ids) for name, lab in labs.items()}
        best = max(share, key=share.get)
        if share[best] >= 1 / 3:
            return labs[best], "cell ids"
    m = _LAB_NUMBER.search(Path(filename).stem)
    if m:
        hits = [lab for lab in labs.values() if lab.number == str(int(m.group(1)))]
        if len(hits) == 1:
            return hits[0], "file name"
    defined = {name for c in nb.cells if c.get("cell_type") == "code" for name in _defined_functions(c.source)}
    share = {name: sum(set(ex.defines) <= defined for ex in lab.exercises) / len(lab.exercises)
             for name, lab in labs.items()}
    best = max(share, key=share.get)
    if share[best] >= 1 / 2 and list(share.values()).count(share[best]) == 1:
        return labs[best], "the functions it defines"
    return None, ("not one of the labs (" + ", ".join(labs) + "): no lab's cells or name found in it")


def find_answers(nb: nbformat.NotebookNode, lab: Lab) -> dict[str, tuple[str, str]]:
    """For each exercise key: (the student's answer source, how it was found)."""
    theirs = [c for c in nb.cells if c.cell_type == "code"]
    by_id = {c.get("id"): c for c in theirs if c.get("id")}
    instructor_only = {c.id for c in lab.nb.cells if c.get("id")} - {ex.key for ex in lab.exercises}
    out: dict[str, tuple[str, str]] = {}
    for ex in lab.exercises:
        cell = by_id.get(ex.key)
        if cell is not None:
            out[ex.key] = (cell.source, "cell id")
            continue
        tagged = [c for c in theirs if isinstance(c.get("metadata", {}).get(META), dict)
                  and c.metadata[META].get("answer") == ex.key]
        if tagged:
            out[ex.key] = (tagged[-1].source, "cell metadata")
            continue
        defining = [c for c in theirs if c.get("id") not in instructor_only
                    and set(ex.defines) <= set(_defined_functions(c.source))]
        if ex.defines and defining:
            out[ex.key] = (defining[-1].source, "the cell defining " + ", ".join(ex.defines))
            continue
        out[ex.key] = (ex.stub, "missing")
    return out


# --------------------------------------------------------------------------- the notebook to run
@dataclass
class Planned:
    """The graded notebook: which instructor cells run, and what each one is."""
    nb: nbformat.NotebookNode          # only the cells that run
    role: list[tuple[str, str | None]]  # per cell: ("answer"|"check"|"context", exercise key)


def assemble(lab: Lab, answers: dict[str, tuple[str, str]]) -> Planned:
    """The instructor's notebook with the student's answers, cut to the cells grading needs."""
    cells = lab.nb.cells
    role: dict[int, tuple[str, str | None]] = {}
    for ex in lab.exercises:
        role[ex.answer_index] = ("answer", ex.key)
        for i in ex.check_indices:
            role[i] = ("check", ex.key)
    sources = {i: c.source for i, c in enumerate(cells) if c.cell_type == "code"}
    for ex in lab.exercises:
        sources[ex.answer_index] = answers[ex.key][0]
    trees = {i: _python(src) for i, src in sources.items()}
    modules = frozenset().union(*(_imported_names(t) for t in trees.values() if t is not None))
    keep: list[int] = []
    needed: set[str] = set()
    for i in sorted(sources, reverse=True):  # a cell runs if it is graded or defines a name used later
        tree = trees[i]
        if i in role or tree is None or _stored_names(tree, modules) & needed:
            keep.append(i)
            if tree is not None:
                needed |= _loaded_names(tree)
    keep.reverse()
    nb = nbformat.v4.new_notebook(metadata=copy.deepcopy(dict(lab.nb.metadata)))
    roles = []
    for i in keep:
        cell = nbformat.v4.new_code_cell(sources[i], metadata={"tags": _tags(cells[i])})
        cell.id = cells[i].id if cells[i].get("id") else cell.id
        nb.cells.append(cell)
        roles.append(role.get(i, ("context", None)))
    return Planned(nb=nb, role=roles)


# --------------------------------------------------------------------------- running it
@dataclass
class CellRun:
    status: str             # "ok" | "error" | "timeout" | "not run"
    ename: str = ""
    evalue: str = ""
    stdout: str = ""


_KEPT_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "SYSTEMROOT", "COMSPEC", "PATHEXT", "WINDIR")


def kernel_env(workdir: Path) -> dict[str, str]:
    """The kernel's environment: none of the grader's variables (tokens, keys) but the few that locate
    programs and the locale; ``HOME`` and ``TMPDIR`` are the scratch directory; one BLAS thread."""
    env = {k: os.environ[k] for k in _KEPT_ENV if k in os.environ}
    mpl = Path(tempfile.gettempdir()) / "gd-grade-matplotlib"  # its font cache, built once, not per kernel
    mpl.mkdir(exist_ok=True)
    env.update(HOME=str(workdir), TMPDIR=str(workdir), USERPROFILE=str(workdir), MPLCONFIGDIR=str(mpl),
               MPLBACKEND="Agg", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0")
    return env


def _limits(cpu_seconds: int | None, memory_bytes: int | None):
    """A ``preexec_fn`` setting the kernel's CPU-time and address-space limits (POSIX only)."""
    def apply():  # runs in the kernel's process, before Python starts
        try:
            import resource
        except ImportError:
            return
        for what, value in ((getattr(resource, "RLIMIT_CPU", None), cpu_seconds),
                            (getattr(resource, "RLIMIT_AS", None), memory_bytes)):
            if what is None or not value:
                continue
            try:
                soft, hard = resource.getrlimit(what)
                value = value if hard == resource.RLIM_INFINITY else min(value, hard)
                resource.setrlimit(what, (value, value))
            except (ValueError, OSError):
                pass
    return apply


def _record(cell) -> CellRun:
    err = next((o for o in cell.outputs if o.output_type == "error"), None)
    stdout = "".join(o.get("text", "") for o in cell.outputs
                     if o.output_type == "stream" and o.get("name") == "stdout")
    if err is None:
        return CellRun("ok", stdout=stdout)
    return CellRun("error", ename=err.ename, evalue=_ANSI.sub("", err.evalue), stdout=stdout)


def execute(planned: Planned, workdir: Path, timeout: int, notebook_timeout: int,
            memory_mb: int | None) -> list[CellRun]:
    """Run the planned cells in fresh kernels; one ``CellRun`` per cell.

    Cell by cell, errors allowed, ``timeout`` seconds per cell (the kernel is interrupted and the
    run goes on) and ``notebook_timeout`` for the whole; a kernel that dies or ignores the
    interrupt is replaced by a new one that replays the cells so far, without the culprit."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    cells = planned.nb.cells
    results: list[CellRun | None] = [None] * len(cells)
    banned: set[int] = set()  # cells that timed out or killed a kernel: never run again
    deadline = time.monotonic() + notebook_timeout
    env = kernel_env(workdir)
    preexec = _limits(notebook_timeout + 60, memory_mb * 2**20 if memory_mb else None)
    first_answer = next((i for i, (kind, _) in enumerate(planned.role) if kind == "answer"), len(cells))
    kernels = 0
    failed_starts = 0   # a kernel that never answered: the machine's fault, not the student's: try again
    while True:
        kernels += 1
        started = False
        client = NotebookClient(planned.nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                                interrupt_on_timeout=False, shutdown_kernel="immediate",
                                startup_timeout=120, resources={"metadata": {"path": str(workdir)}},
                                log=_QUIET)
        restart = False
        try:
            with client.setup_kernel(cwd=str(workdir), env=env, preexec_fn=preexec,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
                started = True
                for i, cell in enumerate(cells):
                    if i in banned:
                        continue
                    left = deadline - time.monotonic()
                    if left < 1:
                        break
                    # the instructor's set-up before the first answer runs no student code: a cold
                    # start of numpy/matplotlib on a busy machine must not count against the student
                    limit = timeout if i >= first_answer else max(timeout, SETUP_TIMEOUT)
                    client.timeout = max(1, int(min(limit, left)))
                    try:
                        client.execute_cell(cell, i)
                    except CellTimeoutError:
                        results[i] = CellRun("timeout", evalue=str(client.timeout))
                        banned.add(i)  # a replay in a new kernel skips it rather than wait for it again
                        if not _interrupted(client, wait=min(10, max(5, timeout))):
                            restart = True
                            break
                        continue
                    except DeadKernelError:
                        results[i] = CellRun("error", ename="DeadKernelError",
                                             evalue="the kernel died (out of memory, CPU time, or exit())")
                        banned.add(i)
                        restart = True
                        break
                    results[i] = _record(cell)
        except (DeadKernelError, RuntimeError, TimeoutError) as exc:  # a kernel that would not start
            if not started and failed_starts < KERNEL_START_TRIES - 1 and time.monotonic() < deadline:
                failed_starts += 1       # seen once on a clean clone: "Kernel didn't respond in 120 seconds"
                continue
            if not restart:
                for i in range(len(cells)):
                    if results[i] is None:
                        results[i] = CellRun("not run", evalue=f"the kernel failed: {exc}")
                break
        if not restart or time.monotonic() > deadline:
            break
    for i, r in enumerate(results):
        if r is None:
            results[i] = CellRun("not run", evalue=f"the whole notebook's limit ({notebook_timeout} s) was used up")
    planned.nb.metadata["gdlib_grade"] = {"kernels": kernels, "timeout": timeout,
                                          "notebook_timeout": notebook_timeout}
    return results  # type: ignore[return-value]


#: attempts at starting a kernel for one submission before its cells are reported as not run
KERNEL_START_TRIES = 3

_QUIET = logging.getLogger("gd-grade.nbclient")  # timeouts are reported in the feedback, not as log noise
_QUIET.setLevel(logging.CRITICAL)
_QUIET.propagate = False


def _interrupted(client, wait: int = 10) -> bool:
    """Interrupt the kernel after a timeout; True once it answers again within ``wait`` seconds."""
    from jupyter_core.utils import run_sync
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    try:
        run_sync(client.km.interrupt_kernel)()
        probe = nbformat.v4.new_code_cell("pass")
        client.timeout = wait
        client.execute_cell(probe, -1, store_history=False)
        return True
    except (CellTimeoutError, DeadKernelError, RuntimeError):
        return False


# --------------------------------------------------------------------------- one submission
@dataclass
class Result:
    submission: str
    lab: str = ""
    marks: dict[str, int] = field(default_factory=dict)  # column -> 1/0
    score: int = 0
    max_score: int = 0
    reason: str = ""
    review: str = ""        # for the instructor: answers that reach for the checks' machinery
    feedback: str = ""
    executed: nbformat.NotebookNode | None = None


def _verdict(ex: Exercise, planned: Planned, runs: list[CellRun], timeout: int) -> tuple[bool, str]:
    """(passed, the sentence for the student) of one exercise."""
    mine = [(kind, runs[i]) for i, (kind, key) in enumerate(planned.role) if key == ex.key]
    for kind, run in mine:
        where = "your answer cell" if kind == "answer" else "the check"
        if run.status == "timeout":
            cut = f"{run.evalue} s" if int(run.evalue) >= timeout else \
                f"{run.evalue} s, when the whole notebook's time limit ran out"
            return False, (f"{where} did not finish within {cut}: an infinite loop, "
                           "or far more work than the exercise needs.")
        if run.status == "not run":
            return False, f"not graded: {run.evalue}."
        if run.status == "error":
            if run.ename in ("CheckFailed", "ExerciseNotImplemented"):
                return False, run.evalue
            msg = f"{where} raised {run.ename}: {run.evalue}"
            if run.ename == "NameError":
                msg += (" (only the answer cells are graded: anything your answer needs, helpers and "
                        "imports included, must be inside the answer cell)")
            return False, msg
    said = " ".join(line.strip() for kind, run in mine if kind == "check"
                    for line in run.stdout.splitlines() if line.strip())
    return True, said or "passed."


# an answer needs none of these; a student who patches the checks from an answer cell would use them
_TAMPER = re.compile(r"\b(checks|CheckFailed|ExerciseNotImplemented|sys\.modules|builtins|__builtins__|importlib"
                     r"|get_ipython|__import__|_passed)\b|\b(exec|eval)\s*\(")


def tampering(source: str) -> list[str]:
    """What in an answer's source touches the grading machinery (empty for an honest answer)."""
    return sorted({m.group(0).rstrip("( ") for m in _TAMPER.finditer(source)})


def grade_notebook(nb: nbformat.NotebookNode, lab: Lab, name: str, timeout: int, notebook_timeout: int,
                   memory_mb: int | None) -> Result:
    answers = find_answers(nb, lab)
    planned = assemble(lab, answers)
    with tempfile.TemporaryDirectory(prefix="gd-grade-", ignore_cleanup_errors=True) as scratch:
        runs = execute(planned, Path(scratch), timeout, notebook_timeout, memory_mb)
    failed_context = [r for (kind, _), r in zip(planned.role, runs) if kind == "context" and r.status != "ok"]
    res = Result(submission=name, lab=lab.name, max_score=len(lab.exercises), executed=planned.nb)
    suspicious = {ex.name: hits for ex in lab.exercises if answers[ex.key][1] != "missing"
                  and (hits := tampering(answers[ex.key][0]))}
    res.review = "; ".join(f"the answer to {n} uses {', '.join(h)}" for n, h in suspicious.items())
    lines = [f"# {name}", "", f"Lab: {lab.name}", ""]
    body = []
    for k, ex in enumerate(lab.exercises, 1):
        ok, said = _verdict(ex, planned, runs, timeout)
        res.marks[ex.name] = int(ok)
        found = answers[ex.key][1]
        body.append(f"## Exercise {k}: {ex.name}: {'PASS' if ok else 'FAIL'}")
        body.append("")
        if found == "missing":
            body.append("No answer cell found for this exercise (was it deleted?): graded as the empty stub.")
            body.append("")
        body.append(said)
        body.append("")
    res.score = sum(res.marks.values())
    lines.append(f"Score: {res.score} / {res.max_score}")
    lines.append("")
    lines += body
    if failed_context:
        lines.append("Note: cells of the lab that use your answers also failed, e.g. "
                     + "; ".join(f"{r.ename or r.status}: {r.evalue}".strip() for r in failed_context[:3]))
        lines.append("")
    res.feedback = "\n".join(lines)
    return res


def grade_file(path: Path, name: str, labs: dict[str, Lab], timeout: int, notebook_timeout: int,
               memory_mb: int | None) -> Result:
    """Grade one submitted file; any problem with the file becomes a row with score 0 and its reason."""
    def refused(reason: str, lab: str = "") -> Result:
        return Result(submission=name, lab=lab, reason=reason,
                      feedback=f"# {name}\n\nNot graded (score 0): {reason}.\n")

    if path.suffix.lower() != ".ipynb":
        return refused(f"not a notebook (.ipynb): {path.suffix or 'no extension'}")
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # noqa: BLE001 (a corrupt upload must not stop the other 199)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return refused(f"not a readable notebook ({type(exc).__name__}: {first[:200]})")
    if not isinstance(nb.get("cells"), list):
        return refused("not a readable notebook (no cells)")
    lab, how = identify(nb, name, labs)
    if lab is None:
        return refused(how)
    try:
        return grade_notebook(nb, lab, name, timeout, notebook_timeout, memory_mb)
    except Exception as exc:  # noqa: BLE001
        return refused(f"could not be graded ({type(exc).__name__}: {exc})", lab=lab.name)


def _grade_job(args) -> Result:
    path, name, labs_dir, timeout, notebook_timeout, memory_mb = args
    return grade_file(Path(path), name, load_labs(Path(labs_dir)), timeout, notebook_timeout, memory_mb)


# --------------------------------------------------------------------------- the whole run
class Progress:
    """A progress bar on stderr (one line per file when stderr is not a terminal)."""

    def __init__(self, total: int, stream=None):
        self.total, self.done, self.start = total, 0, time.monotonic()
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def update(self, res: Result) -> None:
        self.done += 1
        width = 30
        filled = int(width * self.done / max(self.total, 1))
        elapsed = time.monotonic() - self.start
        eta = elapsed / self.done * (self.total - self.done)
        what = f"{res.score}/{res.max_score}" if not res.reason else "0 (" + res.reason.split(":")[0] + ")"
        line = (f"grading [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
                f"{elapsed:.0f}s elapsed, ~{eta:.0f}s left | {res.submission}: {what}")
        if self.tty:
            self.stream.write("\r\x1b[K" + line + ("\n" if self.done == self.total else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def submissions(folder: Path) -> list[tuple[Path, str]]:
    """Every non-hidden file under ``folder``, with its name relative to it (posix form)."""
    out = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if p.is_file() and not any(part.startswith(".") for part in rel.parts):
            out.append((p, rel.as_posix()))
    return out


def columns(labs: dict[str, Lab]) -> dict[tuple[str, str], str]:
    """(lab, exercise name) -> CSV column: the exercise's name, prefixed by its lab where two labs share it."""
    names = [ex.name for lab in labs.values() for ex in lab.exercises]
    return {(lab.name, ex.name): ex.name if names.count(ex.name) == 1 else f"{lab.name}:{ex.name}"
            for lab in labs.values() for ex in lab.exercises}


def write_outputs(results: list[Result], labs: dict[str, Lab], out: Path) -> Path:
    """``out/grades.csv``, ``out/feedback/<submission>.md`` and ``out/executed/<submission>``."""
    cols = columns(labs)
    used_labs = {r.lab for r in results}
    ex_cols = [c for (lab, _), c in cols.items() if lab in used_labs]
    for sub in ("feedback", "executed"):
        shutil.rmtree(out / sub, ignore_errors=True)  # no stale files from an earlier run
    out.mkdir(parents=True, exist_ok=True)
    csv_path = out / "grades.csv"
    with open(csv_path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["submission", "lab", *ex_cols, "score", "max_score", "reason", "review"])
        for r in results:
            marks = {cols[(r.lab, name)]: v for name, v in r.marks.items()}
            w.writerow([r.submission, r.lab, *[marks.get(c, "") for c in ex_cols], r.score, r.max_score, r.reason,
                        r.review])
    for r in results:
        fb = out / "feedback" / (r.submission + ".md")
        fb.parent.mkdir(parents=True, exist_ok=True)
        fb.write_text(r.feedback, encoding="utf-8")
        if r.executed is not None:
            ex = out / "executed" / r.submission
            ex.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(r.executed, ex)
    return csv_path


def grade_folder(folder: Path, labs_dir: Path = ROOT / "labs", out: Path = ROOT / "_build" / "grades",
                 timeout: int = 60, notebook_timeout: int = 600, memory_mb: int | None = 4096, jobs: int = 1,
                 progress_stream=None) -> list[Result]:
    """Grade every file under ``folder``; write the CSV and the feedback; return the results in file order."""
    labs = load_labs(labs_dir)
    files = submissions(folder)
    progress = Progress(len(files), progress_stream)
    results: dict[str, Result] = {}
    if jobs <= 1:
        for path, name in files:
            results[name] = grade_file(path, name, labs, timeout, notebook_timeout, memory_mb)
            progress.update(results[name])
    else:
        # fork (Linux): the workers inherit this module as loaded, whatever its name (3.14 defaults to forkserver)
        context = multiprocessing.get_context("fork") if sys.platform == "linux" else None
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            futures = {pool.submit(_grade_job, (str(p), n, str(labs_dir), timeout, notebook_timeout, memory_mb)): n
                       for p, n in files}
            for fut in as_completed(futures):
                name = futures[fut]
                try:
                    results[name] = fut.result()
                except Exception as exc:  # noqa: BLE001 (a worker that died: report, go on)
                    results[name] = Result(submission=name, reason=f"could not be graded ({type(exc).__name__}: {exc})",
                                           feedback=f"# {name}\n\nNot graded: {exc}\n")
                progress.update(results[name])
    ordered = [results[n] for _, n in files]
    write_outputs(ordered, labs, out)
    return ordered


def _positive_int(what: str):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"Invalid {what}: {text!r} (must be a whole number of seconds/MB)")
        if value <= 0:
            raise argparse.ArgumentTypeError(f"Invalid {what}: {value} (must be > 0)")
        return value
    return parse


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=textwrap.dedent(__doc__).split("\n\n")[0])
    parser.add_argument("submissions", type=Path, help="folder of submitted files (searched recursively)")
    parser.add_argument("--timeout", type=_positive_int("timeout"), default=60, help="seconds per cell (60)")
    parser.add_argument("--notebook-timeout", type=_positive_int("notebook-timeout"), default=None,
                        help="seconds for a whole notebook (default: 10 x timeout, at least 600)")
    parser.add_argument("--memory", type=int, default=4096,
                        help="address-space limit of the kernel in MB (4096; 0 for none)")
    parser.add_argument("--jobs", type=_positive_int("jobs"), default=1, help="submissions graded at once (1)")
    parser.add_argument("--labs", type=Path, default=ROOT / "labs", help="the instructor's labs (labs/)")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "grades", help="output folder (_build/grades)")
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        parser.error(f"Invalid SUBMISSIONS: {str(args.submissions)!r} (must be a folder)")
    if args.memory < 0:
        parser.error(f"Invalid memory: {args.memory} (must be >= 0)")
    notebook_timeout = args.notebook_timeout or max(600, 10 * args.timeout)
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)  # nbclient's cancelled output polls after a timeout
    results = grade_folder(args.submissions, args.labs, args.out, args.timeout, notebook_timeout,
                           args.memory or None, args.jobs)
    graded = [r for r in results if not r.reason]
    for lab in sorted({r.lab for r in graded}):
        mine = [r for r in graded if r.lab == lab]
        rates = ", ".join(f"{name} {sum(r.marks[name] for r in mine)}/{len(mine)}" for name in mine[0].marks)
        print(f"{lab}: mean score {sum(r.score for r in mine) / len(mine):.2f} / {mine[0].max_score}; passed: {rates}")
    for r in results:
        if r.review:
            print(f"REVIEW {r.submission}: {r.review} (the grade counts it; check by hand)")
    print(f"graded {len(graded)} of {len(results)} files "
          f"({len(results) - len(graded)} not graded: see the reason column); "
          f"wrote {args.out / 'grades.csv'} and {args.out / 'feedback'}/")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
