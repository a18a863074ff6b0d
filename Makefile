# newsstream developer commands. `make test` is what CI runs (.ci/run).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
NS := $(BIN)/newsstream

.PHONY: install run test unit integration lint format stack-up stack-down up down bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

lint: install
	$(BIN)/ruff check services tests bench
	$(BIN)/ruff format --check services tests bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff format services tests bench
	$(BIN)/ruff check --fix services tests bench

unit: install
	$(BIN)/pytest tests/unit -q
