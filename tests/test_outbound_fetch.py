"""The one safe fetcher against servers on loopback: what it refuses (schemes, ports, addresses
by name, literal or redirect, sizes, slowness) and what it sends."""
import pathlib
import socket
import ssl
import subprocess
import threading
import time

import pytest

from microblog.outbound.fetch import MAX_BYTES, Fetcher, Refused, TooLarge, TooSlow, Unreachable

pytestmark = pytest.mark.once  # no database plays a part here: run on SQLite only (make pytest-postgres)

UA = "microblog/test (+https://blog.example/)"
PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "microblog"


class Peer:
    """A raw HTTP server on 127.0.0.x: `answer(request_text, connection)` writes the response."""

    def __init__(self, answer, address="127.0.0.2", tls=None):
        self.answer, self.seen, self.tls = answer, [], tls
        self.listener = socket.create_server((address, 0))
        self.url = f"http://{address}:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(connection,), daemon=True).start()

    def _one(self, connection):
        if self.tls is not None:
            try:
                connection = self.tls.wrap_socket(connection, server_side=True)
            except OSError:
                connection.close()
                return
        with connection:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = connection.recv(4096)
                if not chunk:
                    return
                request += chunk
            self.seen.append(request.decode("latin-1"))
            try:
                self.answer(request.decode("latin-1"), connection)
            except OSError:
                pass

    def close(self):
        self.listener.close()


def respond(status=200, body=b"hello", headers=()):
    def answer(_request, connection):
        head = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}", "Connection: close", *headers]
        connection.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    return answer


@pytest.fixture
def peers():
    made = []

    def start(answer, address="127.0.0.2", tls=None):
        made.append(Peer(answer, address, tls))
        return made[-1]

    yield start
    for peer in made:
        peer.close()


testing = Fetcher(UA, allow_loopback=True)
production = Fetcher(UA)


def test_it_fetches_loopback_only_when_tests_allow_and_sends_nothing_personal(peers):
    peer = peers(respond(body=b'{"ok": true}', headers=["Content-Type: application/json", "Set-Cookie: a=b"]))
    fetched = testing.get(peer.url + "/doc?x=1", accept="application/json")
    assert fetched.status == 200 and fetched.body == b'{"ok": true}' and fetched.media_type == "application/json"
    request = peer.seen[0].lower()
    assert request.startswith("get /doc?x=1 http/1.1")
    assert f"user-agent: {UA}".lower() in request and "accept: application/json" in request
    assert "cookie" not in request and "authorization" not in request
    assert "accept-encoding: identity" in request
    with pytest.raises(Refused):
        production.get(peer.url + "/")
    assert len(peer.seen) == 1  # refused before connecting


@pytest.mark.parametrize("url", [
    "http://localhost/", "http://127.0.0.1/", "http://2130706433/", "http://0x7f.1/", "http://[::1]/",
    "http://10.0.0.1/", "http://172.16.5.4/", "http://192.168.1.1/", "http://169.254.169.254/latest/meta-data",
    "http://100.64.0.1/", "http://224.0.0.1/", "http://239.255.255.250/", "http://240.0.0.1/",
    "http://255.255.255.255/", "http://0.0.0.0/", "http://198.18.0.1/", "http://[::]/", "http://[fe80::1]/",
    "http://[fc00::1]/", "http://[ff02::1]/", "http://[::ffff:10.0.0.1]/", "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:169.254.169.254]/", "http://[2002:a00:1::]/", "http://[64:ff9b::a00:1]/",
    "http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/"])
def test_addresses_that_are_not_public_are_refused_by_name_or_literal(url):
    with pytest.raises(Refused):
        production.get(url)
    if "127." not in url and "localhost" not in url and "[::1]" not in url and "2130706433" not in url \
            and "0x7f" not in url and "::ffff:127" not in url:
        with pytest.raises(Refused):
            testing.get(url)  # the test setting opens loopback alone


@pytest.mark.parametrize("url", ["ftp://example.com/", "file:///etc/passwd", "gopher://example.com/",
                                 "data:text/plain,hi", "http:///nohost", "http://user:pw@example.com/",
                                 "http://example.com:8080/", "https://93.184.216.34:22/", "http://example.com:0/"])
