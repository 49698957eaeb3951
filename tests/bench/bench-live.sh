#!/usr/bin/env bash
# bench-live.sh: WebSocket fan-out of crowdspark-server (GET /api/v1/live).
# Run by hand:
#
#   tests/bench/bench-live.sh [BUILD_DIR]        (default _build; builds nothing)
#
# Environment: SUBSCRIBERS (10000), ROUNDS (progress states, 5), THREADS
# (server event loops, 2), CONCURRENCY (handshakes in flight, 256).
#
# bench-live (tests/bench/bench-live.c) starts a real server in-process and a
# forked epoll client holding SUBSCRIBERS raw WebSockets, all subscribed to
# one campaign; it publishes ROUNDS progress states the way the pledge path
# does after a commit and reports, from publish to client read, p50/p99/max
# latency and whether every subscriber received every state (exit 1 if not).
# Goal (issue 3): 10,000 subscribers, all receive, p99 < 250 ms.  Client and
# server share the machine's 2 cores, so the client's reading is in the
# figures.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-_build}
[[ $BUILD = /* ]] || BUILD=$REPO/$BUILD
SUBSCRIBERS=${SUBSCRIBERS:-10000}
ROUNDS=${ROUNDS:-5}
THREADS=${THREADS:-2}
CONCURRENCY=${CONCURRENCY:-256}

BENCH=$BUILD/tests/bench/bench-live

die() { echo "bench-live: $*" >&2; exit 1; }

[[ -x $BENCH ]] || die "no $BENCH: build first (meson compile -C $BUILD)"

# One descriptor per connection in the server and in the client, plus slack.
need=$((SUBSCRIBERS + 512))
if (( $(ulimit -n) < need )); then
  ulimit -n "$need" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
fi
(( $(ulimit -n) >= need )) || die "$SUBSCRIBERS subscribers need ulimit -n >= $need (hard limit: $(ulimit -Hn))"

exec "$BENCH" --subscribers "$SUBSCRIBERS" --rounds "$ROUNDS" --threads "$THREADS" --concurrency "$CONCURRENCY"
