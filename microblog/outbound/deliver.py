"""The worker's senders: each kind of delivery has a module that turns a delivery into
requests; this one picks it, gives it the client, and says how the try went."""
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from . import websub

SENDERS = {websub.KIND: websub.send}  # a new kind of delivery adds its sender here
DELIVERY_ID_HEADER = "Microblog-Delivery-Id"  # the same on every try: a receiver can tell a repeat
RETRYABLE_STATUSES = {408, 425, 429}  # and every 5xx; any other answer is the receiver's last word
MAX_DETAIL = 300


@dataclass(frozen=True)
class Outcome:
    """How a try went: delivered, or not, and then whether trying again can help and whether
    the host itself failed (no answer, an error of its own, or "slow down")."""

    ok: bool
    permanent: bool = False
    host_failed: bool = False
    detail: str | None = None


DELIVERED = Outcome(ok=True)


@dataclass(frozen=True)
class Client:
    """The requests one delivery makes: its id on each, the site's User-Agent, time limits."""

    delivery_uid: str
    user_agent: str
    connect_timeout: float
    timeout: float

    def post_form(self, url, form):
        """POST `form` URL-encoded to `url`; the answer's status as an Outcome."""
        headers = {DELIVERY_ID_HEADER: self.delivery_uid, "User-Agent": self.user_agent,
                   "Content-Type": "application/x-www-form-urlencoded"}
        body = urllib.parse.urlencode(form).encode()
        try:
            status = _post(url, body, headers, self.connect_timeout, self.timeout)
        except OSError as error:
            return Outcome(ok=False, host_failed=True, detail=_short(f"no answer: {error}"))
        return outcome_of(status)


def _post(url, body, headers, connect_timeout, timeout):
    """The one call that leaves the process: the status of the answer to a POST."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=min(connect_timeout, timeout)) as response:
            response.read(64 * 1024)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def outcome_of(status):
    if 200 <= status < 300:
        return DELIVERED
    retryable = status >= 500 or status in RETRYABLE_STATUSES
    return Outcome(ok=False, permanent=not retryable, host_failed=retryable, detail=f"answered {status}")


def send(delivery, client):
    """Make one try of the delivery with its kind's sender."""
    sender = SENDERS.get(delivery.kind)
    if sender is None:
        return Outcome(ok=False, permanent=True, detail=f"no sender for kind {delivery.kind!r}")
    return sender(delivery, client)


def _short(text):
    return text if len(text) <= MAX_DETAIL else text[:MAX_DETAIL - 1] + "…"
