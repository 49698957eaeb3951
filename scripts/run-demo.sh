#!/usr/bin/env bash
# The demo in one command, on a fresh Debian 12 machine (as root or with sudo):
# installs the packages, builds with meson into _build/, migrates and seeds a
# SQLite database under _demo/, serves the API with the sandbox payment and
# identity providers on http://127.0.0.1:8080 (LISTEN=HOST:PORT to change),
# and opens the desktop app signed in as the demo backer (APP=0: the server
# only).  Closing the app stops the server.
# Running it again reuses the build and the demo data; `rm -rf _demo` starts over.
set -euo pipefail

cd "$(dirname "$0")/.."
source scripts/common.sh

ROOT=$PWD
BUILD=${BUILD:-_build}
LISTEN=${LISTEN:-127.0.0.1:8080}
DEMO=$ROOT/_demo
DB_URL="sqlite://$DEMO/crowdspark.db"
SERVER=$BUILD/src/server/crowdspark-server

./scripts/install-deps.sh

meson_setup "$BUILD"
as_user meson compile -C "$BUILD"

as_user mkdir -p "$DEMO/media"
as_user "$SERVER" migrate --database "$DB_URL"

# seed-demo refuses to seed twice; here that refusal is fine.
if out=$(as_user "$SERVER" seed-demo --database "$DB_URL" 2>&1); then
  echo "$out"
elif [[ $out == *"already there"* ]]; then
  echo "The demo data is already in $DEMO/crowdspark.db (rm -rf _demo to start over)."
else
  echo "$out" >&2
  exit 1
fi

cat <<MSG

CrowdSpark demo: http://$LISTEN  (the API is under /api/v1; its spec is /api/v1/openapi.json)
Accounts, all with the password "crowdspark-demo":
  backer@crowdspark.test      the demo backer (the app signs in as this one)
  moderator@crowdspark.test   the review queue
  admin@crowdspark.test       everything
Try:  curl -s 'http://$LISTEN/api/v1/campaigns?sort=ending_soon&limit=3'
The app opens signed in as the demo backer.

MSG

if [[ ${APP:-1} = 0 || ! -x $BUILD/src/app/crowdspark ]]; then
  [[ ${APP:-1} = 0 ]] || echo "(the app was not built: GTK 4 or libadwaita is missing; serving the API only)"
  as_user "$SERVER" serve --database "$DB_URL" --listen "$LISTEN" --sandbox --media-dir "$DEMO/media"
  exit $?
fi

as_user "$SERVER" serve --database "$DB_URL" --listen "$LISTEN" --sandbox --media-dir "$DEMO/media" &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://$LISTEN/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "run-demo: the server did not start" >&2; exit 1; }
  read -r -t 0.1 <> <(:) || true
done

APP_CMD=(meson devenv -C "$BUILD" crowdspark --server "http://$LISTEN" --sign-in backer@crowdspark.test)
export CROWDSPARK_PASSWORD=crowdspark-demo
if [[ -n ${DISPLAY:-}${WAYLAND_DISPLAY:-} ]]; then
  echo "Opening CrowdSpark (the app), signed in as backer@crowdspark.test; close it to stop the server."
  as_user env CROWDSPARK_PASSWORD="$CROWDSPARK_PASSWORD" "${APP_CMD[@]}"
else
  echo "No display here: the app runs on a virtual screen (Xvfb) with its own D-Bus session and keyring."
  echo "The API stays on http://$LISTEN. Stop with Ctrl+C."
  as_user env CROWDSPARK_PASSWORD="$CROWDSPARK_PASSWORD" tests/desktop-session.sh --display "${APP_CMD[@]}"
fi
