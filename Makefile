# newsstream developer commands. `make test` is exactly what CI runs (.ci/run).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
NS := $(BIN)/newsstream
PYTEST_ARGS ?=

.PHONY: install run test test-unit test-integration test-e2e test-cluster lint format model stack-up stack-down \
        stack-status up down bench clean

## install: create .venv with newsstream and its dev tools (re-runs when pyproject.toml changes)
install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,train]'
	touch $@

## model: make sure a German NER model resolves: the official one if it can be downloaded, else
## trains newsstream's default profile once (MODEL_PROFILE=fast|full to choose; nlp/README.md)
MODEL_PROFILE ?=
model: install
	$(NS) model ensure $(if $(MODEL_PROFILE),--profile $(MODEL_PROFILE))

## run: local stack (no Docker) + the whole pipeline on the default BR24 feeds
run: install model
	$(NS) stack up
	$(NS) run

## test: everything CI checks: lint, types, unit, integration and end-to-end tests on the real stack
test: install lint model
	$(NS) stack install
	$(BIN)/pytest tests/unit tests/integration tests/e2e $(PYTEST_ARGS)

test-unit: install
	$(BIN)/pytest tests/unit -q $(PYTEST_ARGS)

test-integration: install model
	$(BIN)/pytest tests/integration -q $(PYTEST_ARGS)

test-e2e: install model
	$(BIN)/pytest tests/e2e -q $(PYTEST_ARGS)

## test-cluster: node-loss faults on a local 3-broker / 2-node cluster (not in `make test`)
test-cluster: install model
	$(NS) stack install
	$(BIN)/pytest tests/cluster -q -s $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check services tests bench
	$(BIN)/ruff format --check services tests bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff format services tests bench
	$(BIN)/ruff check --fix services tests bench

stack-up: install
	$(NS) stack up
stack-down: install
	$(NS) stack down
stack-status: install
	$(NS) stack status

## up / down: the Docker route (needs a Docker engine; copy .env.example to .env first)
up:
	docker compose up -d
down:
	docker compose down

## bench: every benchmark; each prints its figures and, last, one JSON line
bench: install model
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
