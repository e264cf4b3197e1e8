#!/usr/bin/env bash
# The whole test suite: installs dependencies, builds, runs the unit tests
# and the end-to-end suite against a real registry and a real containerd.
# Then the unit tests again under ASan, LSan and UBSan (tests/sanitize.sh).
# Run as root (containerd needs it). Ends with "N passed, N failed" over both
# runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh
bash tests/build.sh
status=0
meson test -C build --print-errorlogs --num-processes 2 || status=$?
# A stale log must not stand in for a sanitizer run that failed to build.
rm -f build-asan/meson-logs/testlog.json
bash tests/sanitize.sh || status=1
/usr/bin/python3 tests/summarize.py build/meson-logs/testlog.json build-asan/meson-logs/testlog.json
exit $status
