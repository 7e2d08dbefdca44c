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
# The grader's limits (grading/limits.py, the one definition; `python -m grading grade --help` says what
# each means and its default). Each is a `make grade` variable, passed on only when set:
#   make grade ASSIGNMENT=a01_rnn_from_scratch CELL_TIMEOUT=60 MEMORY_MB=2048 NETWORK=0
LIMITS := CELL_TIMEOUT SUBMISSION_TIMEOUT MEMORY_MB ADDRESS_SPACE_MB FILE_SIZE_MB MAX_PROCESSES MAX_OUTPUT_KB \
	MAX_STREAM_MB NETWORK
option = --$(shell echo '$(1)' | tr 'A-Z_' 'a-z-')
# NETWORK=1 keeps the network, NETWORK=0 removes it; any other limit is a number
limit_flag = $(if $(filter NETWORK,$(1)),$(if $(filter 1 yes true,$($(1))),--network,$(if $(filter 0 no false,$($(1))),--no-network,--network='$($(1))')),$(call option,$(1)) '$($(1))')
LIMIT_FLAGS = $(foreach v,$(LIMITS),$(if $($(v)),$(call limit_flag,$(v))))
# The website serves its own math renderer: MathJax 3 from the npm registry, copied into _vendor/
# (a Sphinx html_static_path, see _config.yml), so no page loads anything from a CDN.
MATHJAX_VERSION := 3.2.2
MATHJAX_NPM := $(VENV)/npm/.mathjax-$(MATHJAX_VERSION)
MATHJAX := _vendor/mathjax/tex-mml-chtml.js
# The accessibility test (tests/test_accessibility.py) runs axe-core in every page: test tooling, pinned,
# from the npm registry at install time, never fetched by a test and never published in the site. It has
# its own prefix: `npm install --no-save` prunes every package of its prefix that it was not asked for,
# so sharing MathJax's would remove the other one.
AXE_VERSION := 4.14.1
AXE := $(VENV)/axe/node_modules/axe-core/axe.min.js
AXE_STAMP := $(VENV)/axe/.axe-core-$(AXE_VERSION)
# The site tests drive Debian's Chromium (never a browser build downloaded by a test tool), with Debian's
# Korean fonts, so the Korean edition's screenshots show Hangul (no page downloads a font).
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM
KOREAN_FONT := /usr/share/fonts/truetype/nanum/NanumGothic.ttf
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

# Quiet TensorFlow's C++ start-up logs in chapters, grading kernels and tests.
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help install toc book locales release serve test check grade late report export manual feedback bench clean

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==25.3"
	$(BIN)/python -m pip install --quiet -c requirements.lock -e .
	touch $(STAMP)

$(MATHJAX_NPM): | $(STAMP)
	@command -v npm >/dev/null || { echo "npm is needed to install MathJax: apt-get install npm"; exit 1; }
	rm -rf $(VENV)/npm && mkdir -p $(VENV)/npm
	npm install --prefix $(VENV)/npm --no-save --no-package-lock --no-audit --no-fund --loglevel=error mathjax@$(MATHJAX_VERSION)
	touch $@

# Only what the pages use: the TeX+MathML→CHTML bundle, its fonts, the TeX extensions it autoloads,
# and the menu / accessibility components it loads when a reader turns them on.
$(MATHJAX): $(MATHJAX_NPM)
	rm -rf _vendor/mathjax && mkdir -p _vendor/mathjax/output
	cd $(VENV)/npm/node_modules/mathjax && cp -r LICENSE es5/tex-mml-chtml.js es5/input es5/ui es5/a11y es5/sre $(CURDIR)/_vendor/mathjax/ \
		&& cp -r es5/output/chtml $(CURDIR)/_vendor/mathjax/output/
	touch $@

