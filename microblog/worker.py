"""The delivery worker: takes due deliveries from the outbox (service/outbox.py), sends each
with its kind's sender (outbound/deliver.py) on a few threads, and records how it went.

Any number of workers can run against one database: each delivery is taken by one of them
under a lease, and one whose worker died is taken over when its lease runs out.
"""
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from peewee import PeeweeException

from .outbound import deliver
from .service import federation, outbox

NO_BASE_URL = ("PUBLIC_BASE_URL is not set, so no delivery is sent (WebSub pings, Webmentions, "
               "fediverse activities): set it to the site's public URL.")
TIDY_INTERVAL_SECONDS = 60


def policy_of(config):
    return outbox.RetryPolicy(
        base=config["DELIVERY_RETRY_BASE"], cap=config["DELIVERY_RETRY_CAP"], max_age=config["DELIVERY_MAX_AGE"],
        lease=config["DELIVERY_LEASE"], host_failures=config["DELIVERY_HOST_FAILURES"],
        per_host=config["DELIVERY_HOST_CONCURRENCY"], keep_done=config["DELIVERY_KEEP_DONE"])


class Worker:
    """Runs until stop() is called (from a signal handler or another thread)."""

    def __init__(self, app):
        config = app.config
        self.app, self.policy = app, policy_of(config)
        self.threads, self.poll = config["DELIVERY_THREADS"], config["DELIVERY_POLL_INTERVAL"]
        self.base_url = config["PUBLIC_BASE_URL"]
        self.fetcher = app.extensions["delivery_fetcher"]
        self.stopping = threading.Event()
        self.in_flight = threading.Semaphore(self.threads)
        self.last_tidy = 0.0
        self.signer = None

    def stop(self, *_signal):
        self.stopping.set()

    def run(self):
        if not self.base_url:
            self.app.logger.warning(NO_BASE_URL)
            self.stopping.wait()
            return
        with ThreadPoolExecutor(self.threads, thread_name_prefix="delivery") as pool:
            while not self.stopping.is_set():
                self._tidy()
                claimed = self._claim()
                for delivery in claimed:
                    pool.submit(self._deliver, delivery)
                if not claimed:
                    self.stopping.wait(self.poll)

    def _claim(self):
        """As many due deliveries as there are idle threads (waiting for one to be idle)."""
        if not self.in_flight.acquire(timeout=self.poll):
            return []
        free = 1
        while self.in_flight.acquire(blocking=False):
            free += 1
        try:
            with self.app.app_context():
                claimed = outbox.claim(self.policy, free)
        except PeeweeException as error:
            self.app.logger.warning("Could not take deliveries: %s", error)
            claimed = []
        for _ in range(free - len(claimed)):
            self.in_flight.release()
        return claimed

    def _deliver(self, delivery):
        try:
            client = deliver.Client(self.fetcher, delivery.uid, self._sign)
            outcome = deliver.send(delivery, client)
            with self.app.app_context():
                if outcome.ok:
                    outbox.delivered(delivery, outcome)
                else:
                    outbox.not_delivered(delivery, outcome, self.policy)
        except Exception:  # the lease runs out and another try is made; the worker goes on
            self.app.logger.exception("Delivery %s: the try could not be completed", delivery.id)
        finally:
            self.in_flight.release()

    def _sign(self, method, url, body=None):
        """Sign a request as the site's ActivityPub actor: its key is read (made, on a new site) at
        the first signed request, so that other kinds of deliveries never wait for it."""
        if self.signer is None:
            with self.app.app_context():
                self.signer = federation.request_signer(self.app.extensions["outbox_settings"].federation())
        return self.signer(method, url, body)

    def _tidy(self):
        if time.monotonic() - self.last_tidy < TIDY_INTERVAL_SECONDS:
            return
        self.last_tidy = time.monotonic()
        try:
            with self.app.app_context():
                outbox.tidy(self.policy)
        except PeeweeException as error:
            self.app.logger.warning("Could not tidy the outbox: %s", error)
