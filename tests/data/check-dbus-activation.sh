#!/usr/bin/env bash
# dbus-activation: the desktop file says DBusActivatable=true, so the session
# bus must be able to start the app from its D-Bus service file and the app
# must open its window on org.freedesktop.Application.Activate.
#
# Usage: check-dbus-activation.sh SERVICE_FILE DESKTOP_FILE APP_BINARY SCHEMA_DIR
# SERVICE_FILE is the configured (not yet installed) service: its Name and
# arguments are used as they are, with APP_BINARY (the build tree's) in place
# of the installed path.  Runs on a private session bus and an Xvfb display.
set -euo pipefail

service=$1
desktop=$2
binary=$3
schema_dir=$4
fail() { echo "FAIL: $*"; exit 1; }

if [[ -z ${CS_DBUS_ACTIVATION_INNER:-} ]]; then
  name=$(sed -n 's/^Name=//p' "$service")
  exec_line=$(sed -n 's/^Exec=//p' "$service")
  app_id=$(basename "$desktop" .desktop)
  grep -qx "DBusActivatable=true" "$desktop" || fail "$desktop is not DBusActivatable"
  [[ $name == "$app_id" ]] || fail "$service: Name=$name, but the desktop file is $app_id.desktop"
  read -r -a exec_args <<<"$exec_line"
  [[ $(basename "${exec_args[0]}") == "$(basename "$binary")" ]] \
    || fail "$service starts ${exec_args[0]}, not $(basename "$binary")"
  [[ ${exec_args[*]:1} == "--gapplication-service" ]] \
    || fail "$service: the arguments are '${exec_args[*]:1}', not --gapplication-service"

  tmp=$(mktemp -d "${TMPDIR:-/tmp}/cs-dbus-activation-XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/services" "$tmp/home" "$tmp/runtime"
  chmod 700 "$tmp/runtime"
  # the service as installed, but starting the build tree's binary in a throwaway home
  cat >"$tmp/services/$name.service" <<SERVICE
[D-BUS Service]
Name=$name
Exec=/usr/bin/env HOME=$tmp/home XDG_DATA_HOME=$tmp/home/data XDG_CONFIG_HOME=$tmp/home/config XDG_CACHE_HOME=$tmp/home/cache XDG_STATE_HOME=$tmp/home/state GSETTINGS_BACKEND=memory GSETTINGS_SCHEMA_DIR=$schema_dir GIO_USE_PROXY_RESOLVER=dummy GTK_A11Y=none NO_AT_BRIDGE=1 LIBGL_ALWAYS_SOFTWARE=1 $binary ${exec_args[*]:1}
SERVICE
  cat >"$tmp/session.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=$tmp</listen>
  <auth>EXTERNAL</auth>
  <servicedir>$tmp/services</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
CONF
  export CS_DBUS_ACTIVATION_INNER=$name
  xvfb-run -a -s "-screen 0 1280x800x24" \
    dbus-run-session --config-file="$tmp/session.conf" -- "$0" "$@"
  exit $?
fi

name=$CS_DBUS_ACTIVATION_INNER
path=/$(echo "$name" | tr . /)

# Nothing runs yet: the call below makes the bus start the app.
if gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus \
     --method org.freedesktop.DBus.NameHasOwner "$name" | grep -q true; then
  fail "$name is already on the bus"
fi
gdbus call --session --timeout 60 --dest "$name" --object-path "$path" \
  --method org.freedesktop.Application.Activate '{}' >/dev/null \
  || fail "org.freedesktop.Application.Activate on $name did not start the app"

# The window's actions are exported as $path/window/1 once it exists.
deadline=$((SECONDS + 30))
until gdbus call --session --dest "$name" --object-path "$path/window/1" \
        --method org.gtk.Actions.List >/dev/null 2>&1; do
  ((SECONDS < deadline)) || fail "the app was started but opened no window within 30 s"
  sleep 0.1
done

gdbus call --session --dest "$name" --object-path "$path" \
  --method org.gtk.Actions.Activate quit '[]' '{}' >/dev/null || fail "app.quit failed"
echo "ok: the session bus started $name, which opened its window"
