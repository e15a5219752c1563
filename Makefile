# mediabatch: the targets a newcomer looks for. `make run` and `make test` need nothing
# installed by hand: they create the virtualenvs and install ffmpeg on first use.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
SAM_VENV := .venv-sam
PORT ?= 8080

.PHONY: help setup run test test-fast lint fmt typecheck validate bench build clean

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) on PATH"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

$(SAM_VENV)/.installed: requirements-sam.txt
	test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet -r requirements-sam.txt
	touch $@

.ffmpeg:
	@command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq ffmpeg >/dev/null; }

setup: $(VENV)/.installed $(SAM_VENV)/.installed .ffmpeg ## create venvs, install deps and ffmpeg

run: $(VENV)/.installed .ffmpeg ## serve the whole API locally on http://127.0.0.1:$(PORT)
	PORT=$(PORT) $(PY) -m localcloud

test: setup ## run the whole test suite
	$(PY) -m pytest

test-fast: $(VENV)/.installed ## unit tests only
	$(PY) -m pytest tests/unit

lint: $(VENV)/.installed ## ruff
	$(VENV)/bin/ruff check .

fmt: $(VENV)/.installed ## ruff format + fix imports
	$(VENV)/bin/ruff check --fix --select I .
	$(VENV)/bin/ruff format .

typecheck: $(VENV)/.installed ## mypy (strict)
	$(VENV)/bin/mypy layers/shared/mediabatch functions localcloud

validate: setup ## cfn-lint + sam validate --lint
	$(VENV)/bin/cfn-lint template.yaml
	SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam validate --lint --region us-east-1

build: $(SAM_VENV)/.installed ## sam build (no container) into .aws-sam/
	SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam build

bench: setup ## run the benchmarks; results go to docs/performance.md
	$(PY) -m bench

clean: ## remove venvs and caches
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache
