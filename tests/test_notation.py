"""One notation (issue 9 item 3): the notation page has an entry for every symbol, and no page uses a
retired meaning where a pattern can see it.

The decisions (which symbol means what, and what each chapter renames) are on the notation page itself,
notation.md; :data:`SYMBOLS` below is its table of entries, and :data:`RETIRED` the meanings the course
gave up, each as a regular expression on the LaTeX of a page. The scan covers the markdown cells of every
chapter and lab, intro.md and the docstrings of ``gdlib``; notation.md is not scanned (it quotes the retired
forms to say what they became).

A page may keep a match that is not the retired meaning by declaring it with a reason, as the claims
scanner does: in a notebook cell's metadata ``{"gd_notation": {"allow": {"<the matched text>": "<why>"}}}``,
in a .md page an HTML comment ``<!-- gd_notation {"allow": {...}} -->``.

Pages not yet converted by the chapter pass are reported as expected failures; set ``ENFORCE_ALL = True``
(one line, below) when the pass is done, and every page must be clean.
"""
import ast
import json
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import claims  # noqa: E402

NOTATION = (ROOT / "notation.md").read_text(encoding="utf-8")

#: True: every page is checked (set at 03:22 UTC on 2026-11-30, when every committed chapter and lab passed).
#: False would check only the pages in CONVERTED and report the others as expected failures.
ENFORCE_ALL = True

#: pages that follow the notation (checked even while ENFORCE_ALL is False); add a page when its pass is done
CONVERTED = {
    "intro.md",
    "chapters/01_partial_derivatives.ipynb", "chapters/02_gradient.ipynb", "chapters/03_gradient_descent.ipynb",
    "chapters/04_computing_gradients.ipynb", "chapters/05_backpropagation.ipynb", "chapters/06_challenges.ipynb",
    "chapters/07_physics_of_descent.ipynb", "chapters/08_momentum.ipynb", "chapters/09_nesterov.ipynb",
    "chapters/11_adagrad.ipynb", "chapters/12_rmsprop.ipynb", "chapters/13_adam.ipynb",
    "chapters/17_schedules.ipynb",
    "labs/lab1_finite_differences.ipynb", "labs/lab2_gradient_descent.ipynb",
} | {f"gdlib/{p.relative_to(ROOT / 'gdlib').as_posix()}" for p in (ROOT / "gdlib").rglob("*.py")}

