"""HTTP blueprints and what they share: strict argument parsing, JSON-only bodies, documented headers."""
import json
from functools import cache

import flask_smorest
from flask import abort, request
from flask_jwt_extended import verify_jwt_in_request
from marshmallow import ValidationError
from webargs.flaskparser import FlaskParser, is_json_request
from webargs.flaskparser import abort as abort_with_messages
from webargs.multidictproxy import MultiDictProxy
from werkzeug.routing import IntegerConverter

from ...data.models import MAX_ID
from .. import schemas
from ..errors import PROBLEM_MIMETYPE
from . import http_doc

BEARER_SECURITY = [{"bearerAuth": []}]
REPEATED = "Give this parameter once."


class StrictParser(FlaskParser):
    """Refuses unknown or repeated query parameters (422), non-JSON bodies (415) and bodies
    that are not strict JSON (400: malformed, NaN, too deeply nested, numbers too long)."""

    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": None,
        "querystring": None,
    }

    def parse(self, argmap, req=None, *, location=None, **kwargs):
        """As webargs parses, but arguments the schema accepts as they come are loaded by the
        schema alone (webargs' proxies, loaders and hooks around it cost as much again as a
        short query's or body's own loading): an empty query for an endpoint that takes none
        (most public reads) is nothing to check; a query or headers of single values are read
        as they are; a JSON body is read as webargs reads it. Whatever the schema refuses, and
        any repeated parameter, goes through webargs, which answers every refusal."""
        if not kwargs.get("validate") and kwargs.get("unknown", self.unknown) == self.unknown:
            if location == "query" and type(argmap) is schemas.NoQuery and not request.environ.get("QUERY_STRING"):
                return {}
            try:
                if location == "query" and self._takes_single_values(argmap) and \
                        all(len(values) == 1 for values in request.args.listvalues()):
                    return argmap.load(request.args.to_dict())
                if location == "headers" and self._takes_single_values(argmap):
                    return argmap.load({key: request.headers[key] for key in self._data_keys(argmap)
                                        if key in request.headers})
                if location == "json":
                    return argmap.load(self.load_json(request, argmap))
            except ValidationError:
                pass
        return super().parse(argmap, req, location=location, **kwargs)

    @staticmethod
    @cache
    def _data_keys(schema):
        """The names a schema's fields are read by."""
        return tuple(field.data_key or name for name, field in schema.fields.items())

    @staticmethod
    @cache
    def _takes_single_values(schema):
        """No field of the schema reads a repeated parameter as a list (webargs' proxy gives those)."""
        return not MultiDictProxy({}, schema).multiple_keys

    def load_json(self, req, schema):
        """The JSON body every endpoint with body arguments requires (422 when none is sent)."""
        if not is_json_request(req):
            if req.content_length or "chunked" in req.headers.get("Transfer-Encoding", ""):
                abort(415)
            raise ValidationError({"_schema": ["A JSON body is required."]})
        body = req.get_data(cache=True)
        if not body.strip():
            raise ValidationError({"_schema": ["A JSON body is required."]})
        try:
            return json.loads(body, parse_constant=_refuse_constant)
        except json.JSONDecodeError as error:
            where = f"{error.msg} at line {error.lineno}, column {error.colno}"
            abort_with_messages(400, messages={"json": [f"Invalid JSON body: {where}."]})
        except (ValueError, RecursionError) as error:
            abort_with_messages(400, messages={"json": [f"Invalid JSON body: {_reason(error)}."]})

    def pre_load(self, location_data, *, schema, req, location):
        if location in ("query", "querystring"):
            repeated = {name for name in req.args if len(req.args.getlist(name)) > 1}
            if repeated:
                raise ValidationError({name: [REPEATED] for name in repeated})
        return location_data


def _reason(error):
    """Why a body that is not a JSON syntax error is refused all the same."""
    if isinstance(error, RecursionError):
        return "nested too deeply"
    if isinstance(error, UnicodeDecodeError):
        return f"not UTF-8 (byte {error.start + 1})"
    return str(error)


