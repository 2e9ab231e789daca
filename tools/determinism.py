"""Execute every notebook several times, with 1 and with 2 BLAS threads, and require the same outputs.

A course whose printed numbers change from one build to the next (an unseeded random draw, a sum
whose order depends on the BLAS thread count, a set iterated in hash order) teaches numbers that
the reader cannot reproduce. ``make determinism`` runs this tool on ``chapters/`` and ``labs/``.

Usage::

    python tools/determinism.py                     # chapters/*.ipynb labs/*.ipynb, runs with 1, 2, 1 threads
    python tools/determinism.py NB.ipynb ... [--threads 1,2,1] [--jobs 2] [--timeout 300] [--json OUT]

What runs
    Each notebook is executed ``len(--threads)`` times (default three: 1, 2 and again 1 BLAS thread)
    by nbclient in a fresh ``python3`` kernel whose working directory is the notebook's folder.
    The thread count reaches the kernel through its environment (``OPENBLAS_NUM_THREADS``,
    ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``, ``BLIS_NUM_THREADS``, ``VECLIB_MAXIMUM_THREADS``,
    ``NUMEXPR_NUM_THREADS``), read by the BLAS when numpy loads. ``PYTHONHASHSEED`` is removed from
    the kernel's environment, so each kernel draws its own string-hash seed and an output that
    depends on set or hash order shows up as a difference. ``--jobs`` kernels run at once
    (default 2, the machine's cores).

What is compared (the "checked outputs")
    For every code cell, in order: the text of its ``stdout`` and ``stderr`` streams (consecutive
    pieces of one stream joined, since how a stream is cut into messages depends on timing), the
    ``text/plain`` form of every ``execute_result`` and ``display_data`` (this includes myst-nb
    ``glue`` values, ``display_data`` whose ``text/plain`` is stored as
    ``application/papermill.record/text/plain``), and every error (``ename: evalue``). Two rules
    take outputs out of the comparison, and they are the only ones:

    1. a cell tagged ``nbval-ignore-output`` (nbval's own tag for "run me, do not compare my
       output") is executed but not compared: put wall-clock timings, memory use and anything
       else that is honestly not reproducible in such a cell;
    2. memory addresses (``0x`` followed by 6 or more hex digits, as in ``<object at 0x7f3a...>``)
       are replaced by ``0x...`` before comparing.

    Rich forms are not compared byte for byte: ``image/png`` (matplotlib's PNG carries no date, but
    its pixels are not promised equal across thread counts or versions), ``image/svg+xml`` and
    ``text/html`` (the explorer's HTML holds a fresh element id per output). Their digests are
    compared anyway and the summary says how many were stable, as information, never as a failure.

Result
    Exit status 0 when every notebook ran without error and its checked outputs are identical in
    all runs. Otherwise 1, with one paragraph per failing notebook naming the notebook, the cell
    (index in the notebook and its first source line), the runs and their thread counts, and the
    first differing line of output with its line number.
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
IGNORE_TAG = "nbval-ignore-output"
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")
RICH = ("image/png", "image/svg+xml", "text/html")


def kernel_env(threads: int, base: dict | None = None) -> dict:
    """The environment of a kernel limited to ``threads`` BLAS/OpenMP threads, with no fixed hash seed."""
    env = dict(os.environ if base is None else base)
    for name in THREAD_VARS:
        env[name] = str(threads)
    env.pop("PYTHONHASHSEED", None)
    return env


def normalize(text: str) -> str:
    """Apply the documented rewriting rule: memory addresses become ``0x...``."""
    return ADDRESS.sub("0x...", text)


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _data(out) -> dict:
    """An output's mime bundle; a myst-nb ``glue`` value's keys lose their ``application/papermill.record/`` prefix."""
    data = out.get("data", {})
    prefix = out.get("metadata", {}).get("scrapbook", {}).get("mime_prefix", "")
    return {k[len(prefix):]: v for k, v in data.items() if k.startswith(prefix)} if prefix else data


def _ignored(cell) -> bool:
    return IGNORE_TAG in cell.get("metadata", {}).get("tags", [])


def checked_lines(cell) -> list[str]:
    """The checked output of one executed code cell, as lines prefixed by where they come from.

    Returns ``[]`` for a markdown cell and for a cell tagged ``nbval-ignore-output``.
    """
    if cell.get("cell_type") != "code" or _ignored(cell):
        return []
    blocks: list[tuple[str, str]] = []          # (label, text); consecutive pieces of a stream joined
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "stream":
            label = out.get("name", "stdout")
            if blocks and blocks[-1][0] == label:
                blocks[-1] = (label, blocks[-1][1] + _text(out.get("text", "")))
            else:
                blocks.append((label, _text(out.get("text", ""))))
        elif kind in ("execute_result", "display_data"):
            data = _data(out)
            if "text/plain" in data:
                glue = out.get("metadata", {}).get("scrapbook", {}).get("name")
                label = f"glue {glue}" if glue else ("result" if kind == "execute_result" else "display")
                blocks.append((label, _text(data["text/plain"])))
        elif kind == "error":
            blocks.append(("error", f"{out.get('ename')}: {out.get('evalue')}"))
    lines = []
    for label, text in blocks:
        for line in normalize(text).splitlines() or [""]:
            lines.append(f"{label}| {line}")
    return lines


def rich_digests(cell) -> list[str]:
    """SHA-256 digests of a cell's rich outputs (PNG, SVG, HTML): compared for information only."""
    if cell.get("cell_type") != "code" or _ignored(cell):
        return []
    found = []
    for out in cell.get("outputs", []):
        data = _data(out)
        for mime in RICH:
            if mime in data:
                found.append(f"{mime} " + hashlib.sha256(_text(data[mime]).encode()).hexdigest())
    return found


