#!/bin/sh
# pot-strings: xgettext extracts every string of po/POTFILES.in whole.
#
# Usage: check-pot.sh SOURCE_ROOT
# Extracts the template the way `ninja crowdspark-pot` does (meson's glib
# preset) into a temporary file and fails on xgettext's warnings about
# msgids, e.g. a C format string cut short by a macro
# (_("%" G_GINT64_FORMAT " left") is extracted as "%": translators never see
# the sentence, and a translation could not keep the format).
set -eu

root=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cd "$root"
LC_ALL=C xgettext --package-name=crowdspark --output="$tmp/crowdspark.pot" \
  --files-from=po/POTFILES.in \
  --from-code=UTF-8 --add-comments \
  --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
  --keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 \
  --flag=N_:1:pass-c-format --flag=C_:2:pass-c-format --flag=NC_:2:pass-c-format \
  --flag=g_dngettext:2:pass-c-format --flag=g_strdup_printf:1:c-format \
  --flag=g_string_printf:2:c-format --flag=g_string_append_printf:2:c-format \
  --flag=g_error_new:3:c-format --flag=g_set_error:4:c-format \
  --flag=g_markup_printf_escaped:1:c-format --flag=g_log:3:c-format \
  --flag=g_print:1:c-format --flag=g_printerr:1:c-format --flag=g_printf:1:c-format \
  --flag=g_fprintf:2:c-format --flag=g_sprintf:2:c-format --flag=g_snprintf:3:c-format \
  2> "$tmp/warnings"

if [ ! -s "$tmp/crowdspark.pot" ]; then
  echo "FAIL: xgettext wrote no template"
  cat "$tmp/warnings"
  exit 1
fi

if grep -q . "$tmp/warnings"; then
  echo "FAIL: xgettext warns about these strings (a string marked for translation"
  echo "must be one literal: no G_GINT64_FORMAT or other macro inside it; format"
  echo "the number with %d/%ld after a cast, or as a separate string):"
  cat "$tmp/warnings"
  exit 1
fi

echo "ok: $(grep -c '^msgid ' "$tmp/crowdspark.pot") messages extracted without warnings"
