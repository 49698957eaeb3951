#!/usr/bin/env bash
# services.sh: throwaway PostgreSQL and Redis for the tests, on free loopback
# ports, in a folder of their own (toolchain.md "Headless recipes").
#
#   tests/services.sh start DIR   starts both (each only if installed) and
#                                 prints the environment the tests read:
#                                   CS_TEST_POSTGRESQL=postgresql://…/postgres
#                                   CS_TEST_REDIS=redis://127.0.0.1:PORT
#                                 (also written to DIR/env)
#   tests/services.sh stop DIR    stops them and removes DIR
#   tests/services.sh run CMD…    runs CMD with both, unless CS_TEST_POSTGRESQL
#                                 and CS_TEST_REDIS are already set (the
#                                 meson wrapper of the PostgreSQL suites)
#
# PostgreSQL refuses to run as root: as root, the cluster belongs to the
# `postgres` user and its commands run through runuser.
set -euo pipefail

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pg_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [[ -x $d/initdb && -x $d/pg_ctl ]]; then
      echo "$d"
      return 0
    fi
  done
  return 1
}

as_pg() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start_postgresql() {
  local dir=$1 bindir port data
  bindir=$(pg_bindir) || return 0
  port=$(free_port)
  data=$dir/pg
  if [[ $(id -u) -eq 0 ]]; then
    install -d -o postgres -m 700 "$data"
    chown postgres "$dir"
  else
    install -d -m 700 "$data"
  fi
  as_pg "$bindir/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
  # Tests: fsync off, a throwaway cluster (the tests kill servers, not
  # PostgreSQL).  Benchmarks (CS_SERVICES_PROFILE=bench): fsync on and
  # synchronous_commit off, the durability of our SQLite store (WAL with
  # synchronous=NORMAL: a power cut may lose the last commits, never
  # corrupts).
  local durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  if [[ ${CS_SERVICES_PROFILE:-test} = bench ]]; then
    durability="-c fsync=on -c synchronous_commit=off -c full_page_writes=on"
  fi
  as_pg "$bindir/pg_ctl" -D "$data" -w -l "$data/server.log" \
    -o "-p $port -k $data -c listen_addresses=127.0.0.1 $durability -c max_connections=400 -c shared_buffers=128MB" \
    start >/dev/null || { cat "$data/server.log" >&2; return 1; }
  echo "$bindir" >"$dir/pg.bindir"
  echo "CS_TEST_POSTGRESQL=postgresql://postgres@127.0.0.1:$port/postgres" >>"$dir/env"
}

start_redis() {
  local dir=$1 port i
  command -v redis-server >/dev/null 2>&1 || return 0
  port=$(free_port)
  redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --daemonize yes \
    --pidfile "$dir/redis.pid" --dir "$dir" --logfile "$dir/redis.log" >/dev/null
  for i in $(seq 1 100); do
    if redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; then
      echo "$port" >"$dir/redis.port"
      echo "CS_TEST_REDIS=redis://127.0.0.1:$port" >>"$dir/env"
      return 0
    fi
    sleep 0.05
  done
  echo "services: Redis did not answer on port $port" >&2
  return 1
}

start() {
  local dir=$1
  mkdir -p "$dir"
  : >"$dir/env"
  start_postgresql "$dir"
  start_redis "$dir"
  cat "$dir/env"
}

stop() {
  local dir=$1
  [[ -d $dir ]] || return 0
  if [[ -f $dir/redis.port ]]; then
    redis-cli -p "$(cat "$dir/redis.port")" shutdown nosave >/dev/null 2>&1 || true
  fi
  if [[ -f $dir/pg.bindir ]]; then
    as_pg "$(cat "$dir/pg.bindir")/pg_ctl" -D "$dir/pg" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

case ${1:-} in
  start) start "$2" ;;
  stop) stop "$2" ;;
  run)
    shift
    if [[ -n ${CS_TEST_POSTGRESQL:-} && -n ${CS_TEST_REDIS:-} ]]; then
      exec "$@"
    fi
    dir=$(mktemp -d "${TMPDIR:-/tmp}/cs-services-XXXXXX")
    chmod 755 "$dir"
    trap 'stop "$dir"' EXIT
    start "$dir" >/dev/null
    set -a
    # shellcheck disable=SC1091
    source "$dir/env"
    set +a
    status=0
    "$@" || status=$?
    exit "$status"
    ;;
  *)
    echo "usage: $0 start DIR | stop DIR | run CMD..." >&2
    exit 2
    ;;
esac
