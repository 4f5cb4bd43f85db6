# Two commands set everything up on a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The shared layer is importable as on Lambda (/opt/python); pytest gets the same from pyproject.toml.
export PYTHONPATH := $(CURDIR)/layers/telar:$(CURDIR)

.PHONY: demo serve test lint unit integration e2e bench mutants clean

$(STAMP): requirements-dev.txt layers/telar/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

demo: $(STAMP)  ## run a realistic scenario end to end on the local cloud; artifacts in out/demo/
	$(PY) -m local.demo

serve: $(STAMP)  ## the local cloud in the foreground (API on :3000, AWS on :4566)
	$(PY) -m local.serve

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/cfn-lint template.yaml

# Each step says how long it took; pytest ends with the time per layer and the ten slowest tests.
test: $(STAMP)  ## everything: lint, template checks, unit, integration and e2e tests
	@start=$$(date +%s); $(MAKE) --no-print-directory lint && echo "lint took $$(( $$(date +%s) - start )) s"
	$(PY) -m pytest

unit: $(STAMP)
	$(PY) -m pytest tests/unit

integration: $(STAMP)
	$(PY) -m pytest tests/integration

e2e: $(STAMP)
	$(PY) -m pytest tests/e2e

bench: $(STAMP)  ## every benchmark in bench/; figures in out/bench/results.json
	$(PY) -m bench

# Slow (tens of minutes), so not in `make test` or CI. Mutants of the domain modules (tests/mutation.py)
# each run the unit tests that cover them, in out/mutation/; results are kept there between runs.
# mutmut imports the mutated copy of the layer, so the layer on PYTHONPATH must not shadow it.
mutants: $(STAMP)  ## mutation testing; prints the score per module (docs/mutation.md lists the survivors kept)
	$(PY) -m tests.mutation stage
	cd out/mutation && env -u PYTHONPATH $(CURDIR)/$(VENV)/bin/mutmut run --max-children 2
	$(PY) -m tests.mutation score

clean:
	rm -rf out .pytest_cache .ruff_cache
