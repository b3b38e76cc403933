"""HTTP Signatures as the fediverse uses them: requests signed the cavage way (draft 12, what
Mastodon sends and expects), and incoming requests checked whether signed the cavage way or by
RFC 9421 (what Mastodon 4.5 sends). RSA keys in PEM; no HTTP here, only the bytes to sign."""
import base64
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

DATE_WINDOW = timedelta(hours=12)  # Mastodon's: a signature older or newer than this is refused
KEY_BITS = 3072
DEFAULT_PORTS = {"http": 80, "https": 443}
_PARAM = re.compile(r'\s*([a-zA-Z]+)\s*=\s*"([^"]*)"\s*(?:,|$)')
_INNER_LIST = re.compile(r'\s*([a-zA-Z0-9_*.-]+)=\(([^)]*)\)((?:;[^,]*)?)\s*(?:,|$)')
_SIG_ITEM = re.compile(r'\s*([a-zA-Z0-9_*.-]+)=:([A-Za-z0-9+/=]*):\s*(?:,|$)')


class SignatureError(Exception):
    """The request's signature is missing, malformed, stale or does not cover what it must."""


def new_key_pair():
    """(private PEM, public PEM) of a new RSA key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


def digest(body):
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def http_date(now):
    """An HTTP date of `now` (naive, in UTC, as microblog keeps times)."""
    return format_datetime(now.replace(tzinfo=timezone.utc), usegmt=True)


def host_of(url):
    """The Host header a request to `url` carries (the port only when not the scheme's own)."""
    parts = urlsplit(url)
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return host if parts.port in (None, DEFAULT_PORTS.get(parts.scheme)) else f"{host}:{parts.port}"


def sign(method, url, key_id, private_pem, now, body=None):
    """The headers that sign a request (Host, Date, Digest for a body, Signature): the cavage
    draft, rsa-sha256, over (request-target), host, date and digest."""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {"Host": host_of(url), "Date": http_date(now)}
    if body is not None:
        headers["Digest"] = digest(body)
    names = ["(request-target)", "host", "date"] + (["digest"] if body is not None else [])
    lines = [f"(request-target): {method.lower()} {target}"] + [f"{name}: {headers[name.title()]}"
                                                               for name in names[1:]]
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    signature = key.sign("\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256())
    headers["Signature"] = (f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(names)}",'
                            f'signature="{base64.b64encode(signature).decode()}"')
    return headers


@dataclass(frozen=True)
class Signed:
    """A request's signature, read and checked for all but the key: `verify(public_pem)` ends it."""

    key_id: str
    message: bytes
    signature: bytes
    algorithm: str
    also: tuple = ()  # other messages the sender may have signed (the Host before a proxy changed it)

    def verify(self, public_pem):
        try:
            key = serialization.load_pem_public_key(public_pem.encode())
        except (ValueError, TypeError):
            return False
        if not isinstance(key, rsa.RSAPublicKey):
            return False
        scheme = (padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64), hashes.SHA512()) \
            if self.algorithm == "rsa-pss-sha512" else (padding.PKCS1v15(), hashes.SHA256())
        for message in (self.message, *self.also):
            try:
                key.verify(self.signature, message, *scheme)
            except InvalidSignature:
                continue
            return True
        return False


def read(method, path, headers, body, now, target_uri):
    """The request's signature (`headers`: a case-insensitive mapping), checked for everything
    but the key; SignatureError when there is none or it falls short. A body must be signed
    through its digest; the time must lie within DATE_WINDOW of `now`. A signed Host may also
    be `target_uri`'s (the public one), should a proxy have changed the Host header."""
    if "Signature-Input" in headers:
        return _read_rfc9421(method, headers, body, now, target_uri)
    if "Signature" not in headers:
        raise SignatureError("The request is not signed.")
    return _read_cavage(method, path, headers, body, now, host_of(target_uri))


