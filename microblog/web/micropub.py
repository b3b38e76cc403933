"""The Micropub endpoint (/micropub): a request's syntax (form, multipart, JSON) read into
properties for service/micropub.py, and every answer and error in Micropub's own format."""
import hashlib
import json
import re
from urllib.parse import parse_qsl, urlsplit

from flask import Blueprint, current_app, jsonify, request
from peewee import PeeweeException
from playhouse.pool import MaxConnectionsExceeded
from werkzeug.exceptions import HTTPException, UnsupportedMediaType

from ..service import errors, idempotency, media, micropub, posts
from . import endpoint_urls, routes, token_auth, urls
from . import errors as web_errors

bp = Blueprint("micropub", __name__, url_prefix=endpoint_urls.MICROPUB_PATH)
routes.declare(bp, routes.API, routes.PRIVATE, paths=[endpoint_urls.MICROPUB_PATH])  # no-store, varies by Authorization
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
QUERIES = ("config", "syndicate-to", "source")
POST_SCOPES = ("create", "update", "delete")  # any of them may read a post's source
MULTIPART_FRAMING = 64 * 1024  # a media upload's body beyond its file: boundaries, part headers
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")
ERROR_CODES = {400: "invalid_request", 401: "unauthorized", 403: "forbidden", 429: "temporarily_unavailable",
               500: "server_error", 503: "temporarily_unavailable"}  # OAuth's words past Micropub's
SERVICE_ERROR_STATUS = {errors.NotFound: 400, errors.Invalid: 400, errors.Conflict: 400, errors.Gone: 400,
                        errors.PreconditionFailed: 412, errors.AuthenticationFailed: 401,
                        errors.Forbidden: 403, errors.Throttled: 429, errors.TooLarge: 413,
                        errors.UnsupportedMedia: 415}


token_auth.install(bp)


def micropub_error(status, description, code=None, headers=()):
    """Micropub's error: JSON {"error", "error_description"} with the HTTP status."""
    response = token_auth.error_response(token_auth.MicropubError(
        status, code or ERROR_CODES.get(status, "invalid_request"), description))
    response.headers.extend(headers)
    return response


@bp.errorhandler(HTTPException)
def _http_error(error):
    headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
    return micropub_error(error.code, error.description, headers=headers)


@bp.errorhandler(errors.ServiceError)
def _service_error(error):
    status = next(SERVICE_ERROR_STATUS[kind] for kind in type(error).__mro__ if kind in SERVICE_ERROR_STATUS)
    headers = {"Retry-After": str(error.retry_after)} if status == 429 else {}
    code = getattr(error, "code", None) or ("precondition_failed" if status == 412 else None)
    return micropub_error(status, error.detail, code, headers)


@bp.errorhandler(PeeweeException)
@bp.errorhandler(MaxConnectionsExceeded)
def _database_error(error):
    """The app's answer to a database error (logged, 409/422/503 with Retry-After), in Micropub's format."""
    problem = (web_errors.handle_pool_exhausted if isinstance(error, MaxConnectionsExceeded)
               else web_errors.handle_database_error)(error)
    headers = [(name, value) for name, value in problem.headers if name == "Retry-After"]
    return micropub_error(problem.status_code, problem.get_json()["detail"], headers=headers)


@bp.before_request
def _allow_uploads():
    """A multipart body carries files: one image at the media endpoint (MAX_MEDIA_BYTES and
    the multipart framing around it), photos with a create (MAX_MICROPUB_BYTES)."""
    if request.mimetype == "multipart/form-data":
        request.max_content_length = (current_app.config["MAX_MEDIA_BYTES"] + MULTIPART_FRAMING
                                      if request.endpoint == "micropub.upload" else
                                      current_app.config["MAX_MICROPUB_BYTES"])


@bp.post("/media")
def upload():
    """The media endpoint: one multipart part named `file`, an image, stored; 201 with its URL."""
    token_auth.require("media")
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMediaType("Send the file as multipart/form-data, in a part named file.")
    files = request.files.getlist("file")
    if len(files) != 1:
        return micropub_error(400, "Send one file, in a part named file.")
    item = media.store(files[0].read(), media.MediaSettings.from_config(current_app.config))
    return current_app.response_class(status=201, headers={"Location": _media_url(item)})


