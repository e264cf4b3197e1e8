"""End-to-end harness for pullsentry: real peers on loopback, driven from Python.

Everything here runs as root on one machine with Debian's packages and needs
nothing from the network:

* :class:`Registry` - Debian's ``docker-registry`` (distribution 2.8) on
  127.0.0.1 with storage in a temp dir.
* :class:`RegistryProxy` - a small recording HTTP reverse proxy in front of a
  registry, with hooks that run before a request is forwarded (used to move a
  tag at exactly the wrong moment).
* :class:`Containerd` - containerd 1.6 with its CRI plugin, everything (root,
  state, sockets) in a temp dir.
* :class:`Pullsentryd` - the daemon under test.
* :class:`CriClient` - a CRI ``runtime.v1.ImageService`` client whose protobuf
  code is generated at run time from the project's proto with ``protoc``.
* :func:`make_image` / :class:`RegistryClient` - tiny random images built in
  memory and pushed with the registry HTTP API.
* :class:`SigningKey`, :func:`sign`, :func:`copy_signature` - cosign key
  signatures (legacy ``sha256-<hex>.sig`` tag scheme) made with
  python3-cryptography, independent of the code under test.
* :class:`Policy` - a containers-policy.json(5) writer.

Every process started here is stopped again: by the context managers, by an
``atexit`` hook, on SIGTERM/SIGHUP (raised as :class:`Terminated`, a
``KeyboardInterrupt``, so ``finally`` blocks run) and, should Python itself die, by ``PR_SET_PDEATHSIG``.

Set ``PULLSENTRY_E2E_KEEP=1`` to keep the temp dirs (logs, state, policy).

Debian's grpc/protobuf/cryptography modules load only in ``/usr/bin/python3``.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import ctypes
import dataclasses
import gzip
import hashlib
import http.client
import http.server
import importlib.util
import io
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Callable, Iterable, Sequence

REPO_ROOT = Path(__file__).resolve().parents[2]
CRI_PROTO = REPO_ROOT / "plugin" / "cri" / "image_service.proto"

# Media types.
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MANIFEST_ACCEPT = ", ".join([OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST])
COSIGN_SIMPLESIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
COSIGN_SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------

def sha256_digest(data: bytes) -> str:
    """``sha256:<hex>`` of ``data``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def signature_tag(manifest_digest: str) -> str:
    """cosign's tag for the signatures of ``manifest_digest``: ``sha256-<hex>.sig``."""
    algorithm, _, hex_part = manifest_digest.partition(":")
    if algorithm != "sha256" or len(hex_part) != 64:
        raise ValueError(f"not a sha256 digest: {manifest_digest!r}")
    return f"sha256-{hex_part}.sig"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate: Callable[[], bool], timeout: float, what: str,
               interval: float = 0.05, process: subprocess.Popen | None = None,
               log: Path | None = None) -> None:
    """Polls ``predicate`` until true; TimeoutError after ``timeout`` seconds.

    With ``process``, fails early (RuntimeError) when it exits; ``log`` is
    quoted in either error.
    """
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what}: process exited with {process.returncode}"
                               + _log_tail(log))
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not ready after {timeout:.0f}s" + _log_tail(log))
        time.sleep(interval)


def _log_tail(log: Path | None, lines: int = 20) -> str:
    if log is None or not log.exists():
        return ""
    tail = log.read_text(errors="replace").splitlines()[-lines:]
    return f"\n--- last lines of {log} ---\n" + "\n".join(tail)


def host_platform() -> tuple[str, str]:
    """(os, architecture) in OCI terms for this machine."""
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64",
            "armv7l": "arm", "ppc64le": "ppc64le", "s390x": "s390x"}.get(machine, machine)
    return "linux", arch


def split_reference(ref: str) -> tuple[str, str, str | None, str | None]:
    """``host[:port]/repo[:tag][@digest]`` -> (host, repository, tag, digest).

    Only what the harness needs: the host part is mandatory.
    """
    name, _, digest = ref.partition("@")
    host, slash, rest = name.partition("/")
    if not slash or not rest:
        raise ValueError(f"reference without a host: {ref!r}")
    repository, tag = rest, None
    last = rest.rsplit("/", 1)[-1]
    if ":" in last:
        repository, _, tag = rest.rpartition(":")
    return host, repository, tag, (digest or None)


# ---------------------------------------------------------------------------
# Clean-up of everything started
# ---------------------------------------------------------------------------

class _Cleanup:
    """Process-wide list of clean-up callbacks, run LIFO at exit or on a signal."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._callbacks: dict[int, Callable[[], None]] = {}
        self._next = 0
        self._installed = False

    def register(self, callback: Callable[[], None]) -> int:
        self.install()
        with self._lock:
            self._next += 1
            self._callbacks[self._next] = callback
            return self._next

    def unregister(self, token: int) -> None:
        with self._lock:
            self._callbacks.pop(token, None)

    def run_all(self) -> None:
        with deferred_signals(reraise=False):  # exiting anyway: finish cleaning up
            while True:
                with self._lock:
                    if not self._callbacks:
                        return
                    token = max(self._callbacks)
                    callback = self._callbacks.pop(token)
                try:
                    callback()
                except BaseException as exc:  # keep cleaning up the rest
                    print(f"harness: clean-up failed: {exc!r}", file=sys.stderr)

    def install(self) -> None:
        if self._installed:
            return
        self._installed = True
        atexit.register(self.run_all)
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(signum) == signal.SIG_DFL:
                signal.signal(signum, _exit_on_signal)
        # SIGINT already raises KeyboardInterrupt, which unwinds the context
        # managers; atexit then catches whatever is left.


class Terminated(KeyboardInterrupt):
    """SIGTERM/SIGHUP, raised like Ctrl-C so that no test runner swallows it
    (unittest records ``SystemExit`` as a test error and carries on)."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"terminated by signal {signum}")
        self.signum = signum


def _exit_on_signal(signum: int, _frame) -> None:
    raise Terminated(signum)


_DEFERRED = threading.local()


