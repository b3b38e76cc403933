"""HTTP blueprints and what they share: strict argument parsing, JSON-only bodies, cache headers."""
import flask_smorest
from flask import abort, current_app, request
from webargs.flaskparser import FlaskParser

from .. import schemas
from ..errors import PROBLEM_MIMETYPE

BEARER_SECURITY = [{"bearerAuth": []}]
BODY_METHODS = {"POST", "PUT", "PATCH"}
PRIVATE_PATHS = ("/api/v1/admin/", "/api/v1/auth/")


class StrictParser(FlaskParser):
    """Refuses unknown query parameters as it refuses unknown body fields (422)."""

    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": None,
        "querystring": None,
    }


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = StrictParser()

    def problem(self, status, description=None):
        """Document an error response of this endpoint as an RFC 9457 problem."""
        return self.alt_response(
            status, schema=schemas.Problem, description=description, content_type=PROBLEM_MIMETYPE
        )


def require_json_body():
    """415 for a request body that is not JSON (an empty body is allowed)."""
    has_body = request.content_length or "chunked" in request.headers.get("Transfer-Encoding", "")
    if request.method in BODY_METHODS and has_body and not request.is_json:
        abort(415)


def private_no_store(response):
    """Admin and auth responses, errors included: never cached; they differ by Authorization."""
    if request.path.startswith(PRIVATE_PATHS):
        response.headers["Cache-Control"] = "no-store"
        response.vary.add("Authorization")
    return response


def public_caching(response):
    """Public reads: a strong ETag, 304 on a matching validator, and a shared max-age."""
    if request.method in ("GET", "HEAD") and response.status_code == 200:
        response.add_etag()
        response.make_conditional(request)
        response.cache_control.public = True
        response.cache_control.max_age = current_app.config["CACHE_MAX_AGE"]
    elif response.status_code != 304:
        response.headers["Cache-Control"] = "no-cache"
    return response
