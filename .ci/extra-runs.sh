#!/usr/bin/env bash
# The infrastructure runs of CI, one at a time, each on the test modules it is about:
#   .ci/extra-runs.sh cluster     queue, booking and API-flow tests on a 3-master Redis Cluster
#   .ci/extra-runs.sh rabbitmq    the API flow with a real Celery worker + beat on RabbitMQ
#   .ci/extra-runs.sh pgbouncer   the PostgreSQL race tests through PgBouncer (transaction pooling)
# Each starts what it needs in a temp dir and stops it on exit (trap), success or not.
# Knobs: REDIS_CLUSTER_PORTS ("7101 7102 7103"), PGBOUNCER_PORT (6441), PG_HOST/PG_PORT/PG_USER
# (127.0.0.1/5432/postgres), PG_DB (boxoffice_ci_infra), RABBITMQ_URL (amqp://guest:guest@
# 127.0.0.1:5672), REDIS_URL (unset: the tests start a private redis-server), PYTEST_ARGS.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:?usage: extra-runs.sh cluster|rabbitmq|pgbouncer}
python=${PYTHON:-.venv/bin/python}
pg_host=${PG_HOST:-127.0.0.1}
pg_port=${PG_PORT:-5432}
pg_user=${PG_USER:-postgres}
pg_db=${PG_DB:-boxoffice_ci_infra}
work=$(mktemp -d /tmp/boxoffice-ci-"$what"-XXXXXX)
chmod 755 "$work"  # pgbouncer, run as postgres under root, reads its ini from here
cleanup=(":")
finish() {
  for ((i = ${#cleanup[@]} - 1; i >= 0; i--)); do eval "${cleanup[$i]}" || true; done
  rm -rf "$work"
}
trap finish EXIT

case "$what" in
cluster)
  ports=${REDIS_CLUSTER_PORTS:-7101 7102 7103}
  cleanup+=(".ci/redis-cluster.sh stop '$work/cluster'")
  .ci/redis-cluster.sh start "$work/cluster" "$ports"
  QUEUE_REDIS_URL="redis://127.0.0.1:${ports%% *}/0" QUEUE_REDIS_CLUSTER=1 \
    "$python" -m pytest tests/queueing tests/bookings tests/integration/test_api_flow.py \
    tests/test_health.py ${PYTEST_ARGS:-}
  ;;
rabbitmq)
  rabbit=${RABBITMQ_URL:-amqp://guest:guest@127.0.0.1:5672}
  vhost="boxoffice-ci-$$-$RANDOM"
  queue_name=celery
  # A vhost of its own, so runs sharing one RabbitMQ never consume each other's tasks;
  # without rabbitmqctl (not root), the default vhost and a queue name of its own.
  if rabbitmqctl add_vhost "$vhost" >/dev/null 2>&1; then
    cleanup+=("rabbitmqctl delete_vhost '$vhost' >/dev/null 2>&1")
    rabbitmqctl set_permissions -p "$vhost" "${RABBITMQ_USER:-guest}" ".*" ".*" ".*" >/dev/null
  else
    echo "rabbitmq: rabbitmqctl unavailable; default vhost, queue $vhost"
    queue_name=$vhost
    vhost=""
  fi
  DATABASE_URL="postgres://$pg_user@$pg_host:$pg_port/$pg_db" \
  CELERY_BROKER_URL="$rabbit/$vhost" CELERY_TASK_DEFAULT_QUEUE="$queue_name" \
  BOXOFFICE_BROKER_TESTS=1 \
    "$python" -m pytest tests/integration/test_api_flow.py ${PYTEST_ARGS:-}
  ;;
pgbouncer)
  port=${PGBOUNCER_PORT:-6441}
  test_db="test_${pg_db}_pgbouncer"
  # pytest-django would create and drop test_<name> itself, but PgBouncer keeps server
  # connections open to it, so the DROP at the end fails ("being accessed by other users").
  # So the empty test database is made here, straight on PostgreSQL; pytest runs with
  # --reuse-db (it migrates it through PgBouncer and leaves it); it is dropped here once
  # PgBouncer has stopped.
  dropdb -h "$pg_host" -p "$pg_port" -U "$pg_user" --if-exists "$test_db"
  createdb -h "$pg_host" -p "$pg_port" -U "$pg_user" "$test_db"
  cleanup+=("dropdb -h '$pg_host' -p '$pg_port' -U '$pg_user' --if-exists '$test_db'")
  cleanup+=(".ci/pgbouncer.sh stop '$work/pgbouncer'")
  .ci/pgbouncer.sh start "$work/pgbouncer" "$port"
  DATABASE_URL="postgres://$pg_user@127.0.0.1:$port/${pg_db}_pgbouncer" DATABASE_POOLER=pgbouncer \
    "$python" -m pytest --reuse-db tests/bookings/test_concurrency.py \
    tests/queueing/test_concurrency.py tests/payments/test_concurrency.py \
    tests/concerts/test_concurrency.py tests/accounts/test_concurrency.py \
    tests/integration/test_pgbouncer.py ${PYTEST_ARGS:-}
  ;;
*)
  echo "usage: extra-runs.sh cluster|rabbitmq|pgbouncer" >&2
  exit 2
  ;;
esac
