"""What the OpenAPI document states beyond bodies: conditional request headers, response
headers, and the 304, 429 and 503 answers, as flask-smorest doc entries added to a view.

Entries are written into the view's `_apidoc` (where flask-smorest's decorators keep theirs)
rather than through more decorators, so they cost nothing per request.
"""
from copy import deepcopy

from ..errors import PROBLEM_MIMETYPE

STRING = {"type": "string"}
PROBLEM = {PROBLEM_MIMETYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def header(description, schema=STRING, required=True):
    return {"description": description, "schema": schema, "required": required}


ETAG = header("This representation's version (RFC 9110): send it back in If-None-Match to "
              "revalidate a public read, or in If-Match to change an admin post only if it is "
              "still this version.")
LAST_MODIFIED = header("The post's last change, or its publication if later (HTTP date).")
LINK = header('The next page, `<…&cursor=…>; rel="next"` (RFC 8288; a relative URL). '
              "Absent on the last page.", required=False)
FEED_LINKS = header('WebSub discovery (RFC 8288): `<hub>; rel="hub"` when `WEBSUB_HUB` is set, and '
                    '`<this feed>; rel="self"`, the URL the hub is told of when the feed changes.')
LOCATION = header("The new post's URL in the admin API.")
IDEMPOTENT_REPLAYED = header("`true` when this is the first response to this Idempotency-Key "
                             "again; nothing new was created.", required=False)
CONTENT_DISPOSITION = header('`attachment; filename="microblog-export-<UTC time>.ndjson"`.')
RETRY_AFTER = header("Seconds to wait before trying again.", {"type": "integer", "minimum": 1})

IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "schema": STRING,
    "description": "The ETag of the post as you read it: the request is carried out only if the "
                   "post is still that version, else 412. Without If-Match it is unconditional.",
}
IF_NONE_MATCH = {
    "in": "header",
    "name": "If-None-Match",
    "required": False,
    "schema": STRING,
    "description": "The ETag of a copy you hold: 304 Not Modified, without a body, if it is "
                   "still current.",
}

# not flask-smorest's names (NOT_MODIFIED…), which it registers lazily for every status
NOT_MODIFIED = "NotModified"
TOO_MANY_REQUESTS = "TooManyRequests"
SERVICE_UNAVAILABLE = "ServiceUnavailable"

COMPONENT_RESPONSES = {
    NOT_MODIFIED: {
        "description": "Your copy (If-None-Match) is current; no body.",
        "headers": {"ETag": ETAG},
    },
    TOO_MANY_REQUESTS: {
        "description": "Too many requests from this client (RATELIMIT_READS or "
                       "RATELIMIT_WRITES); see Retry-After.",
        "content": PROBLEM,
        "headers": {"Retry-After": RETRY_AFTER},
    },
    SERVICE_UNAVAILABLE: {
        "description": "The database is not answering or the server is busy; see Retry-After.",
        "content": PROBLEM,
        "headers": {"Retry-After": {**RETRY_AFTER, "required": False}},
    },
}


def register_components(spec):
    """The responses above, under components/responses (views refer to them by name)."""
    for name, response in COMPONENT_RESPONSES.items():
        spec.components.response(name, response)


def _apidoc(view):
    """The view's own doc entries, copied first: wrappers share their inner function's dict."""
    view._apidoc = deepcopy(getattr(view, "_apidoc", {}))
    return view._apidoc


def set_operation_id(view, operation_id):
    _apidoc(view).setdefault("manual_doc", {})["operationId"] = operation_id


def add_parameter(view, parameter):
    _apidoc(view).setdefault("arguments", {}).setdefault("parameters", []).append(parameter)


def _responses(view):
    return _apidoc(view).setdefault("response", {}).setdefault("responses", {})


def add_response(view, status, name):
    """A response by component name; a status the view already documents (with its own words)
    keeps its description and gains that component's headers."""
    responses = _responses(view)
    if status in responses:
        for response in responses[status]:
            if isinstance(response, dict):
                response.setdefault("headers", {}).update(COMPONENT_RESPONSES[name]["headers"])
    else:
        responses[status] = [name]


def add_not_modified(view, keeps):
    """304 with its ETag and those of the 200's documented headers named in `keeps` (those a
    304 still carries: werkzeug drops Last-Modified and the body's headers from it)."""
    responses = _responses(view)
    kept = {name: header for response in responses.get(200, []) if isinstance(response, dict)
            for name, header in response.get("headers", {}).items() if name in keeps}
    if not kept:
        responses[304] = [NOT_MODIFIED]
        return
    headers = {**COMPONENT_RESPONSES[NOT_MODIFIED]["headers"], **kept}
    responses[304] = [{**COMPONENT_RESPONSES[NOT_MODIFIED], "headers": headers, "content_type": None}]


def add_headers(view, status, headers):
    """Headers on a response the view documents already (its body and words are kept)."""
    _responses(view).setdefault(status, []).append({"headers": headers, "content_type": None})
