#!/usr/bin/env bash
# Installs the Debian 12 packages CrowdSpark needs to build, test, run and
# benchmark (docs: /work/shared/design/toolchain.md).  Idempotent: when every
# package is already installed it does nothing, so it also works without root.
set -euo pipefail

PACKAGES=(
  # build
  build-essential meson ninja-build pkg-config gettext
  # libraries (server and app)
  libsoup-3.0-dev libjson-glib-dev libsqlite3-dev libsodium-dev libpq-dev libhiredis-dev
  libgtk-4-dev libgtk-4-bin libadwaita-1-dev libsecret-1-dev
  # validators and headless test services
  desktop-file-utils appstream flatpak-builder libglib2.0-bin xvfb xauth dbus dbus-x11 gnome-keyring
  libsecret-tools fonts-cantarell locales
  # the accessibility test (tests/app/test-a11y.py): the AT-SPI bus and registry, and pyatspi
  at-spi2-core python3-gi gir1.2-atspi-2.0 python3-pyatspi
  postgresql redis-server librsvg2-common adwaita-icon-theme fonts-dejavu-core libgl1-mesa-dri
  # running the demo, benchmarks and their peers
  python3 sqlite3 curl ca-certificates wrk nginx-light python3-fastapi python3-uvicorn
)

# The locales the app's translation and formatting tests run in.
ensure_locales() {
  local wanted=(de_DE.UTF-8 fr_FR.UTF-8 en_US.UTF-8) have missing_locales=()
  have=$(locale -a 2>/dev/null | tr '[:upper:]' '[:lower:]' | sed 's/utf-8/utf8/')
  for l in "${wanted[@]}"; do
    local norm
    norm=$(echo "$l" | tr '[:upper:]' '[:lower:]' | sed 's/utf-8/utf8/')
    grep -qx "$norm" <<<"$have" || missing_locales+=("$l")
  done
  [[ ${#missing_locales[@]} -eq 0 ]] && return 0
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: run as root to generate the locales ${missing_locales[*]} (the translation tests need them)" >&2
    return 0
  fi
  for l in "${missing_locales[@]}"; do
    sed -i "s/^# *\($l UTF-8\)/\1/" /etc/locale.gen
    grep -q "^$l UTF-8" /etc/locale.gen || echo "$l UTF-8" >> /etc/locale.gen
  done
  locale-gen
}

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [[ $status == installed ]] || missing+=("$pkg")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#PACKAGES[@]} packages are installed"
  ensure_locales
  exit 0
fi

echo "install-deps: installing ${#missing[@]} missing packages: ${missing[*]}"
if [[ $(id -u) -eq 0 ]]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  echo "install-deps: run as root (or install sudo) to install: ${missing[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${PACKAGES[@]}"
ensure_locales
