#!/usr/bin/env bash
# The whole test suite: installs dependencies, builds, runs the unit tests
# and the end-to-end suite against a real registry and a real containerd.
# Run as root (containerd needs it). Ends with "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh
bash tests/build.sh
status=0
meson test -C build --print-errorlogs --num-processes 2 || status=$?
/usr/bin/python3 tests/summarize.py build/meson-logs/testlog.json
exit $status
