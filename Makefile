# CareCRM — the two commands: `make run` and `make test`. Both work on a fresh machine with only Python.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install run test lint format bench clean

$(INSTALLED): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check '.[dev]'
	@rm -rf build *.egg-info
	@touch $(INSTALLED)

install: $(INSTALLED)

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py seed_demo --if-empty
	@$(BIN)/python manage.py demo_logins
	@# The Procfile names bare gunicorn and celery: they are the venv's. honcho hands the web process
	@# PORT=5000 unless told otherwise, so the port is passed on (8000 unless PORT is set).
	@# The chat server listens beside the web server; pages and the widget learn its address from this.
	PATH="$(CURDIR)/$(BIN):$$PATH" \
		CARECRM_CHAT_SOCKET_URL=$${CARECRM_CHAT_SOCKET_URL:-ws://127.0.0.1:$${CHAT_PORT:-8001}/ws/chat/} \
		$(BIN)/honcho --procfile Procfile start --port $${PORT:-8000}

# Public datasets the tests replay: downloaded by hash, never installed.
DATASETS := var/datasets/.downloaded
$(DATASETS): tests/datasets/requirements.txt | $(INSTALLED)
	$(BIN)/python -m pip download --quiet --disable-pip-version-check --no-deps --require-hashes \
		-r tests/datasets/requirements.txt -d var/datasets
	@touch $(DATASETS)

test: install $(DATASETS)
	DJANGO_SETTINGS_MODULE=carecrm.settings.test $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@if [ -f ../shared/tools/check_layers.py ]; then $(BIN)/python ../shared/tools/check_layers.py; fi

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var build *.egg-info
