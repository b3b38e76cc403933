"""Webmention's receiving endpoint (W3C Recommendation): a form with `source` and `target`,
checked at once (400 when a URL is not http(s), they are the same, or the target is not one of
this site's public posts), then 202 with a Location where its status is read while the worker
verifies it. Errors are problem documents, as the API's."""
from urllib.parse import urldefrag, urlsplit

from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import BadRequest

from ..service import errors, mentions, posts
from . import routes, urls

bp = Blueprint("webmention", __name__)
routes.declare(bp, routes.API, routes.OWN, paths=["/webmention"])  # never stored: below
MAX_URL = 2_048


@bp.after_request
def _never_stored(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/webmention", methods=["POST"])
def receive():
    request.max_content_length = current_app.config["WEBMENTION_MAX_BODY"]
    source, target = _url("source"), _url("target")
    target = urldefrag(target)[0]
    if urldefrag(source)[0] == target:
        raise BadRequest("source and target are the same URL.")
    post = _post_at(target)
    uid = mentions.receive(source, target, post.id)
    location = urls.webmention_status_path(uid)
    response = jsonify(status="queued", status_url=urls.webmention_status(uid))
    response.status_code = 202
    response.headers["Location"] = location
    return response


@bp.route("/webmention/<uid>", methods=["GET"])
def status(uid):
    """Where a received Webmention stands: queued, accepted, rejected or failed."""
    return jsonify(mentions.status(uid))


def _url(name):
    values = request.form.getlist(name)
    if len(values) != 1 or not values[0].strip():
        raise BadRequest(f"Give one {name} URL.")
    value = values[0].strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadRequest(f"{name} must be an http or https URL.")
    if len(value) > MAX_URL:
        raise BadRequest(f"{name} is longer than {MAX_URL} characters.")
    return value


def _post_at(target):
    """The public post whose page `target` is; a 400 if it is none."""
    prefix = urls.post_link_template().removesuffix("{slug}")
    slug = target[len(prefix):] if target.startswith(prefix) else ""
    try:
        post = posts.get_public_by_slug(slug) if slug else None
    except (errors.NotFound, errors.Gone):
        post = None
    if post is None or urls.post(post.slug) != target:
        raise BadRequest("target is not a public post of this site.")
    return post


def init_app(app):
    app.register_blueprint(bp)
    settings = mentions.Settings(
        need_approval=app.config["MENTIONS_NEED_APPROVAL"], per_source=app.config["WEBMENTION_SOURCE_LIMIT"],
        per_target=app.config["WEBMENTION_TARGET_LIMIT"], window=app.config["WEBMENTION_LIMIT_WINDOW"])
    app.bind_in_every_context(lambda _app: mentions.use(settings))
