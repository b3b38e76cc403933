"""Another website, as a peer for Webmention tests, written from the W3C Recommendation and
knowing nothing of microblog: it serves pages set by the test (any status, headers and body:
a target advertising an endpoint, a source linking to a post, a redirect), and receives
Webmentions at the endpoints the test names, as a receiver must: a POST of
`application/x-www-form-urlencoded` `source` and `target` is answered 202, anything else 400.

It keeps every request it answered (method, path with query), and every Webmention it accepted.
"""
import threading
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from tests.peers.loopback import LoopbackServer


@dataclass(frozen=True)
class Received:
    endpoint: str  # the path it was POSTed to, with its query string
    source: str
    target: str
    body: str


@dataclass
class Page:
    body: bytes
    status: int
    headers: list


class Site(LoopbackServer):
    """A site on `host` (a loopback address) and a free port; start() it, stop() it."""

    def __init__(self, host="127.0.0.3"):
        self.pages, self.endpoints = {}, set()
        self.received, self.requests, self.refused = [], [], []
        self.lock = threading.Lock()
        super().__init__(host, {"GET": "serve", "HEAD": "serve", "POST": "receive"})
        self.url = self.origin

    def page(self, path, body="", status=200, headers=(), content_type="text/html; charset=utf-8"):
        """Serve `body` at `path` (with its query string, if any) with this status and headers."""
        headers = [*([("Content-Type", content_type)] if content_type else []), *headers]
        with self.lock:
            self.pages[path] = Page(body.encode() if isinstance(body, str) else body, status, headers)
        return self.url + path

    def endpoint(self, path):
        """Receive Webmentions at `path` (its query string, if any, must be sent as it is)."""
        with self.lock:
            self.endpoints.add(path)
        return self.url + path

    def serve(self, request):
        with self.lock:
            self.requests.append(("GET", request.path))
            page = self.pages.get(request.path)
        if page is None:
            return self._reply(request, 404, b"not here", [("Content-Type", "text/plain")])
        return self._reply(request, page.status, page.body, page.headers)

    def receive(self, request):
        body = request.rfile.read(int(request.headers.get("Content-Length") or 0)).decode()
        with self.lock:
            self.requests.append(("POST", request.path))
            known = request.path in self.endpoints
        form = parse_qs(body, keep_blank_values=True)
        form_encoded = request.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded")
        valid = (known and form_encoded and len(form.get("source", [])) == 1 and len(form.get("target", [])) == 1
                 and all(urlsplit(form[name][0]).scheme in ("http", "https") for name in ("source", "target"))
                 and form["source"][0] != form["target"][0])
        with self.lock:
            if valid:
                self.received.append(Received(request.path, form["source"][0], form["target"][0], body))
            else:
                self.refused.append((request.path, body))
        return self._reply(request, 202 if valid else 400, b"", [])

    @staticmethod
    def _reply(request, status, body, headers):
        request.send_response(status)
        for name, value in headers:
            request.send_header(name, value)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        if request.command != "HEAD":
            request.wfile.write(body)

    def wait_for(self, count, timeout=10.0):
        """Wait until `count` Webmentions were received (or `timeout` seconds); those received then."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    break
            time.sleep(0.02)
        with self.lock:
            return list(self.received)

    def fetched(self, path):
        """How many times `path` was asked for."""
        with self.lock:
            return sum(1 for method, asked in self.requests if method == "GET" and asked == path)
