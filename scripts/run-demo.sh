#!/usr/bin/env bash
# The demo in one command, on a fresh Debian 12 machine (as root or with sudo):
# installs the packages, builds with meson into _build/, migrates and seeds a
# SQLite database under _demo/, and serves the API with the sandbox payment
# and identity providers on http://127.0.0.1:8080 (LISTEN=HOST:PORT to change).
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
Stop with Ctrl+C.

MSG

as_user "$SERVER" serve --database "$DB_URL" --listen "$LISTEN" --sandbox --media-dir "$DEMO/media"
