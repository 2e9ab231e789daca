"""Fetch the site's browser assets at pinned versions and lay them out for Sphinx.

The static site must work with no network (issue 6): MathJax, require.js, the
ipywidgets html-manager and Font Awesome 4 (for matplotlib's animations) are served
from the site itself, never from a CDN. They are
not committed; this script installs them from the npm registry with ``npm ci`` (the
versions are pinned by ``tools/site/package-lock.json``) into ``_vendor/npm/`` and
copies the files the pages use into ``_vendor/site/_static/gd-vendor/``.
``_config.yml`` lists ``_vendor/site`` in ``html_extra_path``, so they are served
as ``_build/html/_static/gd-vendor/...`` (``mathjax_path`` and ``nb_ipywidgets_js`` point
there). ``make vendor`` (a prerequisite of ``make book``) runs this only when the
stamp file is missing or older than its inputs.

One package is for the build, not the browser: ``@mathjax/src`` (MathJax 4's node API, the
same version as ``mathjax``), with which ``gd_perf.py`` renders the site's math at build time
(``tools/site/prerender_math.mjs``). It stays in ``_vendor/npm/node_modules``; nothing of it is
served but its licence.

Usage: ``python tools/site/vendor.py [--force]`` from the repository root.
"""

from __future__ import annotations

import filecmp
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "tools" / "site"
NPM_DIR = ROOT / "_vendor" / "npm"
OUT = ROOT / "_vendor" / "site"
DEST = OUT / "_static" / "gd-vendor"
STAMP = OUT / ".stamp"

# MathJax 4: the combined TeX+MathML+CHTML component that Sphinx loads, plus what it may
# load on demand (TeX extensions through autoload, the menu's renderer switch, lazy typesetting,
# accessibility and speech parts). Other bundles are never used. Version 4 (not 3) because it
# breaks wide display equations into lines on a phone (issue 13 item 6).
MATHJAX_KEEP = ["tex-mml-chtml.js", "input", "output", "ui", "a11y", "sre"]
# ...and its default font (a package of its own since version 4): the CHTML font data and its
# woff2 files, laid out inside mathjax/ so the page config can name it as "[mathjax]/newcm-font"
# (tools/site/gd_perf.py), from http:// and file:// alike. MathJax's default is a CDN.
MATHJAX_FONT = "@mathjax/mathjax-newcm-font"
MATHJAX_FONT_KEEP = ["chtml.js", "chtml"]
# html-manager: the AMD bundle myst-nb loads, and the icon fonts its CSS points at
# (webpack emits them beside the bundle under content hashes). Only the formats that
# browsers of the last decade pick first: the .eot/.svg/.ttf fallbacks are never fetched.
FONT_SUFFIXES = (".woff2", ".woff")


def fail(message: str) -> None:
    print(f"vendor.py: {message}", file=sys.stderr)
    sys.exit(1)


def pinned_versions() -> dict[str, str]:
    return json.loads((SITE / "package.json").read_text())["dependencies"]


def npm_ci() -> None:
    """Install the locked packages into _vendor/npm (skipped when already installed)."""
    NPM_DIR.mkdir(parents=True, exist_ok=True)
    lock = NPM_DIR / "package-lock.json"
    installed = NPM_DIR / "node_modules" / ".package-lock.json"
    if (
        lock.exists()
        and installed.exists()
        and filecmp.cmp(lock, SITE / "package-lock.json", shallow=False)
        and filecmp.cmp(NPM_DIR / "package.json", SITE / "package.json", shallow=False)
    ):
        return
    npm = shutil.which("npm")
    if npm is None:
        fail(
            "npm is needed to fetch the site's pinned MathJax, require.js and widget manager "
            "(install Node.js with npm, e.g. `apt-get install -y npm`)."
        )
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(SITE / name, NPM_DIR / name)
    cmd = [npm, "ci", "--prefix", str(NPM_DIR), "--no-audit", "--no-fund", "--ignore-scripts",
           "--loglevel=error"]
    print("vendor.py:", " ".join(cmd[1:]), flush=True)
    subprocess.run(cmd, check=True)


def check_versions(modules: Path) -> dict[str, str]:
    found = {}
    for name, want in pinned_versions().items():
        meta = modules / name / "package.json"
        if not meta.exists():
            fail(f"{name} missing from {modules} after npm ci")
        got = json.loads(meta.read_text())["version"]
        if got != want:
            fail(f"{name}: installed {got}, package.json pins {want}")
        found[name] = got
    return found


def copy_tree(src: Path, dst: Path) -> None:
    if src.is_dir():
        shutil.copytree(src, dst, ignore=shutil.ignore_patterns("*.map"))
    else:
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)


def lay_out(modules: Path) -> None:
    if DEST.exists():
        shutil.rmtree(DEST)
    DEST.mkdir(parents=True)
    for rel in MATHJAX_KEEP:
        if not (modules / "mathjax" / rel).exists():
            fail(f"mathjax/{rel} not found")
        copy_tree(modules / "mathjax" / rel, DEST / "mathjax" / rel)
    for rel in MATHJAX_FONT_KEEP:
        if not (modules / MATHJAX_FONT / rel).exists():
            fail(f"{MATHJAX_FONT}/{rel} not found")
        copy_tree(modules / MATHJAX_FONT / rel, DEST / "mathjax" / "newcm-font" / rel)
    copy_tree(modules / "requirejs" / "require.js", DEST / "requirejs" / "require.js")
    dist = modules / "@jupyter-widgets" / "html-manager" / "dist"
    copy_tree(dist / "embed-amd.js", DEST / "html-manager" / "embed-amd.js")
    fonts = [p for p in dist.iterdir() if p.suffix in FONT_SUFFIXES]
    if not fonts:
        fail(f"no icon fonts found in {dist}")
    for path in fonts:
        copy_tree(path, DEST / "html-manager" / path.name)
    # Font Awesome 4, which matplotlib's animation HTML (to_jshtml) links from a CDN for its
    # buttons; gd_site.py points such links at this copy
    fa = modules / "font-awesome"
    copy_tree(fa / "css" / "font-awesome.min.css", DEST / "font-awesome" / "css" / "font-awesome.min.css")
    for path in (fa / "fonts").iterdir():
        if path.suffix in FONT_SUFFIXES:
            copy_tree(path, DEST / "font-awesome" / "fonts" / path.name)
    # the course's own few lines that make the html-manager work with this layout
    copy_tree(SITE / "widgets-shim.js", DEST / "gd-site" / "widgets-shim.js")
    # licences travel with the code
    for name in pinned_versions():
        for lic in ("LICENSE", "LICENSE.txt", "LICENSE.md"):
            if (modules / name / lic).exists():
                copy_tree(modules / name / lic, DEST / "licenses" / f"{name.replace('/', '__')}.txt")
                break


def main(argv: list[str]) -> int:
    if "--force" in argv and NPM_DIR.exists():
        shutil.rmtree(NPM_DIR)
    npm_ci()
    modules = NPM_DIR / "node_modules"
    versions = check_versions(modules)
    lay_out(modules)
    size = sum(p.stat().st_size for p in DEST.rglob("*") if p.is_file())
    STAMP.write_text(json.dumps(versions, indent=1) + "\n")
    print(f"vendor.py: {', '.join(f'{k}@{v}' for k, v in versions.items())} -> "
          f"{DEST.relative_to(ROOT)} ({size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
