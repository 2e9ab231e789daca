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

.PHONY: book test unit notebooks build-book clean student vendor browser lab

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

unit: $(STAMP)
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

# JupyterLab on the repository, for the labs and chapters (live widgets; see _build/student/ after `make student`)
lab: $(STAMP) student
	$(BIN)/jupyter lab

notebooks: $(STAMP)
	$(BIN)/python -m pytest -q --nbval-lax -n 2 --dist loadfile chapters labs

test: unit notebooks book browser

clean:
	rm -rf _build
