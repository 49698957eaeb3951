#!/usr/bin/env bash
# bench-pledge.sh: pledges into ONE hot campaign from many backers, side by
# side with the FastAPI peer (../shared/bench/peer_fastapi.py: one SQLite
# transaction per pledge, no gateway, no ledger) and the raw SQLite rate for
# the same writes (bench-sqlite-pledge).  Run by hand:
#
#   tests/bench/bench-pledge.sh [BUILD_DIR]      (default _build; builds nothing)
#
# Environment: N (pledges = backers, 20000), CONNECTIONS (64), THREADS (server
# event loops, 2), WORKERS (server worker pool, 4), PEER_DIR (folder of
# peer_fastapi.py and pledge-storm.js, default REPO/../shared/bench),
# NODE_PATH (must hold autocannon; else it is installed from npm into the
# temp folder), KEEP=1 keeps the temp folder.
#
# Ours does the whole money path per pledge: bearer auth, Idempotency-Key,
# the tier claim, the pledge and its AUTHORIZE job in one transaction; then,
# off the request path, the sandbox gateway's authorization, its signed
# webhook over HTTP, and the ledger entries and campaign totals in another
# transaction.  "settled" is when the last authorization is on the books;
# the run then checks the totals are exact and `check-books` is green.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-_build}
[[ $BUILD = /* ]] || BUILD=$REPO/$BUILD
N=${N:-20000}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
WORKERS=${WORKERS:-4}
PEER_DIR=${PEER_DIR:-$REPO/../shared/bench}
PYTHON=/usr/bin/python3   # Debian's, which has python3-fastapi and python3-uvicorn

SERVER=$BUILD/src/server/crowdspark-server
SEED=$BUILD/tests/bench/bench-pledge-seed
RAW=$BUILD/tests/bench/bench-sqlite-pledge

die() { echo "bench-pledge: $*" >&2; exit 1; }

for f in "$SERVER" "$SEED" "$RAW"; do [[ -x $f ]] || die "no $f: build first (meson compile -C $BUILD)"; done
[[ -f $PEER_DIR/peer_fastapi.py && -f $PEER_DIR/pledge-storm.js ]] || die "no peer in $PEER_DIR (set PEER_DIR)"
for tool in node curl "$PYTHON"; do command -v "$tool" >/dev/null || die "$tool is missing"; done
PEER_DIR=$(cd "$PEER_DIR" && pwd)

TMP=$(mktemp -d "${TMPDIR:-/tmp}/crowdspark-bench.XXXXXX")
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ ${KEEP:-0} = 1 ]]; then echo "bench-pledge: kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
start() { local log=$1; shift; setsid "$@" >"$log.out" 2>"$log.err" & PIDS+=("$!"); }
json_get() { "$PYTHON" -c "import json,sys; d=json.load(sys.stdin); print(d$1)"; }

if ! NODE_PATH=${NODE_PATH:-} node -e 'require("autocannon")' 2>/dev/null; then
  echo "bench-pledge: installing autocannon from npm..." >&2
  (cd "$TMP" && npm install --silent --no-audit --no-fund autocannon >/dev/null 2>&1) || die "npm install autocannon failed"
  export NODE_PATH=$TMP/node_modules
fi

# ---- ours ---------------------------------------------------------------------
echo "bench-pledge: seeding one hot campaign and $N backers (ours)..." >&2
OUR_DB="sqlite://$TMP/ours.db"
read -r CAMPAIGN TIER < <("$SEED" "$OUR_DB" "$N" "$TMP/tokens.txt")
printf '[server]\naccess-log=false\nsandbox=true\n' >"$TMP/server.ini"
start "$TMP/server" "$SERVER" serve --config "$TMP/server.ini" --database "$OUR_DB" --listen 127.0.0.1:0 \
  --threads "$THREADS" --workers "$WORKERS"
OURS=
for ((i = 0; i < 300; i++)); do
  OURS=$(sed -n 's/^listening on \(http:\/\/[^ ]*\).*/\1/p' "$TMP/server.out" | head -n 1)
  [[ -n $OURS ]] && break
  kill -0 "${PIDS[-1]}" 2>/dev/null || { cat "$TMP/server.err" >&2; die "crowdspark-server exited"; }
  sleep 0.1
done
[[ -n $OURS ]] || die "crowdspark-server did not say where it listens"

echo "bench-pledge: storm on ours ($N pledges, $CONNECTIONS connections)..." >&2
T0=$(date +%s.%N)
OUR_JSON=$(node "$PEER_DIR/pledge-storm.js" "$OURS" "$CAMPAIGN" "$TIER" 1000 "$CONNECTIONS" "$TMP/tokens.txt")
T1=$(date +%s.%N)
echo "$OUR_JSON" >&2
OUR_201=$(json_get "['statuses'].get('201', 0)" <<<"$OUR_JSON")
# settled: every authorization applied (the webhook path runs behind the requests)
for ((i = 0; i < 1200; i++)); do
  BACKERS=$(curl -s "$OURS/api/v1/campaigns/$CAMPAIGN" | json_get "['backer_count']")
  [[ $BACKERS = "$OUR_201" ]] && break
  sleep 0.05
done
T2=$(date +%s.%N)
AMOUNT=$(curl -s "$OURS/api/v1/campaigns/$CAMPAIGN" | json_get "['current_amount']")
kill -TERM -- "-${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true
BOOKS=$("$SERVER" check-books --database "$OUR_DB" | tail -n 1) || BOOKS="RED: $BOOKS"

# ---- the FastAPI peer -----------------------------------------------------------
echo "bench-pledge: seeding the FastAPI peer..." >&2
(cd "$PEER_DIR" && "$PYTHON" peer_fastapi.py seed "$TMP/peer.db" 1 "$N" >"$TMP/peer-tokens.txt")
PEER_PORT=$(free_port)
start "$TMP/peer" env -C "$PEER_DIR" PEER_DB="$TMP/peer.db" PYTHONDONTWRITEBYTECODE=1 \
  "$PYTHON" -m uvicorn peer_fastapi:app --workers 2 --host 127.0.0.1 --port "$PEER_PORT" --log-level warning --no-access-log
for ((i = 0; i < 300; i++)); do
  [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PEER_PORT/api/v1/campaigns/c0" || true) = 200 ]] && break
  sleep 0.1
done
echo "bench-pledge: storm on the peer..." >&2
PEER_JSON=$(node "$PEER_DIR/pledge-storm.js" "http://127.0.0.1:$PEER_PORT" c0 c0t0 1000 "$CONNECTIONS" "$TMP/peer-tokens.txt")
echo "$PEER_JSON" >&2

# ---- raw SQLite -------------------------------------------------------------------
RAW_JSON=$("$RAW" "$TMP/raw.db" "$N")

OUR_RATE=$(json_get "['pledges_per_s']" <<<"$OUR_JSON")
PEER_RATE=$(json_get "['pledges_per_s']" <<<"$PEER_JSON")
echo
echo "crowdspark pledge benchmark: $N pledges into one campaign, $CONNECTIONS connections, server --threads $THREADS --workers $WORKERS, $(nproc) CPUs"
printf '%-28s %12s %9s %9s %s\n' "target" "pledges/s" "p50 ms" "p99 ms" "statuses"
printf '%-28s %12s %9s %9s %s\n' "ours (full money path)" "$OUR_RATE" "$(json_get "['p50_ms']" <<<"$OUR_JSON")" \
  "$(json_get "['p99_ms']" <<<"$OUR_JSON")" "$(json_get "['statuses']" <<<"$OUR_JSON")"
printf '%-28s %12s %9s %9s %s\n' "FastAPI peer" "$PEER_RATE" "$(json_get "['p50_ms']" <<<"$PEER_JSON")" \
  "$(json_get "['p99_ms']" <<<"$PEER_JSON")" "$(json_get "['statuses']" <<<"$PEER_JSON")"
printf '%-28s %12s\n' "raw SQLite, same writes" "$(json_get "['raw_sqlite_pledges_per_s']" <<<"$RAW_JSON")"
echo
echo "ours/peer = $(awk -v a="$OUR_RATE" -v b="$PEER_RATE" 'BEGIN { printf "%.2f", a / b }')x"
echo "requests: $(awk -v a="$T0" -v b="$T1" 'BEGIN { printf "%.2f", b - a }') s; all authorized on the books after $(awk -v a="$T0" -v b="$T2" 'BEGIN { printf "%.2f", b - a }') s"
echo "totals: backer_count $BACKERS of $OUR_201 accepted, current_amount $AMOUNT (expected $((OUR_201 * 1000)))"
echo "check-books: $BOOKS"
