"""Every error, domain or HTTP, as one RFC 9457 problem+json response."""
from http import HTTPStatus
from urllib.parse import urlsplit, urlunsplit

from flask import current_app, request
from peewee import (
    DataError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    PeeweeException,
)
from playhouse.pool import MaxConnectionsExceeded
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from ..service import errors as service_errors
from ..service.export_format import ImportFormatError
from . import steps
from .json_text import json_bytes
from .site import error_pages

PROBLEM_MIMETYPE = "application/problem+json"
BEARER_CHALLENGE = 'Bearer realm="microblog"'

SERVICE_ERROR_STATUS = {
    service_errors.Invalid: 422,
    service_errors.NotFound: 404,
    service_errors.Gone: 410,
    service_errors.Conflict: 409,
    service_errors.PreconditionFailed: 412,
    service_errors.Throttled: 429,
    service_errors.AuthenticationFailed: 401,
    service_errors.Forbidden: 403,
    service_errors.Refused: 400,
    service_errors.TooLarge: 413,
    service_errors.UnsupportedMedia: 415,
}

JSON_BODY_ERROR = "The request body is not valid JSON."
DETAILS = {
    413: "The request body is larger than this endpoint accepts.",
    415: "This endpoint accepts only application/json request bodies.",
    422: "The request has invalid values; see errors.",
    500: "The server failed to handle this request. It has been logged.",
}


def problem_document(status, detail=None, errors=None):
    """The members of an RFC 9457 problem with this status."""
    phrase = HTTPStatus(status).phrase
    body = {"type": "about:blank", "title": phrase, "status": status, "detail": detail or phrase}
    if errors:
        body["errors"] = errors
    return body


def problem_response(status, detail=None, errors=None, headers=()):
    """A problem+json response; 401s carry the Bearer challenge. On the site's paths a browser
    gets the error as a page instead (site/error_pages.py), so those vary by Accept."""
    if error_pages.wants_page():
        response = error_pages.error_page(status, detail, headers, errors)
    else:
        response = current_app.response_class(
            json_bytes(problem_document(status, detail, errors)), status=status, mimetype=PROBLEM_MIMETYPE
        )
        response.headers.extend(headers)
        if status == 401 and "WWW-Authenticate" not in response.headers:
            response.headers["WWW-Authenticate"] = BEARER_CHALLENGE
    if error_pages.is_site_path():
        response.vary.add("Accept")
    response.headers.setdefault("Cache-Control", "no-cache")  # where no view said (an unrouted path)
    return response


def error_list(messages):
    """webargs' {location: {field: [message]}} as RFC 9457 `errors` members."""
    found = []
    for location, tree in messages.items():
        for path, message in _walk(tree, ()):
            if location == "json":
                found.append({"pointer": "".join("/" + _escape(p) for p in path), "detail": message})
            else:
                found.append({"parameter": ".".join(path) or location, "detail": message})
    return found


def _escape(name):
    """A JSON Pointer reference token (RFC 6901)."""
    return name.replace("~", "~0").replace("/", "~1")


def _walk(tree, path):
    if isinstance(tree, dict):
        for name, subtree in tree.items():
            inner = path if name == "_schema" else path + (str(name),)
            yield from _walk(subtree, inner)
    elif isinstance(tree, (list, tuple)):
        for message in tree:
            yield from _walk(message, path)
    else:
        yield path, str(tree)


def handle_http_exception(error):
    data = getattr(error, "data", None) or {}
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    headers.extend((data.get("headers") or {}).items())
    messages = data.get("messages", {})
    if error.code == 400 and "json" in messages:
        detail = JSON_BODY_ERROR
    elif error.code == 429:
        detail = f"Too many requests from this client (limit: {error.description}); see Retry-After."
    else:
        detail = DETAILS.get(error.code) or error.description
    return problem_response(error.code, detail, error_list(messages), headers)


def handle_service_error(error):
    status = next(SERVICE_ERROR_STATUS[kind] for kind in type(error).__mro__
                  if kind in SERVICE_ERROR_STATUS)
    errors = [{"pointer": f"/{error.field}", "detail": error.detail}] if error.field else None
    headers = {"Retry-After": str(error.retry_after)} if status == 429 else {}
    return problem_response(status, error.detail, errors, headers)


def handle_import_format_error(error):
    errors = [{"line": error.line, "pointer": error.pointer, "detail": error.detail}]
    return problem_response(422, "The import has an invalid line; nothing was imported.", errors)


DATABASE_RETRY_AFTER_SECONDS = 5


def handle_database_error(error):
    """Driver errors as problems that say what happened, never what the driver said."""
    current_app.logger.error("Database error: %r", error)
    if isinstance(error, IntegrityError):
        return problem_response(409, "The change conflicts with data already stored.")
    if isinstance(error, DataError):
        return problem_response(422, "A value does not fit what the database can store.")
    if isinstance(error, (OperationalError, InterfaceError)):
        return problem_response(
            503,
            "The database is not available right now; try again shortly.",
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        )
    return problem_response(500, DETAILS[500])


POOL_RETRY_AFTER_SECONDS = 1


def handle_pool_exhausted(_error):
    """Every pooled connection stayed busy for DB_POOL_TIMEOUT: the server is overloaded."""
    current_app.logger.warning("No database connection became free within DB_POOL_TIMEOUT")
    return problem_response(
        503,
        "The server is busy; try again shortly.",
        headers={"Retry-After": str(POOL_RETRY_AFTER_SECONDS)},
    )


def routing_redirect(response):
    """werkzeug's redirect to a path's one spelling (`//` merged into `/`, a trailing slash
    added) bypasses the error handlers: its Location is made relative (the request's own host
    is nobody's to repeat) and, like any answer no view made, it carries Cache-Control."""
    if isinstance(request.routing_exception, RequestRedirect):
        target = urlsplit(response.headers["Location"])
        response.headers["Location"] = urlunsplit(("", "", target.path, target.query, target.fragment))
        response.headers.setdefault("Cache-Control", "no-cache")
    return response


def init_app(app):
    steps.after_request(app, routing_redirect)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(service_errors.ServiceError, handle_service_error)
    app.register_error_handler(PeeweeException, handle_database_error)
    app.register_error_handler(MaxConnectionsExceeded, handle_pool_exhausted)
    app.register_error_handler(ImportFormatError, handle_import_format_error)
