# Two commands do all the set-up on a fresh machine with Python 3.11+:
#   make book   -> creates .venv if missing, installs, builds the site into _build/html
#   make test   -> the same install, then every test (unit, doctests, nbval, book build with -W,
#                  every built page in headless Chromium)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# MathJax, require.js and the widget manager the site serves itself (pinned in tools/site/package-lock.json)
VENDOR_STAMP := _vendor/site/.stamp
CHROMIUM     := /usr/bin/chromium

.PHONY: book test unit notebooks build-book clean student vendor browser lab grade serve determinism oldest

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

# the labs' pages link to their student notebooks ({download} role), so write those first
book: $(STAMP) vendor student
	$(BIN)/jupyter-book build . -W -n --keep-going

# student versions of the labs (solutions replaced by stubs) -> _build/student/
student: $(STAMP)
	$(BIN)/python tools/student.py --out _build/student

# npm ci into _vendor/npm, then the served files into _vendor/site; only when missing or out of date
$(VENDOR_STAMP): tools/site/package.json tools/site/package-lock.json tools/site/vendor.py tools/site/widgets-shim.js | $(STAMP)
	@command -v npm >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  { echo "make vendor: installing npm (apt-get)"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q npm >/dev/null || \
	    { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q npm >/dev/null; }; }; } || true
	$(BIN)/python tools/site/vendor.py

vendor: $(STAMP) $(VENDOR_STAMP)

# vendor first: tests/test_site_perf.py renders math with the vendored MathJax in Node
unit: $(STAMP) vendor
	$(BIN)/python -m pytest -q tests gdlib --doctest-modules --ignore=tests/browser

# every page of the built site (run `make book` first) in Debian's Chromium driven by Playwright;
# Chromium is installed only when missing, and only where apt-get can (root); otherwise a loud skip
browser: $(STAMP)
	@if [ ! -x $(CHROMIUM) ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "make browser: installing Debian's chromium (apt-get)"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 || \
	  { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; } || true; \
	fi
	@if [ -x $(CHROMIUM) ]; then \
	  GD_BROWSER_TESTS=1 $(BIN)/python -m pytest -q -rs --tb=short tests/browser; \
	else \
	  echo "************************************************************************"; \
	  echo "BROWSER TESTS SKIPPED: $(CHROMIUM) is missing and could not be installed"; \
	  echo "(needs root and apt-get: apt-get install -y chromium)"; \
	  echo "************************************************************************"; \
	fi

# grade submitted labs: `make grade SUBMISSIONS=folder [TIMEOUT=60] [NOTEBOOK_TIMEOUT=600] [MEMORY=4096] [JOBS=1]`
# -> _build/grades/grades.csv, feedback/ and executed/. It RUNS THE STUDENTS' CODE: see README, "For instructors".
SUBMISSIONS ?=
TIMEOUT ?= 60
NOTEBOOK_TIMEOUT ?=
MEMORY ?= 4096
JOBS ?= 1
grade: $(STAMP)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=folder [TIMEOUT=seconds] [JOBS=n]" >&2; exit 2; }
	$(BIN)/python tools/grade.py "$(SUBMISSIONS)" --timeout $(TIMEOUT) --memory $(MEMORY) --jobs $(JOBS) \
	  $(if $(NOTEBOOK_TIMEOUT),--notebook-timeout $(NOTEBOOK_TIMEOUT))

# the built site on http://127.0.0.1:$(PORT)/, served as files the way a static host does (run `make book` first)
PORT ?= 8000
serve:
	@test -f _build/html/index.html || { echo "make serve: no _build/html/index.html; run make book first" >&2; exit 2; }
	@echo "serving _build/html on http://127.0.0.1:$(PORT)/ (Ctrl-C stops)"
	$(PYTHON) -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

# JupyterLab on the repository, for the labs and chapters (live widgets; see _build/student/ after `make student`)
lab: $(STAMP) student
	$(BIN)/jupyter lab

notebooks: $(STAMP)
	$(BIN)/python -m pytest -q --nbval-lax -n 2 --dist loadfile chapters labs

test: unit notebooks book browser

# torch.optim trajectories and torch.autograd gradients -> tests/references/*.npz, which the unit tests
# compare gdlib with (so `make test` needs no torch). Needs a Python with torch, outside the project venv:
#   python3 -m venv /work/torchvenv && /work/torchvenv/bin/pip install torch==2.13.0 numpy
# Not run by `make test`; rerun when an optimizer, a test problem or the torch version changes
# (`$(PYTHON_TORCH) tools/make_references.py --check` compares a torch with the files, writing nothing).
PYTHON_TORCH ?= /work/torchvenv/bin/python
.PHONY: references
references:
	@$(PYTHON_TORCH) -c "import torch" 2>/dev/null || { echo "make references: $(PYTHON_TORCH) cannot import torch; set PYTHON_TORCH=/path/to/python-with-torch (see the comment in the Makefile)" >&2; exit 2; }
	$(PYTHON_TORCH) tools/make_references.py

# every notebook of chapters/ and labs/ run three times (1, 2 and 1 BLAS threads, 2 kernels at once): the
# checked outputs must be identical (tools/determinism.py says what is compared); run by .ci/run after make test
determinism: $(STAMP)
	$(BIN)/python tools/determinism.py --threads 1,2,1 --jobs 2 --json _build/determinism.json

# the lowest versions requirements.txt admits, in their own venv: uv's --resolution lowest-direct (wheels only:
# a lowest version must have a wheel for this Python), then the unit tests, doctests and notebooks there.
# The venv is rebuilt whenever requirements.txt or pyproject.toml changes. Run by .ci/run after make test.
# (PYDEVD_...: ipykernel 6.29's debugger otherwise prints a "frozen modules" warning per kernel.)
OLDEST       := .venv-oldest
OLDEST_STAMP := $(OLDEST)/.installed
$(OLDEST_STAMP): requirements.txt pyproject.toml
	rm -rf $(OLDEST)
	$(PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/python -m pip install --quiet "uv>=0.5"
	$(OLDEST)/bin/uv pip install --quiet --python $(OLDEST)/bin/python --resolution lowest-direct \
	  --only-binary :all: -r requirements.txt
	@if $(OLDEST)/bin/uv pip show --quiet --python $(OLDEST)/bin/python torch >/dev/null 2>&1; then \
	  echo "make oldest: torch was pulled in; it must not be (uv ignores pip's torch cap)" >&2; exit 1; fi
	touch $@

oldest: $(OLDEST_STAMP)
	@echo "make oldest: the direct requirements at their lowest admitted versions:"
	@$(OLDEST)/bin/uv pip freeze --python $(OLDEST)/bin/python | grep -iE "^($$(sed -n \
	  's/^\([A-Za-z0-9_.-]*\)[<>=!~].*/\1/p' requirements.txt | paste -sd'|' -))==" | sed 's/^/    /'
	PYDEVD_DISABLE_FILE_VALIDATION=1 $(OLDEST)/bin/python -m pytest -q -p no:cacheprovider tests gdlib \
	  --doctest-modules --ignore=tests/browser
	PYDEVD_DISABLE_FILE_VALIDATION=1 $(OLDEST)/bin/python -m pytest -q -p no:cacheprovider --nbval-lax -n 2 \
	  --dist loadfile chapters labs

clean:
	rm -rf _build
