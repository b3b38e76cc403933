"""Issue 23, item 2: a request without a usable Host never poisons the absolute links others
get. Raw requests on a socket to real servers (granian passes an absent Host as an empty
HTTP_HOST, gunicorn leaves it out), PUBLIC_BASE_URL unset."""
import json
import re
import socket
from urllib.parse import urlsplit

import pytest

ATTACKS = [
    b"GET %s HTTP/1.1\r\nConnection: close\r\n\r\n",  # no Host at all
    b"GET %s HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n",  # an empty one
    b"GET %s HTTP/1.1\r\nHost: bad host/x\r\nConnection: close\r\n\r\n",  # a malformed one
]
PATHS = [b"/", b"/feed.atom", b"/sitemap.xml", b"/robots.txt", b"/tags"]
ABSOLUTE = re.compile(rb"(?:https?:)//[^\"'<>\s]*")


def raw(url, request):
    """Send bytes as they are; the whole answer (the server closes the connection)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), head.decode("latin-1"), body


@pytest.mark.parametrize("kind", ["granian", "gunicorn"])
def test_no_host_is_a_400_and_no_link_is_poisoned(live_server, kind):
    server = live_server(kind, workers=1)
    host = urlsplit(server.url).netloc.encode()
    for _ in range(3):
        for attack in ATTACKS:
            for path in PATHS:
                status, head, body = raw(server.url, attack % path)
                assert status == 400, (attack, path, head)
                assert "application/problem+json" in head and json.loads(body)["status"] == 400, (path, head, body)
    # a browser asking for a page gets the site's HTML error page
    status, head, body = raw(server.url, b"GET / HTTP/1.1\r\nAccept: text/html\r\nConnection: close\r\n\r\n")
    assert status == 400 and "text/html" in head and b"<html" in body
    for path in PATHS:  # every reader with a Host gets links on their own host, none malformed
        status, head, body = raw(server.url, b"GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (path, host))
        assert status == 200, (path, head)
        links = ABSOLUTE.findall(body)
        ours = [link for link in links if b"127.0.0.1" in link]
        assert ours or path == b"/tags" and links == [], (path, links)
        assert all(link.startswith(b"http://" + host + b"/") for link in ours), (path, ours)
        assert b"http:///" not in body and b"http:/feed" not in body and b"//:" not in body, path


@pytest.mark.parametrize("kind", ["granian", "gunicorn"])
def test_http_1_0_without_host_is_answered_for_the_server_address(live_server, kind):
    """A load balancer's health check (HTTP/1.0, no Host) still works; a page asked so names
    the server's own address, never an empty host."""
    server = live_server(kind, workers=1)
    status, _head, _body = raw(server.url, b"GET /healthz HTTP/1.0\r\n\r\n")
    assert status == 200
    status, head, body = raw(server.url, b"GET /robots.txt HTTP/1.0\r\n\r\n")
    assert status == 200, head
    assert re.search(rb"Sitemap: http://[^/\s]+/sitemap.xml", body), body