#: label of each entry of the notation page -> what the entry must show (the symbol's LaTeX and the
#: name in gdlib where there is one)
SYMBOLS = {
    "notation-x": [r"x_k", r"x^\star", "`params`"],
    "notation-x-star": [r"x^\star", "`f.minima`"],
    "notation-f": [r"f^\star", "`f.f_min`"],
    "notation-loss": [r"\mathcal L", r"\ell_i"],
    "notation-g": [r"g_k", "`dx`"],
    "notation-unit-vector": [r"e_i"],
    "notation-h": [r"$h$", "`h`"],
    "notation-eps-mach": [r"\varepsilon_{\text{mach}}"],
    "notation-tol": [r"\delta", "`tol`"],
    "notation-k": [r"x_{k+1} = x_k - \eta_k\, g_k", "schedule(k)"],
    "notation-t": [r"t = k + 1", "`opt.t`"],
    "notation-k-total": [r"$K$", "`max_steps`", "`total_steps`"],
    "notation-units": ["epoch", r"\lceil N/B\rceil"],
    "notation-rho": [r"\rho(R)", r"-1/\ln\rho"],
    "notation-vectors": ["elementwise"],
    "notation-norm": [r"\lVert x\rVert", r"\lVert x\rVert_\infty"],
    "notation-hessian": [r"A = Q \Lambda Q^\top", "`f.A`"],
    "notation-lambda": [r"\lambda_i", "curvature"],
    "notation-lambda-min": [r"\lambda_{\min}", "`f.lambda_min`", "strongly convex"],
    "notation-smoothness": [r"$L$", "`f.L`", "Lipschitz"],
    "notation-kappa": [r"\kappa = L / \lambda_{\min}", "`f.kappa`"],
    "notation-z": [r"z_k = Q^\top (x_k - x^\star)", r"\tilde v_k"],
    "notation-r-matrix": [r"$R$", r"r_1", r"r_2"],
    "notation-gmax": [r"G_{\max}", r"D_{\max}"],
    "notation-dmax": [r"D_{\max}"],
    "notation-eta": [r"\eta_k", "`learning_rate`"],
    "notation-nu": [r"\nu", "`k`", "`decay_steps`"],
    "notation-decay-steps": [r"$S$", "`decay_steps`"],
    "notation-mu": [r"\mu", "`mu`"],
    "notation-v": [r"v_{k+1} = \mu v_k - \eta_k g_k", "`v`"],
    "notation-m": [r"\hat m_t", "`m`"],
    "notation-c": [r"c_t", r"\hat c_t", r"c^{\max}_t", "`cache`", '["v"]'],
    "notation-d": [r"d_t", r"u_t", "`delta_cache`", "`u`"],
    "notation-u": [r"u_t", "`u`"],
    "notation-beta": [r"$\beta", "`decay_rate`"],
    "notation-beta1": [r"\beta_1", "`beta1`"],
    "notation-beta2": [r"\beta_2", "`beta2`"],
    "notation-eps": [r"\epsilon", "`eps`"],
    "notation-alpha": [r"\alpha", "`reg`", "`weight_decay`"],
    "notation-newton": [r"\nabla^2 f", r"\Delta x_k", r"\zeta", r"s_k", r"y_k", r"H_k", "`damping`", "`history_size`"],
    "notation-radam": [r"\rho^{\mathrm{SMA}}_t", "`opt.rho(t)`"],
    "notation-rprop": ["`eta_minus`", "`eta_plus`"],
    "notation-svd": [r"U \Sigma V^\top", r"\sigma_i(G)", r"\lVert G\rVert_*", "`gd.newton_schulz`"],
    "notation-sigma": [r"\sigma", r"\xi_k"],
    "notation-xi": [r"\xi_k"],
    "notation-variance": [r"$V$"],
    "notation-x-bar": [r"\bar x_k", "`opt.averaged_params()`"],
    "notation-sigmoid": [r"\operatorname{sigmoid}(a)", "pre-activation"],
    "notation-a": [r"$a$"],
    "notation-scores": [r"s_{ij}", "`scores`"],
    "notation-margin": [r"\Delta", "`delta`"],
    "notation-sizes": [r"$N$", r"$B$", r"$n$", "`batch_size`"],
    "notation-gamma": [r"\gamma"],
    "notation-mass": [r"$M$"],
    "notation-tau": [r"\tau", r"\Delta\tau"],
    "notation-dictionary": ["CS231n", "Goh", "Ruder", "Goodfellow", "torch.optim"],
}

