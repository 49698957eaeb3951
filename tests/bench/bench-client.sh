#!/usr/bin/env bash
# bench-client.sh: the app engine against a seeded server.  Run by hand:
#
#   tests/bench/bench-client.sh [BUILD_DIR]      (default _build; builds nothing)
#
# Seeds N (10000) live campaigns into a fresh SQLite database, starts
# crowdspark-server on a free port, and runs bench-client-sync (the first sync
# into an empty cache, a second pass, the first Discover page from the cache),
# then bench-app (the app's warm start to its first painted Discover page, its
# memory, and the most campaign cards alive while scrolling the whole grid).
# KEEP=1 keeps the temp folder.  Use a plain (not sanitizer) build.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-_build}
[[ $BUILD = /* ]] || BUILD=$REPO/$BUILD
N=${N:-10000}
SERVER=$BUILD/src/server/crowdspark-server
SEED=$BUILD/tests/bench/bench-seed
CLIENT=$BUILD/tests/bench/bench-client-sync

die() { echo "bench-client: $*" >&2; exit 1; }
for bin in "$SERVER" "$SEED" "$CLIENT"; do
  [[ -x $bin ]] || die "no $bin: build first (meson compile -C $BUILD)"
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/crowdspark-bench-client.XXXXXX")
SERVER_PID=
cleanup() {
  [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  if [[ ${KEEP:-0} = 1 ]]; then echo "bench-client: kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

DB="sqlite://$TMP/server.db"
"$SERVER" migrate --database "$DB" >/dev/null
echo "seeding $N campaigns..."
"$SEED" "$DB" "$N" >/dev/null

"$SERVER" serve --database "$DB" --listen 127.0.0.1:0 --threads 2 >"$TMP/server.out" 2>"$TMP/server.err" &
SERVER_PID=$!
for _ in $(seq 1 200); do
  grep -q '^listening on ' "$TMP/server.out" 2>/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$TMP/server.err" >&2; die "the server did not start"; }
  read -r -t 0.05 <> <(:) || true
done
URL=$(sed -n 's/^listening on //p' "$TMP/server.out" | head -n1)
[[ -n $URL ]] || die "the server did not say where it listens"

echo "server: $URL ($N campaigns)"
echo "== the engine"
GIO_USE_PROXY_RESOLVER=dummy "$CLIENT" "$URL" "$TMP/client"

# The app itself, on a virtual screen (Xvfb) in a private session: a first
# start fills the cache, a second (warm) start is measured.
APPBIN=$BUILD/tests/bench/bench-app
if [[ -x $APPBIN ]]; then
  echo "== the app (warm start on a cache of $N campaigns, 1280x800 window)"
  export GSETTINGS_SCHEMA_DIR=$BUILD/data GSETTINGS_BACKEND=memory CS_APP_NO_KEYRING=1
  "$REPO/tests/desktop-session.sh" --display "$APPBIN" "$URL" "$TMP/app" fill
  "$REPO/tests/desktop-session.sh" --display "$APPBIN" "$URL" "$TMP/app"
  if [[ -n ${ALSO_RENDERER:-} ]]; then
    echo "== the same with GSK_RENDERER=$ALSO_RENDERER"
    GSK_RENDERER=$ALSO_RENDERER "$REPO/tests/desktop-session.sh" --display "$APPBIN" "$URL" "$TMP/app"
  fi
fi