$(AXE_STAMP): | $(STAMP)
	@command -v npm >/dev/null || { echo "npm is needed to install axe-core: apt-get install npm"; exit 1; }
	rm -rf $(VENV)/axe && mkdir -p $(VENV)/axe
	npm install --prefix $(VENV)/axe --no-save --no-package-lock --no-audit --no-fund --loglevel=error axe-core@$(AXE_VERSION)
	test -s $(AXE)
	touch $@

$(CHROMIUM) $(KOREAN_FONT):
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-nanum

install: $(STAMP) $(MATHJAX)  ## create .venv and install the pinned environment (and the site's MathJax)

# KOREAN=strict (the default) also writes release/ko/<id>/ and fails on an untranslated or fuzzy message
# of locales/ko/LC_MESSAGES/exercises/<id>.po; KOREAN=off releases the English notebooks only
KOREAN ?= strict
release: $(STAMP)  ## generate every student notebook from exercises/ into release/ (Korean: release/ko/)
	$(BIN)/python -m grading release --korean $(KOREAN)

toc: $(STAMP)  ## write _toc.yml from course.yml (make book stops when it is out of date)
	$(BIN)/python -m rnn_course toc > _toc.yml.tmp && mv _toc.yml.tmp _toc.yml

# Notebooks are executed first, as many at a time as there are cores (rnn_course/execute.py), into the
# cache that jupyter-book then reads: the build executes nothing itself when every notebook ran.
# The Korean edition (rnn_course/i18n.py) is built at the same time as the English one, on the other core:
# the same sources with language = ko and the catalogues of locales/ko/, through Sphinx with the
# configuration Jupyter Book generates, into _build/html/ko/. It reads the same execution cache, so it
# executes nothing either. Its log is _build/ko/build.log (shown when it fails).
book: release $(MATHJAX)  ## execute every chapter and build the website into _build/html (Korean: _build/html/ko)
	$(BIN)/python -m rnn_course toc --check
	$(BIN)/python -m rnn_course execute
	@mkdir -p _build/ko
	@echo "$(BIN)/python -m rnn_course i18n build > _build/ko/build.log  (the Korean edition, beside the English build)"
	@$(BIN)/python -m rnn_course i18n build > _build/ko/build.log 2>&1 & korean=$$!; \
	echo "$(BIN)/jupyter-book build . -W --keep-going"; \
	$(BIN)/jupyter-book build . -W --keep-going; english=$$?; \
	wait $$korean; status=$$?; \
	if [ $$status -ne 0 ]; then cat _build/ko/build.log; echo "the Korean edition failed to build (log above: _build/ko/build.log)"; \
	else tail -n 1 _build/ko/build.log; fi; \
	test $$english -eq 0 -a $$status -eq 0

# The Korean edition's message catalogues, locales/ko/LC_MESSAGES/<page>.po (rnn_course/i18n.py): extract
# every English message with Sphinx's gettext builder, then update the catalogues as `sphinx-intl update`
# does (a new sentence: a new empty message; a changed one: fuzzy, its old translation kept).
locales: $(STAMP)  ## extract the English messages and update the Korean catalogues in locales/ko/
	$(BIN)/python -m rnn_course i18n update

serve:  ## serve the built website on http://localhost:8000
	$(BIN)/python -m http.server --directory _build/html 8000

test: $(STAMP) $(MATHJAX) $(AXE_STAMP) $(CHROMIUM) $(KOREAN_FONT)  ## run the whole test suite (builds the book if needed)
	$(BIN)/python -m pytest -n 2 --dist loadgroup --durations=30 $(PYTEST_ARGS)

check: $(STAMP)  ## run the visible tests of a notebook: make check NOTEBOOK=path.ipynb [CELL_TIMEOUT=s]
	@test -n "$(NOTEBOOK)" || { echo "usage: make check NOTEBOOK=path/to/notebook.ipynb [CELL_TIMEOUT=seconds]"; exit 2; }
	$(BIN)/python -m grading check "$(NOTEBOOK)" $(if $(CELL_TIMEOUT),--cell-timeout '$(CELL_TIMEOUT)')

