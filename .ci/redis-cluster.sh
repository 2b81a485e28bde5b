#!/usr/bin/env bash
# A throwaway 3-master Redis Cluster on loopback, for the queue's cluster tests.
#   .ci/redis-cluster.sh start DIR [PORTS]   (PORTS: "7101 7102 7103" by default)
#   .ci/redis-cluster.sh stop DIR
# Every node keeps its files (pid, nodes.conf, log) in DIR; stop kills the pids found there.
set -euo pipefail
cmd=${1:?usage: redis-cluster.sh start|stop DIR [PORTS]}
dir=${2:?usage: redis-cluster.sh start|stop DIR [PORTS]}
ports=${3:-${REDIS_CLUSTER_PORTS:-7101 7102 7103}}

case "$cmd" in
start)
  mkdir -p "$dir"
  nodes=()
  for port in $ports; do
    mkdir -p "$dir/$port"
    redis-server --port "$port" --bind 127.0.0.1 --daemonize yes \
      --dir "$dir/$port" --pidfile "$dir/$port/redis.pid" --logfile "$dir/$port/redis.log" \
      --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 5000 \
      --save "" --appendonly no
    nodes+=("127.0.0.1:$port")
  done
  for port in $ports; do
    for _ in $(seq 1 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  done
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$dir/create.log"
  first=${ports%% *}
  for _ in $(seq 1 100); do
    redis-cli -p "$first" cluster info | grep -q '^cluster_state:ok' && break
    sleep 0.1
  done
  redis-cli -p "$first" cluster info | grep -q '^cluster_state:ok' \
    || { echo "redis-cluster: the cluster did not reach state ok" >&2; cat "$dir/create.log" >&2; exit 1; }
  echo "redis-cluster: 3 masters up on ${nodes[*]}"
  ;;
stop)
  for pidfile in "$dir"/*/redis.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  rm -rf "$dir"
  ;;
*)
  echo "usage: redis-cluster.sh start|stop DIR [PORTS]" >&2
  exit 2
  ;;
esac
