"""ActivityPub's HTTP face: WebFinger, NodeInfo, the actor and its collections, each public
post's object, and the inboxes (signed POSTs only). Servers get JSON (application/activity+json);
a browser that follows one of these links gets the page instead."""
import json
from functools import partial
from urllib.parse import urlsplit

from flask import Blueprint, current_app, jsonify, redirect, request
from werkzeug.exceptions import BadRequest, NotFound, RequestEntityTooLarge

from ..outbound.fetch import FetchError
from ..service import federation
from . import federation_limits as limits
from . import negotiation, routes, urls
from .pagination import decode_cursor, encode_cursor

OUTBOX_PAGE = 20
ACTIVITY_JSON = "application/activity+json"
JRD = "application/jrd+json"
NODEINFO_PROFILE = "http://nodeinfo.diaspora.software/ns/schema/2.1"
FETCH_ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'

bp = Blueprint("activitypub", __name__)
routes.declare(bp, routes.API, routes.PUBLIC, paths=["/.well-known/webfinger", "/.well-known/nodeinfo",
                                                     "/nodeinfo/", "/actor", "/ap/"])


def site():
    """The actor's URLs and profile; 404 while PUBLIC_BASE_URL is not set (no stable address)."""
    found = current_app.extensions["outbox_settings"].federation()
    if found is None:
        raise NotFound("This site is not on the fediverse: PUBLIC_BASE_URL is not set.")
    return found


def activity_response(document, status=200):
    response = jsonify(document)
    response.status_code = status
    response.mimetype = ACTIVITY_JSON
    return response


@bp.route("/.well-known/webfinger")
def webfinger():
    resource = request.args.get("resource", "")
    if not resource:
        raise BadRequest("The resource parameter is required.")
    response = jsonify(federation.webfinger(site(), resource))
    response.mimetype = JRD
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.route("/.well-known/nodeinfo")
def nodeinfo_links():
    site()
    return jsonify({"links": [{"rel": NODEINFO_PROFILE, "href": urls.nodeinfo()}]})


@bp.route("/nodeinfo/2.1")
def nodeinfo():
    response = jsonify(federation.nodeinfo(current_app.config["API_VERSION"], site()))
    response.mimetype = "application/json"
    response.headers["Content-Type"] = f'application/json; profile="{NODEINFO_PROFILE}#"'
    return response


@bp.route("/actor")
def actor():
    found = site()
    if not negotiation.wants_activity():
        return _varying(redirect(found.home, 303))
    return _varying(activity_response(federation.actor(found)))


@bp.route("/actor/outbox")
def outbox():
    found = site()
    if "page" not in request.args:
        return activity_response({"@context": federation.CONTEXT, "id": found.outbox, "type": "OrderedCollection",
                                  "totalItems": federation.public_post_count(),
                                  "first": f"{found.outbox}?page=true"})
    cursor = request.args.get("cursor")
    try:
        after = decode_cursor(cursor, searching=False) if cursor else None
    except ValueError:
        raise BadRequest("The cursor is not valid.") from None
    items, next_key = federation.outbox_page(found, after, OUTBOX_PAGE)
    page_id = f"{found.outbox}?page=true" + (f"&cursor={cursor}" if cursor else "")
    document = {"@context": federation.CONTEXT, "id": page_id, "type": "OrderedCollectionPage",
                "partOf": found.outbox, "orderedItems": items}
    if next_key is not None:
        document["next"] = f"{found.outbox}?page=true&cursor={encode_cursor(next_key)}"
    return activity_response(document)


@bp.route("/actor/followers")
def followers():
    return activity_response(federation.followers_collection(site()))


@bp.route("/actor/following")
def following():
    return activity_response(federation.following_collection(site()))


@bp.route("/ap/posts/<int:post_id>/<int:generation>")
def post_object(post_id, generation):
    found = site()
    document = federation.post_object(found, post_id, generation)
    if not negotiation.wants_activity():
        return _varying(redirect(document["url"], 303))
    return _varying(activity_response(document))


def post_as_activity(post_id):
    """A post page's answer to a server: its public object, in its current generation."""
    return _varying(activity_response(federation.post_object(site(), post_id)))


def _varying(response):
    response.vary.add("Accept")
    return response


inbox_bp = Blueprint("activitypub_inbox", __name__)
routes.declare(inbox_bp, routes.API, routes.PRIVATE, paths=["/inbox", "/actor/inbox"])


@inbox_bp.route("/inbox", methods=["POST"], endpoint="shared_inbox")
@inbox_bp.route("/actor/inbox", methods=["POST"], endpoint="actor_inbox")
def inbox():
    """A signed activity: 202 once verified and recorded (deliveries it causes are the worker's)."""
    found = site()
    body = request.get_data(cache=False)
    if len(body) > current_app.config["ACTIVITYPUB_MAX_BODY"]:
        raise RequestEntityTooLarge("The activity is larger than this inbox reads.")
    limits.check_remote_host()
    path = request.script_root + request.full_path.rstrip("?")
    incoming = federation.Incoming(request.method, path, _target_uri(path), request.headers, body)
    outcome = federation.receive(found, incoming, partial(fetch_json, found))
    current_app.logger.info("Inbox: %s", outcome)
    return "", 202


def _target_uri(path):
    """The URL the sender addressed: the public origin (a proxy may have changed the scheme and
    the Host) with the request's path and query."""
    public = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    return f"{public.scheme}://{public.netloc}{path}"


def fetch_json(found, url):
    """A remote ActivityPub document, fetched with a signed GET (servers in authorized-fetch
    mode answer no other) through the safe fetcher."""
    sign = federation.request_signer(found)
    try:
        answer = current_app.extensions["fetcher"].get(url, accept=FETCH_ACCEPT, sign=lambda hop: sign("GET", hop))
    except FetchError as error:
        raise federation.FetchFailed(str(error)) from None
    if answer.status != 200:
        raise federation.FetchFailed(f"{url} answered {answer.status}")
    try:
        document = json.loads(answer.body)
    except (ValueError, RecursionError):
        raise federation.FetchFailed(f"{url} did not answer JSON") from None
    if not isinstance(document, dict):
        raise federation.FetchFailed(f"{url} did not answer a JSON object")
    return document
