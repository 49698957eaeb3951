#!/usr/bin/env bash
# tests/desktop-session.sh [--display] [--no-keyring] [--a11y] CMD [ARGS...]
#
# Runs CMD the way a desktop session would, with nothing of the machine's own:
# a private D-Bus session bus (dbus-run-session), an unlocked gnome-keyring
# providing the Secret Service (unless --no-keyring), and with --display a
# private Xvfb screen (1280x800).  HOME and the XDG folders point into a
# throwaway folder.  With --a11y the session also has the accessibility bus
# (at-spi-bus-launcher, which starts at-spi2-registryd on it), so GTK apps
# export their accessibility tree and AT-SPI clients can read it.  Everything is stopped afterwards; CMD's exit status is
# ours.  Used by the client and app tests (meson test) and the benchmarks.
set -euo pipefail

display=0
keyring=1
a11y=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --display) display=1; shift ;;
    --no-keyring) keyring=0; shift ;;
    --a11y) a11y=1; shift ;;
    --inner) shift; break ;;
    *) break ;;
  esac
done

if [[ -z ${CS_DESKTOP_SESSION_INNER:-} ]]; then
  args=()
  [[ $display -eq 1 ]] && args+=(--display)
  [[ $keyring -eq 0 ]] && args+=(--no-keyring)
  [[ $a11y -eq 1 ]] && args+=(--a11y)
  bus=()
  # --no-keyring: a bus without service activation, else D-Bus starts gnome-keyring on demand
  [[ $keyring -eq 0 ]] && bus=(--config-file="$(dirname "$0")/dbus-session-no-services.conf")
  export CS_DESKTOP_SESSION_INNER=1
  exec dbus-run-session "${bus[@]}" -- "$0" "${args[@]}" --inner "$@"
fi
unset CS_DESKTOP_SESSION_INNER

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cs-desktop-XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

export HOME=$tmp/home
export XDG_DATA_HOME=$tmp/data XDG_CONFIG_HOME=$tmp/config XDG_CACHE_HOME=$tmp/cache
export XDG_STATE_HOME=$tmp/state XDG_RUNTIME_DIR=$tmp/runtime
mkdir -p "$HOME" "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_STATE_HOME"
install -d -m 700 "$XDG_RUNTIME_DIR"
export GIO_USE_PROXY_RESOLVER=dummy GIO_USE_VFS=local

if [[ $keyring -eq 1 ]]; then
  # The keyring daemon runs uninstrumented: sanitizer options are not its.
  printf '%s' 'crowdspark-test-keyring' \
    | env -u LD_PRELOAD gnome-keyring-daemon --foreground --unlock --components=secrets \
        >"$tmp/keyring.log" 2>&1 &
  pids+=($!)
  if ! gdbus wait --session --timeout 15 org.freedesktop.secrets; then
    echo "desktop-session: gnome-keyring did not start:" >&2
    cat "$tmp/keyring.log" >&2
    exit 1
  fi
fi

if [[ $display -eq 1 ]]; then
  exec 3<> "$tmp/displayfd"
  Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp -noreset >"$tmp/xvfb.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do
    if [[ -s $tmp/displayfd ]]; then break; fi
    if ! kill -0 "${pids[-1]}" 2>/dev/null; then break; fi
    read -r -t 0.1 <> <(:) || true
  done
  num=$(head -n1 "$tmp/displayfd" | tr -dc '0-9')
  if [[ -z $num ]]; then
    echo "desktop-session: Xvfb did not start:" >&2
    cat "$tmp/xvfb.log" >&2
    exit 1
  fi
  export DISPLAY=:$num
  unset WAYLAND_DISPLAY
  export GDK_BACKEND=x11
fi

if [[ $a11y -eq 1 ]]; then
  # Uninstrumented, like the keyring.  The launcher owns org.a11y.Bus on the
  # session bus and runs the accessibility bus; the registry is activated there.
  env -u LD_PRELOAD /usr/libexec/at-spi-bus-launcher --launch-immediately \
    >"$tmp/at-spi.log" 2>&1 &
  pids+=($!)
  if ! gdbus wait --session --timeout 15 org.a11y.Bus; then
    echo "desktop-session: at-spi-bus-launcher did not start:" >&2
    cat "$tmp/at-spi.log" >&2
    exit 1
  fi
fi

status=0
"$@" || status=$?
exit "$status"
