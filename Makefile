# loopml: two commands on a fresh machine with python3 and make:
#   make demo   create .venv, install loopml, run the end-to-end demo on embedded defaults
#   make test   install the dev extras, run linters, type checks, layer contracts and tests
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
CORE   := $(VENV)/.installed-core
DEV    := $(VENV)/.installed-dev
PIP_FLAGS := --quiet --disable-pip-version-check -c constraints.txt
# two test processes: the suite waits on servers and subprocesses as much as it computes
PYTEST_ARGS ?= -n 2 --dist loadfile --durations=25

.PHONY: demo demo-tour dev test lint typecheck layers pytest lock bench-smoke clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(CORE): $(PY) pyproject.toml constraints.txt
	$(PIP) install $(PIP_FLAGS) -e .
	@touch $@

$(DEV): $(PY) pyproject.toml constraints.txt
	$(PIP) install $(PIP_FLAGS) -e '.[dev,postgres,redis,dask]'
	@touch $@ $(CORE)

dev: $(DEV)

demo: $(CORE)
	$(VENV)/bin/loopml demo

demo-tour: $(CORE)
	$(PY) examples/run_demo.py --all

test: $(DEV) lint typecheck layers pytest

lint: $(DEV)
	$(VENV)/bin/ruff format --check src tests bench examples
	$(VENV)/bin/ruff check src tests bench examples

typecheck: $(DEV)
	$(VENV)/bin/mypy

layers: $(DEV)
	$(VENV)/bin/lint-imports

pytest: $(DEV)
	$(PY) -m pytest $(PYTEST_ARGS)

bench-smoke: $(DEV)
	$(PY) bench/tracking/run_loopml.py --smoke
	$(PY) bench/monitoring/run_loopml.py --smoke
	$(PY) bench/data/run_loopml.py --smoke
	$(PY) bench/serving/run_loopml.py --smoke
	$(PY) bench/features/run_loopml.py --smoke
	$(PY) bench/startup/run_loopml.py --smoke
	$(PY) bench/models/run_loopml.py --smoke
	$(PY) bench/orchestration/run_loopml.py --smoke
	$(PY) bench/loop/run_loopml.py --smoke

# Regenerate constraints.txt from a clean venv holding every extra.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[all]'
	.lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^-e' > constraints.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
