VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench mutation clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[demo,test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/lineage demo --out demo-output

test: $(STAMP)
	scripts/ensure-chromium
	scripts/ensure-postgres
	scripts/ensure-compose
	scripts/ensure-brokers
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

bench: $(STAMP)
	scripts/ensure-chromium
	scripts/ensure-brokers
	$(BIN)/python bench/bench_scan.py
	$(BIN)/python bench/bench_personal_data.py
	$(BIN)/python bench/bench_view.py
	$(BIN)/python bench/bench_organization.py

mutation: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[demo,test,mutation]'
	$(BIN)/python scripts/mutation.py

clean:
	rm -rf $(VENV) demo-output .pytest_cache mutants
