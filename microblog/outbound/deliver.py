"""The worker's senders: each kind of delivery has a module that turns a delivery into
requests; this one picks it, gives it the client, and says how the try went."""
from dataclasses import dataclass

from . import activitypub, websub
from .fetch import Fetcher, FetchError, Refused, TooLarge

SENDERS = {websub.KIND: websub.send,  # a new kind of delivery adds its sender here
           **dict.fromkeys(activitypub.KINDS, activitypub.send)}
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
    """The requests of one delivery, through the safe fetcher, each carrying the delivery's id;
    `sign(method, url, body)` gives the headers that sign a request as the site's actor."""

    fetcher: Fetcher
    delivery_uid: str
    sign: object = None

    def post_form(self, url, form):
        """POST `form` URL-encoded to `url`; how it went as an Outcome."""
        return self._outcome(lambda: self.fetcher.post_form(url, form, {DELIVERY_ID_HEADER: self.delivery_uid}))

    def post_signed(self, url, body, content_type):
        """POST `body` to `url`, signed; how it went as an Outcome."""
        headers = {DELIVERY_ID_HEADER: self.delivery_uid, **self.sign("POST", url, body)}
        return self._outcome(lambda: self.fetcher.post(url, body, content_type, headers))

    def _outcome(self, request):
        try:
            answer = request()
        except (Refused, TooLarge) as error:  # trying again gets the same
            return Outcome(ok=False, permanent=True, detail=_short(str(error)))
        except FetchError as error:
            return Outcome(ok=False, host_failed=True, detail=_short(str(error)))
        return outcome_of(answer.status)


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
