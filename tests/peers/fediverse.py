"""A remote fediverse server, as a peer for tests, written from the ActivityPub recommendation
and Mastodon's spec/security page (HTTP Signatures, the cavage draft): it serves an actor with
its own RSA key, signs the activities it sends, and keeps (and checks the signatures of) those
it receives. It signs and verifies with `cryptography` directly: nothing of microblog's.
"""
import base64
import hashlib
import json
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.peers.loopback import LoopbackServer

ACTIVITY_JSON = "application/activity+json"


def new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key):
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def sign_request(key, key_id, method, path, host, body=None, date=None, covered=None, digest=True):
    """The headers of a request signed as Mastodon signs: (request-target) host date digest."""
    headers = {"Host": host, "Date": format_datetime(date or datetime.now(timezone.utc), usegmt=True)}
    if body is not None and digest:
        headers["Digest"] = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
    covered = covered or (["(request-target)", "host", "date"] + (["digest"] if "Digest" in headers else []))
    lines = [f"(request-target): {method.lower()} {path}" if name == "(request-target)"
             else f"{name}: {headers[name.title()]}" for name in covered]
    signature = key.sign("\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256())
    headers["Signature"] = (f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(covered)}",'
                            f'signature="{base64.b64encode(signature).decode()}"')
    return headers


def verify_request(public_key_pem, method, path, headers, body):
    """Check a received request as Mastodon does; the reason it fails, or None when it holds."""
    headers = {name.lower(): value for name, value in headers.items()}
    fields = dict(part.split("=", 1) for part in headers.get("signature", "").split(","))
    fields = {name.strip(): value.strip().strip('"') for name, value in fields.items()}
    covered = fields.get("headers", "").split()
    if not {"(request-target)", "host", "date"} <= set(covered) or (body and "digest" not in covered):
        return f"covers too little: {covered}"
    if body:
        expected = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
        if headers.get("digest") != expected:
            return "digest does not match"
    if abs(datetime.now(timezone.utc) - parsedate_to_datetime(headers["date"])) > timedelta(hours=12):
        return "stale date"
    lines = [f"(request-target): {method.lower()} {path}" if name == "(request-target)"
             else f"{name}: {headers[name]}" for name in covered]
    key = serialization.load_pem_public_key(public_key_pem.encode())
    try:
        key.verify(base64.b64decode(fields["signature"]), "\n".join(lines).encode(), padding.PKCS1v15(),
                   hashes.SHA256())
    except InvalidSignature:
        return "signature does not verify"
    return None


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict
    body: bytes

    @property
    def activity(self):
        return json.loads(self.body)


class Fediverse(LoopbackServer):
    """A server on `host` (loopback) with `count` actors (users/u0 …) sharing one inbox."""

    def __init__(self, host="127.0.0.3", name="u0"):
        self.key = new_key()
        self.received, self.fail_next, self.lock = [], [], threading.Lock()
        self.actor_key_override = None  # another key's PEM to publish (a rotated key)
        self.pages = {}  # path → HTML served there (a status's page, say)
        self.delay = 0.0  # seconds each POST is held before its answer (kept as received at once)
        super().__init__(host, {"GET": "serve_get", "POST": "take_post"})
        self.name = name
        self.actor = f"{self.origin}/users/{name}"
        self.key_id = self.actor + "#main-key"
        self.inbox = self.actor + "/inbox"
        self.shared_inbox = f"{self.origin}/inbox"

    def actor_document(self):
        return {"@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
                "id": self.actor, "type": "Person", "preferredUsername": self.name, "inbox": self.inbox,
                "outbox": self.actor + "/outbox", "endpoints": {"sharedInbox": self.shared_inbox},
                "publicKey": {"id": self.key_id, "owner": self.actor,
                              "publicKeyPem": self.actor_key_override or public_pem(self.key)}}

    def serve_get(self, request):
        if request.path == urlsplit(self.actor).path:
            body = json.dumps(self.actor_document()).encode()
            request.send_response(200)
            request.send_header("Content-Type", ACTIVITY_JSON)
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.write(body)
            return
        if request.path in self.pages:
            body = self.pages[request.path].encode()
            request.send_response(200)
            request.send_header("Content-Type", "text/html; charset=utf-8")
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.write(body)
            return
        request.send_response(404)
        request.send_header("Content-Length", "0")
        request.end_headers()

    def take_post(self, request):
        body = self.read_body(request)
        if body is None:
            return
        with self.lock:
            status = self.fail_next.pop(0) if self.fail_next else 202
            if status < 300:
                self.received.append(Received("POST", request.path, dict(request.headers.items()), body))
        time.sleep(self.delay)
        request.send_response(status)
        request.send_header("Content-Length", "0")
        request.end_headers()

    def activities(self, kind=None):
        with self.lock:
            return [item.activity for item in self.received if kind is None or item.activity["type"] == kind]

    def follow(self, target_actor, follow_id=None):
        return {"@context": "https://www.w3.org/ns/activitystreams", "id": follow_id or f"{self.actor}/follows/1",
                "type": "Follow", "actor": self.actor, "object": target_actor}

    def signed(self, path, activity, host="localhost", **options):
        """(body, headers) of `activity` POSTed to `path` on `host`, signed by this server's actor."""
        body = json.dumps(activity).encode()
        key = options.pop("key", self.key)
        key_id = options.pop("key_id", self.key_id)
        headers = sign_request(key, key_id, "POST", path, host, body, **options)
        headers["Content-Type"] = ACTIVITY_JSON
        return body, headers
