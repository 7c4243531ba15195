# krakensim — all set-up goes through here. Needs only python3 (>= 3.11) and make.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8080
ARGS ?=
# `make serve` runs the simulated market; `make serve MARKET=--quiet` starts a quiet exchange (no agents)
# `make serve` keeps its data in ./krakensim-data (krakensim serve alone: the per-user data directory)
DATA ?= krakensim-data/journal.sqlite
MARKET ?= --market

.PHONY: serve test lint typecheck unit bench clean

$(VENV)/.runtime: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.txt
	$(PIP) install -q --no-deps -e .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PIP) install -q -r requirements-dev.txt
	touch $@

serve: $(VENV)/.runtime
	$(PY) -m krakensim serve --host $(HOST) --port $(PORT) --data $(DATA) $(MARKET) $(ARGS)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check src tests bench tools

typecheck: $(VENV)/.dev
	$(VENV)/bin/mypy

test: lint typecheck
	$(PY) tools/check_engine_purity.py
	$(PY) -m pytest -n 2  # two workers (pytest-xdist): most tests wait on servers; 13 min alone, 7 in two
	$(PY) tools/check_package.py

bench: $(VENV)/.dev
	$(PY) bench/engine.py
	npm ci --prefix bench --silent --no-audit --no-fund
	$(PY) bench/wire.py --json bench/results/wire.json
	$(PY) bench/ws_fanout.py
	$(PY) bench/plugin.py
	if command -v chromium >/dev/null; then $(PY) bench/dashboard.py; else echo "bench/dashboard.py skipped: apt-get install -y chromium"; fi
	$(PY) bench/report.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
