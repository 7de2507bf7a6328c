# Two entry points, both doing all set-up first (idempotent):
#   make demo   solve a bundled example through the whole pipeline
#   make test   the whole test suite
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo test setup setup-core lint bench clean

setup-core:
	bash scripts/setup.sh --core

setup:
	bash scripts/setup.sh

demo: setup-core
	bash scripts/demo.sh

test: setup
	$(PY) -m pytest -ra --durations=15
	$(MAKE) lint

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: setup
	for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	-docker ps -aq --filter label=pacore | xargs -r docker rm -f
