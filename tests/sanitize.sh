#!/usr/bin/env bash
# The unit suite again under AddressSanitizer, LeakSanitizer and
# UndefinedBehaviorSanitizer, built with g++ in build-asan/. Any finding fails
# the test that triggered it: UBSan does not recover, ASan and LSan abort.
# The e2e suite is not repeated here (too slow to run twice).
#
#   tests/sanitize.sh [meson test arguments...]
#
# Leak reports from libraries that are not ours are suppressed, narrowly, in
# tests/lsan.supp. Results land in build-asan/meson-logs/testlog.json.
set -euo pipefail
cd "$(dirname "$0")/.."

build=build-asan
if [ ! -f "$build/build.ninja" ]; then
  CXX="${CXX:-g++}" CC="${CC:-gcc}" meson setup "$build" \
    --buildtype=debugoptimized \
    -Db_sanitize=address,undefined -Db_lundef=false \
    -Dcpp_args=-fno-sanitize-recover=undefined \
    -Dcpp_link_args=-fno-sanitize-recover=undefined
fi
# Build only what the unit suite runs (not the daemon or the CLI), at -j2;
# regenerate first so the list of tests is current.
ninja -C "$build" build.ninja >/dev/null
unit_targets=$(/usr/bin/python3 - "$build" <<'PY'
import json, os, subprocess, sys
build = sys.argv[1]
def introspect(what):
    return json.loads(subprocess.run(["meson", "introspect", build, what], check=True,
                                     capture_output=True, text=True).stdout)
files = {t["id"]: t["filename"] for t in introspect("--targets")}
root = os.path.realpath(build)
for test in introspect("--tests"):
    if any(s.split(":")[-1] == "unit" for s in test["suite"]):
        # The test program and every target it depends on (a script's tool).
        for target in test.get("depends", []):
            for f in files.get(target, []):
                print(os.path.relpath(f, root))
PY
)
# shellcheck disable=SC2086  # one target per word
ninja -C "$build" -j 2 $unit_targets

# meson test sets its own *SAN_OPTIONS only when these are unset.
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1"
meson test -C "$build" --no-rebuild --suite unit --print-errorlogs --num-processes 2 --timeout-multiplier 3 "$@"
