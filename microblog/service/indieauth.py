"""IndieAuth authorization requests: who the client is, where it may be sent back, what it asks.

A `client_id` is an http(s) URL with a host (no path counts as `/`), no fragment, no credentials, no dot segments,
whose host is a name (or a loopback address). A `redirect_uri` on the client's own origin is
always allowed; one on another scheme, host or port only when the client's metadata, fetched
from its client_id, lists it exactly: a JSON client metadata document, or, from older clients,
an HTML page with `rel=redirect_uri` links (or Link headers) or an h-app naming it.
"""
import ipaddress
import json
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from . import errors, tokens

MAX_URL_LENGTH = 2000
MAX_STATE_LENGTH = 1000
CHALLENGE = re.compile(r"[A-Za-z0-9\-._~]{43,128}")  # a base64url SHA-256 is 43
DEFAULT_PORTS = {"http": 80, "https": 443}
SCHEME = re.compile(r"[a-z][a-z0-9+.\-]*")
UNSAFE_SCHEMES = {"javascript", "data", "vbscript", "file", "blob", "about", "filesystem"}
CONTROL = re.compile(r"[\x00-\x20\x7f]")


class ClientRefused(errors.Invalid):
    """The request names a client_id or redirect_uri that may not be used: the user is told,
    and nobody is redirected anywhere."""


@dataclass(frozen=True)
class AuthorizationRequest:
    """A checked authorization request, as the consent page shows it and an approval uses it."""

    client_id: str
    redirect_uri: str
    state: str | None
    scopes: tuple
    code_challenge: str | None
    client_name: str | None = field(default=None, compare=False)

    def as_dict(self):
        return {"client_id": self.client_id, "redirect_uri": self.redirect_uri, "state": self.state,
                "scopes": list(self.scopes), "code_challenge": self.code_challenge}

    @classmethod
    def from_dict(cls, values):
        return cls(values["client_id"], values["redirect_uri"], values["state"], tuple(values["scopes"]),
                   values["code_challenge"])


def check_client_id(client_id):
    """The client_id as given when it is a valid IndieAuth client identifier; ClientRefused else."""
    parts = _url_parts(client_id, "client_id")
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise ClientRefused("The client_id must be an http or https URL with a host.")
    if parts.fragment or parts.username is not None or parts.password is not None:
        raise ClientRefused("The client_id may have no fragment and no user name or password.")
    if any(segment in (".", "..") for segment in parts.path.split("/")):
        raise ClientRefused("The client_id may have no . or .. path segments.")
    try:
        address = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return client_id
    if not address.is_loopback:
        raise ClientRefused("The client_id's host must be a name, not an IP address (loopback excepted).")
    return client_id


def check_redirect_uri(redirect_uri):
    parts = _url_parts(redirect_uri, "redirect_uri")
    if not SCHEME.fullmatch(parts.scheme) or parts.scheme in UNSAFE_SCHEMES or parts.fragment:
        raise ClientRefused("The redirect_uri must be an http(s) or application URL without a fragment.")
    if parts.scheme in DEFAULT_PORTS and not parts.hostname:
        raise ClientRefused("The redirect_uri has no host.")
    return redirect_uri


def _url_parts(url, name):
    if not url or len(url) > MAX_URL_LENGTH or CONTROL.search(url):
        raise ClientRefused(f"The {name} is missing, too long or has spaces or control characters.")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (a port that is not a number raises here)
    except ValueError:
        raise ClientRefused(f"The {name} is not a valid URL.") from None
    return parts


