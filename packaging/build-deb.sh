#!/usr/bin/env bash
# Builds the Debian package from this checkout (committed files plus working
# changes, no build directories) and leaves pullsentry_*.deb in OUTDIR.
#
#   bash packaging/build-deb.sh OUTDIR
#
# Debian's tools expect ./debian at the top of the source tree, so the tree
# is staged with packaging/debian/ copied to debian/. The stage has a fixed
# path so that ccache (used when installed) hits on a rebuild: the compile
# flags carry the build path. DEB_BUILD_OPTIONS defaults to
# "nocheck parallel=2" (the test suite runs the tests from its own build).
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: build-deb.sh OUTDIR" >&2
  exit 2
fi
mkdir -p "$1"
out=$(cd "$1" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n "s/^ *version : '\([^']*\)'.*/\1/p" "$top/meson.build" | head -1)
stage_root=${PULLSENTRY_DEB_STAGE:-/var/tmp/pullsentry-deb}
stage="$stage_root/pullsentry-$version"

# One build at a time per stage directory.
mkdir -p "$stage_root"
exec 9>"$stage_root/.lock"
flock 9

rm -rf "$stage"
mkdir -p "$stage"
# Tracked and new files as they are in the working tree; deleted ones skipped.
(cd "$top" && git ls-files -z --cached --others --exclude-standard) |
  (cd "$top" && while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done) |
  (cd "$top" && tar --null -T - -cf -) | tar -C "$stage" -xf -
cp -r "$top/packaging/debian" "$stage/debian"

if [ "$(dpkg-parsechangelog -l "$stage/debian/changelog" -S Version)" != "$version" ]; then
  echo "build-deb: debian/changelog's version differs from meson.build's $version: add a changelog entry" >&2
  exit 1
fi

export DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-nocheck parallel=2}"
if command -v ccache >/dev/null && [ -d /usr/lib/ccache ]; then
  # debhelper (compat 13) points HOME elsewhere: name the cache explicitly.
  CCACHE_DIR=${CCACHE_DIR:-$(ccache -k cache_dir)}
  export CCACHE_DIR PATH="/usr/lib/ccache:$PATH"
fi

rm -f "$stage_root"/pullsentry_*.deb "$stage_root"/pullsentry-dbgsym_*.deb "$stage_root"/pullsentry_*.buildinfo \
  "$stage_root"/pullsentry_*.changes
(cd "$stage" && dpkg-buildpackage -b -us -uc)
cp "$stage_root"/pullsentry_"$version"_*.deb "$out"/
ls "$out"/pullsentry_"$version"_*.deb
