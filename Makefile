# Guanxi — developer commands. Everything bootstraps .venv from pinned constraints.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SCALE ?= small
PYTEST_ARGS ?=

.PHONY: venv run test test-browser test-pg bench lint lint-imports typecheck migrations-check ci clean

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

# The web server and a background worker, one command; Ctrl-C stops both. DEBUG is on
# here only: unset, it is off (config/settings.py).
run: venv
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py load_demo
	@echo ""
	@echo "  Guanxi is running at http://127.0.0.1:8000/ (with a background worker)"
	@echo "  Login: admin / demo-admin-2026   (other demo users: see README.md)"
	@echo ""
	DEBUG=1 $(BIN)/python -m guanxi.cli run --bind 127.0.0.1:8000

test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: venv
	$(BIN)/python -m bench --scale $(SCALE)$(if $(ONLY), --only $(ONLY))

lint-imports: venv
	$(BIN)/lint-imports

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy guanxi config

migrations-check: venv
	$(BIN)/python manage.py makemigrations --check --dry-run

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
