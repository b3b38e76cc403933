"""General request limits per client address (Flask-Limiter), and who the client is.

Reads (GET, HEAD) share one budget per client across the whole API; writes have a budget per
endpoint per client. Counters live in RATELIMIT_STORAGE_URI: `memory://` counts per process (so
N workers allow N times the limit); point it at Redis or Memcached to share them. Login
throttling is separate and always in the database (service/throttle.py).
"""
from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix

READ_METHODS = ("GET", "HEAD", "OPTIONS")


def _is_read():
    return request.method in READ_METHODS


def _is_write():
    return not _is_read()


limiter = Limiter(
    get_remote_address,
    application_limits=[lambda: current_app.config["RATELIMIT_READS"]],
    application_limits_exempt_when=_is_write,
    default_limits=[lambda: current_app.config["RATELIMIT_WRITES"]],
    default_limits_exempt_when=_is_read,
    headers_enabled=True,
)


def _retry_after_only_when_refused(response):
    """Flask-Limiter sends Retry-After on every response; it means something on 429/503 only."""
    if response.status_code not in (429, 503):
        response.headers.pop("Retry-After", None)
    return response


def init_app(app):
    """Trust PROXY_COUNT proxies' X-Forwarded-For/-Proto (none by default), then limit."""
    if app.config["PROXY_COUNT"]:
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)
    app.after_request(_retry_after_only_when_refused)  # runs after the limiter's own hook
    limiter.init_app(app)
