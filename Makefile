# Two commands set everything up on a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The shared layer is importable as on Lambda (/opt/python); pytest gets the same from pyproject.toml.
export PYTHONPATH := $(CURDIR)/layers/telar:$(CURDIR)

BUILD := out/build
BUILT := $(BUILD)/.built

.PHONY: build demo serve test lint asl texts unit integration e2e bench iam-unused mutants clean

$(STAMP): requirements-dev.txt $(wildcard layers/*/requirements.txt)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# The layers' requirements installed as `sam build` installs them, and the runtime's boto3: what the handlers
# import from, locally as on Lambda (local/build.py). Nothing from the dev venv reaches a handler.
build: $(BUILT)  ## install the layers' requirements into out/build (no dev packages), as sam build does

$(BUILT): $(STAMP) template.yaml $(wildcard layers/*/requirements.txt) $(wildcard functions/*/requirements.txt) local/build.py
	$(PY) -m local.build
	touch $(BUILT)

demo: $(BUILT)  ## run a realistic scenario end to end on the local cloud; artifacts in out/demo/
	$(PY) -m local.demo

serve: $(BUILT)  ## the local cloud in the foreground (API on :3000, AWS on :4566)
	$(PY) -m local.serve

asl: $(STAMP)  ## write statemachines/order_pipeline.asl.json from its source (.src.json: edit that one)
	$(PY) -m local.asl

texts: $(STAMP)  ## record the texts the templates translate (layers/telar/telar/templates/message_ids.json)
	$(PY) -m local.texts

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/cfn-lint template.yaml

# Each step says how long it took; pytest ends with the time per layer and the ten slowest tests.
test: $(STAMP) $(BUILT)  ## everything: lint, template checks, unit, integration and e2e tests
	@start=$$(date +%s); $(MAKE) --no-print-directory lint && echo "lint took $$(( $$(date +%s) - start )) s"
	$(PY) -m pytest

unit: $(STAMP)
	$(PY) -m pytest tests/unit

integration: $(BUILT)
	$(PY) -m pytest tests/integration

e2e: $(BUILT)
	$(PY) -m pytest tests/e2e

bench: $(BUILT)  ## every benchmark in bench/; figures in out/bench/results.json
	$(PY) -m bench

# Slow (tens of minutes), so not in `make test` or CI. Mutants of the domain modules (tests/mutation.py)
# each run the unit tests that cover them, in out/mutation/; results are kept there between runs.
# mutmut imports the mutated copy of the layer, so the layer on PYTHONPATH must not shadow it.
mutants: $(STAMP)  ## mutation testing; prints the score per module (docs/mutation.md lists the survivors kept)
	$(PY) -m tests.mutation stage
	cd out/mutation && env -u PYTHONPATH $(CURDIR)/$(VENV)/bin/mutmut run --max-children 2
	$(PY) -m tests.mutation score

# Every AWS call a function makes on the local cloud is checked against its role (local/iam.py); this runs the
# integration and e2e suites recording the calls allowed, then lists each granted action that none of them used.
iam-unused: $(BUILT)  ## granted IAM actions that no test exercised
	rm -rf out/iam-audit
	TELAR_IAM_AUDIT_DIR=$(CURDIR)/out/iam-audit $(PY) -m pytest -q tests/integration tests/e2e
	$(PY) -m local.iam unused --audit out/iam-audit --ignore-managed

clean:
	rm -rf out .pytest_cache .ruff_cache
