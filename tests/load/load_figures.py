"""Load figures for pullsentryd against the real containerd on loopback.

Measures, in one run, and writes the figures to a results file:

1. 200 concurrent PullImage requests over 20 distinct signed images: all
   admitted, and how many signature fetches the registry saw per digest
   (the goal: one verification per digest, the rest from the verdict cache
   or a shared in-flight verification).
2. 10,000 ImageStatus calls through pullsentryd and 10,000 straight to
   containerd, interleaved so both see the same machine load: the latency
   pullsentryd adds at p50 and p99.
3. pullsentryd's resident memory idle, and after 10,000 distinct cached
   verdicts (refusals of unsigned digests, which never reach containerd).
4. pullsentryd's open file descriptors before and after everything (a leak
   shows as growth).

Budgets (checked here, not in timed unit tests): added ImageStatus latency
p99 <= 0.2 ms; idle RSS <= 16 MiB; descriptors after <= before + 8;
all 200 pulls admitted. Exit 0 when every budget holds, 1 otherwise; the
figures are written either way.

    /usr/bin/python3 tests/load/load_figures.py [--results FILE] [--status-calls N]

The client side is Python's grpc: its own per-call cost is the same on both
paths and cancels out of the added latency.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import platform
import secrets
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "e2e"))

import harness  # noqa: E402

BUDGET_ADDED_P99_MS = 0.2
BUDGET_IDLE_RSS_MIB = 16.0
BUDGET_FD_GROWTH = 8


def proc_status(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default=str(HERE / "results.txt"))
    parser.add_argument("--status-calls", type=int, default=10_000)
    parser.add_argument("--cached-verdicts", type=int, default=10_000)
    parser.add_argument("--daemon-arg", action="append", default=[],
                        help="extra pullsentryd argument (repeatable), e.g. --daemon-arg=--cache-max-entries=0")
    args = parser.parse_args()

    problems = harness.missing_prerequisites()
    if problems:
        print("load figures skipped: " + "; ".join(problems))
        return 77  # meson's "skipped"

    figures: list[str] = []
    failures: list[str] = []

    def note(line: str) -> None:
        print(line, flush=True)
        figures.append(line)

    with harness.Environment() as env:
        key = harness.SigningKey("ecdsa-p256")
        key_path = key.write_public(env.workdir / "cosign.pub")
        policy = harness.Policy(default="reject")
        for host in env.hosts:
            policy.sigstore_signed(host, key_path)
        daemon = env.start_pullsentryd(policy.write(env.workdir / "policy.json"), extra_args=args.daemon_arg)
        pid = daemon.process.pid
        time.sleep(1.0)  # settle after start-up
        idle_rss_mib = proc_status(pid, "VmRSS") / 1024
        fds_before = open_fds(pid)
        note(f"machine: {platform.machine()}, {os.cpu_count()} cores; pullsentryd pid {pid}")
        note(f"idle RSS: {idle_rss_mib:.1f} MiB (budget {BUDGET_IDLE_RSS_MIB} MiB)")
        if idle_rss_mib > BUDGET_IDLE_RSS_MIB:
            failures.append(f"idle RSS {idle_rss_mib:.1f} MiB > {BUDGET_IDLE_RSS_MIB} MiB")

        # 1. 200 concurrent pulls over 20 signed images, named through the
        # recording proxy so signature fetches can be counted per digest.
        registry = env.registry.client()
        images = []
        for i in range(20):
            image = harness.make_image(registry, f"load/img{i}-{secrets.token_hex(3)}")
            harness.sign(image.ref(env.proxy.host), image.digest, key, registry_url=env.registry.url)
            images.append(image)
        requests = [images[i % 20].ref(env.proxy.host) for i in range(200)]
        started = time.monotonic()
        admitted = 0
        errors: list[str] = []

        def pull(ref: str) -> bool:
            with harness.CriClient(daemon.endpoint) as client:
                client.pull(ref, timeout=300)
                return True

        with concurrent.futures.ThreadPoolExecutor(200) as pool:
            for future in concurrent.futures.as_completed([pool.submit(pull, r) for r in requests]):
                try:
                    admitted += future.result()
                except harness.CriError as exc:
                    errors.append(exc.message)
        wall = time.monotonic() - started
        sig_fetches = [
            len([r for r in env.proxy.requests_for(image.repository, "pullsentry/")
                 if r.path.endswith(harness.signature_tag(image.digest)) and r.method == "GET"])
            for image in images]
        note(f"200 concurrent pulls of 20 signed images: {admitted} admitted, {len(errors)} refused, "
             f"{wall:.1f} s wall; signature-manifest GETs per digest: min {min(sig_fetches)}, "
             f"max {max(sig_fetches)}, total {sum(sig_fetches)}")
        if admitted != 200:
            failures.append(f"{200 - admitted} of 200 pulls not admitted: {errors[:3]}")
        if max(sig_fetches) > 1:
            failures.append(f"a digest was verified {max(sig_fetches)} times (goal: once per digest)")

        # 2. ImageStatus latency, interleaved, through pullsentryd and direct.
        target = images[0].ref(env.proxy.host)
        through, direct = [], []
        with harness.CriClient(daemon.endpoint) as via, harness.CriClient(env.containerd.endpoint) as raw:
            for _ in range(200):  # warm both channels
                via.image_status(images[0].digest_ref(env.proxy.host))
                raw.image_status(images[0].digest_ref(env.proxy.host))
            for _ in range(args.status_calls):
                t0 = time.perf_counter()
                via.image_status(target)
                t1 = time.perf_counter()
                raw.image_status(images[0].digest_ref(env.proxy.host))
                t2 = time.perf_counter()
                through.append((t1 - t0) * 1000)
                direct.append((t2 - t1) * 1000)
        added_p50 = percentile(through, 50) - percentile(direct, 50)
        added_p99 = percentile(through, 99) - percentile(direct, 99)
        note(f"ImageStatus x{args.status_calls}: through pullsentryd p50 {percentile(through, 50):.3f} ms "
             f"p99 {percentile(through, 99):.3f} ms; direct p50 {percentile(direct, 50):.3f} ms "
             f"p99 {percentile(direct, 99):.3f} ms; added p50 {added_p50:.3f} ms, p99 {added_p99:.3f} ms "
             f"(budget p99 {BUDGET_ADDED_P99_MS} ms)")
        if added_p99 > BUDGET_ADDED_P99_MS:
            failures.append(f"added ImageStatus p99 {added_p99:.3f} ms > {BUDGET_ADDED_P99_MS} ms")

        # 3. 10,000 distinct cached verdicts: refusals of unsigned digests.
        repo = f"load/unsigned-{secrets.token_hex(3)}"
        started = time.monotonic()
        refused = 0

        def refuse(i: int) -> int:
            digest = "sha256:" + secrets.token_hex(32)
            try:
                client.pull(f"{env.registry.host}/{repo}@{digest}", timeout=60)
            except harness.CriError:
                return 1
            return 0

        with harness.CriClient(daemon.endpoint) as client, concurrent.futures.ThreadPoolExecutor(8) as pool:
            refused = sum(pool.map(refuse, range(args.cached_verdicts)))
        wall = time.monotonic() - started
        rss_after_mib = proc_status(pid, "VmRSS") / 1024
        note(f"{args.cached_verdicts} distinct refused verdicts in {wall:.1f} s "
             f"({args.cached_verdicts / wall:.0f}/s): {refused} refused; RSS after {rss_after_mib:.1f} MiB "
             f"(+{rss_after_mib - idle_rss_mib:.1f} MiB over idle), peak {proc_status(pid, 'VmHWM') / 1024:.1f} MiB")
        if refused != args.cached_verdicts:
            failures.append(f"{args.cached_verdicts - refused} unsigned digests were not refused")

        # 4. Descriptors.
        time.sleep(0.5)
        fds_after = open_fds(pid)
        note(f"open descriptors: {fds_before} before, {fds_after} after")
        if fds_after > fds_before + BUDGET_FD_GROWTH:
            failures.append(f"descriptors grew from {fds_before} to {fds_after}")

    verdict = "all budgets met" if not failures else "OVER BUDGET: " + "; ".join(failures)
    note(verdict)
    header = f"# pullsentry load figures, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n"
    Path(args.results).write_text(header + "\n".join(figures) + "\n")
    print(f"figures written to {args.results}")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
