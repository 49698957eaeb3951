#!/usr/bin/env bash
# bench-read.sh: read throughput of crowdspark-server, side by side with the
# FastAPI peer (../shared/bench/peer_fastapi.py) and nginx serving the same
# response bytes from a file (the machine's ceiling).  Run by hand:
#
#   tests/bench/bench-read.sh [BUILD_DIR]        (default _build; builds nothing)
#
# Environment: N (campaigns, 100000), DURATION (wrk run, 5s), CONNECTIONS (32),
# THREADS (server event loops, 2), WORDS (search words), PEER_DIR (the folder of
# peer_fastapi.py, default REPO/../shared/bench), KEEP=1 keeps the temp folder.
#
# Both databases are seeded with N campaigns of 1-3 tiers; each target gets a
# 1 s warm-up, then `wrk -t1 -c32 -d5s --latency`.  On these 2-core machines
# only ratios measured in one run mean much.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-_build}
[[ $BUILD = /* ]] || BUILD=$REPO/$BUILD
N=${N:-100000}
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
WORDS=${WORDS:-"game lantern harbour handmade synth"}
PEER_DIR=${PEER_DIR:-$REPO/../shared/bench}
PYTHON=/usr/bin/python3   # Debian's, which has python3-fastapi and python3-uvicorn

SERVER=$BUILD/src/server/crowdspark-server
SEED=$BUILD/tests/bench/bench-seed

die() { echo "bench-read: $*" >&2; exit 1; }

[[ -x $SERVER ]] || die "no $SERVER: build first (meson compile -C $BUILD)"
[[ -x $SEED ]] || die "no $SEED: build first (meson compile -C $BUILD)"
[[ -f $PEER_DIR/peer_fastapi.py ]] || die "no peer_fastapi.py in $PEER_DIR (set PEER_DIR)"
for tool in wrk nginx curl "$PYTHON"; do
  command -v "$tool" >/dev/null || die "$tool is missing (scripts/install-deps.sh installs it)"
done
PEER_DIR=$(cd "$PEER_DIR" && pwd)

TMP=$(mktemp -d "${TMPDIR:-/tmp}/crowdspark-bench.XXXXXX")
PIDS=()

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    # each service was started in its own session: stop its whole group
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [[ ${KEEP:-0} = 1 ]]; then
    echo "bench-read: kept $TMP"
  else
    rm -rf "$TMP"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts "$@" in its own session, in the background; remembers its pid.
start() {
  local log=$1
  shift
  setsid "$@" >"$log.out" 2>"$log.err" &
  PIDS+=("$!")
}

# Waits until URL answers 200 (up to 30 s).
wait_for() {
  local url=$1 i
  for ((i = 0; i < 300; i++)); do
    if [[ $(curl -s -o /dev/null -w '%{http_code}' "$url" || true) = 200 ]]; then
      return 0
    fi
    sleep 0.1
  done
  die "$url did not come up"
}

# ---- seed both databases --------------------------------------------------

echo "bench-read: seeding $N campaigns for crowdspark-server (this takes a while)..."
OUR_DB="sqlite://$TMP/ours.db"
CAMPAIGN_ID=$("$SEED" "$OUR_DB" "$N" | tail -n 1)
[[ -n $CAMPAIGN_ID ]] || die "bench-seed printed no campaign id"

echo "bench-read: seeding $N campaigns for the FastAPI peer..."
(cd "$PEER_DIR" && "$PYTHON" peer_fastapi.py seed "$TMP/peer.db" "$N" 100 >"$TMP/peer-tokens.txt")
PEER_CAMPAIGN_ID=c$((N / 2))

# ---- start the three servers ---------------------------------------------

cat >"$TMP/server.ini" <<EOF
[server]
access-log=false
EOF
start "$TMP/server" "$SERVER" serve --config "$TMP/server.ini" --database "$OUR_DB" \
  --listen 127.0.0.1:0 --threads "$THREADS"
OURS=
for ((i = 0; i < 300; i++)); do
  OURS=$(sed -n 's/^listening on \(http:\/\/[^ ]*\).*/\1/p' "$TMP/server.out" | head -n 1)
  [[ -n $OURS ]] && break
  kill -0 "${PIDS[-1]}" 2>/dev/null || { cat "$TMP/server.err" >&2; die "crowdspark-server exited"; }
  sleep 0.1
done
[[ -n $OURS ]] || die "crowdspark-server did not say where it listens"
OUR_URL="$OURS/api/v1/campaigns/$CAMPAIGN_ID"
wait_for "$OUR_URL"

PEER_PORT=$(free_port)
start "$TMP/peer" env -C "$PEER_DIR" PEER_DB="$TMP/peer.db" PYTHONDONTWRITEBYTECODE=1 \
  "$PYTHON" -m uvicorn peer_fastapi:app --workers 2 --host 127.0.0.1 --port "$PEER_PORT" \
  --log-level warning --no-access-log
PEER_URL="http://127.0.0.1:$PEER_PORT/api/v1/campaigns/$PEER_CAMPAIGN_ID"
wait_for "$PEER_URL"

# nginx serves the exact bytes of our response.  Its workers may run as
# nobody: let them through the temp folder.
mkdir -p "$TMP/www" "$TMP/nginx"
curl -sf -o "$TMP/www/campaign.json" "$OUR_URL" || die "GET $OUR_URL failed"
chmod 711 "$TMP"
chmod 755 "$TMP/www"
chmod 644 "$TMP/www/campaign.json"
NGINX_PORT=$(free_port)
cat >"$TMP/nginx.conf" <<EOF
daemon off;
worker_processes auto;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $TMP/nginx/body;
  proxy_temp_path $TMP/nginx/proxy;
  fastcgi_temp_path $TMP/nginx/fastcgi;
  uwsgi_temp_path $TMP/nginx/uwsgi;
  scgi_temp_path $TMP/nginx/scgi;
  types { application/json json; }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $TMP/www;
  }
}
EOF
start "$TMP/nginx/run" nginx -p "$TMP/nginx" -c "$TMP/nginx.conf"
NGINX_URL="http://127.0.0.1:$NGINX_PORT/campaign.json"
wait_for "$NGINX_URL"

