"""General request limits per client address (the `limits` library), and who the client is.

Reads (GET, HEAD, OPTIONS) share one budget per client across the whole API; writes have a
budget per endpoint per client; views marked `exempt` have none. A request over its budget
gets a 429 problem with Retry-After. Counters live in RATELIMIT_STORAGE_URI: `memory://`
counts per process (so N workers allow N times the limit); point it at Redis or Memcached to
share them. Login throttling is separate and always in the database (service/login_throttle.py).

Flask-Limiter did this job before; it spent more time deciding which limits applied to a
request than microblog spends answering a read, so the two rules above are applied here on
the library Flask-Limiter itself builds on. For memory:// the counters are this module's own
(ProcessWindows): the library's memory storage starts a timer thread every 10 ms while it
counts, which cost a busy worker as much as the rest of a read.
"""
import math
import threading
import time

from flask import current_app, request
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests
from werkzeug.middleware.proxy_fix import ProxyFix

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def exempt(view):
    """Mark a view as never limited (health checks)."""
    view.rate_limit_exempt = True
    return view


class ProcessWindows:
    """Fixed-window counters in this process's memory: a window starts at its first hit and
    is forgotten once over (expired windows are swept every SWEEP_EVERY hits)."""

    SWEEP_EVERY = 10_000

    def __init__(self):
        self.windows = {}  # key → (monotonic end of the window, hits in it)
        self.lock = threading.Lock()
        self.hits_before_sweep = self.SWEEP_EVERY

    def hit(self, limit, key):
        """Count one request; (allowed, seconds until its window ends)."""
        now = time.monotonic()
        with self.lock:
            end, hits = self.windows.get(key, (now, 0))
            if end <= now:
                end, hits = now + limit.get_expiry(), 0
            self.windows[key] = end, hits + 1
            self.hits_before_sweep -= 1
            if not self.hits_before_sweep:
                self.windows = {k: window for k, window in self.windows.items() if window[0] > now}
                self.hits_before_sweep = self.SWEEP_EVERY
        return hits < limit.amount, end - now


class SharedWindows:
    """Fixed-window counters in a shared store (Redis, Memcached…) through `limits`."""

    def __init__(self, uri):
        self.limiter = FixedWindowRateLimiter(storage_from_string(uri))

    def hit(self, limit, key):
        if self.limiter.hit(limit, key):
            return True, 0
        return False, self.limiter.get_window_stats(limit, key).reset_time - time.time()


class RequestLimits:
    """The app's two limits, its counters, and the check every request passes first."""

    def __init__(self, config):
        self.reads = parse_many(config["RATELIMIT_READS"])  # e.g. "600 per minute; 10000 per hour"
        self.writes = parse_many(config["RATELIMIT_WRITES"])
        uri = config["RATELIMIT_STORAGE_URI"]
        self.counters = ProcessWindows() if uri.startswith("memory://") else SharedWindows(uri)

    def check(self):
        view = current_app.view_functions.get(request.endpoint)
        if getattr(view, "rate_limit_exempt", False):
            return
        client = client_address()
        if request.method in READ_METHODS:
            limits, key = self.reads, f"reads/{client}"
        else:
            limits, key = self.writes, f"writes/{request.endpoint}/{client}"
        for limit in limits:
            allowed, seconds_left = self.counters.hit(limit, f"{key}/{limit.key_for()}")
            if not allowed:
                raise TooManyRequests(str(limit), retry_after=max(1, math.ceil(seconds_left)))


def client_address():
    """The client's address: the connection's, or the one PROXY_COUNT trusted proxies name."""
    return request.remote_addr or "unknown"


class ForwardedForWarning:
    """Warns once per worker that requests come through a proxy no setting trusts: every client
    then shares the proxy's address, in request limits and login throttling alike."""

    def __init__(self):
        self.warned = False

    def __call__(self):
        if not self.warned and "X-Forwarded-For" in request.headers:
            self.warned = True
            current_app.logger.warning(
                "Requests carry X-Forwarded-For but PROXY_COUNT is 0, so every client behind the "
                "proxy shares its address %s (request limits and login locks apply to all of them): "
                "set PROXY_COUNT to the number of proxies in front of microblog.", request.remote_addr)


def init_app(app):
    """Trust PROXY_COUNT proxies' X-Forwarded-For/-Proto (none by default), then limit."""
    if app.config["PROXY_COUNT"]:
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)
    else:
        app.before_request(ForwardedForWarning())
    if app.config["RATELIMIT_ENABLED"]:
        app.before_request(RequestLimits(app.config).check)
