#!/usr/bin/python3
"""A scripted OCI registry for registry_client_test.cc.

Listens on two loopback ports: the registry, and a "storage" host that blob
redirects point to. Prints "<registry port> <storage port>" on one line, then
serves until killed. Each repository name selects a behaviour (see REPOS).

Credentials: user "alice", password "secret", identity token "refresh-alice".
GET /_count/<name> answers how often <name> happened (token, loop, storage,
storage_auth), so the test can assert on what the client sent.
"""

import base64
import hashlib
import json
import re
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MANIFEST = json.dumps({
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
               "digest": "sha256:" + "0" * 64, "size": 2},
    "layers": [],
}, sort_keys=True).encode()
BLOB = b"signature payload\n"
OTHER = b"tampered content\n"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
BASIC_OK = "Basic " + base64.b64encode(b"alice:secret").decode()
TOKEN = "tok-alice"


def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


COUNTS = {}
COUNTS_LOCK = threading.Lock()
PORTS = {}


def count(name):
    with COUNTS_LOCK:
        COUNTS[name] = COUNTS.get(name, 0) + 1


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep test output quiet
        pass

    def reply(self, status, body=b"", headers=None, content_type=None):
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def not_found(self):
        body = json.dumps({"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}]})
        self.reply(404, body.encode(), content_type="application/json")

    def bearer_challenge(self, repo):
        realm = "http://127.0.0.1:%d/token" % PORTS["registry"]
        value = 'Bearer realm="%s",service="test-registry",scope="repository:%s:pull"' % (realm, repo)
        self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}', {"WWW-Authenticate": value},
                   "application/json")

    def serve_good(self, kind, ref):
        if kind == "manifests" and (ref == "v1" or ref == digest(MANIFEST)):
            return self.reply(200, MANIFEST, {"Docker-Content-Digest": digest(MANIFEST)},
                              OCI_MANIFEST + "; charset=utf-8")
        if kind == "blobs" and ref == digest(BLOB):
            return self.reply(200, BLOB, content_type="application/octet-stream")
        return self.not_found()

    def do_POST(self):
        if self.path != "/token":
            return self.reply(404)
        count("token")
        length = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        if form.get("grant_type") == ["refresh_token"] and form.get("refresh_token") == ["refresh-alice"] \
                and form.get("scope") == ["repository:bearer:pull"] and form.get("client_id"):
            return self.reply(200, json.dumps({"access_token": TOKEN}).encode(), content_type="application/json")
        return self.reply(401)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path.startswith("/_count/"):
            with COUNTS_LOCK:
                n = COUNTS.get(url.path[len("/_count/"):], 0)
            return self.reply(200, str(n).encode())
        if url.path == "/token":
            return self.token(urllib.parse.parse_qs(url.query))
        m = re.fullmatch(r"/v2/([a-z0-9/_-]+)/(manifests|blobs)/([^/]+)", url.path)
        if not m:
            return self.reply(404)
        repo, kind, ref = m.groups()
        count(repo)
        auth = self.headers.get("Authorization", "")
        if repo == "good":
            return self.serve_good(kind, ref)
        if repo == "notype":
            body = MANIFEST
            return self.reply(200, body)  # no Content-Type: the body's mediaType must do
        if repo == "bad":
            if kind == "manifests" and ref == "v1":
                return self.reply(200, MANIFEST, {"Docker-Content-Digest": digest(OTHER)}, OCI_MANIFEST)
            return self.reply(200, OTHER, content_type=OCI_MANIFEST)
        if repo == "big":
            return self.reply(200, b" " * (64 << 10), content_type=OCI_MANIFEST)
        if repo == "bigchunked":
            return self.chunked(b" " * (64 << 10))
        if repo == "slow":
            return self.trickle()
        if repo == "error":
            return self.reply(503, b"down")
        if repo == "bearer":
            if auth != "Bearer " + TOKEN:
                return self.bearer_challenge(repo)
            return self.serve_good(kind, ref)
        if repo == "basic":
            if auth != BASIC_OK:
                return self.reply(401, b"", {"WWW-Authenticate": 'Basic realm="test"'})
            return self.serve_good(kind, ref)
        if repo == "loop":
            return self.bearer_challenge(repo)
        if repo == "redirect":
            if auth != BASIC_OK:
                return self.reply(401, b"", {"WWW-Authenticate": 'Basic realm="test"'})
            location = "http://127.0.0.1:%d/storage/%s" % (PORTS["storage"], ref)
            return self.reply(307, b"", {"Location": location})
        if repo == "redirectloop":
            return self.reply(302, b"", {"Location": self.path})
        return self.not_found()

    def token(self, query):
        count("token")
        scope = query.get("scope", [""])[0]
        if query.get("service") != ["test-registry"]:
            return self.reply(400)
        if scope == "repository:loop:pull":
            # Hands out tokens the registry then refuses: a 401 loop.
            return self.reply(200, json.dumps({"token": "useless"}).encode(), content_type="application/json")
        if self.headers.get("Authorization", "") != BASIC_OK or scope != "repository:bearer:pull":
            return self.reply(401)
        body = json.dumps({"token": TOKEN, "expires_in": 300}).encode()
        return self.reply(200, body, content_type="application/json")

    def chunked(self, body):
        # No Content-Length: the size cap must hold while receiving.
        self.send_response(200)
        self.send_header("Content-Type", OCI_MANIFEST)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for i in range(0, len(body), 1024):
                chunk = body[i:i + 1024]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass

    def trickle(self):
        # Promises 1000 bytes and sends one every 100 ms: only a deadline ends it.
        self.send_response(200)
        self.send_header("Content-Type", OCI_MANIFEST)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        try:
            for _ in range(1000):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.1)
        except (BrokenPipeError, ConnectionResetError):
            pass


class StorageHandler(Handler):
    """The object store that blob downloads are redirected to."""

    def do_GET(self):
        count("storage")
        if "Authorization" in self.headers:
            count("storage_auth")
            return self.reply(400, b"credentials leaked to storage")
        if self.path == "/storage/" + digest(BLOB):
            return self.reply(200, BLOB, content_type="application/octet-stream")
        return self.reply(404)


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # The client aborts transfers on purpose (size caps, deadlines).
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


def main():
    registry = QuietServer(("127.0.0.1", 0), Handler)
    storage = QuietServer(("127.0.0.1", 0), StorageHandler)
    PORTS["registry"] = registry.server_address[1]
    PORTS["storage"] = storage.server_address[1]
    threading.Thread(target=storage.serve_forever, daemon=True).start()
    print(PORTS["registry"], PORTS["storage"], flush=True)
    registry.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
