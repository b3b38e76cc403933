"""Admin API: every post, hidden, scheduled and deleted included; Bearer access token required."""
from flask import url_for
from flask_jwt_extended import verify_jwt_in_request

from .. import schemas
from ..pagination import page_response
from ..service import posts
from . import BEARER_SECURITY, Blueprint
from .filters import post_filter

blp = Blueprint("admin", __name__, url_prefix="/api/v1/admin", description="Manage posts.")


@blp.before_request
def require_access_token():
    verify_jwt_in_request()


@blp.after_request
def strong_etag(response):
    """Every post (or page of posts) sent to the admin carries a strong ETag of its body."""
    if response.status_code in (200, 201) and response.is_json:
        response.add_etag()
    return response



@blp.route("/posts", methods=["GET"])
@blp.doc(security=BEARER_SECURITY)
@blp.problem(401)
@blp.arguments(schemas.AdminListQuery, location="query")
@blp.response(200, schemas.AdminPostPage)
def list_posts(args):
    """Every post, newest first; filter by visibility and deletion."""
    return page_response(posts.list_admin(post_filter(args)))


@blp.route("/posts", methods=["POST"])
@blp.doc(security=BEARER_SECURITY)
@blp.problem(401)
@blp.arguments(schemas.NoQuery, location="query")
@blp.arguments(schemas.PostInput)
@blp.response(201, schemas.AdminPost)
@blp.problem(409, "The slug is taken.")
def create_post(_args, data):
    """Create a post; 201 with its Location."""
    post = posts.create_post(data)
    return post, {"Location": url_for("admin.get_post", post_id=post.id)}


@blp.route("/posts/<int:post_id>", methods=["GET"])
@blp.doc(security=BEARER_SECURITY)
@blp.problem(401)
@blp.arguments(schemas.NoQuery, location="query")
@blp.response(200, schemas.AdminPost)
@blp.problem(404)
def get_post(_args, post_id):
    """Any post, hidden, scheduled and deleted ones included."""
    return posts.get_admin(post_id)


@blp.route("/posts/<int:post_id>", methods=["PATCH"])
@blp.doc(security=BEARER_SECURITY)
@blp.problem(401)
@blp.arguments(schemas.NoQuery, location="query")
@blp.arguments(schemas.PostPatch)
@blp.response(200, schemas.AdminPost)
@blp.problem(404)
@blp.problem(409, "Deleted post, or slug taken.")
def patch_post(_args, changes, post_id):
    """Change some fields; the others are kept."""
    return posts.update_post(post_id, changes)


@blp.route("/posts/<int:post_id>", methods=["PUT"])
@blp.doc(security=BEARER_SECURITY)
@blp.problem(401)
@blp.arguments(schemas.NoQuery, location="query")
@blp.arguments(schemas.PostInput)
@blp.response(200, schemas.AdminPost)
@blp.problem(404)
@blp.problem(409, "Deleted post, or slug taken.")
def replace_post(_args, data, post_id):
    """Replace the post: omitted fields return to their defaults (the slug is kept)."""
    return posts.update_post(post_id, data, replace=True)


@blp.route("/posts/<int:post_id>", methods=["DELETE"])
@blp.doc(security=BEARER_SECURITY)
@blp.problem(401)
@blp.arguments(schemas.DeleteQuery, location="query")
@blp.response(204)
@blp.problem(404)
@blp.problem(409, "Purge of a post not deleted.")
def delete_post(args, post_id):
    """Soft delete (idempotent); with purge=true, remove a deleted post for good."""
    if args["purge"]:
        posts.purge_post(post_id)
    else:
        posts.delete_post(post_id)


@blp.route("/posts/<int:post_id>/restore", methods=["POST"])
@blp.doc(security=BEARER_SECURITY)
@blp.problem(401)
@blp.arguments(schemas.NoQuery, location="query")
@blp.response(200, schemas.AdminPost)
@blp.problem(404)
def restore_post(_args, post_id):
    """Undo a soft delete."""
    return posts.restore_post(post_id)
