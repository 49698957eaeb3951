# shellcheck shell=bash
# common.sh: helpers for the scripts in this folder (sourced, not run).

# Under sudo, run a command as the person who called sudo, so that build and
# demo folders are not left owned by root in their checkout.  As plain root
# (CI) or as a normal user, run it as is.
as_user() {
  if [[ $(id -u) -eq 0 && -n ${SUDO_USER:-} && ${SUDO_USER} != root ]]; then
    runuser -u "$SUDO_USER" -- "$@"
  else
    "$@"
  fi
}

# meson setup BUILD [OPTIONS...] the first time, --reconfigure afterwards.
meson_setup() {
  local build=$1
  shift
  if [[ -f $build/meson-private/coredata.dat ]]; then
    as_user meson setup --reconfigure "$build" "$@"
  else
    as_user meson setup "$build" "$@"
  fi
}
