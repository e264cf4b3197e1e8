#!/usr/bin/env bash
# Refreshes trusted_root.json from the @sigstore/tuf npm package: its
# seeds.json carries the public-good TUF root and, base64-encoded, the
# trusted_root.json target. Review the diff (new keys, validity periods)
# before committing it.
#
#   bash packaging/sigstore/refresh-trusted-root.sh [VERSION]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "@sigstore/tuf@${1:-latest}" >/dev/null)
tar -C "$work" -xzf "$work"/sigstore-tuf-*.tgz package/seeds.json package/package.json
/usr/bin/python3 - "$work/package/seeds.json" "$here/trusted_root.json" <<'PY'
import base64, json, sys
seeds = json.load(open(sys.argv[1]))
target = seeds["https://tuf-repo-cdn.sigstore.dev"]["targets"]["trusted_root.json"]
root = base64.b64decode(target, validate=True)
if not json.loads(root).get("mediaType", "").startswith("application/vnd.dev.sigstore.trustedroot+json"):
    sys.exit("refresh: the seed's trusted_root.json is not a Sigstore trusted root")
open(sys.argv[2], "wb").write(root)
PY
echo "trusted_root.json from @sigstore/tuf $(sed -n 's/^  "version": "\(.*\)",/\1/p' "$work/package/package.json"):"
sha256sum "$here/trusted_root.json"