@bp.get("")
def query():
    """q=config, q=syndicate-to, and q=source&url=…[&properties[]=…]."""
    asked = request.args.get("q")
    if asked not in QUERIES:
        return micropub_error(400, f"Ask q= one of: {', '.join(QUERIES)}.")
    if asked == "source":
        _require_any(POST_SCOPES)
        post = _post_at(request.args.get("url"))
        names = request.args.getlist("properties[]") + request.args.getlist("properties")
        return jsonify(micropub.source(post, names, urls.post(post.slug)))
    token_auth.authenticate()
    if asked == "syndicate-to":
        return jsonify({"syndicate-to": []})
    return jsonify({"media-endpoint": urls.absolute("micropub.upload"), "syndicate-to": [], "q": list(QUERIES)})


@bp.post("")
def act():
    """Create (form, multipart or JSON), or an action: update (JSON), delete, undelete."""
    if request.mimetype == "application/json":
        body = _json_object()
        action, url = body.get("action"), body.get("url")
    elif request.mimetype in FORM_TYPES:
        body = None
        _check_form_encoding()
        action, url = request.form.get("action"), request.form.get("url")
    else:
        raise UnsupportedMediaType("Send application/x-www-form-urlencoded, multipart/form-data or application/json.")
    if action is None:
        token_auth.require("create")
        return _create(*(_json_create(body) if body is not None else _form_create()))
    if action not in ("update", "delete", "undelete"):
        return micropub_error(400, "The action is update, delete or undelete.")
    if action == "update":
        token_auth.require("update")
        if body is None:
            return micropub_error(400, "An update is sent as JSON.")
        return _update(_post_at(url), body)
    token_auth.require("delete")
    post = _post_at(url)
    if action == "delete":
        posts.delete_post(post.id)
    else:
        posts.restore_post(post.id)
    return "", 204


def _create(kind, properties, commands):
    key = request.headers.get("Idempotency-Key")
    max_length = current_app.config["MAX_POST_LENGTH"]
    if key is None:
        return _created(micropub.create(kind, properties, commands, max_length, _media_store()))
    if not IDEMPOTENCY_KEY.fullmatch(key):
        return micropub_error(400, "An Idempotency-Key is 1 to 255 printable ASCII characters.")
    held = idempotency.claim(key, _request_hash(kind, properties, commands),
                             current_app.config["IDEMPOTENCY_KEY_TTL"])
    if isinstance(held, idempotency.Replay):
        response = _created(posts.get_admin(held.post_id))
        response.headers["Idempotent-Replayed"] = "true"
        return response
    try:
        post = micropub.create(kind, properties, commands, max_length, _media_store(), claim=held)
    except Exception:
        idempotency.release(held)
        raise
    response = _created(post)
    idempotency.record_response(key, json.dumps({"body": None, "headers": {"Location": response.location}}))
    return response


def _created(post):
    return current_app.response_class(status=201, headers={"Location": urls.post(post.slug)})


def _update(post, body):
    operations = {}
    for name in ("replace", "add", "delete"):
        value = body.get(name, [] if name == "delete" else {})
        if name != "delete" and not isinstance(value, dict):
            return micropub_error(400, f"`{name}` is an object of property names and arrays of values.")
        if name == "delete" and not isinstance(value, (dict, list)):
            return micropub_error(400, "`delete` is an array of property names, or an object of values to remove.")
        if isinstance(value, dict) and not all(isinstance(values, list) for values in value.values()):
            return micropub_error(400, f"Each property in `{name}` has an array of values.")
        if isinstance(value, list) and not all(isinstance(item, str) for item in value):
            return micropub_error(400, "`delete` names properties as strings.")
        operations[name] = value
    if not any(operations.values()):
        return micropub_error(400, "An update carries replace, add or delete.")
    micropub.update(post.id, operations["replace"], operations["add"], operations["delete"],
                    current_app.config["MAX_POST_LENGTH"])
    return "", 204


