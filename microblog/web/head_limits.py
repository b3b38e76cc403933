"""Limits on a request's head (request line, header fields), answered as 414 and 431 problems,
and its Host, which pages, feeds and the reader cache's keys are built from (400 without one).

The app enforces them on every server, so that granian (whose own answers beyond its limits
have no body) and gunicorn answer alike; gunicorn.conf.py gives gunicorn the same numbers.
"""
from urllib.parse import quote

from flask import request
from werkzeug.exceptions import BadRequest, RequestHeaderFieldsTooLarge, RequestURITooLarge

from . import steps

MAX_REQUEST_LINE = 4094  # bytes of "METHOD target HTTP/1.1"
MAX_HEADER_FIELD = 8190  # bytes of one "Name: value" line with its CRLF
MAX_HEADER_FIELDS = 100  # granian's fixed limit; enforced by the servers alone (see README)
MAX_HEADER_BYTES = 32 * 1024  # every header field line together

REQUEST_LINE_DETAIL = f"The request line is longer than {MAX_REQUEST_LINE} bytes."
HEADER_FIELDS_DETAIL = (
    f"The request's header fields are too large or too many: at most {MAX_HEADER_FIELDS} "
    f"fields of at most {MAX_HEADER_FIELD} bytes each, {MAX_HEADER_BYTES} bytes in all."
)
# Characters a request target carries as they are; the server hands the app the path decoded.
TARGET_SAFE = "/:@!$&'()*+,;=-._~"


WITHIN_LIMITS = "microblog.head_limits.within"  # environ: within_limits found it so
HOSTLESS_PROTOCOLS = ("HTTP/1.0", "HTTP/1")  # HTTP/1.0 as gunicorn and granian name it: Host optional
HOST_DETAIL = "The request needs a Host header naming this server (a host name or address, and a port)."


def check_request_head():
    """A before_request hook: 414 for a request line, 431 for header fields over the limits,
    400 for a request without a usable Host."""
    environ = request.environ
    if not environ.get(WITHIN_LIMITS):
        if request_line_length(environ) > MAX_REQUEST_LINE:
            raise RequestURITooLarge(REQUEST_LINE_DETAIL)
        sizes = [len(name) + len(": ") + len(value) + len("\r\n") for name, value in request.headers]
        if max(sizes, default=0) > MAX_HEADER_FIELD or sum(sizes) > MAX_HEADER_BYTES:
            raise RequestHeaderFieldsTooLarge(HEADER_FIELDS_DETAIL)
    check_host(environ)


def within_limits(environ):
    """Whether a request passes check_request_head's limits on its line and header fields and
    names a Host, read from its WSGI environ alone (the reader cache's answers before Flask);
    one that does is marked so, and check_request_head counts its fields no second time."""
    if request_line_length(environ) > MAX_REQUEST_LINE:
        return False
    total = 0
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            size = len(key) - len("HTTP_") + len(": \r\n") + len(value)
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            size = len(key) + len(": \r\n") + len(value)
        else:
            continue
        if size > MAX_HEADER_FIELD:
            return False
        total += size
    within = total <= MAX_HEADER_BYTES and ("HTTP_HOST" in environ or environ.get("SERVER_PROTOCOL") in HOSTLESS_PROTOCOLS)
    if within:
        environ[WITHIN_LIMITS] = True
    return within


def check_host(environ):
    """HTTP/1.1 requires a Host (RFC 9112, 3.2: a 400 without one); one that werkzeug finds
    malformed (request.host "") would put `http:///` in every absolute link. An HTTP/1.0
    request without one (a load balancer's health check) is answered for the server's own
    address (SERVER_NAME and SERVER_PORT), as werkzeug falls back to."""
    if "HTTP_HOST" not in environ and environ.get("SERVER_PROTOCOL") not in HOSTLESS_PROTOCOLS:
        raise BadRequest(HOST_DETAIL)
    if not request.host:
        raise BadRequest(HOST_DETAIL)


class EmptyHostAsAbsent:
    """WSGI middleware: granian passes a request without a Host as an empty HTTP_HOST; this
    leaves it out, as gunicorn does and PEP 3333 means (werkzeug then reads the server's address
    for HTTP/1.0, and check_host refuses HTTP/1.1)."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("HTTP_HOST") == "":
            del environ["HTTP_HOST"]
        return self.app(environ, start_response)


def init_app(app):
    app.wsgi_app = EmptyHostAsAbsent(app.wsgi_app)
    steps.before_request(app, check_request_head)


def request_line_length(environ):
    """The request line's length: gunicorn passes the raw target (RAW_URI); granian only its
    decoded path and query, so the path is percent-encoded again to count what was sent."""
    target = environ.get("RAW_URI")
    if target is None:
        path = quote(environ.get("PATH_INFO", "").encode("latin-1"), safe=TARGET_SAFE)
        query = environ.get("QUERY_STRING", "")
        target = f"{path}?{query}" if query else path
    return len(environ["REQUEST_METHOD"]) + len(target) + len(environ["SERVER_PROTOCOL"]) + 2
