# Everyday commands.  `make run` sets up and runs; `make test` runs every test.
UV ?= $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
PY := .venv/bin/python
# Use the machine's Python; never download an interpreter.
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := python3

.PHONY: setup run demo test lint typecheck system-deps bench clean

.tools/bin/uv:
	python3 -m pip install --quiet --target .tools/pkgs uv==0.13.9
	mkdir -p .tools/bin && ln -sf ../pkgs/bin/uv .tools/bin/uv

setup: $(if $(shell command -v uv 2>/dev/null),,.tools/bin/uv)
	$(UV) sync --frozen --all-extras --all-groups --quiet
	$(PY) scripts/build_native.py

run: setup
	.venv/bin/huiqi serve --host 127.0.0.1 --port 8000

demo: setup
	.venv/bin/huiqi evaluate examples/scenarios/wuzhong-robot-maker.yaml

system-deps:
	bash scripts/install-system-deps.sh

lint: setup
	.venv/bin/ruff check src tests
	.venv/bin/ruff format --check src tests

typecheck: setup
	.venv/bin/mypy

test: setup system-deps
	$(PY) scripts/build_native.py --strict
	.venv/bin/ruff check src tests
	.venv/bin/ruff format --check src tests
	.venv/bin/mypy
	.venv/bin/pytest

# The quick benchmarks (minutes); the long ones and their recorded results are in benchmarks/.
bench: setup
	bash scripts/install-system-deps.sh --bench
	.venv/bin/python benchmarks/bench_evaluate.py --runs 2000
	.venv/bin/python benchmarks/bench_batch.py --sizes 1e5 --engine duckdb
	bash benchmarks/bench_web_wrk.sh 2 10

clean:
	rm -rf .venv .tools .pytest_cache .mypy_cache .ruff_cache src/huiqi/_native