def _json_object():
    """The body as a JSON object: strict JSON (no NaN), nested within the parser's limit."""
    try:
        body = json.loads(request.get_data(cache=True), parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise errors.Invalid("The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise errors.Invalid("The body is a JSON object.")
    return body


def _refuse_constant(name):
    raise ValueError(f"{name} is not JSON")


def _json_create(body):
    """(kind, properties, commands) of a JSON create: every value an array, or (as iA Writer
    sends them) a plain value taken as an array of one; `mp-` commands inside the properties
    or beside them."""
    kind = body.get("type", ["h-entry"])
    kind = kind[0] if isinstance(kind, list) and len(kind) == 1 else kind
    if not isinstance(kind, str) or not kind.startswith("h-"):
        raise errors.Invalid('The type is ["h-entry"].')
    properties = body.get("properties", {})
    if not isinstance(properties, dict):
        raise errors.Invalid("`properties` is an object of property names and arrays of values.")
    properties = {name: values if isinstance(values, list) else [values] for name, values in properties.items()}
    commands = {name: values if isinstance(values, list) else [values]
                for name, values in body.items() if name.startswith(micropub.COMMAND_PREFIX)}
    commands.update({name: values for name, values in properties.items() if name.startswith(micropub.COMMAND_PREFIX)})
    return kind[2:], properties, commands


def _form_create():
    """(kind, properties, commands) of a form or multipart create: `name[]` and `name` alike,
    files as Uploads."""
    properties, commands = {}, {}
    for name, value in _form_items():
        target = commands if name.startswith(micropub.COMMAND_PREFIX) else properties
        target.setdefault(name, []).append(value)
    kind = properties.pop("h", ["entry"])
    if len(kind) != 1:
        raise errors.Invalid("Send h once.")
    return kind[0], properties, commands


def _check_form_encoding():
    """A form's names and values are UTF-8 (werkzeug would put U+FFFD in place of what is not)."""
    if request.mimetype == FORM_TYPES[0]:
        try:
            parse_qsl(request.get_data(cache=True).decode(), errors="strict")
        except UnicodeError:
            raise errors.Invalid("The form is not UTF-8 once its %-escapes are decoded.") from None


def _form_items():
    for name, value in request.form.items(multi=True):
        yield name.removesuffix("[]"), value
    for name, upload in request.files.items(multi=True):
        yield name.removesuffix("[]"), micropub.Upload(upload.filename or "", upload.mimetype, upload.read())


def _request_hash(kind, properties, commands):
    """What a retry must repeat for its Idempotency-Key: the create as read, files by digest."""
    def plain(value):
        if isinstance(value, micropub.Upload):
            return {"file": hashlib.sha256(value.data).hexdigest()}
        return value

    canonical = {"h": kind, "properties": {name: [plain(v) for v in values] for name, values in properties.items()},
                 "commands": commands}
    return hashlib.sha256(json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _require_any(scopes):
    """The request's Grant, when its token has one of `scopes`."""
    grant = token_auth.authenticate()
    if not any(grant.allows(scope) for scope in scopes):
        raise token_auth.MicropubError(401, "insufficient_scope", f"The access token lacks a scope of {', '.join(scopes)}.",
                                       "insufficient_scope")
    return grant


def _post_at(url):
    """The post (deleted ones too) whose page is at `url`, on this site's public root (http or
    https alike); invalid_request for any other URL."""
    if not isinstance(url, str) or not url:
        raise errors.Invalid("Send the post's URL in `url`.")
    root, parts = urlsplit(urls.root()), urlsplit(url)
    if (parts.scheme.lower() not in ("http", "https") or parts.netloc.lower() != root.netloc.lower()
            or not parts.path.startswith(root.path)):
        raise errors.Invalid("The URL is not a post of this site.")
    try:
        endpoint, values = current_app.url_map.bind(root.netloc).match(
            "/" + parts.path[len(root.path):], method="GET")
    except HTTPException:
        endpoint = None
    if endpoint != "site.post":
        raise errors.Invalid("The URL is not a post of this site.")
    try:
        return micropub.post_by_slug(values["slug"])
    except errors.NotFound:
        raise errors.Invalid("No post of this site has this URL.") from None


def _media_store():
    return micropub.MediaStore(media.MediaSettings.from_config(current_app.config), _media_url)


def _media_url(item):
    return urls.media(item.filename)
