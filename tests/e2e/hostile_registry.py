"""A registry that misbehaves on purpose, for tests/e2e/test_hostile_registry.py.

One loopback HTTP server (optionally a second one with TLS) whose repository
name picks the misbehaviour. Every repository serves the same small, valid
image manifest under tag ``v1`` unless its behaviour is about that manifest;
behaviours about signatures misbehave on the cosign tag ``sha256-<hex>.sig``
of that manifest instead.

======================  =====================================================
repository              what the registry does
======================  =====================================================
``mismatch``            manifest whose Docker-Content-Digest names other bytes
``big5m``               a 5 MiB manifest (Content-Length given)
``big1g``               claims a 1 GiB manifest and starts sending it
``endless``             a chunked manifest body that never ends
``trickle``             one byte a second of a promised 1000
``silent``              accepts the request and never answers
``redirectloop``        manifest redirects to itself, forever
``redirectaway``        manifest redirects to another host (``localhost``),
                        which records whether credentials followed
``authloop``            Bearer challenges whose tokens are always refused
``malformed``           signature manifest that is not JSON
``deep``                signature manifest nested 100,000 arrays deep
``manylayers``          signature manifest with 10,000 layers
``gzipbomb``            signature manifest sent gzip-encoded (1 GiB of zeros
                        inflated), whether or not compression was offered
``unsigned``            an honest registry with no signature (TLS checks)
======================  =====================================================

This is separate code from the daemon under test; it only speaks HTTP.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import ssl
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
COSIGN_SIMPLESIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _canonical(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


CONFIG = _canonical({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}})
IMAGE_MANIFEST = _canonical({
    "schemaVersion": 2,
    "mediaType": OCI_MANIFEST,
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
               "digest": _digest(CONFIG), "size": len(CONFIG)},
    "layers": [],
})
IMAGE_DIGEST = _digest(IMAGE_MANIFEST)
SIGNATURE_TAG = IMAGE_DIGEST.replace(":", "-") + ".sig"


def _many_layers_manifest(count: int) -> bytes:
    layer = {"mediaType": COSIGN_SIMPLESIGNING, "size": 10,
             "digest": "sha256:" + "ab" * 32,
             "annotations": {"dev.cosignproject.cosign/signature": "AAAA"}}
    return _canonical({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                       "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                  "digest": _digest(CONFIG), "size": len(CONFIG)},
                       "layers": [layer] * count})


def _gzip_bomb(inflated: int) -> bytes:
    """gzip data that inflates to ``inflated`` zero bytes (about 1 MiB per GiB).

    A run of identical gzip members, one per MiB: gzip(1) inflates the
    concatenation to the sum, and it is made in milliseconds.
    """
    member = gzip.compress(bytes(1 << 20), compresslevel=9)
    return member * (inflated >> 20)


class HostileRegistry:
    """The misbehaving registry; :attr:`host` is ``127.0.0.1:<port>``."""

    def __init__(self, tls_cert: str | None = None, tls_key: str | None = None) -> None:
        self._tls = (tls_cert, tls_key) if tls_cert else None
        self._server: ThreadingHTTPServer | None = None
        self._away: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()
        self.counts: dict[str, int] = {}
        self.away_authorization: list[str] = []  # Authorization headers seen by the other host
        self._stop = threading.Event()
        self.bomb = _gzip_bomb(1 << 30)

    # -- bookkeeping --------------------------------------------------------

    def count(self, name: str) -> int:
        with self._lock:
            return self.counts.get(name, 0)

    def _hit(self, name: str) -> None:
        with self._lock:
            self.counts[name] = self.counts.get(name, 0) + 1

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self._server.server_address[1]}"

    # -- life ---------------------------------------------------------------

    def start(self) -> "HostileRegistry":
        registry = self

        class Away(BaseHTTPRequestHandler):
            """The other host a redirect points at."""
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                registry._hit("away")
                auth = self.headers.get("Authorization")
                if auth:
                    with registry._lock:
                        registry.away_authorization.append(auth)
                body = IMAGE_MANIFEST
                self.send_response(200)
                self.send_header("Content-Type", OCI_MANIFEST)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def handle_one_request(self) -> None:
                try:
                    super().handle_one_request()
                except (BrokenPipeError, ConnectionResetError, ssl.SSLError, TimeoutError):
                    self.close_connection = True

            def reply(self, status: int, body: bytes = b"", headers: dict | None = None,
                      content_type: str | None = OCI_MANIFEST) -> None:
                self.send_response(status)
                if content_type:
                    self.send_header("Content-Type", content_type)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def good_manifest(self) -> None:
                self.reply(200, IMAGE_MANIFEST, {"Docker-Content-Digest": IMAGE_DIGEST})

            def do_HEAD(self) -> None:
                self.do_GET()

            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                if url.path == "/v2/":
                    return self.reply(200, b"{}", content_type="application/json")
                if url.path == "/token":
                    registry._hit("token")
                    return self.reply(200, b'{"token":"never-good-enough"}',
                                      content_type="application/json")
                parts = url.path.split("/")
                # /v2/<repo>/manifests/<ref>
                if len(parts) != 5 or parts[0] != "" or parts[1] != "v2":
                    return self.reply(404, content_type=None)
                repo, kind, ref = parts[2], parts[3], parts[4]
                registry._hit(repo)
                handler = getattr(self, "repo_" + repo, None)
                if handler is None or kind not in ("manifests", "blobs"):
                    return self.reply(404, content_type=None)
                is_signature = ref == SIGNATURE_TAG
                if not is_signature and ref not in ("v1", IMAGE_DIGEST) and kind == "manifests":
                    return self.reply(404, content_type=None)
                return handler(kind, ref, is_signature)

            # -- behaviours about the image manifest ------------------------

            def repo_mismatch(self, kind, ref, sig):
                self.reply(200, IMAGE_MANIFEST, {"Docker-Content-Digest": _digest(b"something else")})

            def repo_big5m(self, kind, ref, sig):
                body = b" " * (5 << 20)
                self.reply(200, body)

            def repo_big1g(self, kind, ref, sig):
                self.send_response(200)
                self.send_header("Content-Type", OCI_MANIFEST)
                self.send_header("Content-Length", str(1 << 30))
                self.end_headers()
                self.stream(1 << 30)

            def repo_endless(self, kind, ref, sig):
                self.send_response(200)
                self.send_header("Content-Type", OCI_MANIFEST)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                chunk = b" " * (64 << 10)
                framed = b"%x\r\n%s\r\n" % (len(chunk), chunk)
                deadline = time.monotonic() + 120
                while not registry._stop.is_set() and time.monotonic() < deadline:
                    self.wfile.write(framed)

            def repo_trickle(self, kind, ref, sig):
                self.send_response(200)
                self.send_header("Content-Type", OCI_MANIFEST)
                self.send_header("Content-Length", "1000")
                self.end_headers()
                for _ in range(1000):
                    if registry._stop.wait(1.0):
                        return
                    self.wfile.write(b" ")
                    self.wfile.flush()

            def repo_silent(self, kind, ref, sig):
                registry._stop.wait(120)
                self.close_connection = True

            def repo_redirectloop(self, kind, ref, sig):
                self.reply(302, b"", {"Location": self.path}, content_type=None)

            def repo_redirectaway(self, kind, ref, sig):
                if sig:
                    return self.reply(404, content_type=None)
                if self.headers.get("Authorization") is None:
                    return self.reply(401, b"", {"WWW-Authenticate": 'Basic realm="hostile"'},
                                      content_type=None)
                away = f"http://localhost:{registry._away.server_address[1]}/elsewhere/{ref}"
                self.reply(307, b"", {"Location": away}, content_type=None)

            def repo_authloop(self, kind, ref, sig):
                realm = f"{'https' if registry._tls else 'http'}://{registry.host}/token"
                self.reply(401, b"", {"WWW-Authenticate":
                                      f'Bearer realm="{realm}",service="hostile",scope="repository:authloop:pull"'},
                           content_type=None)

            # -- behaviours about the signature manifest --------------------

            def signature_or_image(self, sig, body: bytes, headers: dict | None = None):
                if not sig:
                    return self.good_manifest()
                self.reply(200, body, headers)

            def repo_malformed(self, kind, ref, sig):
                self.signature_or_image(sig, b'{"schemaVersion": 2, "layers": [')

            def repo_deep(self, kind, ref, sig):
                self.signature_or_image(sig, b"[" * 100_000 + b"]" * 100_000)

            def repo_manylayers(self, kind, ref, sig):
                self.signature_or_image(sig, _many_layers_manifest(10_000))

            def repo_gzipbomb(self, kind, ref, sig):
                if not sig:
                    return self.good_manifest()
                self.reply(200, registry.bomb, {"Content-Encoding": "gzip"})

            def repo_unsigned(self, kind, ref, sig):
                if sig:
                    return self.reply(404, content_type=None)
                self.good_manifest()

            def stream(self, total: int) -> None:
                block = b" " * (1 << 20)
                sent = 0
                while sent < total and not registry._stop.is_set():
                    self.wfile.write(block)
                    sent += len(block)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        if self._tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self._tls)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._away = ThreadingHTTPServer(("127.0.0.1", 0), Away)
        self._away.daemon_threads = True
        for server in (self._server, self._away):
            threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for server in (self._server, self._away):
            if server is not None:
                server.shutdown()
                server.server_close()
        self._server = self._away = None

    def __enter__(self) -> "HostileRegistry":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
