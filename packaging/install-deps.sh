#!/usr/bin/env bash
# Installs everything pullsentry needs to build, test and run its demo on
# Debian 12, from Debian's own packages. Idempotent; run as root.
set -euo pipefail

packages=(
  # build
  meson ninja-build pkg-config g++ protobuf-compiler protobuf-compiler-grpc
  libgrpc++-dev libprotobuf-dev libssl-dev nlohmann-json3-dev libcurl4-openssl-dev
  libseccomp-dev libgtest-dev libgmock-dev libcbor-dev libtomlplusplus-dev libyaml-cpp-dev
  # real peers for the demo and the end-to-end tests
  containerd runc docker-registry skopeo openssl ca-certificates
  # independent fixture makers and the test-side CRI client
  python3 python3-cryptography python3-grpcio python3-protobuf python3-jwcrypto python3-cbor2
  # sd_notify, and the packaging tests: the .deb, lintian, rpmspec, systemd-analyze
  libsystemd-dev systemd dpkg-dev build-essential fakeroot debhelper lintian rpm ccache
)

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: run as root (apt-get installs packages)" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts these services on install; the demo and tests run their own.
for unit in containerd docker-registry; do
  systemctl disable --now "$unit" >/dev/null 2>&1 || true
done
echo "install-deps: done"
