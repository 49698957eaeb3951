#!/bin/sh
# msgfmt-check: every translation compiles with `msgfmt -c --check-format`
# and is complete (no fuzzy, no untranslated messages).
#
# Usage: check-po.sh PO_DIR [LANG...]
# Without LANG, every language in PO_DIR/LINGUAS is checked (none is a pass),
# and a PO_DIR/*.po that LINGUAS does not name is an error (it would be
# neither built nor installed).
set -eu

po_dir=$1
shift
linguas=$(sed -e 's/#.*//' "$po_dir/LINGUAS" | tr -s ' \t' '\n\n' | sed '/^$/d')

if [ $# -eq 0 ]; then
  set -- $linguas
  for po in "$po_dir"/*.po; do
    [ -e "$po" ] || continue
    lang=$(basename "$po" .po)
    if ! printf '%s\n' $linguas | grep -qx "$lang"; then
      echo "FAIL: $po is not listed in $po_dir/LINGUAS"
      exit 1
    fi
  done
fi

if [ $# -eq 0 ]; then
  echo "ok: no languages in LINGUAS yet"
  exit 0
fi

status=0
for lang in "$@"; do
  po="$po_dir/$lang.po"
  if [ ! -f "$po" ]; then
    echo "FAIL: LINGUAS names $lang but $po does not exist"
    status=1
    continue
  fi
  if ! stats=$(LC_ALL=C msgfmt -c --check-format --statistics -o /dev/null "$po" 2>&1); then
    echo "FAIL: $po:"
    echo "$stats"
    status=1
    continue
  fi
  case $stats in
    *fuzzy*|*untranslated*)
      echo "FAIL: $po is incomplete: $stats"
      status=1
      ;;
    *)
      echo "ok: $lang: $stats"
      ;;
  esac
done
exit $status
