"""Admin API: every post, hidden, scheduled and deleted included; Bearer access token required."""
import hashlib

from flask import current_app, json, request
from werkzeug.http import quote_etag

from ...service import history, idempotency, posts
from .. import routes, schemas, urls
from ..json_text import json_bytes
from ..pagination import page_response
from . import Blueprint, http_doc, require_access_token

blp = Blueprint("admin", __name__, url_prefix="/api/v1/admin", description="Manage posts.")
routes.declare(blp, routes.API, routes.PRIVATE)
ADMIN_POST = schemas.AdminPost()


blp.before_request(require_access_token)


def strong_etag(response):
    """Lists too carry a strong ETag (of their body); posts already carry their version's."""
    if response.status_code in (200, 201) and response.is_json:
        response.add_etag(overwrite=False)
    return response


blp.versioned_by_etag(strong_etag)


def etag_of(post):
    """A post's ETag: its id, its version (every change increments it) and its creation time
    (so a post that reuses a purged post's id never matches that post's ETags)."""
    return f"p{post.id}v{post.version}t{post.created:%y%m%d%H%M%S%f}"


def if_match():
    """The request's If-Match as a test on the current post, or None when it sent none."""
    if "If-Match" not in request.headers:
        return None
    wanted = request.if_match
    return lambda post: wanted.contains(etag_of(post))


def post_response(post, status=200, **headers):
    """A post as the admin sees it, with its ETag."""
    return json_response(ADMIN_POST.dump(post), status, {"ETag": quote_etag(etag_of(post)), **headers})


def json_response(body, status, headers):
    """A response already serialized (flask-smorest passes it through as it is)."""
    return current_app.response_class(json_bytes(body), status, headers, mimetype="application/json")


@blp.route("/posts", methods=["GET"], operation_id="listAdminPosts")
@blp.bearer()
@blp.arguments(schemas.AdminListQuery, location="query")
@blp.response(200, schemas.AdminPostPage, headers={"Link": http_doc.LINK})
def list_posts(args):
    """Every post, newest first; filter by visibility and deletion."""
    return page_response(posts.list_admin(posts.PostFilter(**args)))


@blp.route("/posts", methods=["POST"], operation_id="createPost")
@blp.bearer()
@blp.arguments(schemas.NoQuery, location="query")
@blp.arguments(schemas.IdempotencyHeaders, location="headers")
@blp.arguments(schemas.PostInput)
@blp.response(201, schemas.AdminPost, headers={"Location": http_doc.LOCATION,
                                               "Idempotent-Replayed": http_doc.IDEMPOTENT_REPLAYED})
@blp.problem(409, "The slug is taken, a request with this Idempotency-Key is still running (or a retry took its key over), or every "
                 "post id (up to 2147483647) is taken.")
def create_post(_args, headers, data):
    """Create a post; 201 with its Location and ETag. With an Idempotency-Key, a retry with
    the same key and body returns the first response and creates nothing."""
    key = headers.get("key")
    if key is None:
        return _created(posts.create_post(data))
    held = idempotency.claim(key, _body_hash(), current_app.config["IDEMPOTENCY_KEY_TTL"])
    if isinstance(held, idempotency.Replay):
        return _replayed(held)
    try:
        post = posts.create_post(data, claim=held)
    except Exception:
        idempotency.release(held)
        raise
    response = _created(post)
    idempotency.record_response(
        key, json.dumps({"body": response.get_json(), "headers": dict(response.headers)}))
    return response


def _created(post):
    return post_response(post, 201, Location=urls.admin_post_path(post.id))


