"""The worker's senders: each kind of delivery has a module that turns a delivery into
requests; this one picks it, gives it the client, and says how the try went."""
from dataclasses import dataclass

from . import activitypub, webmention, websub
from .fetch import Fetcher, FetchError, Refused, TooLarge
from .outcome import Outcome, outcome_of, short

# a new kind of delivery adds its sender here
SENDERS = {websub.KIND: websub.send, webmention.KIND: webmention.send, webmention.CHECK_KIND: webmention.fetch_source,
           **dict.fromkeys(activitypub.KINDS, activitypub.send)}
DELIVERY_ID_HEADER = "Microblog-Delivery-Id"  # the same on every try: a receiver can tell a repeat


@dataclass(frozen=True)
class Client:
    """The requests of one delivery, through the safe fetcher, each carrying the delivery's id;
    `sign(method, url, body)` gives the headers that sign a request as the site's actor."""

    fetcher: Fetcher
    delivery_uid: str
    sign: object = None

    def post_form(self, url, form):
        """POST `form` URL-encoded to `url`; how it went as an Outcome."""
        answer, failure = _attempt(lambda: self.fetcher.post_form(url, form, {DELIVERY_ID_HEADER: self.delivery_uid}))
        return failure or outcome_of(answer.status)

    def get(self, url, accept):
        """GET `url`, redirects followed: (the answer, None), or (None, why there is none as an Outcome)."""
        return _attempt(lambda: self.fetcher.get(url, accept=accept))

    def post_signed(self, url, body, content_type):
        """POST `body` to `url`, signed; how it went as an Outcome."""
        headers = {DELIVERY_ID_HEADER: self.delivery_uid, **self.sign("POST", url, body)}
        answer, failure = _attempt(lambda: self.fetcher.post(url, body, content_type, headers))
        return failure or outcome_of(answer.status)


def _attempt(request):
    try:
        return request(), None
    except (Refused, TooLarge) as error:  # trying again gets the same
        return None, Outcome(ok=False, permanent=True, detail=short(str(error)))
    except FetchError as error:
        return None, Outcome(ok=False, host_failed=True, detail=short(str(error)))


def send(delivery, client):
    """Make one try of the delivery with its kind's sender."""
    sender = SENDERS.get(delivery.kind)
    if sender is None:
        return Outcome(ok=False, permanent=True, detail=f"no sender for kind {delivery.kind!r}")
    return sender(delivery, client)

