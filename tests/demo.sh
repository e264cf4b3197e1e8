#!/usr/bin/env bash
# The demo: installs dependencies, builds, then runs a registry, containerd
# and pullsentryd on loopback in a temporary directory and pulls three images
# through pullsentryd. Everything it starts is stopped when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
bash packaging/install-deps.sh
bash tests/build.sh
exec /usr/bin/python3 tests/e2e/demo.py