def _replayed(replay):
    """The first response again: as stored, or rebuilt if the first request died before."""
    if replay.response is None:
        response = _created(posts.get_admin(replay.post_id))
    else:
        stored = json.loads(replay.response)
        response = json_response(stored["body"], 201, {
            name: value for name, value in stored["headers"].items() if name in ("Location", "ETag")})
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _body_hash():
    canonical = json.dumps(request.get_json(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@blp.route("/posts/<int:post_id>", methods=["GET"], operation_id="getAdminPost")
@blp.bearer()
@blp.arguments(schemas.NoQuery, location="query")
@blp.response(200, schemas.AdminPost)
@blp.problem(404)
def get_post(_args, post_id):
    """Any post, hidden, scheduled and deleted ones included."""
    return post_response(posts.get_admin(post_id))


@blp.route("/posts/<int:post_id>", methods=["PATCH"], operation_id="updatePost")
@blp.if_match
@blp.bearer()
@blp.arguments(schemas.NoQuery, location="query")
@blp.arguments(schemas.PostPatch)
@blp.response(200, schemas.AdminPost)
@blp.problem(404)
@blp.problem(409, "Deleted post, or slug taken.")
@blp.problem(412, "If-Match names another version: the post changed since it was read.")
def patch_post(_args, changes, post_id):
    """Change some fields; the others are kept. Send If-Match with the ETag you read."""
    return post_response(posts.update_post(post_id, changes, precondition=if_match()))


@blp.route("/posts/<int:post_id>", methods=["PUT"], operation_id="replacePost")
@blp.if_match
@blp.bearer()
@blp.arguments(schemas.NoQuery, location="query")
@blp.arguments(schemas.PostInput)
@blp.response(200, schemas.AdminPost)
@blp.problem(404)
@blp.problem(409, "Deleted post, or slug taken.")
@blp.problem(412, "If-Match names another version: the post changed since it was read.")
def replace_post(_args, data, post_id):
    """Replace the post: omitted fields return to their defaults (the slug is kept)."""
    return post_response(posts.update_post(post_id, data, replace=True, precondition=if_match()))


@blp.route("/posts/<int:post_id>", methods=["DELETE"], operation_id="deletePost")
@blp.if_match
@blp.bearer()
@blp.arguments(schemas.DeleteQuery, location="query")
@blp.response(204)
@blp.problem(404)
@blp.problem(409, "Purge of a post not deleted.")
@blp.problem(412, "If-Match names another version: the post changed since it was read.")
def delete_post(args, post_id):
    """Soft delete (idempotent); with purge=true, remove a deleted post for good."""
    if args["purge"]:
        posts.purge_post(post_id, precondition=if_match())
    else:
        posts.delete_post(post_id, precondition=if_match())


@blp.route("/posts/<int:post_id>/restore", methods=["POST"], operation_id="restorePost")
@blp.if_match
@blp.bearer()
@blp.arguments(schemas.NoQuery, location="query")
@blp.response(200, schemas.AdminPost)
@blp.problem(404)
@blp.problem(412, "If-Match names another version: the post changed since it was read.")
def restore_post(_args, post_id):
    """Undo a soft delete."""
    return post_response(posts.restore_post(post_id, precondition=if_match()))


@blp.route("/posts/<int:post_id>/revisions", methods=["GET"], operation_id="listRevisions")
@blp.bearer()
@blp.arguments(schemas.NoQuery, location="query")
@blp.response(200, schemas.RevisionList)
@blp.problem(404)
def list_revisions(_args, post_id):
    """Every version of the post's title, content and tags, from revision 1 (its creation)."""
    return {"items": history.revisions(post_id)}


@blp.route("/posts/<int:post_id>/revisions/<int:rev>/restore", methods=["POST"],
           operation_id="restoreRevision")
@blp.if_match
@blp.bearer()
@blp.arguments(schemas.NoQuery, location="query")
@blp.response(200, schemas.AdminPost)
@blp.problem(404)
@blp.problem(409, "The post is deleted.")
@blp.problem(412, "If-Match names another version: the post changed since it was read.")
def restore_revision(_args, post_id, rev):
    """Make an old revision current; the restore is itself a new revision."""
    return post_response(posts.restore_revision(post_id, rev, precondition=if_match()))


@blp.route("/changes", methods=["GET"], operation_id="listChanges")
@blp.bearer()
@blp.arguments(schemas.ChangeQuery, location="query")
@blp.response(200, schemas.ChangePage)
def list_changes(args):
    """Every change after `since`, in commit order: what mirrors and static builds sync from."""
    found, next_since = history.changes(args["since"], args["limit"])
    return {"items": found, "next_since": next_since}
