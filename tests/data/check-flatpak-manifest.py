#!/usr/bin/env python3
"""flatpak-manifest: flatpak-builder parses a manifest without a warning, and
the manifest builds what we ship.

Usage: check-flatpak-manifest.py MANIFEST [--devel]

No runtime can be downloaded here, so the manifest is only parsed
(`flatpak-builder --show-manifest`, which exits 0 even on unknown properties:
any warning on stderr is a failure), then its canonical form is checked: the
app id, the GNOME 43 runtime (GTK 4.8, libadwaita 1.2), the command, the
sandbox permissions, and one meson module built from this checkout without the
server and the tests (--devel: the .Devel id and -Ddevelopment=true).
"""

import json
import subprocess
import sys

APP_ID = "io.github.crowdspark.CrowdSpark"
FINISH_ARGS = [
    "--share=network",
    "--share=ipc",
    "--socket=wayland",
    "--socket=fallback-x11",
    "--device=dri",
    "--talk-name=org.freedesktop.secrets",
]
CONFIG_OPTS = ["-Dapp=enabled", "-Dserver=false", "-Dtests=false",
               "-Dpostgresql=disabled", "-Dredis=disabled"]


def main():
    args = sys.argv[1:]
    devel = "--devel" in args
    paths = [a for a in args if a != "--devel"]
    if len(paths) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    path = paths[0]

    with open(path, encoding="utf-8") as f:
        json.load(f)  # the syntax, with the line of an error

    result = subprocess.run(["flatpak-builder", "--show-manifest", path],
                            capture_output=True, text=True, check=False)
    problems = []
    if result.returncode != 0:
        problems.append(f"flatpak-builder --show-manifest exited with {result.returncode}")
    if result.stderr.strip():
        problems.append("flatpak-builder warned:\n" + result.stderr.strip())
    if problems:
        print("\n".join(problems))
        return 1
    manifest = json.loads(result.stdout)

    def expect(what, got, wanted):
        if got != wanted:
            problems.append(f"{what} is {got!r}, expected {wanted!r}")

    app_id = APP_ID + ".Devel" if devel else APP_ID
    expect("id", manifest.get("id", manifest.get("app-id")), app_id)
    expect("runtime", manifest.get("runtime"), "org.gnome.Platform")
    expect("sdk", manifest.get("sdk"), "org.gnome.Sdk")
    expect("runtime-version", manifest.get("runtime-version"), "43")
    expect("command", manifest.get("command"), "crowdspark")
    finish_args = manifest.get("finish-args", [])
    for arg in FINISH_ARGS:
        if arg not in finish_args:
            problems.append(f"finish-args lacks {arg}")
    for arg in finish_args:
        if arg.startswith(("--filesystem=home", "--filesystem=host", "--socket=x11",
                           "--socket=session-bus", "--socket=system-bus", "--device=all")):
            problems.append(f"finish-args has {arg}: more than the app needs")

    modules = manifest.get("modules", [])
    app_modules = [m for m in modules if isinstance(m, dict) and m.get("name") == "crowdspark"]
    if len(app_modules) != 1:
        problems.append(f"expected one module named crowdspark, found {len(app_modules)}")
    else:
        module = app_modules[0]
        expect("the module's buildsystem", module.get("buildsystem"), "meson")
        opts = module.get("config-opts", [])
        wanted = CONFIG_OPTS + (["-Ddevelopment=true"] if devel else [])
        for opt in wanted:
            if opt not in opts:
                problems.append(f"the module's config-opts lack {opt}")
        if not devel and "-Ddevelopment=true" in opts:
            problems.append("the stable manifest builds the .Devel app (-Ddevelopment=true)")
        sources = module.get("sources", [])
        expect("the module's sources", [(s.get("type"), s.get("path")) for s in sources],
               [("dir", "..")])
        if modules[-1] is not module:
            problems.append("the app is not the last module (its dependencies come first)")

    if problems:
        print(f"FAIL: {path}:")
        print("\n".join("  " + p for p in problems))
        return 1
    print(f"ok: {path}: {app_id} on org.gnome.Platform//43, {len(modules)} module(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
