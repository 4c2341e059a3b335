# Guanxi — developer commands. Everything bootstraps .venv from pinned constraints.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SCALE ?= small
PYTEST_ARGS ?=

.PHONY: venv run test test-browser test-pg bench lint typecheck migrations-check ci clean

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

run: venv
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	@echo ""
	@echo "  Guanxi is running at http://127.0.0.1:8000/"
	@echo "  Login: admin / demo-admin-2026   (other demo users: see README.md)"
	@echo ""
	$(BIN)/python manage.py runserver 127.0.0.1:8000

test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: venv
	$(BIN)/python -m bench --scale $(SCALE)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy guanxi/core guanxi/customers/services.py guanxi/customers/selectors.py \
		guanxi/accounts/services.py guanxi/accounts/scope.py \
		guanxi/customers/merge.py guanxi/customers/dedup.py guanxi/customers/dedup_selectors.py \
		guanxi/analytics/services.py guanxi/analytics/selectors.py

migrations-check: venv
	$(BIN)/python manage.py makemigrations --check --dry-run

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
