"""A WebSub hub's publish endpoint, as a peer for tests, written from the WebSub recommendation
(and PubSubHubbub 0.4's publish ping that hubs accept): a POST of
`application/x-www-form-urlencoded` with `hub.mode=publish` and `hub.url=<topic>` is answered
2xx; anything else is a 400. Knows nothing of microblog.

It keeps every ping it accepted (topic, the sender's delivery id header, User-Agent, time), and
can be told to fail the next pings (a status of ours), to take its time answering, or to hold
every answer until pings from a number of senders (told apart by their User-Agent) have come in
(or `hold_timeout` seconds have passed since the first ping).
"""
import threading
import time
from dataclasses import dataclass
from urllib.parse import parse_qs

from tests.peers.loopback import LoopbackServer

DELIVERY_ID_HEADER = "Microblog-Delivery-Id"


@dataclass(frozen=True)
class Ping:
    topic: str
    delivery_id: str | None
    user_agent: str | None
    at: float


class Hub(LoopbackServer):
    """A hub on `host` (a loopback address) and a free port; start() it, stop() it."""

    def __init__(self, host="127.0.0.2"):
        self.pings, self.refused, self.attempts = [], [], 0
        self.fail_next, self.fail_status, self.delay = 0, 503, 0.0
        self.in_flight = self.most_in_flight = 0
        self.senders, self.hold_until_senders, self.hold_timeout, self.first_ping_at = set(), 0, 10.0, None
        self.lock = threading.Lock()
        self.sender_arrived = threading.Condition(self.lock)
        super().__init__(host, {"POST": "answer"})
        self.url = f"{self.origin}/hub"

    def answer(self, request):
        body = self.read_body(request)
        if body is None:
            return
        body = body.decode()
        with self.lock:
            self.attempts += 1
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            failing = self.fail_next > 0
            self.fail_next -= failing
            self.senders.add(request.headers.get("User-Agent"))
            self.sender_arrived.notify_all()
            self.first_ping_at = self.first_ping_at or time.monotonic()
            self.sender_arrived.wait_for(lambda: len(self.senders) >= self.hold_until_senders,
                                         self.first_ping_at + self.hold_timeout - time.monotonic())
        try:
            time.sleep(self.delay)
            form = parse_qs(body, keep_blank_values=True)
            form_encoded = request.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded")
            if failing:
                return self._reply(request, self.fail_status)
            if not form_encoded or form.get("hub.mode") != ["publish"] or len(form.get("hub.url", [])) != 1:
                self.refused.append(body)
                return self._reply(request, 400)
            with self.lock:
                self.pings.append(Ping(form["hub.url"][0], request.headers.get(DELIVERY_ID_HEADER),
                                       request.headers.get("User-Agent"), time.monotonic()))
            return self._reply(request, 204)
        finally:
            with self.lock:
                self.in_flight -= 1

    @staticmethod
    def _reply(request, status):
        request.send_response(status)
        request.send_header("Content-Length", "0")
        request.end_headers()

    def topics(self):
        with self.lock:
            return sorted(ping.topic for ping in self.pings)

    def wait_for(self, count, timeout=10.0):
        """Wait until `count` pings were accepted (or `timeout` seconds); the pings then."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.pings) >= count:
                    break
            time.sleep(0.02)
        with self.lock:
            return list(self.pings)
