"""Limits on what one remote server may post to the inboxes: activities per host (the host of
the key that signs them) in ACTIVITYPUB_HOST_RATE, counted where the request limits count."""
import math
import re
from urllib.parse import urlsplit

from flask import current_app, request
from limits import parse_many
from werkzeug.exceptions import TooManyRequests

from .request_limits import ProcessWindows, client_address

KEY_ID = re.compile(r'keyid="([^"]+)"', re.IGNORECASE)


def sender_host():
    """The host named by the signature's key (checked later), else the client's address."""
    signature = request.headers.get("Signature-Input") or request.headers.get("Signature") or ""
    found = KEY_ID.search(signature)
    host = urlsplit(found.group(1)).hostname if found else None
    return host or client_address()


def check_remote_host():
    """429 once the sending host is over its budget."""
    app = current_app
    counters = app.extensions.get("request_limits")
    counters = counters.counters if counters is not None else app.extensions.setdefault(
        "activitypub_windows", ProcessWindows())
    for limit in parse_many(app.config["ACTIVITYPUB_HOST_RATE"]):
        allowed, seconds_left = counters.hit(limit, f"activitypub/{sender_host()}/{limit.key_for()}")
        if not allowed:
            raise TooManyRequests(f"Too many activities from this server ({limit}).",
                                  retry_after=max(1, math.ceil(seconds_left)))
