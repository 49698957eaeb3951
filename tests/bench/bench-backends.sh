#!/usr/bin/env bash
# bench-backends.sh: the campaign GET and the hot-campaign pledge storm on
# SQLite (one instance), PostgreSQL with one instance, and PostgreSQL with
# two instances sharing one port (SO_REUSEPORT: the kernel spreads the
# connections, as a load balancer would) and one Redis.  Run by hand:
#
#   tests/bench/bench-backends.sh [BUILD_DIR]    (default _build; builds nothing)
#
# Environment: CAMPAIGNS (campaigns seeded for the GET, 10000), PLEDGES
# (pledges = backers of the storm, 10000), DURATION (wrk run, 5s),
# GET_CONNECTIONS (32), CONNECTIONS (storm, 64), THREADS (event loops per
# instance, 2), WORKERS (worker pool per instance, 4 on SQLite, 8 on
# PostgreSQL, where every request runs on it), SETUPS (default
# "sqlite:1 postgresql:1 postgresql:2"), PEER_DIR (folder of pledge-storm.js),
# NODE_PATH (must hold autocannon; else installed from npm), KEEP=1.
#
# PostgreSQL and Redis are throwaway instances (tests/services.sh, profile
# "bench": fsync on, synchronous_commit off, the durability of our SQLite
# store's WAL with synchronous=NORMAL).  On a 2-core machine two instances
# share the same two cores: the second instance shows the cost of the
# shared-nothing setup, not a speed-up.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-_build}
[[ $BUILD = /* ]] || BUILD=$REPO/$BUILD
CAMPAIGNS=${CAMPAIGNS:-10000}
PLEDGES=${PLEDGES:-10000}
DURATION=${DURATION:-5s}
GET_CONNECTIONS=${GET_CONNECTIONS:-32}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
SETUPS=${SETUPS:-"sqlite:1 postgresql:1 postgresql:2"}
PEER_DIR=${PEER_DIR:-$REPO/../shared/bench}
PYTHON=/usr/bin/python3

SERVER=$BUILD/src/server/crowdspark-server
SEED=$BUILD/tests/bench/bench-seed
PLEDGE_SEED=$BUILD/tests/bench/bench-pledge-seed

die() { echo "bench-backends: $*" >&2; exit 1; }
say() { echo "bench-backends: $*" >&2; }

for f in "$SERVER" "$SEED" "$PLEDGE_SEED"; do [[ -x $f ]] || die "no $f: build first (meson compile -C $BUILD)"; done
[[ -f $PEER_DIR/pledge-storm.js ]] || die "no pledge-storm.js in $PEER_DIR (set PEER_DIR)"
for tool in node wrk curl psql "$PYTHON"; do command -v "$tool" >/dev/null || die "$tool is missing"; done
PEER_DIR=$(cd "$PEER_DIR" && pwd)

TMP=$(mktemp -d "${TMPDIR:-/tmp}/crowdspark-bench.XXXXXX")
chmod 755 "$TMP"
PIDS=()
SERVICES=
stop_servers() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
}
cleanup() {
  stop_servers
  [[ -n $SERVICES ]] && "$REPO/tests/services.sh" stop "$SERVICES"
  if [[ ${KEEP:-0} = 1 ]]; then echo "bench-backends: kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
json_get() { "$PYTHON" -c "import json,sys; d=json.load(sys.stdin); print(d$1)"; }
to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.2f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.2f", v }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.2f", v * 1000 }
    else printf "?" }'
}

if ! NODE_PATH=${NODE_PATH:-} node -e 'require("autocannon")' 2>/dev/null; then
  say "installing autocannon from npm..."
  (cd "$TMP" && npm install --silent --no-audit --no-fund autocannon >/dev/null 2>&1) || die "npm install autocannon failed"
  export NODE_PATH=$TMP/node_modules
fi

if [[ $SETUPS == *postgresql* ]]; then
  SERVICES=$TMP/services
  CS_SERVICES_PROFILE=bench "$REPO/tests/services.sh" start "$SERVICES" >/dev/null
  # shellcheck disable=SC1091
  source "$SERVICES/env"
  [[ -n ${CS_TEST_POSTGRESQL:-} && -n ${CS_TEST_REDIS:-} ]] || die "PostgreSQL or Redis did not start"
fi

# new_db KIND NAME: a fresh database URL
new_db() {
  if [[ $1 = sqlite ]]; then
    echo "sqlite://$TMP/$2.db"
  else
    psql -q "$CS_TEST_POSTGRESQL" -c "CREATE DATABASE $2" >/dev/null
    echo "${CS_TEST_POSTGRESQL%/postgres}/$2"
  fi
}

# start_instances KIND COUNT DB: COUNT servers on one port; sets URL
start_instances() {
  local kind=$1 count=$2 db=$3 port i j workers extra=()
  port=$(free_port)
  workers=${WORKERS:-$([[ $kind = sqlite ]] && echo 4 || echo 8)}
  if ((count > 1)); then extra=(--redis "$CS_TEST_REDIS"); fi
  printf '[server]\naccess-log=false\nsandbox=true\nwebhook-secret=bench-webhook-secret-0123456789\n' >"$TMP/server.ini"
  for ((i = 0; i < count; i++)); do
    setsid "$SERVER" serve --config "$TMP/server.ini" --database "$db" --listen "127.0.0.1:$port" \
      --threads "$THREADS" --workers "$workers" "${extra[@]}" >"$TMP/server$i.out" 2>"$TMP/server$i.err" &
    PIDS+=("$!")
    for ((j = 0; j < 300; j++)); do
      grep -q '^listening on' "$TMP/server$i.out" && break
      kill -0 "${PIDS[-1]}" 2>/dev/null || { cat "$TMP/server$i.err" >&2; die "crowdspark-server exited"; }
      sleep 0.1
    done
    grep -q '^listening on' "$TMP/server$i.out" || die "crowdspark-server did not start"
  done
  URL="http://127.0.0.1:$port"
  WORKERS_USED=$workers
}

ROWS=()
for setup in $SETUPS; do
  kind=${setup%%:*}
  count=${setup##*:}
  name="$kind x$count"
  tag=${kind}_$count

  # ---- campaign GET ----
  say "$name: seeding $CAMPAIGNS campaigns..."
  db=$(new_db "$kind" "read_$tag")
  campaign=$("$SEED" "$db" "$CAMPAIGNS" | tail -n 1)
  start_instances "$kind" "$count" "$db"
  wrk -t1 -c"$GET_CONNECTIONS" -d1s "$URL/api/v1/campaigns/$campaign" >/dev/null 2>&1 || true
  out=$(wrk -t2 -c"$GET_CONNECTIONS" -d"$DURATION" --latency "$URL/api/v1/campaigns/$campaign")
  get_rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
  get_p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
  get_err=$(awk '/Non-2xx or 3xx responses:/ { n += $NF } /Socket errors:/ { gsub(",", ""); n += $4 + $6 + $8 + $10 } END { print n + 0 }' <<<"$out")
  say "$name: GET $get_rps req/s, p99 $get_p99 ms, $get_err errors"
  stop_servers

  # ---- pledge storm ----
  say "$name: seeding one hot campaign and $PLEDGES backers..."
  db=$(new_db "$kind" "storm_$tag")
  read -r campaign tier < <("$PLEDGE_SEED" "$db" "$PLEDGES" "$TMP/tokens_$tag.txt")
  start_instances "$kind" "$count" "$db"
  say "$name: storm ($PLEDGES pledges, $CONNECTIONS connections)..."
  t0=$(date +%s.%N)
  storm=$(node "$PEER_DIR/pledge-storm.js" "$URL" "$campaign" "$tier" 1000 "$CONNECTIONS" "$TMP/tokens_$tag.txt")
  accepted=$(json_get "['statuses'].get('201', 0)" <<<"$storm")
  for ((i = 0; i < 2400; i++)); do
    backers=$(curl -s "$URL/api/v1/campaigns/$campaign" | json_get "['backer_count']")
    [[ $backers = "$accepted" ]] && break
    sleep 0.05
  done
  t2=$(date +%s.%N)
  amount=$(curl -s "$URL/api/v1/campaigns/$campaign" | json_get "['current_amount']")
  stop_servers
  books=$("$SERVER" check-books --database "$db" | tail -n 1) || books="RED: $books"
  [[ $amount = $((accepted * 1000)) ]] || books="TOTALS WRONG ($amount for $accepted pledges); $books"
  say "$name: $(json_get "['pledges_per_s']" <<<"$storm") pledges/s; $books"
  ROWS+=("$(printf '%-16s %8s %11s %9s %8s | %11s %8s %8s %10s  %s  %s' "$name" "$WORKERS_USED" "$get_rps" "$get_p99" "$get_err" \
    "$(json_get "['pledges_per_s']" <<<"$storm")" "$(json_get "['p50_ms']" <<<"$storm")" \
    "$(json_get "['p99_ms']" <<<"$storm")" "$(awk -v a="$t0" -v b="$t2" 'BEGIN { printf "%.1f", b - a }')" \
    "$(json_get "['statuses']" <<<"$storm")" "$books")")
done

echo
echo "crowdspark backends: GET of one campaign among $CAMPAIGNS (wrk -t2 -c$GET_CONNECTIONS -d$DURATION);"
echo "storm of $PLEDGES pledges into one campaign ($CONNECTIONS connections); --threads $THREADS per instance; $(nproc) CPUs"
printf '%-16s %8s %11s %9s %8s | %11s %8s %8s %10s  %s  %s\n' "setup" "workers" "GET req/s" "p99 ms" "errors" \
  "pledges/s" "p50 ms" "p99 ms" "booked s" "storm statuses" "check-books"
printf '%s\n' "${ROWS[@]}"
