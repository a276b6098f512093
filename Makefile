# Every target that needs Python first runs scripts/install-deps.sh, which is a no-op when
# the system packages and .venv are already up to date.

VENV := .venv
BIN := $(VENV)/bin

.PHONY: venv demo serve test test-fast check fix bench bench-dp bench-runtime clean

DP_ROWS ?= 10000000
DP_CAP ?= 120

venv:
	bash scripts/install-deps.sh

demo: venv
	bash scripts/start-dockerd.sh || echo "no Docker engine: jobs run in bwrap"
	$(BIN)/python -m sandbox.demo

serve: venv
	$(BIN)/sandbox serve

test: venv
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -q

test-fast: venv
	$(BIN)/pytest -q -m 'not slow'

check: venv
	$(BIN)/ruff check .
	$(BIN)/mypy

fix: venv
	$(BIN)/ruff check --fix .

bench: venv
	$(BIN)/python -m benchmarks.ingest

bench-runtime: venv
	bash scripts/start-dockerd.sh
	$(BIN)/python -m benchmarks.runtime

bench-dp: venv
	$(BIN)/python -m benchmarks.dp.run --rows $(DP_ROWS) --cap $(DP_CAP)

clean:
	rm -rf var/
