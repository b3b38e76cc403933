"""The other side of IndieAuth, written from the specifications with the standard library alone
(none of microblog's code): a client's discovery and consent-form filling, PKCE, and a client's
web site on a loopback address serving its metadata."""
import base64
import hashlib
import http.server
import re
import secrets
import threading
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

LINK_VALUE = re.compile(r'<([^>]*)>\s*;\s*rel="?([^";,]*)"?')


class _Page(HTMLParser):
    """The <link> elements and the first form of an HTML page, as a browser sees them."""

    def __init__(self):
        super().__init__()
        self.links, self.form, self.controls, self.scripts = [], None, [], 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "link" and "rel" in attributes:
            self.links.append((attributes["rel"].split(), attributes.get("href")))
        elif tag == "form" and self.form is None:
            self.form = attributes
        elif tag in ("input", "button") and self.form is not None:
            self.controls.append((tag, attributes))
        elif tag == "script":
            self.scripts += 1


def read_page(html):
    page = _Page()
    page.feed(html)
    return page


def discover(url, link_headers, html):
    """rel → absolute URL, the first Link header winning over the first <link> element."""
    found = {}
    for header in link_headers:
        for target, rels in LINK_VALUE.findall(header):
            for rel in rels.split():
                found.setdefault(rel, urljoin(url, target))
    for rels, href in read_page(html).links:
        for rel in rels:
            if href is not None:
                found.setdefault(rel, urljoin(url, href))
    return found


def fill_form(url, html, values, press=None, unchecked=()):
    """(action URL, fields) a browser would send: the hidden inputs, the text and password inputs
    given in `values`, checked checkboxes (but those in `unchecked`), and the button pressed."""
    page = read_page(html)
    assert page.form is not None, "the page has no form"
    fields = []
    for tag, attributes in page.controls:
        name, kind = attributes.get("name"), attributes.get("type", "submit" if tag == "button" else "text")
        if name is None:
            continue
        if kind == "hidden":
            fields.append((name, attributes.get("value", "")))
        elif kind in ("text", "password"):
            fields.append((name, values.get(name, "")))
        elif kind == "checkbox" and "checked" in attributes and attributes.get("value") not in unchecked:
            fields.append((name, attributes.get("value", "on")))
        elif kind == "submit" and press is not None and attributes.get("value") == press:
            fields.append((name, attributes["value"]))
    return urljoin(url, page.form.get("action", url)), fields


def pkce():
    """A code verifier and its S256 challenge (RFC 7636)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def query(location):
    """The query parameters of a redirect, one value each."""
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query, keep_blank_values=True).items()}


class ClientSite:
    """An application's web site on 127.0.0.x: `pages` maps a path (without its query) to (status, content type,
    body, extra headers); every request is recorded in `requests`."""

    def __init__(self, address="127.0.0.2"):
        site = self
        self.pages, self.requests = {}, []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                site.requests.append((self.path, dict(self.headers)))
                path = urlsplit(self.path).path
                status, media_type, body, headers = site.pages.get(path, (404, "text/plain", b"", {}))
                self.send_response(status)
                self.send_header("Content-Type", media_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer((address, 0), Handler)
        self.root = f"http://{address}:{self.server.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