#: retired meanings: name -> (pattern on a page's LaTeX/markdown, what to write instead)
RETIRED = {
    "mu as strong convexity": (
        r"L\s*\+\s*\\mu(?![\w_])|\\mu\s*\+\s*L(?!\w)|L\s*/\s*\\mu(?![\w_])|\\mu\s*/\s*L(?!\w)"
        r"|\[\s*\\mu\s*,\s*L\s*\]|\\mu\$?-strongly",
        r"\lambda_{\min} (the strong-convexity constant); \mu is momentum"),
    "rho as decay_rate": (
        r"\\rho\s*(\\[,;!]\s*)?(\\mathit\{cache\}|c_|u_|d_|\\mathbb\s*E)"
        r"|\(1\s*-\s*\\rho\)\s*(\\[,;]\s*)?(g|dx|\\Delta|\\mathit|\\texttt)"
        r"|`decay_rate`\s*\(\s*\$\\rho\$|\$\\rho\$\s*\(\s*`decay_rate`",
        r"\beta for decay_rate; \rho is a rate"),
    "lambda as L2 / weight-decay strength": (
        r"\\lambda\s*(\\,)?\s*W(?!\w)|\\tfrac\{?\\lambda\}?\{?2\}?\s*\\(\||lVert)|\\tfrac\{?1\}?\{?2\}?\s*(\\,)?\s*\\lambda\s*\\sum"
        r"|(reg|weight_decay) : float[^\n]*\n\s*(L2 strength )?:math:`\\lambda(?![_\w])"
        r"|(`reg`|`weight_decay`|weight decay|L2 (penalty|term)|penalty)[^.\n$]{0,30}\$\\lambda(?![_\w])"
        r"|\$\\lambda(?![_\w])[^.\n$]{0,30}(`reg`|`weight_decay`)",
        r"\alpha (reg, weight_decay); \lambda is a curvature"),
    "sigma as the sigmoid": (
        r"\\sigma\(|\\sigma'|\\sigma\\(big|left)\(|d\\sigma\s*\}",
        r"\operatorname{sigmoid}(a); \sigma is a standard deviation"),
    "gamma as a curve": (r"\\gamma\(|\\gamma'", r"a path x(\tau); \gamma is friction"),
    "k as a schedule's decay constant": (
        r"e\^\{\s*-\s*k\s*(t|\\lfloor)|1\s*\+\s*k\s*t(?!\w)",
        r"\nu (the argument `k`); k is the step"),
    "m as a mass": (
        r"(?<![\w\\])m\s*(\\,)?\s*\\(ddot|dot)\s*[xu]|(?<![A-Z])/\s*m(?![\w])|\}\{m\}|mass \$m\$",
        r"M; m is Adam's first moment"),
    "t as physical time": (r"\\Delta\s*t(?![\w])|(?<![\w\\])x\(t\)", r"\tau, \Delta\tau; t is the update count"),
    "u as the ball's velocity": (r"(?<![\w\\])u_\{?k|\\dot\s*u(?![\w])", r"\dot x; u is Adamax's buffer"),
    "v as Adam's second moment": (
        r"\\hat\s*\{?v(?![a-zA-Z])|v_\{?\\max|v_\{?t\}?\s*=\s*\\beta_2|\\beta_2\s*(\\,)?\s*v_",
        r"c_t, \hat c_t, c^{\max}_t (gdlib's key stays `v`); v is momentum's velocity"),
    "w as the velocity in the eigenbasis": (
        r"\\mu\s*(\\,)?\s*w_\{?k|\\begin\{pmatrix\}\s*w_", r"\tilde v_k; w is a weight"),
    "e_k as the error (or a unit vector indexed by k)": (
        r"(?<![\w\\])e_\{?k(?![a-z])|(?<![\w\\])e_0(?![\w])", r"x_k - x^\star or z_k; e_i is a unit vector"),
    "z_1, z_2 as the roots of momentum's matrix": (
        r"\|z_1\|\s*,\s*\|z_2\||z_1\s*z_2\s*=|\|z_1\|\^2", r"r_1, r_2; z is the eigen-coordinates"),
    "bare varepsilon (machine epsilon or a tolerance)": (
        r"\\varepsilon(?!\s*_)", r"\varepsilon_{\text{mach}}, or \delta for a tolerance; \epsilon is eps"),
    "tau as a tolerance": (r"\\tau\s*=\s*10\^", r"\delta"),
    "L as a loss": (r"\\partial\s*L(?![\w_])|\\nabla\s*L(?![\w_])|(?<!\\mathcal )(?<!\\mathcal)(?<![\w\\{])L\((w|W)\)",
                    r"\mathcal L; L is smoothness"),
    "m_ij as the hinge argument": (r"(?<![\w\\])m_\{ij'?\}", r"a_{ij}, a pre-activation"),
    "c as a level value": (r"f\(x\)\s*=\s*c(?![\w_])", r"f_0; c is the cache"),
    "eta_t of a schedule": (r"\\eta_\{?t\}?\s*=\s*\\eta_0", r"\eta_k = schedule(k)"),
}
RETIRED_RE = {name: re.compile(pattern) for name, (pattern, _) in RETIRED.items()}

_FENCE = re.compile(r"^(`{3,}|~{3,})(?!\s*\{)[^\n]*\n.*?^\1[ \t]*$", re.S | re.M)   # code blocks, not directives
_MD_ALLOW = re.compile(r"<!--\s*gd_notation\s*(\{.*?\})\s*-->", re.S)


def retired_uses(text: str, allow=()) -> list[tuple[str, str]]:
    """(meaning, matched text) for every retired meaning in ``text``; code blocks are not scanned, and a
    match lying inside an occurrence of an allowed snippet passes."""
    text = _FENCE.sub(" ", text)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    spans = [(m.start(), m.end()) for a in allow for m in re.finditer(re.escape(a), text)]
    found = []
    for name, pattern in RETIRED_RE.items():
        for m in pattern.finditer(text):
            if not any(a <= m.start() and m.end() <= b for a, b in spans):
                found.append((name, m.group(0)))
    return found


def docstrings(path: Path) -> str:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                out.append(doc)
    return "\n".join(out)