def test_other_schemes_ports_and_credentials_are_refused(url):
    with pytest.raises(Refused):
        production.get(url)


@pytest.mark.parametrize("target", ["http://10.0.0.1/", "http://169.254.169.254/latest/meta-data",
                                    "http://[::ffff:192.168.0.1]/", "file:///etc/passwd", "http://93.184.216.34:25/"])
def test_every_redirect_hop_is_checked(peers, target):
    peer = peers(respond(302, b"", [f"Location: {target}"]))
    with pytest.raises(Refused):
        Fetcher(UA, allow_loopback=True).get(peer.url + "/start")


def test_at_most_five_redirects(peers):
    def hop(request, connection):
        number = int(request.split()[1].strip("/") or 0)
        respond(302, b"", [f"Location: /{number + 1}"])(request, connection) if number < 6 \
            else respond(body=b"end")(request, connection)
    peer = peers(hop)
    assert testing.get(peer.url + "/1").body == b"end"  # 5 redirects: /1 … /6
    with pytest.raises(Refused):
        testing.get(peer.url + "/0")  # 6 redirects


def test_a_redirect_is_followed_to_another_allowed_server(peers):
    final = peers(respond(body=b"there"), "127.0.0.3")
    start = peers(respond(301, b"", [f"Location: {final.url}/doc"]))
    fetched = testing.get(start.url + "/")
    assert fetched.body == b"there" and fetched.url == final.url + "/doc"


def test_bodies_larger_than_the_limit_are_refused(peers):
    exact = peers(respond(body=b"x" * MAX_BYTES))
    assert len(testing.get(exact.url + "/").body) == MAX_BYTES
    declared = peers(respond(body=b"x" * (MAX_BYTES + 1)))
    with pytest.raises(TooLarge):
        testing.get(declared.url + "/")

    def undeclared(_request, connection):
        connection.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
        for _ in range(MAX_BYTES // 65536 + 2):
            connection.sendall(b"y" * 65536)
    with pytest.raises(TooLarge):
        testing.get(peers(undeclared).url + "/")


def test_a_server_that_trickles_is_cut_off_at_five_seconds(peers):
    def trickle(_request, connection):
        connection.sendall(b"HTTP/1.1 200 OK\r\n")
        for _ in range(40):
            time.sleep(0.25)
            connection.sendall(b"X-Slow: 1\r\n")
    peer = peers(trickle)
    started = time.monotonic()
    with pytest.raises(TooSlow):
        testing.get(peer.url + "/")
    assert 4.9 <= time.monotonic() - started < 6


def test_https_certificates_are_verified(peers, tmp_path):
    """A server whose certificate no authority signed is not answered to (nor is any name mismatch)."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=127.0.0.2", "-addext", "subjectAltName=IP:127.0.0.2"],
                   check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    peer = peers(respond(body=b"secret"), tls=context)
    with pytest.raises(Unreachable):
        testing.get(peer.url.replace("http:", "https:") + "/")
    assert peer.seen == []  # no request was sent over the untrusted connection
    trusting = ssl.create_default_context(cafile=cert)  # the same server, once its certificate is trusted
    with socket.create_connection(("127.0.0.2", int(peer.url.rsplit(":", 1)[1]))) as raw, \
            trusting.wrap_socket(raw, server_hostname="127.0.0.2") as tls:
        tls.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert tls.recv(100).startswith(b"HTTP/1.1 200")


def test_nothing_outside_outbound_makes_http_requests():
    """Every outbound request passes through outbound/fetch.py: no other module imports a client.
    `serve` alone uses a socket, to bind its own port and see whether another server holds it."""
    clients = ("import socket", "http.client", "urllib.request", "import requests", "urllib3", "httpx")
    listening = {PACKAGE / "web" / "serve.py"}
    found = [f"{path.relative_to(PACKAGE)}: {name}" for path in PACKAGE.rglob("*.py")
             if "outbound" not in path.parts and path not in listening for name in clients if name in path.read_text()]
    assert found == []
