# Every command a person runs. `make book` and `make test` work on a fresh machine:
# each creates .venv/ and installs the pinned environment first when needed.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ASSIGNMENT ?=
WORKERS ?=
NOTEBOOK ?=
PYTEST_ARGS ?=

# Quiet TensorFlow's C++ start-up logs in chapters, grading kernels and tests.
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help install book release serve test check grade bench clean

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==25.3"
	$(BIN)/python -m pip install --quiet -c requirements.lock -e .
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the pinned environment

release: $(STAMP)  ## generate every student notebook from exercises/ into release/
	$(BIN)/python -m grading release

book: release  ## execute every chapter and build the website into _build/html
	$(BIN)/jupyter-book build . -W --keep-going

serve:  ## serve the built website on http://localhost:8000
	$(BIN)/python -m http.server --directory _build/html 8000

test: $(STAMP)  ## run the whole test suite (builds the book if needed)
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

check: $(STAMP)  ## run the visible tests of a notebook: make check NOTEBOOK=path.ipynb
	@test -n "$(NOTEBOOK)" || { echo "usage: make check NOTEBOOK=path/to/notebook.ipynb"; exit 2; }
	$(BIN)/python -m grading check "$(NOTEBOOK)"

grade: $(STAMP)  ## autograde submitted/*/ASSIGNMENT, write feedback and grades: make grade ASSIGNMENT=a1_rnn_from_scratch
	@test -n "$(ASSIGNMENT)" || { echo "usage: make grade ASSIGNMENT=<id> [WORKERS=n]"; exit 2; }
	$(BIN)/python -m grading grade "$(ASSIGNMENT)" $(if $(WORKERS),--workers $(WORKERS))

bench: $(STAMP)  ## measure build and grading cost (prints ratios)
	$(BIN)/python benchmarks/build_time.py
	$(BIN)/python benchmarks/grading.py

clean:  ## remove everything generated (keeps .venv)
	rm -rf _build release autograded feedback reports gradebook.db grades.csv
