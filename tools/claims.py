"""Find numbers in the course's prose that look measured but are not bound to the code (issue 9).

The course promises that every number in its text that is the *result* of a computation comes from the
executed notebook. A number in a markdown cell is bound when it is

* inserted by myst-nb's ``glue`` (``{glue:text}`name:.3g```, ``{glue:md}``, ``{glue}``): it is not in
  the source text at all;
* declared a **constant** of that cell, with the reason it is one, in the cell's metadata
  ``{"gd_claims": {"constants": {"0.195": "a chosen learning rate, just below 2/L"}}}``: a
  hyperparameter, a definition, an exact value derived on paper, a count the text chooses;
* declared **asserted**, ``{"gd_claims": {"asserted": {"5%": "0.05"}}}``: the number as the text writes
  it, mapped to the literal that an ``assert`` line of a neighbouring code cell (the code cell just
  before or just after the markdown cell) uses; the scanner checks that the literal is there;
* or in the short global list :data:`GLOBAL_CONSTANTS` (the course's defaults, 0.9, 1e-8, ...) or a
  publication year of ``references.bib``.

What counts as a number that may be measured: a decimal (``0.37``), a number in scientific form
(``1e-3``, ``2 \\times 10^{-3}``, ``10^{-4}``), a percentage (``5%``, ``5\\%``) and an integer of two or
more digits (``465``). Single digits are counts and structure ("three stopping rules") and pass.
Ignored: code (fenced blocks in a programming language, inline code), roles (glue, cite, ref, numref,
eq, doc, download), directive options (``:label: ex-03-one-dim``), link targets, labels, HTML comments.
Math *is* scanned: a measured value is no truer for being typeset.

Typed cross-references are refused too (item 4): "Exercise 3", "Figure 2", "Fig. 2", "Section 4",
"Equation (5)", "eq. 5", "chapter 13" (linked or not: numbers change when chapters are added): refer with
``{ref}``, ``{numref}``, ``{eq}``, ``{doc}`` or a link whose text names the target. A typed number next to a
``{cite}`` ("chapter 2 of {cite}`nocedal2006`") points into another book and passes.

Usage::

    python tools/claims.py chapters/03_gradient_descent.ipynb ...   # list unbound numbers, exit 1 if any
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]

#: constants any cell may use without declaring them: the course's default hyperparameters and the
#: round numbers of the notes. Keep it short: a per-cell declaration says *why* a number is a constant.
GLOBAL_CONSTANTS = {
    "0.5", "0.9", "0.95", "0.99", "0.999", "1e-8", "1e-7", "1e-6", "1e-5", "1e-4", "1e-3", "1e-2",
    "10", "100", "1000", "1e8", "10^8", "10^{8}", "10^{-8}", "10^{-7}", "10^{-6}", "10^{-5}", "10^{-4}", "10^{-3}", "10^{-2}",
}

# fenced blocks: ```python / ```text / ``` ... are code; ```{directive} are prose and are kept
_FENCE_LINE = re.compile(r"^\s*(?:(?:[-*+]|\d+[.)])\s+)?(?P<f>`{3,}|~{3,}|:{3,})(?P<info>.*)$")  # "3. ```python" too


def drop_code_blocks(text: str) -> str:
    """Remove fenced code blocks, keeping the prose inside directive fences (```{exercise} ... ```).

    Fences are matched as CommonMark/MyST do: a closing fence is a bare run of the opener's character,
    at least as long, so the bare ``` that closes an {exercise} is not taken for a code block's start.
    """
    out, stack = [], []          # stack of (char, length, is_code)
    for line in text.split("\n"):
        m = _FENCE_LINE.match(line)
        if m:
            fence, info = m.group("f"), m.group("info").strip()
            top = stack[-1] if stack else None
            if top and not info and fence[0] == top[0] and len(fence) >= top[1]:
                stack.pop()                                   # closes the innermost block
                out.append("" if top[2] else line)
                continue
            if not (top and top[2]):                          # inside code, fences are text
                stack.append((fence[0], len(fence), not info.startswith("{")))
                out.append("" if stack[-1][2] else line)
                continue
        out.append("" if stack and stack[-1][2] else line)
    return "\n".join(out)
_CITE = re.compile(r"\{cite(:\w+)?\}`[^`]*`")
_ROLE = re.compile(r"\{(glue(:\w+)?|ref|numref|eq|doc|download|term|abbr|math)\}`[^`]*`")
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")       # on one line
_DIRECTIVE_OPTION = re.compile(r"^\s*:[\w-]+:.*$", re.M)
_DIRECTIVE_LINE = re.compile(r"^\s*(`{3,}|:{3,})(\{[\w:-]+\}.*)?$", re.M)   # ```{solution} ex-03-one-dim, ```
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_LABEL = re.compile(r"^\s*\([\w:-]+\)=\s*$", re.M)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_URL = re.compile(r"https?://\S+")
_ENUMERATION = re.compile(r"^\s*\d+[.)]\s", re.M)        # "1. first point" in a list

# numbers: order matters (longest forms first)
_NUMBER = re.compile(
    r"(?<![\w.\\{])("
    r"\d+(?:\.\d+)?\s*\\times\s*10\^\{?[-−]?\d+\}?"      # 2 \times 10^{-3}
    r"|10\^\{?[-−]?\d+\}?"                                 # 10^{-4}
    r"|\d+(?:\.\d+)?[eE][-+]?\d+"                          # 1e-3, 2.5e-4
    r"|\d+(?:\.\d+)?\s*\\?%"                               # 5%, 5\%
    r"|\d+\.\d+"                                           # 0.37
    r"|\d{2,}"                                             # 465
    r")(?![\w])"
)
_TYPED_REF = re.compile(
    r"\b(?:[Ee]xercises?|[Ff]igures?|[Ff]ig\.|[Ss]ections?|[Ee]quations?|[Ee]q\.|[Cc]hapters?|[Tt]ables?)"
    r"\s*~?\(?\d+(?:\.\d+)?\)?")


def publication_years() -> set[str]:
    """The years of the bibliography: "Nesterov 1983" is a citation, not a measurement."""
    bib = (ROOT / "references.bib").read_text(encoding="utf-8")
    return set(re.findall(r"year\s*=\s*[{\"]?(\d{4})", bib))


def normalise(token: str) -> str:
    """One spelling per number: spaces dropped, ``\\%`` as ``%``, the minus sign as ``-``."""
    return re.sub(r"\s+", "", token).replace("\\%", "%").replace("−", "-")


def prose(text: str) -> str:
    """The part of a markdown cell that is read as text or math (code, roles, options, links removed)."""
    text = _CITE.sub(" CITE ", text)
    text = drop_code_blocks(_HTML_COMMENT.sub(" ", text))
    for pattern in (_ROLE, _DIRECTIVE_LINE, _INLINE_CODE, _DIRECTIVE_OPTION,
                    _LINK_TARGET, _LABEL, _URL, _ENUMERATION):
        text = pattern.sub(" ", text)
    return text


@dataclass
class Finding:
    path: str
    cell: int
    kind: str          # "unbound number", "typed reference", "asserted literal missing", "bad declaration"
    text: str
    context: str

    def __str__(self) -> str:
        return f"{self.path} cell {self.cell}: {self.kind} {self.text!r} in: ...{self.context}..."


def _context(source: str, token: str) -> str:
    i = source.find(token)
    if i < 0:
        return source[:60].replace("\n", " ")
    return source[max(0, i - 50): i + len(token) + 30].replace("\n", " ")


def _neighbour_code(cells, i) -> str:
    """The code cells next to markdown cell ``i`` (the nearest before and after it)."""
    out = []
    for j in (i - 1, i + 1):
        if 0 <= j < len(cells) and cells[j].cell_type == "code":
            out.append(cells[j].source)
    return "\n".join(out)


def scan_text(path: str, cell_index: int, source: str, declared: dict, allowed: set[str],
              neighbour_code: str = "") -> list[Finding]:
    """Findings for one markdown text; ``declared`` is the cell's ``gd_claims`` metadata."""
    findings: list[Finding] = []
    constants = declared.get("constants", {}) or {}
    asserted = declared.get("asserted", {}) or {}
    for kind, table in (("constants", constants), ("asserted", asserted)):
        if not isinstance(table, dict):
            findings.append(Finding(path, cell_index, "bad declaration", kind, "must map number -> text"))
            continue
        for number, why in table.items():
            if not isinstance(why, str) or (kind == "constants" and len(why.split()) < 3):
                findings.append(Finding(path, cell_index, "bad declaration", number,
                                        f"{kind}: give the reason in at least three words"))
    bound = {normalise(k) for k in constants} | {normalise(k) for k in asserted}
    text = prose(source)
    for match in _NUMBER.finditer(text):
        token = normalise(match.group(1))
        if token == "CITE" or token in allowed or token in bound:
            continue
        findings.append(Finding(path, cell_index, "unbound number", match.group(1).strip(),
                                _context(source, match.group(1).strip())))
    asserts = "\n".join(line for line in neighbour_code.splitlines()
                        if re.search(r"\bassert\b|assert_allclose|assert_array", line))
    for number, literal in asserted.items():
        if isinstance(literal, str) and literal not in asserts:
            findings.append(Finding(path, cell_index, "asserted literal missing", number,
                                    f"no assert line of a neighbouring code cell holds {literal!r}"))
    for match in _TYPED_REF.finditer(text):
        near = text[max(0, match.start() - 40): match.end() + 40]
        if "CITE" in near:      # "chapter 2 of {cite}`nocedal2006`": a reference into another book
            continue
        findings.append(Finding(path, cell_index, "typed reference", match.group(0),
                                _context(source, match.group(0))))
    return findings


def scan_notebook(path: Path) -> list[Finding]:
    nb = nbformat.read(path, as_version=4)
    allowed = GLOBAL_CONSTANTS | publication_years()
    rel = str(Path(path).resolve().relative_to(ROOT)) if Path(path).resolve().is_relative_to(ROOT) else str(path)
    findings = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        declared = cell.metadata.get("gd_claims", {})
        findings += scan_text(rel, i, cell.source, declared, allowed, _neighbour_code(nb.cells, i))
    return findings


_MD_DECLARATION = re.compile(r"<!--\s*gd_claims\s*(\{.*?\})\s*-->", re.S)


def scan_markdown_file(path: Path) -> list[Finding]:
    """A MyST ``.md`` page (intro, notation): one text; its declarations sit in an HTML comment,
    ``<!-- gd_claims {"constants": {"14": "the number of chapters, counted by the toc test"}} -->``."""
    import json

    source = Path(path).read_text(encoding="utf-8")
    declared: dict = {}
    for block in _MD_DECLARATION.findall(source):
        for key, table in json.loads(block).items():
            declared.setdefault(key, {}).update(table)
    rel = str(Path(path).resolve().relative_to(ROOT))
    return scan_text(rel, 0, source, declared, GLOBAL_CONSTANTS | publication_years())


def scan(path: Path) -> list[Finding]:
    return scan_notebook(path) if str(path).endswith(".ipynb") else scan_markdown_file(path)


def course_pages() -> list[Path]:
    """Every page whose prose the promise covers: the chapters, the labs and the book's own .md pages."""
    pages = sorted((ROOT / "chapters").glob("*.ipynb")) + sorted((ROOT / "labs").glob("*.ipynb"))
    pages += [p for p in (ROOT / "intro.md", ROOT / "notation.md") if p.exists()]
    return pages


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or course_pages()
    findings = [f for p in paths for f in scan(p)]
    for f in findings:
        print(f)
    print(f"{len(findings)} finding(s) in {len(paths)} page(s)")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
