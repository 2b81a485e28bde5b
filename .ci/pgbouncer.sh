#!/usr/bin/env bash
# A throwaway PgBouncer in transaction pooling mode in front of PostgreSQL.
#   .ci/pgbouncer.sh start DIR [PORT]   (PORT: 6441 by default; PG_HOST/PG_PORT: the server)
#   .ci/pgbouncer.sh stop DIR
# Its own ini, pid, log and socket in DIR; trust auth on loopback; every database name is
# passed through to the server (`* = ...`), so pytest-django's test_<name> works too.
set -euo pipefail
cmd=${1:?usage: pgbouncer.sh start|stop DIR [PORT]}
dir=${2:?usage: pgbouncer.sh start|stop DIR [PORT]}
port=${3:-${PGBOUNCER_PORT:-6441}}

case "$cmd" in
start)
  mkdir -p "$dir"
  user=$(id -un)
  cat >"$dir/pgbouncer.ini" <<INI
[databases]
* = host=${PG_HOST:-127.0.0.1} port=${PG_PORT:-5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir = $dir
auth_type = trust
admin_users = ${PG_USER:-postgres}
auth_file = $dir/userlist.txt
pool_mode = transaction
max_client_conn = 500
default_pool_size = 20
server_reset_query =
ignore_startup_parameters = extra_float_digits,options
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
  echo "\"${PG_USER:-postgres}\" \"\"" >"$dir/userlist.txt"
  # pgbouncer refuses to run as root; under root it drops to the postgres user.
  if [ "$user" = root ]; then
    chown -R postgres "$dir"
    su postgres -s /bin/sh -c "pgbouncer -d '$dir/pgbouncer.ini'"
  else
    pgbouncer -d "$dir/pgbouncer.ini"
  fi
  for _ in $(seq 1 50); do
    pg_isready -h 127.0.0.1 -p "$port" -q 2>/dev/null && break
    sleep 0.1
  done
  pg_isready -h 127.0.0.1 -p "$port" -q || { cat "$dir/pgbouncer.log" >&2; exit 1; }
  echo "pgbouncer: transaction pooling on 127.0.0.1:$port -> ${PG_HOST:-127.0.0.1}:${PG_PORT:-5432}"
  ;;
stop)
  if [ -f "$dir/pgbouncer.pid" ]; then
    pid=$(cat "$dir/pgbouncer.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$dir"
  ;;
*)
  echo "usage: pgbouncer.sh start|stop DIR [PORT]" >&2
  exit 2
  ;;
esac