grade: $(STAMP)  ## autograde submitted/*/ASSIGNMENT, write feedback and grades: make grade ASSIGNMENT=a01_rnn_from_scratch [WORKERS=n] [FORCE=1] [limits]
	@test -n "$(ASSIGNMENT)" || { echo "usage: make grade ASSIGNMENT=<id> [WORKERS=n] [FORCE=1] [SCHEDULER=tcp://host:8786] $(foreach v,$(LIMITS),[$(v)=...])"; \
		echo "(the limits: $(BIN)/python -m grading grade --help)"; exit 2; }
	$(BIN)/python -m grading grade "$(ASSIGNMENT)" $(if $(WORKERS),--workers '$(WORKERS)') $(if $(FORCE),--force) \
		$(if $(SCHEDULER),--scheduler '$(SCHEDULER)') $(LIMIT_FLAGS)

late: $(STAMP)  ## recompute late penalties after a due date or policy change in course.yml: make late ASSIGNMENT=<id>
	@test -n "$(ASSIGNMENT)" || { echo "usage: make late ASSIGNMENT=<id> (then make feedback ASSIGNMENT=<id>)"; exit 2; }
	$(BIN)/python -m grading late "$(ASSIGNMENT)"

report: $(STAMP)  ## the class report (pass fraction per test, common mistakes): make report ASSIGNMENT=<id>
	@test -n "$(ASSIGNMENT)" || { echo "usage: make report ASSIGNMENT=<id>"; exit 2; }
	$(BIN)/python -m grading report "$(ASSIGNMENT)"

export: $(STAMP)  ## grades for an LMS into reports/lms/: make export LMS=canvas|moodle [ASSIGNMENTS="a01_... a02_..."]
	@case "$(LMS)" in canvas|moodle) ;; *) echo "usage: make export LMS=canvas|moodle [ASSIGNMENTS=\"<id> <id> ...\"]"; exit 2;; esac
	$(BIN)/python -m grading export "$(LMS)" $(if $(ASSIGNMENTS),--assignments $(ASSIGNMENTS))

manual: $(STAMP)  ## list the answers waiting for manual grading: make manual ASSIGNMENT=<id>
	@test -n "$(ASSIGNMENT)" || { echo "usage: make manual ASSIGNMENT=<id> (to set a score: $(BIN)/python -m grading manual set --help)"; exit 2; }
	$(BIN)/python -m grading manual list "$(ASSIGNMENT)"

feedback: $(STAMP)  ## regenerate feedback after manual grading: make feedback ASSIGNMENT=<id>
	@test -n "$(ASSIGNMENT)" || { echo "usage: make feedback ASSIGNMENT=<id>"; exit 2; }
	$(BIN)/python -m grading feedback "$(ASSIGNMENT)"

# nbgrader's formgrader on this course's gradebook, offline, on localhost (grading/formgrader.py prints the
# URL with its token): PORT=8890 by default, TOKEN=<yours> or a new random one.
.PHONY: formgrader
formgrader: $(STAMP) $(MATHJAX)  ## grade by hand in the browser (nbgrader's formgrader): make formgrader [PORT=8890] [TOKEN=...]
	$(BIN)/python -m grading.formgrader --port '$(or $(PORT),8890)' $(if $(TOKEN),--token '$(TOKEN)')

bench: $(STAMP)  ## measure build and grading cost (prints ratios)
	$(BIN)/python benchmarks/build_time.py
	$(BIN)/python benchmarks/grading_cost.py
	$(BIN)/python benchmarks/grading_per_assignment.py
	$(BIN)/python benchmarks/noop_grading.py
	$(BIN)/python benchmarks/book_ko.py

clean:  ## remove everything generated (keeps .venv)
	rm -rf _build _vendor release autograded feedback reports gradebook.db grades.csv
	find locales -name '*.mo' -delete  # compiled from the .po catalogues by the Korean build