def first_line(cell) -> str:
    src = _text(cell.get("source", "")).strip().splitlines()
    return src[0][:80] if src else "(empty)"


@dataclass
class Run:
    """One execution of one notebook."""
    path: Path
    index: int
    threads: int
    cells: list = field(default_factory=list)   # executed cells (nbformat nodes)
    error: str | None = None                     # set when execution failed
    error_cell: int | None = None
    seconds: float = 0.0


def first_difference(a: list[str], b: list[str]) -> tuple[int, str, str]:
    """``(line number from 1, line in a, line in b)`` of the first difference; a missing line is ``<no line>``."""
    for i in range(max(len(a), len(b))):
        x = a[i] if i < len(a) else "<no line>"
        y = b[i] if i < len(b) else "<no line>"
        if x != y:
            return i + 1, x, y
    raise ValueError("the two outputs are identical")


def compare(runs: list[Run], root: Path = ROOT) -> tuple[list[str], dict]:
    """Compare the runs of one notebook. Returns ``(problems, stats)``; no problem means identical."""
    problems = []
    try:
        name = str(runs[0].path.relative_to(root))
    except ValueError:
        name = str(runs[0].path)
    stats = {"cells": 0, "lines": 0, "ignored_cells": 0, "rich": 0, "rich_stable": 0, "rich_unstable_cells": []}
    failed = [run for run in runs if run.error is not None]
    if failed:
        run = failed[0]
        where = f"cell {run.error_cell}" if run.error_cell is not None else "the kernel"
        which = ", ".join(str(r.index + 1) for r in failed)
        problems.append(f"{name}: execution failed in {where} in run(s) {which} of {len(runs)} "
                        f"(first: run {run.index + 1}, {run.threads} BLAS thread(s)):\n    {run.error}")
        return problems, stats
    ref = runs[0]
    for idx, cell in enumerate(ref.cells):
        if cell.get("cell_type") != "code":
            continue
        if _ignored(cell):
            stats["ignored_cells"] += 1
            continue
        stats["cells"] += 1
        base = checked_lines(cell)
        stats["lines"] += len(base)
        for other in runs[1:]:
            lines = checked_lines(other.cells[idx])
            if lines != base:
                n, x, y = first_difference(base, lines)
                problems.append(
                    f"{name}: cell {idx} ({first_line(cell)!r}) differs between run {ref.index + 1} "
                    f"({ref.threads} BLAS thread(s)) and run {other.index + 1} ({other.threads}), "
                    f"first at output line {n}:\n    run {ref.index + 1}: {x}\n    run {other.index + 1}: {y}")
                break
        if problems:
            break                                 # the first differing cell is the one to look at
        digests = rich_digests(cell)
        stable = sum(all(rich_digests(o.cells[idx])[k:k + 1] == [d] for o in runs[1:])
                     for k, d in enumerate(digests))
        stats["rich"] += len(digests)
        stats["rich_stable"] += stable
        if stable < len(digests):
            stats["rich_unstable_cells"].append(idx)
    return problems, stats


async def _execute(run: Run, timeout: int, limit: asyncio.Semaphore) -> Run:
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    async with limit:
        nb = nbformat.read(run.path, as_version=4)
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(run.path.parent)}})
        start = time.perf_counter()
        try:
            await client.async_execute(env=kernel_env(run.threads))
        except CellExecutionError as exc:
            run.error = f"{exc.ename}: {exc.evalue}"
            run.error_cell = _failed_cell(nb)
        except (CellTimeoutError, DeadKernelError, RuntimeError, OSError) as exc:
            run.error = f"{type(exc).__name__}: {exc}".strip().splitlines()[0]
            run.error_cell = _failed_cell(nb)
        run.seconds = time.perf_counter() - start
        run.cells = nb.cells
        print(f"  ran {run.path.name} (run {run.index + 1}, {run.threads} thread(s)) in {run.seconds:.1f} s"
              + (" -- FAILED" if run.error else ""), flush=True)
        return run


