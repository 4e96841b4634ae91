# The two commands that matter: `make run` and `make test`. Everything else is a step of theirs.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CONSTRAINTS := .ci/constraints.txt
PYTEST_ARGS ?=

.PHONY: run test test-unit test-integration test-e2e install browser bench bench-service profile mutation lint format schema clean graphiql-assets screenshots constraints

$(STAMP): pyproject.toml $(CONSTRAINTS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --constraint $(CONSTRAINTS) -e '.[test,dev]'
	@touch $@

install: $(STAMP)

## Serve on 127.0.0.1:8000 with an embedded SQLite database: migrated, seeded, demo tokens printed.
run: install
	$(BIN)/innovation demo

## The whole suite, on SQLite and on a throw-away PostgreSQL, browser tests included.
test: install browser
	.ci/with-postgres $(BIN)/pytest $(PYTEST_ARGS)

## Only the pure tests: no database, no network, seconds.
test-unit: install
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

test-integration: install
	.ci/with-postgres $(BIN)/pytest tests/integration $(PYTEST_ARGS)

test-e2e: install browser
	.ci/with-postgres $(BIN)/pytest tests/e2e $(PYTEST_ARGS)

## Debian's Chromium for the browser tests (Playwright drives it; its own download cannot work here).
browser:
	@.ci/install-chromium

## The event store side by side with the eventsourcing library, on SQLite and PostgreSQL.
bench: install
	$(BIN)/python -m pip install --quiet --constraint $(CONSTRAINTS) -e '.[bench]'
	.ci/with-postgres $(BIN)/python -m bench.store $(BENCH_ARGS)

## The service under wrk, on SQLite and on a kept PostgreSQL, against ceilings of the same run
## (bench/README.md). BENCH_SCALE=0.05 builds a small data set; BENCH_DURATION=8 seconds a run.
bench-service: install
	$(BIN)/python -m pip install --quiet --constraint $(CONSTRAINTS) -e '.[bench]'
	$(BIN)/python -m bench.service.dataset
	$(BIN)/python -m bench.service.run

## Flame graphs (py-spy) of { __typename }, submitIdea and the page of ideas under load, in .profile/.
profile: install
	$(BIN)/python -m pip install --quiet --constraint $(CONSTRAINTS) -e '.[profile,bench]'
	$(BIN)/python -m bench.profile $(PROFILE_ARGS)

## Mutation testing of the pure domain against the fast tests: the score and every survivor.
mutation: install
	$(BIN)/python -m pip install --quiet --constraint $(CONSTRAINTS) -e '.[mutation]'
	rm -rf mutants
	$(BIN)/mutmut run --max-children 2
	$(BIN)/mutmut export-cicd-stats
	@echo "Surviving mutants (\`.venv/bin/mutmut show NAME\` shows one):"
	@$(BIN)/mutmut results
	$(BIN)/python -m tests.mutation_constants --jobs 2 --mutmut-stats mutants/mutmut-cicd-stats.json

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy innovation

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Pictures of GraphiQL and of a release page for the README, from the running demo.
screenshots: install browser
	$(BIN)/python .ci/screenshots.py

## Regenerate schema.graphql from the code.
schema: install
	$(BIN)/innovation schema export --output schema.graphql

## Pin in .ci/constraints.txt the newest versions within pyproject.toml's ranges, every extra
## included, from a throw-away virtualenv; every install here takes exactly those. Then `make test`.
constraints:
	PYTHON=$(PYTHON) .ci/constraints

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .mypy_cache .ruff_cache *.egg-info

## Fetch GraphiQL's npm assets again into innovation/api/static/graphiql/ (checked against npm's digests).
graphiql-assets: install
	$(BIN)/python .ci/vendor_graphiql.py
