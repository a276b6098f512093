# Every target that needs Python first runs scripts/install-deps.sh, which is a no-op when
# the system packages and .venv are already up to date.

VENV := .venv
BIN := $(VENV)/bin

.PHONY: venv demo serve test test-fast check fix bench bench-dp bench-runtime bench-load bench-models clean

DP_ROWS ?= 10000000
DP_CAP ?= 900
DP_REPEATS ?= 20
DP_ERROR_CAP ?= 5400
DP_BUDGET ?= 14400
BENCH_MODELS_ROWS ?= 1000000
BENCH_MODELS_REPEATS ?= 5

venv:
	bash scripts/install-deps.sh

demo: venv
	bash scripts/start-dockerd.sh || echo "no Docker engine: jobs run in bwrap"
	$(BIN)/python -m sandbox.demo

serve: venv
	$(BIN)/sandbox serve

# Tests run in parallel (pytest-xdist). Tests sharing one Ray, or one module's server, run in
# one worker: tests/support/markers.py gives them an xdist_group from the fixtures they use.
PARALLEL ?= -n 2 --dist loadgroup
# Everything but the tests that start a real component or take long: pure units, SQLite, the
# in-process job orchestration, the subprocess backend; about a minute on 2 cores.
FAST_MARKERS := not slow and not docker and not bwrap and not ray and not postgres and not s3 and not server
COVERAGE_JSON := var/coverage.json

test: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python scripts/import_layers.py
	mkdir -p var
	$(BIN)/pytest -q $(PARALLEL) --cov --cov-report=json:$(COVERAGE_JSON)
	$(BIN)/python scripts/coverage_floor.py $(COVERAGE_JSON)

test-fast: venv
	$(BIN)/pytest -q $(PARALLEL) -m '$(FAST_MARKERS)'

check: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python scripts/import_layers.py

fix: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: venv
	$(BIN)/python -m benchmarks.ingest

bench-runtime: venv
	bash scripts/start-dockerd.sh
	$(BIN)/python -m benchmarks.runtime

bench-load: venv
	$(BIN)/python -m benchmarks.load

bench-dp: venv
	$(BIN)/python -m benchmarks.dp.run --rows $(DP_ROWS) --cap $(DP_CAP) --repeats $(DP_REPEATS) \
		--error-cap $(DP_ERROR_CAP) --budget $(DP_BUDGET)

# DP models and synthetic data (issue #14): BENCH_MODELS_ROWS=10000000 for the larger size.
bench-models: venv
	$(BIN)/python -m benchmarks.models.run --rows $(BENCH_MODELS_ROWS) --repeats $(BENCH_MODELS_REPEATS)

clean:
	rm -rf var/