def page_findings(rel: str) -> list[str]:
    path = ROOT / rel
    if rel.endswith(".ipynb"):
        nb = nbformat.read(path, as_version=4)
        out = []
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "markdown":
                continue
            allow = cell.metadata.get("gd_notation", {}).get("allow", {})
            out += [f"cell {i}: {name}: {text!r} -> {RETIRED[name][1]}"
                    for name, text in retired_uses(cell.source, allow)]
        return out
    if rel.endswith(".py"):
        return [f"docstring: {name}: {text!r} -> {RETIRED[name][1]}" for name, text in retired_uses(docstrings(path))]
    source = path.read_text(encoding="utf-8")
    allow = {}
    for block in _MD_ALLOW.findall(source):
        allow.update(json.loads(block).get("allow", {}))
    return [f"{name}: {text!r} -> {RETIRED[name][1]}" for name, text in retired_uses(source, allow)]


PAGES = ([p.relative_to(ROOT).as_posix() for p in sorted((ROOT / "chapters").glob("*.ipynb"))]
         + [p.relative_to(ROOT).as_posix() for p in sorted((ROOT / "labs").glob("*.ipynb"))]
         + ["intro.md"]
         + [p.relative_to(ROOT).as_posix() for p in sorted((ROOT / "gdlib").rglob("*.py"))])


def entry(label: str) -> str:
    """The text of a notation entry: from its label through its heading to the next heading."""
    start = NOTATION.index(f"({label})=")
    heading = re.compile(r"^#{2,3} ", re.M)
    first = heading.search(NOTATION, start)
    nxt = heading.search(NOTATION, first.end())
    return NOTATION[start: nxt.start() if nxt else len(NOTATION)]


@pytest.mark.parametrize("label", sorted(SYMBOLS))
def test_the_notation_page_has_an_entry_for_the_symbol(label):
    assert f"({label})=" in NOTATION, f"notation.md has no ({label})= entry"
    text = entry(label)
    missing = [s for s in SYMBOLS[label] if s not in text]
    assert not missing, f"the entry {label} does not show {missing}"


