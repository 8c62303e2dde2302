# The README's commands. CI runs `make test` through .ci/run.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)

.PHONY: setup report pdf draft validate grade test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m compileall -q src
	rm -f $(VENV)/.installed-*
	touch $@

setup: $(STAMP)

## Set up, check the repository and build the Norfolk 2007 report into build/norfolk-2007/.
report: setup
	$(BIN)/hmic validate
	$(BIN)/hmic build norfolk-2007

## The report as a PDF too (needs Pango and fonts: see the README's "PDF" section).
pdf: setup
	$(BIN)/hmic validate
	$(BIN)/hmic build norfolk-2007 --format md,html,pdf

## A draft for the force's factual-accuracy check, marked on every page, in Word too, its paragraphs numbered.
draft: setup
	$(BIN)/hmic build norfolk-2007 --format md,html,pdf,docx --draft --numbered --out build/draft

validate: setup
	$(BIN)/hmic validate

grade: setup
	$(BIN)/hmic grade norfolk-2007

## Set up and run the whole test suite.
test: setup
	$(BIN)/pytest

## ruff, mypy and the layer contract (docs/architecture.md).
lint: setup
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

## hmic's own bytecode written first (even where PYTHONDONTWRITEBYTECODE is set), as pip does for an install.
bench: setup
	$(BIN)/python -m compileall -q src
	$(BIN)/python bench/run.py

clean:
	rm -rf build bench/out .pytest_cache
