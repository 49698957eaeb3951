#!/usr/bin/env python3
"""potfiles-complete: po/POTFILES.in lists every source file with user-visible strings.

Usage: check-potfiles.py SOURCE_ROOT

Fails (exit 1, naming the files) when
  - a file under src/, ui/ or data/ has translatable strings and is in neither
    po/POTFILES.in nor po/POTFILES.skip: C/headers using _( N_( C_( NC_( Q_(
    or ngettext/g_dngettext/g_dpgettext2; .ui/.xml with translatable="yes";
    desktop and metainfo/appdata templates; GSettings schemas with a summary
    or description;
  - POTFILES.in or POTFILES.skip lists a file that does not exist;
  - POTFILES.in lists a file twice.
"""

import os
import re
import sys

SCANNED_DIRS = ("src", "ui", "data")
C_MARK = re.compile(r"(?<![A-Za-z0-9_])(?:N|C|NC|Q)?_\(|(?<![A-Za-z0-9_])(?:g_d?n?gettext|g_dpgettext2?|g_dcgettext|ngettext)\s*\(")
UI_MARK = re.compile(r'translatable\s*=\s*"(?:yes|true|1)"')
SCHEMA_MARK = re.compile(r"<(?:summary|description)\b")
DESKTOP = re.compile(r"\.desktop(?:\.in)*$")
METAINFO = re.compile(r"\.(?:metainfo|appdata)\.xml(?:\.in)*$")
SCHEMA = re.compile(r"\.gschema\.xml(?:\.in)*$")


def read_list(path):
    """The file names of a POTFILES.in/.skip (no comments, no [type: ...] prefix)."""
    entries = []
    if not os.path.exists(path):
        return entries
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            line = re.sub(r"^\[[^\]]*\]\s*", "", line)
            entries.append((number, line))
    return entries


def needs_translation(path, relpath):
    """Why relpath must be in POTFILES.in, or None."""
    name = os.path.basename(relpath)
    if DESKTOP.search(name):
        return "a desktop entry"
    if METAINFO.search(name):
        return "AppStream metainfo"
    if not name.endswith((".c", ".h", ".ui", ".xml", ".in")):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except UnicodeDecodeError:
        return None
    if SCHEMA.search(name):
        return "a GSettings schema with summaries" if SCHEMA_MARK.search(text) else None
    if name.endswith((".c", ".h")):
        match = C_MARK.search(text)
        if match:
            line = text.count("\n", 0, match.start()) + 1
            return f"marks a string for translation on line {line}"
        return None
    match = UI_MARK.search(text)
    if match:
        line = text.count("\n", 0, match.start()) + 1
        return f'has translatable="yes" on line {line}'
    return None


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    root = sys.argv[1]
    potfiles = read_list(os.path.join(root, "po", "POTFILES.in"))
    skip = read_list(os.path.join(root, "po", "POTFILES.skip"))
    problems = []

    seen = set()
    for list_name, entries in (("POTFILES.in", potfiles), ("POTFILES.skip", skip)):
        for number, entry in entries:
            if not os.path.isfile(os.path.join(root, entry)):
                problems.append(f"po/{list_name}:{number}: {entry} does not exist")
            if list_name == "POTFILES.in" and entry in seen:
                problems.append(f"po/{list_name}:{number}: {entry} is listed twice")
            seen.add(entry)

    listed = {entry for _, entry in potfiles} | {entry for _, entry in skip}
    checked = 0
    for top in SCANNED_DIRS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for filename in sorted(filenames):
                path = os.path.join(dirpath, filename)
                relpath = os.path.relpath(path, root).replace(os.sep, "/")
                checked += 1
                reason = needs_translation(path, relpath)
                if reason and relpath not in listed:
                    problems.append(f"{relpath} ({reason}) is missing from po/POTFILES.in")

    if problems:
        for problem in problems:
            print(problem)
        print(f"FAIL: {len(problems)} problem(s); add the file to po/POTFILES.in "
              "(or, when its strings are not for people, to po/POTFILES.skip)")
        return 1
    print(f"ok: {len(potfiles)} files in POTFILES.in, {checked} files under "
          f"{', '.join(SCANNED_DIRS)} checked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