@contextlib.contextmanager
def deferred_signals(reraise: bool = True):
    """Holds SIGINT/SIGTERM/SIGHUP back for the block (clean-up, spawn+register).

    A signal that arrives meanwhile is raised when the block ends
    (``KeyboardInterrupt`` or :class:`Terminated`), unless ``reraise`` is
    false. Nests; only effective in the main thread.
    """
    if threading.current_thread() is not threading.main_thread() or \
            getattr(_DEFERRED, "received", None) is not None:
        yield
        return
    CLEANUP.install()  # before our temporary handlers hide SIG_DFL from it
    received: list[int] = []
    _DEFERRED.received = received
    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        previous[signum] = signal.signal(signum, lambda n, _f: received.append(n))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _DEFERRED.received = None
        if received and reraise:
            if received[0] == signal.SIGINT:
                raise KeyboardInterrupt
            raise Terminated(received[0])


CLEANUP = _Cleanup()

_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def _die_with_parent() -> None:
    """preexec_fn: SIGKILL the child when the thread that started it dies.

    PR_SET_PDEATHSIG follows the *thread*, so start long-lived processes from
    the main thread (the harness does).
    """
    if _libc is not None:
        _libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    os.setsid()  # own process group: a terminal's Ctrl-C reaches only Python


class TempDir:
    """A temporary directory removed at close (or at exit)."""

    def __init__(self, prefix: str = "pullsentry-e2e-", parent: Path | None = None) -> None:
        self.path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
        self._token = CLEANUP.register(self.close)

    def close(self) -> None:
        """Removes the directory - unless ``$PULLSENTRY_E2E_KEEP`` is set, for
        looking at logs, state and policy after a run."""
        with deferred_signals():
            if os.environ.get("PULLSENTRY_E2E_KEEP") and self.path.exists():
                print(f"harness: kept {self.path}", file=sys.stderr)
            else:
                shutil.rmtree(self.path, ignore_errors=True)
            CLEANUP.unregister(self._token)

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, *exc) -> None:
        self.close()


class _Daemon:
    """A child process with its output in a log file, stopped SIGTERM-then-SIGKILL."""

    name = "daemon"

    def __init__(self, workdir: Path | None) -> None:
        self._own_dir = TempDir(prefix=f"pullsentry-e2e-{self.name}-") if workdir is None else None
        self.workdir = Path(workdir) if workdir is not None else self._own_dir.path
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.workdir / f"{self.name}.log"
        self.process: subprocess.Popen | None = None
        self._token: int | None = None

    def _spawn(self, argv: Sequence[str]) -> subprocess.Popen:
        if self.process is not None and self.process.poll() is None:
            raise RuntimeError(f"{self.name} is already running")
        log = open(self.log_path, "ab")
        log.write(f"\n=== {time.strftime('%H:%M:%S')} starting: {' '.join(map(str, argv))}\n"
                  .encode())
        log.flush()
        with deferred_signals():  # never a child that nobody will stop
            try:
                self.process = subprocess.Popen([str(a) for a in argv],
                                                stdin=subprocess.DEVNULL, stdout=log,
                                                stderr=subprocess.STDOUT,
                                                preexec_fn=_die_with_parent)
            finally:
                log.close()
            if self._token is None:
                self._token = CLEANUP.register(self.close)
        return self.process

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, then SIGKILL after ``timeout`` seconds. Returns the exit code."""
        process, self.process = self.process, None
        if process is None:
            return None
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return process.returncode

    def close(self) -> None:
        """Stops the process and removes the work dir if this object made it."""
        with deferred_signals():
            self.stop()
            if self._own_dir is not None:
                self._own_dir.close()
            if self._token is not None:
                CLEANUP.unregister(self._token)
                self._token = None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self):  # pragma: no cover - overridden
        raise NotImplementedError


# ---------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------

class Registry(_Daemon):
    """Debian's docker-registry on 127.0.0.1:<free port>, delete enabled."""

    name = "registry"

    def __init__(self, workdir: Path | None = None) -> None:
        super().__init__(workdir)
        self.port: int | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def client(self) -> "RegistryClient":
        return RegistryClient(self.url)

    def start(self, timeout: float = 30.0) -> "Registry":
        binary = shutil.which("docker-registry")
        if binary is None:
            raise FileNotFoundError("docker-registry not installed")
        for attempt in range(3):  # the free port may be taken in between
            self.port = free_port()
            config = self.workdir / "config.yml"
            config.write_text(json.dumps({  # JSON is YAML
                "version": 0.1,
                "log": {"level": "warn", "accesslog": {"disabled": True}},
                "storage": {
                    "filesystem": {"rootdirectory": str(self.workdir / "storage")},
                    "delete": {"enabled": True},
                    "cache": {"blobdescriptor": "inmemory"},
                },
                "http": {"addr": self.host},
            }, indent=2))
            process = self._spawn([binary, "serve", config])
            try:
                wait_until(self._answers, timeout, "registry", process=process,
                           log=self.log_path)
                return self
            except RuntimeError:
                if attempt == 2:
                    raise
                self.stop()
        return self

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/v2/", timeout=1) as response:
                return response.status == 200
        except (OSError, urllib.error.URLError):
            return False


@dataclasses.dataclass
class Manifest:
    body: bytes
    media_type: str
    digest: str


class RegistryError(Exception):
    pass


