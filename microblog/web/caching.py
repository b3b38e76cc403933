"""Cache headers: a strong ETag, 304 (or 412) on the request's validators, and Cache-Control."""
from flask import current_app, request

# the conditional request headers, as the WSGI environ names them (werkzeug's header lookups
# raise and catch an exception for each one absent)
CONDITIONAL_HEADERS = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE")


def public_caching(response):
    """Public reads: a strong ETag, 304 on a matching validator, and a shared max-age."""
    return cached_as(response, f"public, max-age={current_app.config['CACHE_MAX_AGE']}")


def cached_as(response, cache_control):
    """A strong ETag on a 200, a 304 (or 412) on the request's validators, and `cache_control`
    on a GET's or HEAD's 200 or 304: any other answer, a failed If-Match's 412 or an OPTIONS
    included, is no-cache."""
    reading = request.method in ("GET", "HEAD")
    if reading and response.status_code == 200:
        response.add_etag()
        if any(name in request.environ for name in CONDITIONAL_HEADERS):
            response.make_conditional(request)
            # make_conditional adds a Date; every server (werkzeug's, gunicorn, granian) sends
            # its own, so the app's would be a second one.
            del response.headers["Date"]
    response.headers["Cache-Control"] = cache_control if reading and response.status_code in (200, 304) else "no-cache"
    return response