def origin(url):
    """(scheme, host, port) of a URL, the host in lower case and the port made explicit."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or DEFAULT_PORTS.get(scheme)


def check_request(args, fetch, allow_no_pkce):
    """The checked request of an authorization request's parameters (a mapping of one value
    each). ClientRefused when client_id or redirect_uri may not be used (no redirect at all);
    Refused (with the redirect_uri safe to send the error to) for anything else."""
    client_id = check_client_id(args.get("client_id", ""))
    redirect_uri = check_redirect_uri(args.get("redirect_uri", ""))
    client_name = None
    if origin(redirect_uri) != origin(client_id):
        metadata = client_metadata(client_id, fetch)
        if metadata is None or redirect_uri not in metadata.redirect_uris:
            raise ClientRefused("The redirect_uri is on another site than the client_id, and the client's "
                                "metadata (fetched from its client_id) does not list it.")
        client_name = metadata.name
    state = args.get("state")
    if args.get("response_type", "code") != "code":
        raise errors.Refused("unsupported_response_type", "Only response_type=code is supported.")
    if state is not None and len(state) > MAX_STATE_LENGTH:
        raise errors.Refused("invalid_request", f"The state is longer than {MAX_STATE_LENGTH} characters.")
    challenge = args.get("code_challenge")
    method = args.get("code_challenge_method")
    if challenge is None and not allow_no_pkce:
        raise errors.Refused("invalid_request", "PKCE is required: send code_challenge and code_challenge_method=S256.")
    if challenge is not None and (method != "S256" or not CHALLENGE.fullmatch(challenge)):
        raise errors.Refused("invalid_request", "Only code_challenge_method=S256 is supported, with a "
                                                "43 to 128 character code_challenge.")
    scopes = tuple(tokens.parse_scope(args.get("scope", "")))
    return AuthorizationRequest(client_id, redirect_uri, state, scopes, challenge, client_name)


@dataclass(frozen=True)
class ClientMetadata:
    name: str | None
    redirect_uris: frozenset


def client_metadata(client_id, fetch):
    """What the client publishes at its client_id (None when it cannot be fetched or read).
    `fetch(url)` is the safe fetcher's GET, raising on refusal or failure."""
    try:
        fetched = fetch(client_id)
    except Exception:  # noqa: BLE001 (any failure to fetch means: no metadata)
        return None
    if fetched.status != 200:
        return None
    if fetched.media_type == "application/json" or fetched.body.lstrip()[:1] == b"{":
        return _json_metadata(client_id, fetched.body)
    if fetched.media_type in ("text/html", "application/xhtml+xml"):
        return _html_metadata(fetched)
    return None


def _json_metadata(client_id, body):
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(document, dict) or document.get("client_id") != client_id:
        return None  # the document must name the client_id it was fetched from
    uris = document.get("redirect_uris")
    name = document.get("client_name")
    return ClientMetadata(name if isinstance(name, str) else None,
                          frozenset(u for u in uris if isinstance(u, str)) if isinstance(uris, list) else frozenset())


def _html_metadata(fetched):
    import mf2py  # here, as in mention_source.read: about 16 MB that most workers never need

    parsed = mf2py.parse(doc=fetched.body.decode("utf-8", "replace"), url=fetched.url)
    uris = set(parsed.get("rels", {}).get("redirect_uri", []))
    uris.update(_link_header_redirects(fetched))
    name = None
    for item in _items(parsed.get("items", [])):
        if {"h-app", "h-x-app"} & set(item.get("type", [])):
            properties = item.get("properties", {})
            uris.update(u for u in properties.get("redirect-uri", []) if isinstance(u, str))
            names = [n for n in properties.get("name", []) if isinstance(n, str)]
            name = name or (names[0] if names else None)
    return ClientMetadata(name, frozenset(uris))


def _items(items):
    for item in items:
        yield item
        yield from _items(item.get("children", []))


LINK = re.compile(r'<([^>]*)>\s*((?:;\s*[^;,]*)*)')
REL = re.compile(r'rel\s*=\s*("([^"]*)"|[^\s;,]+)', re.IGNORECASE)


def _link_header_redirects(fetched):
    """redirect_uri links in the answer's Link headers, resolved against its URL."""
    found = []
    for header in fetched.header_values("Link"):
        for target, params in LINK.findall(header):
            rel = REL.search(params)
            if rel and "redirect_uri" in (rel.group(2) if rel.group(2) is not None else rel.group(1)).split():
                found.append(urljoin(fetched.url, target.strip()))
    return found