def _read_cavage(method, path, headers, body, now, public_host):
    params = dict(_PARAM.findall(headers["Signature"]))
    if not {"keyId", "signature"} <= params.keys():
        raise SignatureError("The Signature header lacks keyId or signature.")
    covered = params.get("headers", "date").lower().split()
    required = {"(request-target)", "host", "date"} | ({"digest"} if method == "POST" else set())
    missing = required - set(covered)
    if missing:
        raise SignatureError(f"The signature does not cover {', '.join(sorted(missing))}.")
    if method == "POST":
        _check_digest(headers.get("Digest"), body)
    _check_time(_parse_date(headers.get("Date")), now)
    lines = []
    for name in covered:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {path}")
        elif name in ("(created)", "(expires)"):
            lines.append(f"{name}: {params.get(name[1:-1], '')}")
        elif name in headers:
            lines.append(f"{name}: {', '.join(value.strip() for value in headers.getlist(name))}")
        else:
            raise SignatureError(f"The signed header {name} is missing.")
    public = [f"host: {public_host}" if line.startswith("host: ") else line for line in lines]
    also = ("\n".join(public).encode(),) if public != lines else ()
    return Signed(params["keyId"], "\n".join(lines).encode(), _b64(params["signature"]),
                  params.get("algorithm", "rsa-sha256").lower(), also)


def _read_rfc9421(method, headers, body, now, target_uri):
    inputs = _INNER_LIST.findall(headers["Signature-Input"])
    signatures = dict(_SIG_ITEM.findall(headers.get("Signature", "")))
    if not inputs or inputs[0][0] not in signatures:
        raise SignatureError("Signature-Input names no signature in Signature.")
    label, components, raw_params = inputs[0]
    names = re.findall(r'"([^"]+)"', components)
    params = dict(re.findall(r';\s*([a-z]+)=("[^"]*"|\d+)', raw_params))
    params = {key: value.strip('"') for key, value in params.items()}
    if "keyid" not in params or "created" not in params:
        raise SignatureError("Signature-Input lacks keyid or created.")
    required = {"@method", "@target-uri"} | ({"content-digest"} if method == "POST" else set())
    if "@target-uri" not in names and {"@authority", "@path"} <= set(names):
        required = required - {"@target-uri"}
    missing = required - set(names)
    if missing:
        raise SignatureError(f"The signature does not cover {', '.join(sorted(missing))}.")
    created = datetime.fromtimestamp(int(params["created"]), timezone.utc).replace(tzinfo=None)
    _check_time(created, now)
    if "expires" in params and datetime.fromtimestamp(int(params["expires"]), timezone.utc).replace(tzinfo=None) < now:
        raise SignatureError("The signature has expired.")
    if method == "POST":
        _check_content_digest(headers.get("Content-Digest"), body)
    parts = urlsplit(target_uri)
    derived = {"@method": method.upper(), "@target-uri": target_uri, "@authority": parts.netloc.lower(),
               "@path": parts.path or "/", "@scheme": parts.scheme, "@query": f"?{parts.query}"}
    lines = []
    for name in names:
        if name in derived:
            lines.append(f'"{name}": {derived[name]}')
        elif name in headers:
            lines.append(f'"{name}": {", ".join(value.strip() for value in headers.getlist(name))}')
        else:
            raise SignatureError(f"The signed component {name} is missing.")
    lines.append(f'"@signature-params": ({components}){raw_params.strip()}')
    algorithm = params.get("alg", "rsa-v1_5-sha256")
    return Signed(params["keyid"], "\n".join(lines).encode(), _b64(signatures[label]), algorithm)


def _check_digest(value, body):
    if not value:
        raise SignatureError("A signed POST must carry a Digest header.")
    found = dict(part.strip().split("=", 1) for part in value.split(",") if "=" in part)
    sha = next((found[name] for name in found if name.upper() == "SHA-256"), None)
    if sha is None or sha != digest(body).split("=", 1)[1]:
        raise SignatureError("The Digest does not match the body.")


def _check_content_digest(value, body):
    match = re.search(r'sha-256=:([A-Za-z0-9+/=]+):', value or "")
    if match is None or match.group(1) != base64.b64encode(hashlib.sha256(body).digest()).decode():
        raise SignatureError("The Content-Digest is missing or does not match the body.")


def _parse_date(value):
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        raise SignatureError("The Date header is missing or not a date.") from None
    return parsed.astimezone(timezone.utc).replace(tzinfo=None) if parsed.tzinfo else parsed


def _check_time(when, now):
    if abs(now - when) > DATE_WINDOW:
        raise SignatureError("The signature's time is too far from now.")


def _b64(text):
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise SignatureError("The signature is not base64.") from None
