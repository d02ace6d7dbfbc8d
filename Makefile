# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: help install demo test lint typecheck fmt bench browser clean readme

help:
	@echo "make demo       create .venv, install, scan the bundled simulated fleet, write ./demo-reports/"
	@echo "make test       create .venv if needed, install test tools, run lint, type checks and tests"
	@echo "make lint       ruff check + format check + import contracts (lint-imports)"
	@echo "make typecheck  mypy"
	@echo "make fmt        ruff format + autofix"
	@echo "make bench      benchmarks (prints figures, writes docs/benchmarks.md)"
	@echo "make readme     refresh the --help and policy blocks of README.md"
	@echo "make browser    install headless Chromium and pdftotext (Debian packages): PDF reports, browser tests"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): $(PY) setup.cfg pyproject.toml
	$(PY) -m pip install --quiet -e ".[demo]"
	@touch $@

$(TEST_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e ".[test,demo]"
	@touch $@

install: $(STAMP)

demo: $(STAMP)
	$(PY) -m simfleet demo --out demo-reports

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check scanner simfleet tests benchmarks scripts
	$(VENV)/bin/ruff format --check scanner simfleet tests benchmarks scripts
	$(VENV)/bin/lint-imports

typecheck: $(TEST_STAMP)
	$(VENV)/bin/mypy

fmt: $(TEST_STAMP)
	$(VENV)/bin/ruff format scanner simfleet tests benchmarks scripts
	$(VENV)/bin/ruff check --fix scanner simfleet tests benchmarks scripts

test: lint typecheck
	$(PY) -m pytest

bench: $(TEST_STAMP)
	$(PY) -m benchmarks

browser:
	@command -v chromium >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1 || \
		{ apt-get update -qq && apt-get install -y -qq chromium poppler-utils; }

clean:
	rm -rf $(VENV) build dist *.egg-info demo-reports .pytest_cache .mypy_cache .ruff_cache

readme: $(STAMP)
	$(PY) -m scripts.update_readme
