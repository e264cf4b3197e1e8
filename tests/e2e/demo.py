#!/usr/bin/python3
"""pullsentry demo: three images, one policy, verdicts over CRI.

Starts a registry, containerd and pullsentryd in a temp dir, pushes three
images to ``demo/`` - one with a cosign key signature, one unsigned, one
whose signature covers a different digest - pulls each through pullsentryd
over the CRI ImageService, prints the verdicts, then stops everything it
started (also on Ctrl-C).

Exit status 0 when the verdicts are the expected ones, 1 otherwise (2 when
the demo cannot run here). Run as root with Debian's interpreter::

    /usr/bin/python3 tests/e2e/demo.py [--keep-logs]
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402


def run(keep_logs: bool) -> int:
    problems = harness.missing_prerequisites()
    if problems:
        print("demo cannot run here:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 2

    with harness.Environment() as env:
        host = env.registry.host
        print(f"registry    {env.registry.url}")
        print(f"containerd  {env.containerd.endpoint}")

        key = harness.SigningKey("ecdsa-p256")
        key_path = key.write_public(env.workdir / "cosign.pub")
        policy = harness.Policy(default="reject").sigstore_signed(f"{host}/demo", key_path)
        policy_path = policy.write(env.workdir / "policy.json")
        print(f"policy      {host}/demo requires a cosign signature by {key_path.name}; "
              "everything else is rejected")

        registry = env.registry.client()
        signed = harness.make_image(registry, "demo/signed")
        harness.sign(signed.ref(), signed.digest, key)
        unsigned = harness.make_image(registry, "demo/unsigned")
        swapped = harness.make_image(registry, "demo/swapped")
        decoy = harness.make_image(registry, "demo/swapped", tag="decoy")
        harness.sign(swapped.ref(), swapped.digest, key, signed_digest=decoy.digest)

        daemon = env.start_pullsentryd(policy_path)
        print(f"pullsentryd {daemon.endpoint}\n")

        cases = [
            (signed, "ADMITTED", "cosign signature by the trusted key"),
            (unsigned, "REFUSED", "no signature at all"),
            (swapped, "REFUSED", "signature covers a different digest"),
        ]
        all_as_expected = True
        rows = []
        with daemon.cri() as cri:
            for image, expected, description in cases:
                try:
                    image_ref = cri.pull(image.ref(), timeout=60)
                    verdict, reason = "ADMITTED", f"image_ref {image_ref}"
                    if image.digest_ref() not in env.containerd.images():
                        verdict, reason = "BROKEN", "admitted, but containerd lacks the digest"
                except harness.CriError as error:
                    verdict, reason = "REFUSED", f"{error.code.name}: {error.message}"
                    leaked = image.blobs & env.containerd.content_digests()
                    if leaked:
                        verdict, reason = "BROKEN", f"refused, but {len(leaked)} blobs leaked"
                ok = verdict == expected
                all_as_expected &= ok
                rows.append((image.ref(), description, verdict, ok, reason))

        width = max(len(r[0]) for r in rows)
        print(f"{'IMAGE':<{width}}  {'VERDICT':<8}  EXPECTED?  CASE")
        for ref, description, verdict, ok, reason in rows:
            print(f"{ref:<{width}}  {verdict:<8}  {'yes' if ok else 'NO':<9}  {description}")
            print(f"{'':<{width}}  -> {reason}")
        print()
        print("all verdicts as expected" if all_as_expected else "UNEXPECTED VERDICTS")

        if keep_logs or not all_as_expected:
            saved = Path(tempfile.mkdtemp(prefix="pullsentry-demo-logs-"))
            for part in (env.registry, env.containerd, daemon):
                if part.log_path.exists():
                    shutil.copy(part.log_path, saved / part.log_path.name)
            print(f"logs kept in {saved}")
        return 0 if all_as_expected else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep-logs", action="store_true",
                        help="copy the daemons' logs to a temp dir before clean-up")
    args = parser.parse_args()
    try:
        return run(args.keep_logs)
    except KeyboardInterrupt as interrupt:
        print("\ninterrupted; everything started was stopped", file=sys.stderr)
        return 128 + getattr(interrupt, "signum", signal.SIGINT)


if __name__ == "__main__":
    sys.exit(main())