class RegistryClient:
    """The push/pull half of the registry HTTP API that the harness needs."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def _request(self, method: str, url: str, body: bytes | None = None,
                 headers: dict[str, str] | None = None):
        if not url.startswith("http"):
            url = self.base_url + url
        request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
        try:
            return urllib.request.urlopen(request, timeout=30)
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:500].decode(errors="replace")
            raise RegistryError(f"{method} {url}: HTTP {exc.code}: {detail}") from None

    def push_blob(self, repository: str, data: bytes) -> str:
        """Monolithic upload (POST, then PUT ?digest=). Returns the digest."""
        digest = sha256_digest(data)
        with self._request("POST", f"/v2/{repository}/blobs/uploads/", b"",
                           {"Content-Length": "0"}) as response:
            location = response.headers["Location"]
        location = urllib.parse.urljoin(self.base_url + "/", location)
        separator = "&" if "?" in location else "?"
        put_url = f"{location}{separator}digest={urllib.parse.quote(digest)}"
        with self._request("PUT", put_url, data, {
                "Content-Type": "application/octet-stream",
                "Content-Length": str(len(data))}) as response:
            if response.status != 201:
                raise RegistryError(f"blob upload answered {response.status}")
        return digest

    def get_blob(self, repository: str, digest: str) -> bytes:
        with self._request("GET", f"/v2/{repository}/blobs/{digest}") as response:
            data = response.read()
        if sha256_digest(data) != digest:
            raise RegistryError(f"blob {digest} came back with another digest")
        return data

    def push_manifest(self, repository: str, reference: str, body: bytes,
                      media_type: str) -> str:
        """PUT a manifest under a tag or digest. Returns its digest."""
        digest = sha256_digest(body)
        with self._request("PUT", f"/v2/{repository}/manifests/{reference}", body,
                           {"Content-Type": media_type}) as response:
            answered = response.headers.get("Docker-Content-Digest")
        if answered and answered != digest:
            raise RegistryError(f"registry computed {answered}, expected {digest}")
        return digest

    def get_manifest(self, repository: str, reference: str) -> Manifest | None:
        """GET a manifest by tag or digest; None when the registry has none."""
        try:
            with self._request("GET", f"/v2/{repository}/manifests/{reference}",
                               headers={"Accept": MANIFEST_ACCEPT}) as response:
                body = response.read()
                media_type = response.headers.get("Content-Type", "")
        except RegistryError as exc:
            if "HTTP 404" in str(exc):
                return None
            raise
        return Manifest(body, media_type, sha256_digest(body))

    def tag(self, repository: str, tag: str, digest: str) -> None:
        """Points ``tag`` at the manifest ``digest`` already in ``repository``."""
        manifest = self.get_manifest(repository, digest)
        if manifest is None:
            raise RegistryError(f"{repository}@{digest} not found")
        self.push_manifest(repository, tag, manifest.body, manifest.media_type)

    def delete_manifest(self, repository: str, digest: str) -> None:
        with self._request("DELETE", f"/v2/{repository}/manifests/{digest}"):
            pass


# ---------------------------------------------------------------------------
# Images built in memory
# ---------------------------------------------------------------------------

@dataclasses.dataclass
class PushedImage:
    """An image pushed to a registry; ``digest`` is the top-level manifest/index."""

    host: str
    repository: str
    tag: str
    digest: str
    media_type: str
    layers: list[str]                      # every layer, all platforms
    configs: list[str]                     # every config blob
    platform_layers: dict[str, list[str]]  # "os/arch" -> its layers
    manifests: dict[str, str]              # "os/arch" -> platform manifest digest

    def ref(self, host: str | None = None) -> str:
        """``host/repository:tag``; ``host`` overrides (e.g. a proxy in front)."""
        return f"{host or self.host}/{self.repository}:{self.tag}"

    def repo(self, host: str | None = None) -> str:
        return f"{host or self.host}/{self.repository}"

    def digest_ref(self, host: str | None = None) -> str:
        return f"{host or self.host}/{self.repository}@{self.digest}"

    @property
    def blobs(self) -> set[str]:
        """Everything content-addressed that belongs to the image."""
        return {self.digest, *self.layers, *self.configs, *self.manifests.values()}


def _random_layer() -> tuple[bytes, str]:
    """A gzip'ed tar with one file of random content: (blob, diff_id)."""
    tar_buffer = io.BytesIO()
    content = secrets.token_bytes(2048)
    with tarfile.open(fileobj=tar_buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo(f"pullsentry/{secrets.token_hex(8)}.bin")
        info.size = len(content)
        info.mode = 0o644
        info.mtime = 0
        tar.addfile(info, io.BytesIO(content))
    tar_bytes = tar_buffer.getvalue()
    return gzip.compress(tar_bytes, mtime=0), sha256_digest(tar_bytes)


def _canonical(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


def _push_single(client: RegistryClient, repository: str, os_name: str,
                 arch: str) -> tuple[bytes, list[str], str]:
    """Pushes blobs of a one-layer image; returns (manifest, layers, config digest)."""
    layer, diff_id = _random_layer()
    layer_digest = client.push_blob(repository, layer)
    config = _canonical({
        "architecture": arch,
        "os": os_name,
        "config": {"Cmd": ["/pullsentry"]},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created_by": "pullsentry e2e harness"}],
    })
    config_digest = client.push_blob(repository, config)
    manifest = _canonical({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": len(config)},
        "layers": [{"mediaType": OCI_LAYER_GZIP, "digest": layer_digest, "size": len(layer)}],
    })
    return manifest, [layer_digest], config_digest


def make_image(client: RegistryClient, repository: str, tag: str = "v1", *,
               platforms: Iterable[str] | None = None) -> PushedImage:
    """Builds a tiny random single-layer image and pushes it under ``tag``.

    With ``platforms`` (e.g. ``["linux/amd64", "linux/arm64"]``) pushes one
    manifest per platform and an OCI index over them, tagged ``tag``.
    """
    host = urllib.parse.urlsplit(client.base_url).netloc
    if not platforms:
        os_name, arch = host_platform()
        manifest, layers, config_digest = _push_single(client, repository, os_name, arch)
        digest = client.push_manifest(repository, tag, manifest, OCI_MANIFEST)
        key = f"{os_name}/{arch}"
        return PushedImage(host, repository, tag, digest, OCI_MANIFEST, layers,
                           [config_digest], {key: layers}, {key: digest})
    descriptors, all_layers, configs, per_platform, manifests = [], [], [], {}, {}
    for spec in platforms:
        os_name, _, arch = spec.partition("/")
        manifest, layers, config_digest = _push_single(client, repository, os_name, arch)
        digest = client.push_manifest(repository, sha256_digest(manifest), manifest,
                                      OCI_MANIFEST)
        descriptors.append({"mediaType": OCI_MANIFEST, "digest": digest,
                            "size": len(manifest),
                            "platform": {"os": os_name, "architecture": arch}})
        all_layers += layers
        configs.append(config_digest)
        per_platform[spec] = layers
        manifests[spec] = digest
    index = _canonical({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": descriptors})
    digest = client.push_manifest(repository, tag, index, OCI_INDEX)
    return PushedImage(host, repository, tag, digest, OCI_INDEX, all_layers, configs,
                       per_platform, manifests)


# ---------------------------------------------------------------------------
# cosign key signatures
# ---------------------------------------------------------------------------

class SigningKey:
    """A cosign signing key: ``ecdsa-p256``, ``ecdsa-p384``, ``rsa-2048``, ``ed25519``.

    Signatures as cosign makes them: ECDSA over SHA-256 (DER), RSA PKCS#1 v1.5
    with SHA-256, Ed25519 pure over the payload bytes.
    """

    KINDS = ("ecdsa-p256", "ecdsa-p384", "rsa-2048", "ed25519")

    def __init__(self, kind: str) -> None:
        from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
        if kind == "ecdsa-p256":
            self._private = ec.generate_private_key(ec.SECP256R1())
        elif kind == "ecdsa-p384":
            self._private = ec.generate_private_key(ec.SECP384R1())
        elif kind == "rsa-2048":
            self._private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        elif kind == "ed25519":
            self._private = ed25519.Ed25519PrivateKey.generate()
        else:
            raise ValueError(f"unknown key kind {kind!r}; one of {self.KINDS}")
        self.kind = kind

    def public_pem(self) -> bytes:
        """PEM SubjectPublicKeyInfo, as ``cosign generate-key-pair`` writes it."""
        from cryptography.hazmat.primitives import serialization
        return self._private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    def write_public(self, path: Path) -> Path:
        path = Path(path)
        path.write_bytes(self.public_pem())
        return path

    def sign(self, data: bytes) -> bytes:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec, padding
        if self.kind.startswith("ecdsa"):
            return self._private.sign(data, ec.ECDSA(hashes.SHA256()))
        if self.kind.startswith("rsa"):
            return self._private.sign(data, padding.PKCS1v15(), hashes.SHA256())
        return self._private.sign(data)

    def verify(self, signature: bytes, data: bytes) -> bool:
        """Independent check used by the harness' self-test."""
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec, padding
        public = self._private.public_key()
        try:
            if self.kind.startswith("ecdsa"):
                public.verify(signature, data, ec.ECDSA(hashes.SHA256()))
            elif self.kind.startswith("rsa"):
                public.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
            else:
                public.verify(signature, data)
        except InvalidSignature:
            return False
        return True


def simple_signing_payload(docker_reference: str, manifest_digest: str,
                           optional: dict | None = None) -> bytes:
    """cosign's simple-signing payload, compact JSON as cosign marshals it."""
    return json.dumps({
        "critical": {
            "identity": {"docker-reference": docker_reference},
            "image": {"docker-manifest-digest": manifest_digest},
            "type": "cosign container image signature",
        },
        "optional": optional,
    }, separators=(",", ":")).encode()


@dataclasses.dataclass
class Signature:
    tag: str               # sha256-<hex>.sig
    manifest_digest: str   # digest of the signature manifest
    payload: bytes
    signature: bytes
    layers: list[dict]     # all signature layers now in the manifest


def sign(image_ref: str, manifest_digest: str, key: SigningKey, *,
         signed_digest: str | None = None, identity: str | None = None,
         registry_url: str | None = None, append: bool = True,
         payload: bytes | None = None, stored_payload: bytes | None = None) -> Signature:
    """Signs ``manifest_digest`` of ``image_ref`` and pushes it as cosign does.

    ``image_ref`` is ``host[:port]/repository[:tag]``. The signature manifest
    goes under tag ``sha256-<hex>.sig`` of ``manifest_digest`` in the same
    repository, at ``registry_url`` (default ``http://host``).

    * ``signed_digest``: the digest written into the payload (default
      ``manifest_digest``) - set it to make a signature over other content.
    * ``identity``: the payload's docker-reference (default ``host/repository``,
      what ``cosign sign`` records).
    * ``append``: add a layer to an existing signature manifest, like cosign.
    * ``payload``: use these exact bytes instead of building a payload.
    * ``stored_payload``: push these bytes as the payload blob instead of the
      signed ones - a payload tampered with after signing.
    """
    host, repository, _tag, _ = split_reference(image_ref)
    client = RegistryClient(registry_url or f"http://{host}")
    if payload is None:
        payload = simple_signing_payload(identity or f"{host}/{repository}",
                                         signed_digest or manifest_digest)
    signature = key.sign(payload)
    if stored_payload is not None:
        payload = stored_payload
    payload_digest = client.push_blob(repository, payload)
    layer = {
        "mediaType": COSIGN_SIMPLESIGNING,
        "size": len(payload),
        "digest": payload_digest,
        "annotations": {COSIGN_SIGNATURE_ANNOTATION: base64.b64encode(signature).decode()},
    }
    tag = signature_tag(manifest_digest)
    layers = []
    if append:
        existing = client.get_manifest(repository, tag)
        if existing is not None:
            layers = json.loads(existing.body)["layers"]
    layers.append(layer)
    digest = _push_signature_manifest(client, repository, tag, layers)
    return Signature(tag, digest, payload, signature, layers)


def _push_signature_manifest(client: RegistryClient, repository: str, tag: str,
                             layers: list[dict]) -> str:
    # cosign's config: an image config whose rootfs lists the payload digests.
    config = _canonical({
        "architecture": "", "os": "", "config": {},
        "created": "0001-01-01T00:00:00Z",
        "history": [{"created": "0001-01-01T00:00:00Z"}],
        "rootfs": {"type": "layers", "diff_ids": [l["digest"] for l in layers]},
    })
    config_digest = client.push_blob(repository, config)
    manifest = _canonical({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "size": len(config), "digest": config_digest},
        "layers": layers,
    })
    return client.push_manifest(repository, tag, manifest, OCI_MANIFEST)


def copy_signature(src_ref: str, src_digest: str, dst_ref: str, dst_digest: str, *,
                   src_registry_url: str | None = None,
                   dst_registry_url: str | None = None) -> str:
    """Copies the signature manifest of ``src_digest`` to be that of ``dst_digest``.

    The payloads still name ``src_digest``: the classic replayed-signature
    attack. Returns the digest of the signature manifest pushed.
    """
    src_host, src_repo, _, _ = split_reference(src_ref)
    dst_host, dst_repo, _, _ = split_reference(dst_ref)
    src = RegistryClient(src_registry_url or f"http://{src_host}")
    dst = RegistryClient(dst_registry_url or f"http://{dst_host}")
    manifest = src.get_manifest(src_repo, signature_tag(src_digest))
    if manifest is None:
        raise RegistryError(f"{src_ref} has no signature for {src_digest}")
    parsed = json.loads(manifest.body)
    for descriptor in [parsed["config"], *parsed["layers"]]:
        dst.push_blob(dst_repo, src.get_blob(src_repo, descriptor["digest"]))
    return dst.push_manifest(dst_repo, signature_tag(dst_digest), manifest.body,
                             manifest.media_type or OCI_MANIFEST)


# ---------------------------------------------------------------------------
# containers-policy.json(5)
# ---------------------------------------------------------------------------

class Policy:
    """Builds a containers-policy.json; scopes are for the ``docker`` transport."""

    def __init__(self, default: str = "reject") -> None:
        self.default = [self._simple(default)]
        self.docker: dict[str, list[dict]] = {}

    @staticmethod
    def _simple(kind: str) -> dict:
        if kind not in ("reject", "insecureAcceptAnything"):
            raise ValueError(f"not a simple requirement: {kind!r}")
        return {"type": kind}

    def reject(self, scope: str) -> "Policy":
        self.docker[scope] = [{"type": "reject"}]
        return self

    def accept_anything(self, scope: str) -> "Policy":
        self.docker[scope] = [{"type": "insecureAcceptAnything"}]
        return self

    def sigstore_signed(self, scope: str, key_paths: Path | str | Sequence[Path | str],
                        signed_identity: dict | None = None) -> "Policy":
        """Requires a cosign key signature by one of ``key_paths`` for ``scope``."""
        requirement: dict = {"type": "sigstoreSigned"}
        if isinstance(key_paths, (str, Path)):
            requirement["keyPath"] = str(key_paths)
        else:
            requirement["keyPaths"] = [str(p) for p in key_paths]
        requirement["signedIdentity"] = signed_identity or {"type": "matchRepository"}
        self.docker[scope] = [requirement]
        return self

    def to_dict(self) -> dict:
        return {"default": self.default, "transports": {"docker": self.docker}}

    def write(self, path: Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n")
        return path


# ---------------------------------------------------------------------------
# A recording reverse proxy in front of a registry
# ---------------------------------------------------------------------------

@dataclasses.dataclass
class ProxiedRequest:
    method: str
    path: str
    user_agent: str
    status: int = 0


_HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
               "te", "trailers", "transfer-encoding", "upgrade"}


class RegistryProxy:
    """An HTTP reverse proxy that records requests and can act before forwarding.

    ``add_hook(predicate, action)``: for a request whose ``(method, path)``
    satisfies ``predicate``, ``action(method, path)`` runs before the request
    goes upstream (once, unless ``once=False``). When ``action`` returns an
    HTTP status, the proxy answers with it (empty body) instead of forwarding.
    """

    def __init__(self, upstream_url: str) -> None:
        self.upstream = urllib.parse.urlsplit(upstream_url)
        self.requests: list[ProxiedRequest] = []
        self._lock = threading.Lock()
        self._hooks: list[list] = []  # [predicate, action, once, fired]
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._token: int | None = None

    @property
    def host(self) -> str:
        assert self._server is not None, "proxy not started"
        return f"127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def add_hook(self, predicate: Callable[[str, str], bool],
                 action: Callable[[str, str], int | None],
                 once: bool = True) -> Callable[[], int]:
        """Registers a hook; returns a function giving how often it fired."""
        hook = [predicate, action, once, 0]
        with self._lock:
            self._hooks.append(hook)
        return lambda: hook[3]

    def clear_hooks(self) -> None:
        with self._lock:
            self._hooks.clear()

    def _run_hooks(self, method: str, path: str) -> int | None:
        """Runs due hooks; the first status one of them returns, if any."""
        with self._lock:
            due = [h for h in self._hooks if not (h[2] and h[3]) and h[0](method, path)]
            for hook in due:
                hook[3] += 1
        answer = None
        for hook in due:
            status = hook[1](method, path)
            if answer is None and status is not None:
                answer = status
        return answer

    def requests_for(self, repository: str, user_agent_prefix: str | None = None
                     ) -> list[ProxiedRequest]:
        """Requests under ``/v2/<repository>/``, optionally from one client kind."""
        prefix = f"/v2/{repository}/"
        with self._lock:
            return [r for r in self.requests if r.path.startswith(prefix)
                    and (user_agent_prefix is None
                         or r.user_agent.startswith(user_agent_prefix))]

    def start(self) -> "RegistryProxy":
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _forward(self) -> None:
                entry = ProxiedRequest(self.command, self.path,
                                       self.headers.get("User-Agent", ""))
                with proxy._lock:
                    proxy.requests.append(entry)
                answer = proxy._run_hooks(self.command, urllib.parse.urlsplit(self.path).path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if answer is not None:
                    entry.status = answer
                    self.send_response(answer)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in _HOP_BY_HOP}
                upstream = http.client.HTTPConnection(proxy.upstream.hostname,
                                                      proxy.upstream.port, timeout=60)
                try:
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    response = upstream.getresponse()
                    data = response.read()
                    entry.status = response.status
                    self.send_response(response.status)
                    for key, value in response.getheaders():
                        if key.lower() not in _HOP_BY_HOP and key.lower() != "content-length":
                            self.send_header(key, value)
                    if self.command == "HEAD":
                        self.send_header("Content-Length",
                                         response.getheader("Content-Length", "0"))
                    else:
                        self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(data)
                finally:
                    upstream.close()

            do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = _forward

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="registry-proxy", daemon=True)
        self._thread.start()
        self._token = CLEANUP.register(self.stop)
        return self

    def stop(self) -> None:
        with deferred_signals():
            if self._server is not None:
                self._server.shutdown()
                self._server.server_close()
                self._server = None
            if self._token is not None:
                CLEANUP.unregister(self._token)
                self._token = None

    def __enter__(self) -> "RegistryProxy":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# ---------------------------------------------------------------------------
# CRI client
# ---------------------------------------------------------------------------

_CRI_MODULE = None
_CRI_LOCK = threading.Lock()


def cri_messages():
    """The protobuf module generated from the project's CRI proto (cached).

    Generated at run time with ``protoc --python_out`` into a temp dir that is
    removed right after import.
    """
    global _CRI_MODULE
    with _CRI_LOCK:
        if _CRI_MODULE is None:
            protoc = shutil.which("protoc")
            if protoc is None:
                raise FileNotFoundError("protoc not installed (Debian: protobuf-compiler)")
            with TempDir(prefix="pullsentry-e2e-proto-") as out:
                subprocess.run([protoc, f"-I{CRI_PROTO.parent}", f"--python_out={out}",
                                str(CRI_PROTO)], check=True)
                generated = out / (CRI_PROTO.stem + "_pb2.py")
                spec = importlib.util.spec_from_file_location("pullsentry_cri_pb2", generated)
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
            _CRI_MODULE = module
        return _CRI_MODULE


class CriError(Exception):
    """A failed CRI call: ``code`` (grpc.StatusCode) and the server's ``message``."""

    def __init__(self, method: str, code, message: str) -> None:
        super().__init__(f"{method}: {code.name}: {message}")
        self.method = method
        self.code = code
        self.message = message


class CriClient:
    """``runtime.v1.ImageService`` over a unix socket (pullsentryd or containerd)."""

    SERVICE = "/runtime.v1.ImageService/"

    def __init__(self, endpoint: str | Path) -> None:
        import grpc
        endpoint = str(endpoint)
        if not endpoint.startswith("unix:"):
            endpoint = "unix://" + os.path.abspath(endpoint)
        self.endpoint = endpoint
        self.pb = cri_messages()
        self._grpc = grpc
        self._channel = grpc.insecure_channel(endpoint)

    def _call(self, method: str, request, response_type, timeout: float):
        stub = self._channel.unary_unary(self.SERVICE + method,
                                         request_serializer=type(request).SerializeToString,
                                         response_deserializer=response_type.FromString)
        try:
            return stub(request, timeout=timeout)
        except self._grpc.RpcError as exc:
            raise CriError(method, exc.code(), exc.details() or "") from None

    def answers(self) -> bool:
        """True once the server answers an RPC at all (even with an error).

        A real call with a short deadline rather than ``channel_ready_future``:
        a Ctrl-C during the latter leaves a channel whose finaliser blocks.
        """
        try:
            self.list_images(timeout=1)
        except CriError as exc:
            return exc.code not in (self._grpc.StatusCode.UNAVAILABLE,
                                    self._grpc.StatusCode.DEADLINE_EXCEEDED)
        return True

    def wait_ready(self, timeout: float = 10.0) -> None:
        wait_until(self.answers, timeout, f"CRI server at {self.endpoint}", interval=0.1)

    def pull(self, image: str, auth: dict | None = None, namespace: str | None = None,
             timeout: float = 60.0, annotations: dict | None = None) -> str:
        """PullImage; returns ``image_ref``. ``auth``: AuthConfig fields as a dict."""
        request = self.pb.PullImageRequest(image=self.pb.ImageSpec(image=image))
        if annotations:
            request.image.annotations.update(annotations)
        if auth:
            request.auth.CopyFrom(self.pb.AuthConfig(**auth))
        if namespace is not None:
            request.sandbox_config.metadata.namespace = namespace
            request.sandbox_config.metadata.name = "pullsentry-e2e"
        return self._call("PullImage", request, self.pb.PullImageResponse, timeout).image_ref

    def image_status(self, image: str, timeout: float = 30.0):
        """ImageStatus; the ``Image`` message, or None when the image is absent."""
        request = self.pb.ImageStatusRequest(image=self.pb.ImageSpec(image=image))
        response = self._call("ImageStatus", request, self.pb.ImageStatusResponse, timeout)
        return response.image if response.HasField("image") else None

    def list_images(self, image_filter: str | None = None, timeout: float = 30.0) -> list:
        request = self.pb.ListImagesRequest()
        if image_filter:
            request.filter.image.image = image_filter
        return list(self._call("ListImages", request, self.pb.ListImagesResponse,
                               timeout).images)

    def remove_image(self, image: str, timeout: float = 30.0) -> None:
        request = self.pb.RemoveImageRequest(image=self.pb.ImageSpec(image=image))
        self._call("RemoveImage", request, self.pb.RemoveImageResponse, timeout)

    def image_fs_info(self, timeout: float = 30.0):
        return self._call("ImageFsInfo", self.pb.ImageFsInfoRequest(),
                          self.pb.ImageFsInfoResponse, timeout)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> "CriClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ---------------------------------------------------------------------------
# containerd
# ---------------------------------------------------------------------------

# Plugins a CRI image service does not need; disabling them speeds start-up
# and keeps containerd away from host paths.
_CONTAINERD_DISABLED_PLUGINS = [
    "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
    "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.overlayfs",
    "io.containerd.snapshotter.v1.zfs", "io.containerd.internal.v1.opt",
    "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing",
]


def _toml_string(value: str) -> str:
    return json.dumps(str(value))  # a JSON string is a valid TOML basic string


class Containerd(_Daemon):
    """containerd 1.6 with the CRI plugin; plain-HTTP mirrors for ``registries``."""

    name = "containerd"
    NAMESPACE = "k8s.io"  # where the CRI plugin keeps images

    def __init__(self, registries: Iterable[str] = (), workdir: Path | None = None) -> None:
        super().__init__(workdir)
        self.registries = list(registries)
        self.socket = self.workdir / "containerd.sock"

    @property
    def endpoint(self) -> str:
        return f"unix://{self.socket}"

    def config_text(self) -> str:
        w = self.workdir
        lines = [
            "version = 2",
            f"root = {_toml_string(w / 'root')}",
            f"state = {_toml_string(w / 'state')}",
            "disabled_plugins = [" + ", ".join(map(_toml_string,
                                                   _CONTAINERD_DISABLED_PLUGINS)) + "]",
            "[grpc]",
            f"  address = {_toml_string(self.socket)}",
            "[ttrpc]",
            f"  address = {_toml_string(str(self.socket) + '.ttrpc')}",
            '[plugins."io.containerd.grpc.v1.cri"]',
            "  disable_cgroup = true",
            "  disable_apparmor = true",
            "  restrict_oom_score_adj = true",
            '[plugins."io.containerd.grpc.v1.cri".cni]',
            f"  conf_dir = {_toml_string(w / 'cni')}",
            f"  bin_dir = {_toml_string(w / 'cni-bin')}",
            '[plugins."io.containerd.grpc.v1.cri".containerd]',
            '  snapshotter = "native"',
        ]
        for host in self.registries:
            lines += [f'[plugins."io.containerd.grpc.v1.cri".registry.mirrors.{_toml_string(host)}]',
                      f"  endpoint = [{_toml_string('http://' + host)}]"]
        return "\n".join(lines) + "\n"

    def start(self, timeout: float = 60.0) -> "Containerd":
        binary = shutil.which("containerd")
        if binary is None:
            raise FileNotFoundError("containerd not installed")
        config = self.workdir / "config.toml"
        config.write_text(self.config_text())
        process = self._spawn([binary, "--config", config, "--log-level", "info"])
        wait_until(self.socket.exists, timeout, "containerd socket", process=process,
                   log=self.log_path)
        with CriClient(self.endpoint) as client:  # the CRI plugin comes up a bit later
            wait_until(client.answers, timeout, "containerd CRI", interval=0.1,
                       process=process, log=self.log_path)
        return self

    def cri(self) -> CriClient:
        """A CRI client talking to containerd directly."""
        return CriClient(self.endpoint)

    def ctr(self, *args: str, namespace: str | None = None) -> str:
        """Runs ``ctr -a SOCK -n NAMESPACE ARGS``; returns stdout."""
        command = ["ctr", "-a", str(self.socket), "-n", namespace or self.NAMESPACE, *args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {result.stderr.strip()}")
        return result.stdout

    def content_digests(self) -> set[str]:
        """Digests of every blob in the k8s.io content store."""
        return {line.strip() for line in self.ctr("content", "ls", "-q").splitlines()
                if line.strip()}

    def images(self) -> list[str]:
        """Image names (references) in the k8s.io namespace."""
        return [line.strip() for line in self.ctr("images", "ls", "-q").splitlines()
                if line.strip()]


# ---------------------------------------------------------------------------
# pullsentryd
# ---------------------------------------------------------------------------

def default_pullsentryd_binary() -> Path:
    """``$PULLSENTRYD``, else ``$PULLSENTRY_BUILD_DIR/plugin/pullsentryd``
    (build dir default: ``<repo>/build``)."""
    explicit = os.environ.get("PULLSENTRYD")
    if explicit:
        return Path(explicit)
    build_dir = Path(os.environ.get("PULLSENTRY_BUILD_DIR", REPO_ROOT / "build"))
    if not build_dir.is_absolute():
        build_dir = REPO_ROOT / build_dir
    return build_dir / "plugin" / "pullsentryd"


class Pullsentryd(_Daemon):
    """The daemon under test, listening on ``<workdir>/ps.sock``.

    The state dir survives :meth:`restart`; the log (stderr) accumulates
    across restarts in ``<workdir>/pullsentryd.log``.
    """

    name = "pullsentryd"

    def __init__(self, runtime_endpoint: str, policy: Path, *,
                 insecure_registries: Iterable[str] = (), auth_file: Path | None = None,
                 binary: Path | None = None, workdir: Path | None = None,
                 state_dir: Path | None = None, extra_args: Sequence[str] = ()) -> None:
        super().__init__(workdir)
        self.binary = Path(binary) if binary else default_pullsentryd_binary()
        self.runtime_endpoint = runtime_endpoint
        self.policy = Path(policy)
        self.insecure_registries = list(insecure_registries)
        self.auth_file = auth_file
        self.state_dir = Path(state_dir) if state_dir else self.workdir / "state"
        self.socket = self.workdir / "ps.sock"
        self.extra_args = list(extra_args)

    @property
    def endpoint(self) -> str:
        return f"unix://{self.socket}"

    def argv(self) -> list[str]:
        argv = [str(self.binary), "--listen", self.endpoint,
                "--runtime-endpoint", self.runtime_endpoint,
                "--policy", str(self.policy), "--state-dir", str(self.state_dir)]
        for host in self.insecure_registries:
            argv += ["--insecure-registry", host]
        if self.auth_file is not None:
            argv += ["--auth-file", str(self.auth_file)]
        return argv + self.extra_args

    def start(self, timeout: float = 30.0) -> "Pullsentryd":
        if not os.access(self.binary, os.X_OK):
            raise FileNotFoundError(f"pullsentryd binary not found: {self.binary}")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            self.socket.unlink()  # a stale socket would fake readiness
        process = self._spawn(self.argv())
        wait_until(self.socket.exists, timeout, "pullsentryd socket", process=process,
                   log=self.log_path)
        with CriClient(self.endpoint) as client:
            wait_until(client.answers, timeout, "pullsentryd CRI", interval=0.1,
                       process=process, log=self.log_path)
        return self

    def restart(self, timeout: float = 30.0) -> "Pullsentryd":
        self.stop()
        return self.start(timeout)

    def cri(self) -> CriClient:
        return CriClient(self.endpoint)


# ---------------------------------------------------------------------------
# Everything together
# ---------------------------------------------------------------------------

def missing_prerequisites(need_daemon: bool = True) -> list[str]:
    """Why an end-to-end run cannot happen here (empty when it can)."""
    problems = []
    if os.geteuid() != 0:
        problems.append("must run as root (containerd needs it)")
    for tool in ("containerd", "ctr", "docker-registry", "protoc"):
        if shutil.which(tool) is None:
            problems.append(f"{tool} not installed")
    for module in ("grpc", "google.protobuf", "cryptography"):
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:  # the parent package ("google") is missing
            found = False
        if not found:
            problems.append(f"Python module {module} missing (Debian's: use /usr/bin/python3)")
    if need_daemon and not os.access(default_pullsentryd_binary(), os.X_OK):
        problems.append(f"pullsentryd not built: {default_pullsentryd_binary()} "
                        "(set PULLSENTRYD or PULLSENTRY_BUILD_DIR)")
    return problems


class Environment:
    """Registry + recording proxy + containerd (+ pullsentryd) in one temp dir.

    Images are pushed straight to :attr:`registry`; pulls may name either
    :attr:`registry` ``.host`` or :attr:`proxy` ``.host`` - containerd has a
    plain-HTTP mirror for both and pullsentryd treats both as insecure.
    """

    def __init__(self) -> None:
        self._root = TempDir()
        self.workdir = self._root.path
        self._token = CLEANUP.register(self.close)
        self.registry: Registry | None = None
        self.proxy: RegistryProxy | None = None
        self.containerd: Containerd | None = None
        self.pullsentryd: Pullsentryd | None = None

    def start(self) -> "Environment":
        try:
            self.registry = Registry(self.workdir / "registry").start()
            self.proxy = RegistryProxy(self.registry.url).start()
            self.containerd = Containerd([self.registry.host, self.proxy.host],
                                         self.workdir / "containerd").start()
        except BaseException:
            self.close()
            raise
        return self

    @property
    def hosts(self) -> list[str]:
        return [self.registry.host, self.proxy.host]

    def start_pullsentryd(self, policy: Path, **kwargs) -> Pullsentryd:
        self.pullsentryd = Pullsentryd(self.containerd.endpoint, policy,
                                       insecure_registries=self.hosts,
                                       workdir=self.workdir / "pullsentryd", **kwargs)
        try:
            self.pullsentryd.start()
        except BaseException:
            self.pullsentryd.stop()
            raise
        return self.pullsentryd

    def close(self) -> None:
        """Stops everything (daemon first) and removes the temp dir."""
        with deferred_signals():
            for part in (self.pullsentryd, self.containerd, self.proxy, self.registry):
                if part is None:
                    continue
                try:
                    part.close() if hasattr(part, "close") else part.stop()
                except Exception as exc:
                    print(f"harness: stopping {part!r} failed: {exc!r}", file=sys.stderr)
            self._root.close()
            CLEANUP.unregister(self._token)

    def __enter__(self) -> "Environment":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()


# ---------------------------------------------------------------------------
# The control socket (pullsentry status|cache|doctor, the containerd hook)
# ---------------------------------------------------------------------------
# Every daemon a test starts gets its own control socket in its workdir, so
# daemons of concurrent runs never contend for /run/pullsentry/control.sock.
# The flag goes right after the binary: callers that slice argv()'s tail
# (extra_args) keep working. The Python model daemon has no control socket.

def _pullsentryd_control_socket(self: Pullsentryd) -> Path:
    # Short: a unix socket path has at most 107 bytes, and test workdirs are deep.
    return self.workdir / "ctl.sock"


_pullsentryd_base_argv = Pullsentryd.argv


_control_socket_support: dict[tuple[str, int], bool] = {}


def _supports_control_socket(binary: Path) -> bool:
    """Whether this daemon build has --control-socket (asked once per build)."""
    try:
        key = (str(binary), binary.stat().st_mtime_ns)
    except OSError:
        return False
    if key not in _control_socket_support:
        try:
            usage = subprocess.run([str(binary), "--help"], capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            usage = ""
        _control_socket_support[key] = "--control-socket" in usage
    return _control_socket_support[key]


def _pullsentryd_argv_with_control_socket(self: Pullsentryd) -> list[str]:
    argv = _pullsentryd_base_argv(self)
    if self.binary.suffix == ".py" or "--control-socket" in argv or not _supports_control_socket(self.binary):
        return argv
    return argv[:1] + ["--control-socket", str(self.control_socket)] + argv[1:]


Pullsentryd.control_socket = property(_pullsentryd_control_socket)
Pullsentryd.argv = _pullsentryd_argv_with_control_socket


def default_cli_binary(name: str = "pullsentry") -> Path:
    """A binary of the build next to the daemon: ``pullsentry`` or
    ``control/pullsentry-containerd-verifier`` (under ``plugin/``)."""
    return default_pullsentryd_binary().parent / name


# ---------------------------------------------------------------------------
# Shared by the test modules
# ---------------------------------------------------------------------------

def module_environment(key_name: str = "team.pub") -> tuple["Environment", "SigningKey", Path]:
    """For ``setUpModule``: skips the module (saying why) when the peers cannot
    run here, else starts an :class:`Environment` that is closed with the
    module, and makes an ECDSA P-256 signing key whose public half is written
    to ``<workdir>/<key_name>``. Returns ``(env, key, public_key_path)``."""
    import unittest
    problems = missing_prerequisites()
    if problems:
        raise unittest.SkipTest("pullsentry e2e skipped: " + "; ".join(problems))
    env = Environment()
    unittest.addModuleCleanup(env.close)  # runs even if the rest of set-up fails
    env.start()
    key = SigningKey("ecdsa-p256")
    return env, key, key.write_public(env.workdir / key_name)


def write_atomically(path: Path, text: str) -> None:
    """As config management does: write beside, then rename over."""
    tmp = path.with_name(path.name + ".new")
    tmp.write_text(text)
    os.replace(tmp, path)


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0, interval: float = 0.1) -> bool:
    """Polls ``predicate`` until it holds or ``timeout`` passes; its last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