def test_every_notation_label_of_the_page_is_in_the_table_and_every_link_to_it_resolves():
    labels = set(re.findall(r"^\((notation[\w-]*)\)=", NOTATION, flags=re.M))
    assert labels - {"notation"} == set(SYMBOLS), "SYMBOLS and notation.md's labels differ"
    texts = [(ROOT / "intro.md").read_text(encoding="utf-8"), NOTATION]
    for path in sorted((ROOT / "chapters").glob("*.ipynb")) + sorted((ROOT / "labs").glob("*.ipynb")):
        texts += [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"]
    for text in texts:
        for target in re.findall(r"\{ref\}`(?:[^`<]*<)?(notation[\w-]*)>?`", text):
            assert target in labels, f"a link to {target!r}, which notation.md does not define"


def test_intro_and_notation_pass_the_claims_scanner():
    for page in ("intro.md", "notation.md"):
        found = claims.scan(ROOT / page)
        assert not found, "\n".join(map(str, found))


@pytest.mark.parametrize("rel", PAGES)
def test_no_retired_meaning(rel):
    found = page_findings(rel)
    if found and not ENFORCE_ALL and rel not in CONVERTED:
        pytest.xfail(f"{rel} not converted yet: " + "; ".join(found))
    assert not found, f"{rel} uses retired meanings (see notation.md):\n" + "\n".join(found)


@pytest.mark.parametrize("rel", [p for p in PAGES if p.endswith(".ipynb")])
def test_the_page_links_its_symbols_to_the_notation_page(rel):
    """Each chapter and lab links the notation page (at least at the first use of a symbol)."""
    md = "\n".join(c.source for c in nbformat.read(ROOT / rel, as_version=4).cells if c.cell_type == "markdown")
    linked = re.search(r"\{ref\}`(?:[^`<]*<)?notation[\w-]*>?`", md)
    if not linked and not ENFORCE_ALL:
        pytest.xfail(f"{rel} does not link the notation page yet")
    assert linked, f"{rel} never links the notation page: link a symbol's first use, {{ref}}`μ <notation-mu>`"


@pytest.mark.parametrize("name, retired, current", [
    ("mu as strong convexity", r"$\eta = 2/(L + \mu)$", r"$\eta = 2/(L + \lambda_{\min})$"),
    ("mu as strong convexity", r"eigenvalues in $[\mu, L]$", r"$v_{k+1} = \mu v_k - \eta g_k$"),
    ("rho as decay_rate", r"`decay_rate` ($\rho$)", r"`decay_rate` ($\beta$), rate $\rho(R)$"),
    ("rho as decay_rate", r"\mathit{cache} \leftarrow \rho\, \mathit{cache} + (1 - \rho)\, dx^2",
     r"c_t = \beta c_{t-1} + (1 - \beta)\, g_t^2"),
    ("lambda as L2 / weight-decay strength", r"$\tfrac12 \lambda \sum W^2$, gradient $\lambda W$",
     r"$\tfrac12 \lambda x^2$ on a direction of curvature $\lambda$"),
    ("lambda as L2 / weight-decay strength", r"the L2 penalty with strength $\lambda$", r"penalty $\alpha$"),
    ("lambda as L2 / weight-decay strength", r":math:`\tfrac12\lambda\sum W^2`", r":math:`\tfrac12\alpha\sum W^2`"),
    ("lambda as L2 / weight-decay strength", "reg : float\n        :math:`\\lambda \\ge 0`.",
     "reg : float\n        :math:`\\alpha \\ge 0`."),
    ("sigma as the sigmoid", r"$\sigma(a) = 1/(1 + e^{-a})$", r"noise $\sigma\, \xi_k$, variance $\sigma^2$"),
    ("gamma as a curve", r"$f(\gamma(t)) = c$", r"friction $\gamma\,\dot x$"),
    ("k as a schedule's decay constant", r"$\eta_0 e^{-kt}$ and $\eta_0/(1 + kt)$", r"$\eta_0 e^{-\nu k}$"),
    ("m as a mass", r"$m\,\ddot x = -\nabla U$, $\eta = \Delta t^2/m$", r"$M\ddot x$, $\hat m_t$, V/m"),
    ("t as physical time", r"time step $\Delta t$", r"time step $\Delta\tau$, count $t = k + 1$"),
    ("v as Adam's second moment", r"$\sqrt{\hat v_t} + \epsilon$", r"$\sqrt{\hat c_t} + \epsilon$, $v_{k+1}$"),
    ("w as the velocity in the eigenbasis", r"w_{k+1} = \mu\, w_k - \eta\lambda\, e_k", r"\mu \tilde v_k"),
    ("e_k as the error (or a unit vector indexed by k)", r"$\|e_k\| \approx C\rho^k$", r"$f(x + h e_i)$"),
    ("z_1, z_2 as the roots of momentum's matrix", r"$\rho(R) = \max(|z_1|, |z_2|)$", r"$z_k = Q^\top e$"),
    ("bare varepsilon (machine epsilon or a tolerance)", r"$\varepsilon |f| / h$", r"$\varepsilon_{\text{mach}}$"),
    ("L as a loss", r"$\partial L / \partial W$", r"$\partial \mathcal L / \partial W$, $L$-smooth"),
    ("L as a loss", r"$L(w) = \frac1N \sum_i \ell_i(w)$", r"$\mathcal L(w)$, $\nabla \mathcal{L}(W)$, $\mathcal{L}(w)$"),
    ("m_ij as the hinge argument", r"$m_{ij} = s_{ij} - s_{iy_i} + \Delta$", r"$a_{ij}$, $\sum_{ij} Y_{ij}$"),
    ("c as a level value", r"$\{x : f(x) = c\}$", r"$\{x : f(x) = f_0\}$"),
    ("eta_t of a schedule", r"$\eta_t = \eta_0 e^{-k t}$", r"$\eta_k = \eta_0 e^{-\nu k}$"),
])
def test_each_retired_meaning_is_found_and_its_replacement_passes(name, retired, current):
    assert name in {n for n, _ in retired_uses(retired)}, f"{name!r} does not fire on {retired!r}"
    assert retired_uses(current) == [], f"false alarm on {current!r}: {retired_uses(current)}"


def test_an_allowed_match_passes_and_code_is_not_scanned():
    text = r"Nesterov's book writes $2/(L + \mu)$ for our $2/(L + \lambda_{\min})$."
    assert retired_uses(text) != []
    assert retired_uses(text, {r"2/(L + \mu)": "quoting Nesterov's notation"}) == []
    assert retired_uses("```python\nx = 2 / (L + \\mu)\n```\n") == []
