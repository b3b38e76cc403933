"""The one safe fetcher: every request microblog makes to another server goes through it.

http and https only, to ports 80 and 443; the name is resolved once, every address it has is
checked (loopback, private, link-local, shared 100.64/10, multicast, reserved and unspecified
addresses are refused, IPv4 and IPv6 alike, v4-mapped, 6to4, Teredo and NAT64 by the IPv4
address they carry), and the connection goes to a checked address, so that DNS cannot answer
differently between the check and the connection. Every redirect hop is checked the same way.
A fetch takes at most TIME_LIMIT seconds in all (connecting at most `connect_timeout` of them, when
given) and reads at most MAX_BYTES of body; it sends no
cookies and no credentials, asks for no compression, and names microblog in its User-Agent.

`allow_loopback` (OUTBOUND_ALLOW_LOOPBACK, for tests alone) lets it reach loopback addresses
on any port, so that tests can run the other side on 127.0.0.x.
"""
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urlencode, urljoin, urlsplit

TIME_LIMIT = 5.0
MAX_BYTES = 1024 * 1024
MAX_REDIRECTS = 5
ALLOWED_PORTS = {80, 443}
DEFAULT_PORTS = {"http": 80, "https": 443}
REDIRECTS = {301, 302, 303, 307, 308}
CHUNK = 64 * 1024
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class FetchError(Exception):
    """The fetch did not give a response to use; the message says why."""


class Refused(FetchError):
    """The URL, or an address its name resolves to, is not one microblog may fetch."""


class TooLarge(FetchError):
    """The body is larger than the fetcher reads."""


class TooSlow(FetchError):
    """The fetch did not finish within the time limit."""


class Unreachable(FetchError):
    """The server could not be reached or did not answer in HTTP."""


@dataclass(frozen=True)
class Fetched:
    """A final (not redirecting) answer: the URL it came from, its status, headers and body."""

    url: str
    status: int
    headers: Message
    body: bytes

    @property
    def media_type(self):
        return self.headers.get_content_type() if "Content-Type" in self.headers else ""

    def header_values(self, name):
        return self.headers.get_all(name) or []


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str


