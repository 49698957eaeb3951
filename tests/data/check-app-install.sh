#!/usr/bin/env bash
# app-install: the meson install the Flatpak manifest runs, checked with
# `meson install --destdir`.
#
# Usage: check-app-install.sh SOURCE_ROOT MANIFEST BUILD_DIR
# Configures an app-only build of SOURCE_ROOT in BUILD_DIR with the manifest's
# own config-opts and --prefix=/app (as flatpak-builder does), builds it,
# installs it into a fresh DESTDIR and checks the installed tree: the binary,
# the desktop file, the metainfo and the D-Bus service under the manifest's
# app id (each validated), both icons, the GSettings schema (it compiles), a
# .mo file for each language of po/LINGUAS, and nothing of the server.
set -euo pipefail

root=$(cd "$1" && pwd)
manifest=$2
build=$3
fail() { echo "FAIL: $*"; exit 1; }

mapfile -t manifest_info < <(python3 - "$manifest" <<'PY'
import json, sys
m = json.load(open(sys.argv[1], encoding="utf-8"))
module = [x for x in m["modules"] if isinstance(x, dict) and x.get("name") == "crowdspark"][0]
print(m.get("id") or m["app-id"])
print(m["command"])
for opt in module.get("config-opts", []):
    print(opt)
PY
)
app_id=${manifest_info[0]}
command=${manifest_info[1]}
config_opts=("${manifest_info[@]:2}")
echo "manifest: $app_id, command $command, config-opts: ${config_opts[*]}"

# A build directory of another configuration (or a broken one) starts afresh.
if [[ -f $build/meson-private/coredata.dat ]]; then
  meson setup --reconfigure "$build" "$root" --prefix=/app "${config_opts[@]}" >"$build.setup.log" 2>&1 \
    || { rm -rf "$build"; }
fi
if [[ ! -f $build/meson-private/coredata.dat ]]; then
  meson setup "$build" "$root" --prefix=/app "${config_opts[@]}" >"$build.setup.log" 2>&1 \
    || { cat "$build.setup.log"; fail "meson setup with the manifest's config-opts"; }
fi
ninja -C "$build" -j 2 >"$build.build.log" 2>&1 || { tail -40 "$build.build.log"; fail "the app-only build"; }

destdir=$build.destdir
rm -rf "$destdir"
meson install -C "$build" --destdir "$destdir" >"$build.install.log" 2>&1 \
  || { cat "$build.install.log"; fail "meson install --destdir"; }
app=$destdir/app
share=$app/share

[[ -x $app/bin/$command ]] || fail "bin/$command is not installed (the manifest's command)"
[[ ! -e $app/bin/crowdspark-server ]] || fail "the server is installed in an app-only build"
[[ ! -e $app/lib/systemd ]] || fail "the server's systemd unit is installed in an app-only build"

desktop=$share/applications/$app_id.desktop
[[ -f $desktop ]] || fail "share/applications/$app_id.desktop is missing"
desktop-file-validate "$desktop" || fail "$desktop does not validate"
grep -qx "Icon=$app_id" "$desktop" || fail "$desktop: Icon is not $app_id"
grep -qx "Exec=$command" "$desktop" || fail "$desktop: Exec is not $command"

metainfo=$share/metainfo/$app_id.metainfo.xml
[[ -f $metainfo ]] || fail "share/metainfo/$app_id.metainfo.xml is missing"
appstreamcli validate --no-net "$metainfo" || fail "$metainfo does not validate"
grep -q "<id>$app_id</id>" "$metainfo" || fail "$metainfo: the id is not $app_id"
grep -q "<launchable type=\"desktop-id\">$app_id.desktop</launchable>" "$metainfo" \
  || fail "$metainfo: the launchable is not $app_id.desktop"

if grep -qx "DBusActivatable=true" "$desktop"; then
  service=$share/dbus-1/services/$app_id.service
  [[ -f $service ]] || fail "DBusActivatable=true but share/dbus-1/services/$app_id.service is missing"
  grep -qx "Name=$app_id" "$service" || fail "$service: Name is not $app_id"
  grep -qx "Exec=/app/bin/$command --gapplication-service" "$service" \
    || fail "$service: Exec is not /app/bin/$command --gapplication-service"
fi

for icon in scalable/apps/$app_id.svg symbolic/apps/$app_id-symbolic.svg; do
  [[ -s $share/icons/hicolor/$icon ]] || fail "share/icons/hicolor/$icon is missing"
done

schemas=$share/glib-2.0/schemas
[[ -f $schemas/io.github.crowdspark.CrowdSpark.gschema.xml ]] || fail "the GSettings schema is not installed"
glib-compile-schemas --strict --dry-run "$schemas" || fail "the installed schemas do not compile"

languages=0
for lang in $(sed -e 's/#.*//' "$root/po/LINGUAS"); do
  [[ -s $share/locale/$lang/LC_MESSAGES/crowdspark.mo ]] \
    || fail "share/locale/$lang/LC_MESSAGES/crowdspark.mo is missing ($lang is in po/LINGUAS)"
  languages=$((languages + 1))
done

echo "ok: $app_id installs $(cd "$app" && find . -type f | wc -l) files into /app ($languages translations)"
(cd "$app" && find . -type f | sort)
