# The README's two commands: `make up` runs the system, `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.runtime-installed
DEV := $(VENV)/.dev-installed

.PHONY: up demo test lint services browser migration-initial bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(RUNTIME): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(DEV): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(RUNTIME)

up: $(RUNTIME)
	$(BIN)/killreport db upgrade
	$(BIN)/killreport up

# The whole system against the in-process simulator, on its own database (var/demo.sqlite3).
demo: $(RUNTIME)
	mkdir -p var
	KILLREPORT_DATABASE_URL=sqlite+aiosqlite:///var/demo.sqlite3 $(BIN)/killreport up --sim

services:
	bash scripts/services.sh

# Debian's Chromium for the Playwright browser tests (tests/web).
browser:
	bash scripts/browser.sh

lint: $(DEV)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

test: $(DEV) services browser lint
	$(BIN)/pytest -q -p no:cacheprovider

migration-initial: $(DEV)
	$(BIN)/python scripts/regenerate_initial_migration.py

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
