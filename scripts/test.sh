#!/usr/bin/env bash
# The whole test suite, on a fresh Debian 12 machine (as root or with sudo):
# installs the packages, builds with AddressSanitizer and UndefinedBehavior-
# Sanitizer into _build-san/, starts a throwaway PostgreSQL and Redis on free
# loopback ports (for the PostgreSQL runs of the server suites), and runs
# `meson test`, exiting with its status.
# Extra arguments go to `meson test` (a test name, --suite core, ...).
set -euo pipefail

cd "$(dirname "$0")/.."
source scripts/common.sh

BUILD=${BUILD:-_build-san}

./scripts/install-deps.sh

meson_setup "$BUILD" -Db_sanitize=address,undefined
as_user meson compile -C "$BUILD"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export G_SLICE=always-malloc
export G_DEBUG=gc-friendly

# One throwaway PostgreSQL and Redis for the whole run (the PostgreSQL
# variants of the server suites use them; tests/services.sh would otherwise
# start a pair per suite).
SERVICES=$(mktemp -d "${TMPDIR:-/tmp}/cs-services-XXXXXX")
chmod 755 "$SERVICES"
trap 'tests/services.sh stop "$SERVICES"' EXIT
tests/services.sh start "$SERVICES" >/dev/null
set -a
# shellcheck disable=SC1091
source "$SERVICES/env"
set +a
for var in CS_TEST_POSTGRESQL CS_TEST_REDIS; do
  if [[ -z ${!var:-} ]]; then
    echo "test.sh: $var is not set: PostgreSQL or Redis did not start" >&2
    exit 1
  fi
done

status=0
as_user meson test -C "$BUILD" --print-errorlogs --timeout-multiplier "${TIMEOUT_MULTIPLIER:-3}" "$@" \
  || status=$?

# One plain closing line that any CI reader understands.
if [[ -f $BUILD/meson-logs/testlog.json ]]; then
  python3 - "$BUILD/meson-logs/testlog.json" <<'PY' || true
import json, sys
passed = failed = skipped = 0
for line in open(sys.argv[1]):
    result = json.loads(line).get("result")
    if result in ("OK", "EXPECTEDFAIL"):
        passed += 1
    elif result == "SKIP":
        skipped += 1
    else:
        failed += 1
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
PY
fi

if [[ $status -ne 0 ]]; then
  log=$BUILD/meson-logs/testlog.txt
  echo
  echo "==== meson test failed (exit status $status); the end of $log ===="
  if [[ -f $log ]]; then
    tail -n 200 "$log"
  fi
fi
exit "$status"
