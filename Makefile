# Two entry points, both doing all set-up first (idempotent):
#   make demo   solve a bundled example through the whole pipeline
#   make test   the whole test suite
#   make vscode the extension in a real VS Code (code-server) on 127.0.0.1; FOLDER=dir to open
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo test setup setup-core lint bench clean vscode

setup-core:
	bash scripts/setup.sh --core

setup:
	bash scripts/setup.sh

demo: setup-core
	bash scripts/demo.sh

test: setup
	$(PY) -m pytest -ra --durations=15
	$(MAKE) lint

vscode: setup-core
	bash scripts/setup_vscode.sh --open $(or $(FOLDER),examples/demo)

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: setup
	for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	-docker ps -aq --filter label=pacore | xargs -r docker rm -f
