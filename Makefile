# One place for every gate. `make demo` and `make test` are the README's two commands:
# both create the virtual environment on first use and install what they need.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev

.PHONY: demo test test-all check lint format typecheck imports audit bench interop-js clean

$(PY):
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(PY)
	$(PIP) install --quiet -e .
	touch $@

$(STAMP_DEV): pyproject.toml | $(PY)
	$(PIP) install --quiet -e ".[dev]"
	touch $@ $(STAMP_RUN)

demo: $(STAMP_RUN)  ## the main job on embedded defaults
	$(VENV)/bin/aanspraak demo

test: $(STAMP_DEV)  ## the test suite without slow tests (what CI runs, plus `check`)
	$(PY) -m pytest -n 2 -m "not slow"

test-all: $(STAMP_DEV)  ## every test, slow ones included
	$(PY) -m pytest -n 2

lint: $(STAMP_DEV)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP_DEV)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: $(STAMP_DEV)
	$(VENV)/bin/mypy

imports: $(STAMP_DEV)
	$(VENV)/bin/lint-imports

check: lint typecheck imports test  ## every gate: ruff, mypy --strict, import-linter, pytest

audit: $(STAMP_DEV)  ## known vulnerabilities in the installed dependencies
	$(PY) -m scripts.dependency_audit

bench: $(STAMP_DEV)  ## every benchmark (python -m bench): printed figures, ratios against same-run baselines
	$(PY) -m bench --out bench/out

interop-js:  ## the pinned @sd-jwt/* packages for the interop tests (needs node + npm)
	cd interop/js && npm ci --no-audit --no-fund

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
