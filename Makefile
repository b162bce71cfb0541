# `make demo` and `make test` do all the set-up on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The suite runs in one pytest process per core, at most 4: most of its time is one thread
# (tracing, LLVM), so two processes on CI's 2 cores take 0.57x the time of one.
TEST_PROCESSES ?= $(shell n=$$(nproc); echo $$(( n < 4 ? n : 4 )))

.PHONY: demo test test-all lint bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,dist]'
	$(BIN)/pip install -q --no-deps gluoncv==0.10.5.post0  # (tests/test_gluoncv.py only)
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m mxjit.demo

lint: $(STAMP)
	$(BIN)/ruff check mxjit tests benchmarks tutorials
	$(BIN)/mypy mxjit

test: $(STAMP) lint
	$(BIN)/python -m pytest -q -x -rs -p no:cacheprovider -n $(TEST_PROCESSES)

test-all: $(STAMP) lint
	$(BIN)/python -m pytest -q -rs -p no:cacheprovider -n $(TEST_PROCESSES) -m ''

bench: $(STAMP)
	$(BIN)/python benchmarks/cpu_core.py

clean:
	rm -rf $(VENV) build *.egg-info