# ---- measure ---------------------------------------------------------------

# Converts wrk's "12.34ms" / "850.00us" / "1.02s" to milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); printf "%.2f", v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.2f", v }
    else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.2f", v * 1000 }
    else printf "?" }'
}

ROWS=()
declare -A RPS

# bench NAME URL: warm up, measure, remember req/s, p99 and errors.
bench() {
  local name=$1 url=$2 out rps p99 errors
  wrk -t1 -c"$CONNECTIONS" -d1s "$url" >/dev/null 2>&1 || true
  out=$(wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "$url")
  rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
  p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
  errors=$(awk '/Non-2xx or 3xx responses:/ { n += $NF }
                /Socket errors:/ { gsub(",", ""); n += $4 + $6 + $8 + $10 }
                END { print n + 0 }' <<<"$out")
  RPS[$name]=$rps
  ROWS+=("$(printf '%-34s %12s %10s %8s' "$name" "$rps" "$p99" "$errors")")
  echo "bench-read: $name: $rps req/s, p99 $p99 ms" >&2
}

bench "ours  GET /campaigns/{id}" "$OUR_URL"
bench "peer  GET /campaigns/{id}" "$PEER_URL"
bench "nginx (same bytes)" "$NGINX_URL"
for word in $WORDS; do
  bench "ours  search q=$word" "$OURS/api/v1/campaigns?q=$word&sort=relevance&limit=20"
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "?" }'; }

echo
echo "crowdspark read benchmark: $N campaigns, wrk -t1 -c$CONNECTIONS -d$DURATION, server --threads $THREADS, $(nproc) CPUs"
echo "response: $(wc -c <"$TMP/www/campaign.json") bytes (ours), $(curl -s "$PEER_URL" | wc -c) bytes (peer)"
printf '%-34s %12s %10s %8s\n' "benchmark" "req/s" "p99 ms" "errors"
printf '%s\n' "${ROWS[@]}"
echo
echo "ours/peer  = $(ratio "${RPS["ours  GET /campaigns/{id}"]}" "${RPS["peer  GET /campaigns/{id}"]}")x"
echo "ours/nginx = $(ratio "${RPS["ours  GET /campaigns/{id}"]}" "${RPS["nginx (same bytes)"]}")x"
