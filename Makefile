# Two commands do all the set-up on a fresh machine with Python 3.11+:
#   make book   -> creates .venv if missing, installs, builds the site into _build/html
#   make test   -> the same install, then every test (unit, doctests, nbval, book build with -W)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: book test unit notebooks build-book clean student

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

# the labs' pages link to their student notebooks ({download} role), so write those first
book: $(STAMP) student
	$(BIN)/jupyter-book build . -W -n --keep-going

# student versions of the labs (solutions replaced by stubs) -> _build/student/
student: $(STAMP)
	$(BIN)/python tools/student.py --out _build/student

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests gdlib --doctest-modules

notebooks: $(STAMP)
	$(BIN)/python -m pytest -q --nbval-lax -n 2 chapters labs

test: unit notebooks book

clean:
	rm -rf _build