class Fetcher:
    """GETs and form POSTs with the rules above; `user_agent` names microblog and the site."""

    def __init__(self, user_agent, allow_loopback=False, time_limit=TIME_LIMIT, max_bytes=MAX_BYTES,
                 connect_timeout=None):
        self.user_agent = user_agent
        self.allow_loopback = allow_loopback
        self.time_limit = time_limit
        self.max_bytes = max_bytes
        self.connect_timeout = connect_timeout

    def get(self, url, accept="*/*", sign=None):
        """The answer at `url` after at most MAX_REDIRECTS checked redirects; FetchError else.
        `sign(url)`, when given, gives the extra headers of each hop's request (its signature)."""
        deadline = time.monotonic() + self.time_limit
        for _hop in range(MAX_REDIRECTS + 1):
            target = self.check_url(url)
            addresses = self.resolve(target)
            extra = {name: value for name, value in (sign(url) if sign else {}).items() if name != "Host"}
            status, headers, body = self._request(target, addresses, deadline, "GET", {"Accept": accept, **extra})
            location = headers.get("Location")
            if status not in REDIRECTS or not location:
                return Fetched(url, status, headers, body)
            url = urljoin(url, location.strip())
        raise Refused(f"More than {MAX_REDIRECTS} redirects.")

    def post_form(self, url, form, headers=None):
        """The answer to `form` POSTed URL-encoded to `url` with these extra `headers`; a redirect
        is an answer like any other (a POST is not repeated elsewhere). FetchError as get's."""
        return self.post(url, urlencode(form).encode(), "application/x-www-form-urlencoded", headers)

    def post(self, url, body, content_type, headers=None):
        """The answer to `body` POSTed to `url` as `content_type`, with these extra `headers`
        (a Host among them is the one the fetcher sends anyway); a redirect is an answer."""
        deadline = time.monotonic() + self.time_limit
        target = self.check_url(url)
        addresses = self.resolve(target)
        sent = {"Accept": "*/*", **{name: value for name, value in (headers or {}).items() if name != "Host"},
                "Content-Type": content_type}
        status, answer_headers, answer = self._request(target, addresses, deadline, "POST", sent, body)
        return Fetched(url, status, answer_headers, answer)

    def check_url(self, url):
        """The URL's parts when its scheme and port may be fetched (the address is checked later)."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise Refused("The URL is not valid.") from None
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            raise Refused("Only http and https URLs are fetched.")
        if parts.username is not None or parts.password is not None:
            raise Refused("URLs with credentials are not fetched.")
        host = parts.hostname
        if not host:
            raise Refused("The URL has no host.")
        port = port if port is not None else DEFAULT_PORTS[scheme]
        if port not in ALLOWED_PORTS and not self.allow_loopback:
            raise Refused(f"Port {port} is not fetched; only 80 and 443.")
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return Target(scheme, host, port, path)

    def resolve(self, target):
        """Every address the host resolves to, each checked; Refused when any is not allowed."""
        try:
            infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            raise Unreachable(f"The name {target.host} does not resolve.") from None
        addresses = []
        for family, _type, _proto, _name, sockaddr in infos:
            address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
            if is_loopback(address) and self.allow_loopback:
                pass
            elif not is_public(address):
                raise Refused(f"{target.host} resolves to {address}, an address that is not fetched.")
            elif target.port not in ALLOWED_PORTS:
                raise Refused(f"Port {target.port} is not fetched; only 80 and 443.")
            if (family, sockaddr) not in addresses:
                addresses.append((family, sockaddr))
        return addresses

    def _request(self, target, addresses, deadline, method, headers, body=None):
        connection = _PinnedConnection(target, addresses, deadline, self.connect_timeout)
        watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), connection.abort)
        watchdog.start()
        try:
            connection.putrequest(method, target.path, skip_host=True, skip_accept_encoding=True)
            connection.putheader("Host", _host_header(target))
            connection.putheader("User-Agent", self.user_agent)
            for name, value in headers.items():
                connection.putheader(name, value)
            connection.putheader("Accept-Encoding", "identity")
            connection.putheader("Connection", "close")
            if body is not None:
                connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
            response = connection.getresponse()
            if response.status in REDIRECTS:
                return response.status, response.msg, b""
            declared = response.getheader("Content-Length")
            if declared and declared.isdigit() and int(declared) > self.max_bytes:
                raise TooLarge(f"The body is larger than {self.max_bytes} bytes.")
            body = bytearray()
            while chunk := response.read(min(CHUNK, self.max_bytes + 1 - len(body))):
                body += chunk
                if len(body) > self.max_bytes:
                    raise TooLarge(f"The body is larger than {self.max_bytes} bytes.")
            if connection.aborted:
                raise TooSlow(f"The server did not answer within {self.time_limit:g} seconds.")
            return response.status, response.msg, bytes(body)
        except (OSError, http.client.HTTPException) as error:
            if connection.aborted or time.monotonic() >= deadline:
                raise TooSlow(f"The server did not answer within {self.time_limit:g} seconds.") from None
            raise Unreachable(f"The fetch failed: {error.__class__.__name__}.") from None
        finally:
            watchdog.cancel()
            connection.close()


def is_loopback(address):
    embedded = _embedded_ipv4(address)
    return (embedded or address).is_loopback


def is_public(address):
    """Whether an address is one microblog may fetch from: global unicast, nothing else."""
    embedded = _embedded_ipv4(address)
    if embedded is not None and not is_public(embedded):
        return False
    return address.is_global and not (address.is_multicast or address.is_reserved or address.is_unspecified)


def _embedded_ipv4(address):
    """The IPv4 address an IPv6 address carries (v4-mapped, 6to4, Teredo, NAT64), if any."""
    if address.version != 6:
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _host_header(target):
    host = f"[{target.host}]" if ":" in target.host else target.host
    return host if target.port == DEFAULT_PORTS[target.scheme] else f"{host}:{target.port}"


class _PinnedConnection(http.client.HTTPConnection):
    """An HTTP connection to one of the checked addresses (never to what the name resolves to
    later); TLS, when used, is checked against the URL's host name."""

    def __init__(self, target, addresses, deadline, connect_timeout=None):
        super().__init__(target.host, target.port, timeout=max(0.01, deadline - time.monotonic()))
        self.target, self.addresses, self.deadline = target, addresses, deadline
        self.connect_timeout = connect_timeout
        self.aborted = False

    def connect(self):
        error = None
        for family, sockaddr in self.addresses:
            sock = socket.socket(family, socket.SOCK_STREAM)
            remaining = self.deadline - time.monotonic()
            sock.settimeout(max(0.01, min(remaining, self.connect_timeout or remaining)))
            try:
                sock.connect(sockaddr)
            except OSError as failure:
                sock.close()
                error = failure
                continue
            sock.settimeout(max(0.01, self.deadline - time.monotonic()))
            if self.target.scheme == "https":
                context = ssl.create_default_context()
                sock = context.wrap_socket(sock, server_hostname=self.target.host)
            self.sock = sock
            return
        raise error or OSError("no address to connect to")

    def abort(self):
        """Called by the watchdog at the deadline: ends whatever read or write is waiting."""
        self.aborted = True
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


