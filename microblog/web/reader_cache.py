"""Public reads answered from a per-process cache of their responses, checked against the
database on every request: an answer is reused only while the change feed has no newer entry
than when it was built and no scheduled post has come due since, so that every worker and every
host answers as if it had built it anew. A hit costs one indexed query; a 304 builds no body,
even for an answer whose body is not kept (too large, or pushed out by others): its
validators outlive it."""
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, g, request
from werkzeug.http import parse_etags, unquote_etag

from ..data.models import utcnow
from ..service import freshness
from . import negotiation

KEPT_HEADERS = ("Content-Type", "ETag", "Last-Modified", "Link", "Cache-Control", "Vary")  # the view's; hooks add the rest
LARGEST_SHARE = 8  # no answer larger than this share of the budget is kept
ENTRY_OVERHEAD = 600  # bytes an entry takes beyond its body, key and headers (measured: objects, dict slot)
VALIDATOR_SHARE = 2048  # validators kept: one for each this many bytes of budget (4,096 for 8 MiB, ~2 MiB)
MIN_VALIDATORS = 64


@dataclass(frozen=True)
class Entry:
    version: tuple | None
    built: datetime
    fresh_until: datetime
    body: bytes | None  # None: only its validators are kept, to answer a revalidation
    headers: tuple
    cost: int

    def holds_at(self, version, now):
        return self.version == version and now < self.fresh_until

    def validators(self):
        return Entry(self.version, self.built, self.fresh_until, None, self.headers, 0)


class ResponseCache:
    """Entries by URL, at most `budget` bytes of them, the least recently used dropped first;
    and apart, the validators of the budget // VALIDATOR_SHARE answers built last, bodies or not."""

    def __init__(self, budget):
        self.budget, self.size = budget, 0
        self._entries, self._lock = OrderedDict(), threading.Lock()
        self._validators, self.most_validators = OrderedDict(), max(MIN_VALIDATORS, budget // VALIDATOR_SHARE)

    def get(self, key):
        """The entry with its body, else one with its validators only, else None."""
        with self._lock:
            for kept in (self._entries, self._validators):
                entry = kept.get(key)
                if entry is not None:
                    kept.move_to_end(key)
                    return entry
            return None

    def put(self, key, entry):
        with self._lock:
            self._validators.pop(key, None)
            self._validators[key] = entry.validators()
            if len(self._validators) > self.most_validators:
                self._validators.popitem(last=False)
            if entry.cost > self.budget // LARGEST_SHARE:
                return
            old = self._entries.pop(key, None)
            self.size += entry.cost - (old.cost if old else 0)
            self._entries[key] = entry
            while self.size > self.budget:
                self.size -= self._entries.popitem(last=False)[1].cost


def init_app(app):
    budget = app.config["READER_CACHE_BYTES"]
    if budget:
        app.extensions["reader_cache"] = ResponseCache(budget)


def install(blueprint):
    """Serve the blueprint's GETs from the cache; call after its other after_request hooks
    are registered (this one then runs before them: it keeps the view's own answer)."""
    blueprint.before_request(_answer_from_cache)
    blueprint.after_request(_keep)


def _answer_from_cache():
    cache = current_app.extensions.get("reader_cache")
    if cache is None or request.method not in ("GET", "HEAD"):
        return None
    g.reader_version, g.reader_now = freshness.reader_version(), utcnow()  # before the view reads
    entry = cache.get(_url_key())
    if entry is None or not entry.holds_at(g.reader_version, g.reader_now) \
            or entry.body is None and not _not_modified(entry):
        g.reader_fresh_until = _fresh_until(g.reader_now)  # here, where a database error is a 503
        return None
    g.reader_cache_hit = True
    if _not_modified(entry):  # a revalidation: 304 with the validators, nothing else to do
        response = current_app.response_class(status=304, headers=[
            (name, value) for name, value in entry.headers if name != "Content-Type"])
    else:
        response = current_app.response_class(entry.body, headers=entry.headers)
    response.headers["Age"] = str(int((g.reader_now - entry.built).total_seconds()))  # for caches downstream
    return response


def _not_modified(entry):
    """The request's only validator is an If-None-Match that names the entry's ETag (compared
    weakly, as RFC 9110 says for If-None-Match); anything else takes the general path."""
    matches = request.headers.get("If-None-Match")
    if not matches or "If-Match" in request.headers or "If-Unmodified-Since" in request.headers:
        return False
    etag = dict(entry.headers).get("ETag")
    return etag is not None and parse_etags(matches).contains_weak(unquote_etag(etag)[0])


def _keep(response):
    if "reader_version" not in g or g.get("reader_cache_hit") or response.status_code != 200 \
            or response.is_streamed:
        return response
    response.add_etag()
    body = response.get_data()
    headers = tuple((name, response.headers[name]) for name in KEPT_HEADERS if name in response.headers)
    key = _url_key()
    cost = len(body) + sum(map(len, key)) + sum(len(name) + len(value) for name, value in headers) + ENTRY_OVERHEAD
    current_app.extensions["reader_cache"].put(key, Entry(
        g.reader_version, g.reader_now, g.reader_fresh_until, body, headers, cost))
    return response


def _url_key():
    """The request's URL as the answer depends on it, scheme and host included (feeds' links
    follow them; one host's answer is never another's), read from the WSGI environ as the
    trusted proxies left it: cheaper than request.url, which quotes and joins it; and whether
    a page or its ActivityPub document was asked for (answers that negotiate vary on Accept)."""
    environ = request.environ
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
    return (environ["wsgi.url_scheme"], host, environ.get("SCRIPT_NAME", ""),
            environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""), negotiation.variant())


def _fresh_until(now):
    """The next scheduled post's publication, and at the latest CACHE_MAX_AGE from now: what an
    edit of the database behind microblog's back changes is seen as late as a shared cache would."""
    latest = now + timedelta(seconds=current_app.config["CACHE_MAX_AGE"])
    due = freshness.unchanged_until(now)
    return latest if due is None else min(due, latest)