def _failed_cell(nb) -> int | None:
    """Index of the last cell that has been executed (the one that raised or timed out)."""
    last = None
    for i, cell in enumerate(nb.cells):
        if cell.get("cell_type") == "code" and (cell.get("execution_count") is not None or cell.get("outputs")):
            last = i
    return last


async def execute_all(paths: list[Path], threads: list[int], jobs: int, timeout: int) -> dict[Path, list[Run]]:
    """Execute every notebook once per entry of ``threads``, at most ``jobs`` kernels at a time."""
    limit = asyncio.Semaphore(jobs)
    # run index outermost: the first runs of all notebooks before any second run, so the repeats of one
    # notebook never share a moment (and an early failure shows up early)
    runs = [Run(path=p, index=i, threads=n) for i, n in enumerate(threads) for p in paths]
    await asyncio.gather(*(_execute(r, timeout, limit) for r in runs))
    grouped: dict[Path, list[Run]] = {p: [] for p in paths}
    for r in runs:
        grouped[r.path].append(r)
    return grouped


def check(paths: list[Path], threads=(1, 2, 1), jobs: int = 2, timeout: int = 300,
          root: Path = ROOT) -> tuple[list[str], dict]:
    """Execute and compare ``paths``; returns ``(problems, report)`` (``problems == []`` means deterministic)."""
    if len(threads) < 2:
        raise ValueError(f"Invalid threads: {list(threads)} (need at least two runs to compare)")
    if jobs < 1:
        raise ValueError(f"Invalid jobs: {jobs} (must be >= 1)")
    paths = [Path(p).resolve() for p in paths]
    grouped = asyncio.run(execute_all(paths, list(threads), jobs, timeout))
    problems, report = [], {}
    for path, runs in grouped.items():
        found, stats = compare(runs, root)
        problems += found
        stats["seconds"] = [round(r.seconds, 1) for r in runs]
        stats["identical"] = not found
        report[str(path)] = stats
    return problems, report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to check (default: chapters/*.ipynb and labs/*.ipynb)")
    parser.add_argument("--threads", default="1,2,1",
                        help="BLAS threads of each run, comma-separated (default 1,2,1: three runs)")
    parser.add_argument("--jobs", type=int, default=2, help="kernels at once (default 2)")
    parser.add_argument("--timeout", type=int, default=300, help="seconds a cell may take (default 300)")
    parser.add_argument("--json", type=Path, help="also write the per-notebook report here")
    args = parser.parse_args(argv)
    try:
        threads = [int(t) for t in args.threads.split(",")]
    except ValueError:
        parser.error(f"--threads must be comma-separated integers, got {args.threads!r}")
    if any(t < 1 for t in threads):
        parser.error(f"--threads must be >= 1, got {args.threads!r}")
    paths = args.notebooks or sorted((ROOT / "chapters").glob("*.ipynb")) + sorted((ROOT / "labs").glob("*.ipynb"))
    missing = [str(p) for p in paths if not Path(p).is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    print(f"determinism: {len(paths)} notebook(s) x {len(threads)} runs (BLAS threads {threads}), "
          f"{args.jobs} kernel(s) at once", flush=True)
    start = time.perf_counter()
    problems, report = check(paths, threads, args.jobs, args.timeout)
    elapsed = time.perf_counter() - start
    cells = sum(s["cells"] for s in report.values())
    lines = sum(s["lines"] for s in report.values())
    ignored = sum(s["ignored_cells"] for s in report.values())
    rich = sum(s["rich"] for s in report.values())
    stable = sum(s["rich_stable"] for s in report.values())
    unstable = [f"{Path(p).name} cell {i}" for p, s in report.items() for i in s["rich_unstable_cells"]]
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"threads": threads, "seconds": round(elapsed, 1),
                                         "problems": problems, "notebooks": report}, indent=1))
    print(f"determinism: compared {lines} output lines of {cells} code cells ({ignored} tagged "
          f"{IGNORE_TAG}, not compared); figures/HTML not compared: {stable} of {rich} identical "
          f"across runs{' (differing: ' + ', '.join(unstable) + ')' if unstable else ''}; {elapsed:.0f} s")
    if problems:
        print(f"determinism: FAILED, {len(problems)} notebook(s) differ or fail:\n", file=sys.stderr)
        for p in problems:
            print(p + "\n", file=sys.stderr)
        return 1
    print(f"determinism: OK, every notebook gives the same checked outputs in all {len(threads)} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