def _refuse_constant(name):
    raise ValueError(f"{name} is not JSON")


class StrictIntegerConverter(IntegerConverter):
    """`<int:…>` in URLs: ASCII digits without leading zeros, so each id has one URL. An id
    larger than any id can be is read as 0, which names nothing: the view answers its own 404
    (never a number the database cannot take, and never another route's 405)."""

    regex = r"[1-9][0-9]*"

    def to_python(self, value):
        number = super().to_python(value)
        return number if number <= MAX_ID else 0


def integer_parameter_schema(_converter):
    return {"type": "integer", "minimum": 1, "maximum": MAX_ID}


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint; every route names its OpenAPI operationId and is documented
    with the 429 (unless exempt from request limits) and 503 problems any request can get."""

    ARGUMENTS_PARSER = StrictParser()
    declaration = None  # what the blueprint is (web/routes.py); its public caching is documented
    versioned = False  # every 200 and 201 carries an ETag (versioned_by_etag)

    def route(self, rule, *, operation_id, parameters=None, tags=None, **options):
        """As flask-smorest's; `operation_id` is the stable name generated clients give the
        operation's function (e.g. listPosts -> list_posts)."""
        register = super().route(rule, parameters=parameters, tags=tags, **options)

        def decorate(view):
            http_doc.set_operation_id(view, operation_id)
            self._document_headers(view, options.get("methods", ["GET"]))
            if not getattr(view, "rate_limit_exempt", False):
                http_doc.add_response(view, 429, http_doc.TOO_MANY_REQUESTS)
            http_doc.add_response(view, 503, http_doc.SERVICE_UNAVAILABLE)
            return register(view)

        return decorate

    def _document_headers(self, view, methods):
        """The ETag of every 200 and 201 of a blueprint cached publicly or versioned, and the
        revalidation (If-None-Match, 304) of a publicly cached GET."""
        revalidated = self.declaration is not None and self.declaration.cached_publicly
        responses = getattr(view, "_apidoc", {}).get("response", {}).get("responses", {})
        for status in (200, 201):
            if status in responses and (revalidated or self.versioned):
                http_doc.add_headers(view, status, {"ETag": http_doc.ETAG})
        if revalidated and methods == ["GET"]:
            http_doc.add_parameter(view, http_doc.IF_NONE_MATCH)
            http_doc.add_not_modified(view, keeps=("Link",))

    def versioned_by_etag(self, after_request):
        """Every 200 and 201 carries an ETag (`after_request` adds it)."""
        self.after_request(after_request)
        self.versioned = True

    @staticmethod
    def if_match(view):
        """Document the optional If-Match header the view honours (412 when it names an older
        version); the view reads it itself."""
        http_doc.add_parameter(view, http_doc.IF_MATCH)
        return view

    def arguments(self, schema, **kwargs):
        """As flask-smorest's, with the schema instantiated once here (webargs would make an
        instance of a schema class on every request)."""
        return super().arguments(schema() if isinstance(schema, type) else schema, **kwargs)

    def problem(self, status, description=None):
        """Document an error response of this endpoint as an RFC 9457 problem."""
        return self.alt_response(
            status, schema=schemas.Problem, description=description, content_type=PROBLEM_MIMETYPE
        )

    def bearer(self, description=None):
        """Document an operation as needing a Bearer token, refused with a 401 problem."""

        def decorate(view):
            return self.doc(security=BEARER_SECURITY)(self.problem(401, description)(view))

        return decorate


def require_access_token():
    """A blueprint's before_request: every request needs an access token (but a CORS
    preflight, which carries none)."""
    if request.method != "OPTIONS":
        verify_jwt_in_request()


def require_fresh_token():
    """As require_access_token, with a fresh token: one from a password login within
    JWT_FRESH_LOGIN_EXPIRES, never one made by /auth/refresh."""
    if request.method != "OPTIONS":
        verify_jwt_in_request(fresh=True)
