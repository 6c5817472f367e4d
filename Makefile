# Everything a fresh clone needs: `make report` (the main job) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
REPLICATIONS ?= 20

.PHONY: install test lint typecheck pytest report readme-figure validate bench clean clean-cache

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck: install
	$(BIN)/mypy simulator

pytest: install
	$(BIN)/pytest -n 2 -q

test: lint typecheck pytest

# --overwrite: a study made by another version of the scenario is replaced, the
# same one resumed
report: install
	$(BIN)/connectsim run scenarios/paid_vs_free.yaml --replications $(REPLICATIONS) --out reports/paid_vs_free --overwrite

# the full checks against theory and evidence (docs/validation.md shows their table)
# pytest decides pass or fail; check-model then writes the table
validate: install
	CONNECTSIM_VALIDATION=full $(BIN)/pytest -n 2 -q tests/validation
	$(BIN)/connectsim check-model --markdown reports/validation_table.md

# the README's figure is the default study's scorecard, copied from its report
readme-figure: report
	mkdir -p docs/images
	cp reports/paid_vs_free/report/charts/scorecard.png docs/images/paid_vs_free_scorecard.png

bench: install
	$(BIN)/python benchmarks/bench_engine.py
	$(BIN)/python benchmarks/bench_study.py

# numba's cache is checked against the file of each compiled function only: after
# editing a module that compiled code calls (behaviour.py, rng.py, ...), clear it
clean-cache:
	find simulator -path "*/__pycache__/*" \( -name "*.nbi" -o -name "*.nbc" \) -delete

clean: clean-cache
	rm -rf $(VENV) reports/*/ .pytest_cache .mypy_cache .ruff_cache
