# The workbook's commands.  Quick start: `make site`, then `make test`.
# Everything runs in a virtual environment (.venv) with the exact versions in constraints.txt.

SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# First Python 3.11-3.13 on PATH (mkdocs-gallery breaks on 3.14); override with PYTHON=...
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(not (3,11) <= sys.version_info[:2] < (3,14))' 2>/dev/null \
	&& { echo $$p; break; }; done)

export NO_MKDOCS_2_WARNING := 1  # mkdocs-material's notice about mkdocs 2; the toolchain is pinned

.PHONY: site test serve bench lint clean help

help:  ## list the commands
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml constraints.txt
	@test -n "$(PYTHON)" || { echo "error: no Python 3.11-3.13 found on PATH; install one or run make PYTHON=/path/to/python3.12" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[docs,test]'
	@touch $@

site: $(STAMP)  ## build site/ on the default data (real if available, else the stand-in)
	rm -rf docs/generated site
	$(BIN)/mkdocs build --strict
	@echo "Site built in site/: open site/index.html, or serve it with 'python3 -m http.server -d site' (http://127.0.0.1:8000), or run 'make serve' for a live preview."

test: $(STAMP)  ## run the test suite
	$(BIN)/python -m pytest

serve: $(STAMP)  ## live preview on http://127.0.0.1:8000, rebuilt when problems/ or notmnist/ change
	$(BIN)/mkdocs serve --watch problems --watch notmnist

bench: $(STAMP)  ## time our pipeline against the course's baselines (prints a table)
	$(BIN)/python benchmarks/run.py

lint: $(STAMP)  ## ruff
	$(BIN)/ruff check notmnist problems tests benchmarks docs

clean:  ## remove the built site and the virtual environment (not the data folder)
	rm -rf site docs/generated $(VENV)
