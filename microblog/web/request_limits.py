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
from urllib.parse import urlsplit

from flask import current_app, request
from limits import parse_many
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests
from werkzeug.middleware.proxy_fix import ProxyFix

from . import steps

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
    """Fixed-window counters in a shared store (Redis, Memcached…) through `limits`.

    While the store does not answer, requests are never refused for it: each process counts
    in its own memory instead (so the limits hold per worker, N workers allowing N times
    them), logs one warning, and tries the store again at the first request RETRY_SECONDS
    later; shared counting resumes once it answers, with one more log line."""

    RETRY_SECONDS = 1.0

    def __init__(self, uri, logger):
        self.is_redis = is_redis(uri)
        self.storage = storage_from_string(uri, wrap_exceptions=True, **store_options(uri))
        self.limiter = FixedWindowRateLimiter(self.storage)
        self.fallback = ProcessWindows()
        self.logger, self.where = logger, store_name(uri)
        self.retry_at = None  # monotonic time of the next try while the store is down

    def hit(self, limit, key):
        if self.retry_at is not None and time.monotonic() < self.retry_at:
            return self.fallback.hit(limit, key)
        try:
            if self.limiter.hit(limit, key):
                result = True, 0
            else:
                result = False, self.limiter.get_window_stats(limit, key).reset_time - time.time()
        except StorageError as error:
            if self.retry_at is None:
                self.logger.warning(
                    "Request limits: %s is not answering (%s); this worker counts requests on "
                    "its own until it does.", self.where, error)
            self.retry_at = time.monotonic() + self.RETRY_SECONDS
            return self.fallback.hit(limit, key)
        if self.retry_at is not None:
            self.retry_at = None
            self.logger.warning("Request limits: %s answers again; counting there.", self.where)
        return result

    def available(self):
        """True when the store answers a ping now."""
        try:
            return self.storage.check()
        except StorageError:
            return False


def store_options(uri):
    """Redis clients fail fast and do not retry (their default is 3 tries with up to 10 s of
    back-off, and no timeout at all): a request must not wait on a store that is down. A
    `socket_timeout` or `socket_connect_timeout` in the URI's query still wins."""
    if not is_redis(uri):
        return {}
    from redis.backoff import NoBackoff
    from redis.retry import Retry
    return {"socket_timeout": STORE_TIMEOUT_SECONDS, "socket_connect_timeout": STORE_TIMEOUT_SECONDS,
            "retry": Retry(NoBackoff(), 0)}


STORE_TIMEOUT_SECONDS = 0.5


def is_redis(uri):
    return uri.startswith("redis")  # redis://, rediss://, redis+unix://


def store_name(uri):
    """The store's scheme, host and port, without any password, for log lines."""
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}"


class RequestLimits:
    """The app's two limits, its counters, and the check every request passes first."""

    def __init__(self, config, logger):
        self.reads = parse_many(config["RATELIMIT_READS"])  # e.g. "600 per minute; 10000 per hour"
        self.writes = parse_many(config["RATELIMIT_WRITES"])
        uri = config["RATELIMIT_STORAGE_URI"]
        self.counters = ProcessWindows() if uri.startswith("memory://") else SharedWindows(uri, logger)

    def store_is_redis(self):
        return isinstance(self.counters, SharedWindows) and self.counters.is_redis

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


    def allows_read(self, client):
        """Count a read of this client's (as `check` does); False once it is over a limit."""
        return all(self.counters.hit(limit, f"reads/{client}/{limit.key_for()}")[0] for limit in self.reads)


def per_process_warning(config, workers):
    """What to say at start-up when limits are counted in each process of a production server
    of several workers (None when there is nothing to say)."""
    if (config["RATELIMIT_ENABLED"] and config["RATELIMIT_STORAGE_URI"].startswith("memory://")
            and workers > 1 and config["MICROBLOG_ENV"] != "development"):
        return (f"RATELIMIT_STORAGE_URI is memory://: each of the {workers} workers counts requests "
                f"on its own, so every request limit allows up to {workers} times its number (and "
                "each host as much again); set it to redis://… to share the counts.")
    return None


def client_address():
    """The client's address: the connection's, or the one PROXY_COUNT trusted proxies name."""
    return request.remote_addr or "unknown"


class ForwardedForWarning:
    """Warns once per worker that requests come through a proxy no setting trusts: every client
    then shares the proxy's address, in request limits and login throttling alike."""

    def __init__(self):
        self.warned = False

    def __call__(self):
        if not self.warned and "HTTP_X_FORWARDED_FOR" in request.environ:
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
        steps.before_request(app, ForwardedForWarning())
    if app.config["RATELIMIT_ENABLED"]:
        limits = app.extensions["request_limits"] = RequestLimits(app.config, app.logger)
        steps.before_request(app, limits.check)
