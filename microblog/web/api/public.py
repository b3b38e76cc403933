"""Public reading API: anonymous, cacheable, and never showing a post that is not public."""
from werkzeug.http import http_date

from ...service import posts
from .. import routes, schemas
from ..pagination import page_response
from ..reader_cache import built_before_flask
from . import Blueprint, http_doc

blp = Blueprint("public", __name__, url_prefix="/api/v1", description="Public posts and tags.")
routes.declare(blp, routes.API, routes.PUBLIC, paths=["/api/"])  # every unknown /api/ path too


@blp.route("/posts", methods=["GET"], operation_id="listPosts")
@blp.arguments(schemas.ListQuery, location="query")
@blp.response(200, schemas.PostPage, headers={"Link": http_doc.LINK})
@built_before_flask(dumps=schemas.PostPage, query=schemas.ListQuery, parser=blp.ARGUMENTS_PARSER)
def list_posts(args):
    """Public posts, newest first, a page at a time."""
    return page_response(posts.list_public(posts.PostFilter(**args)))


@blp.route("/posts/<int:post_id>", methods=["GET"], operation_id="getPost")
@blp.arguments(schemas.NoQuery, location="query")
@blp.response(200, schemas.Post, headers={"Last-Modified": http_doc.LAST_MODIFIED})
@blp.problem(404, "No public post has this id.")
@blp.problem(410, "The post was deleted.")
@built_before_flask(dumps=schemas.Post)
def get_post(_args, post_id):
    """One public post by id."""
    return _with_last_modified(posts.get_public(post_id))


@blp.route("/posts/by-slug/<slug>", methods=["GET"], operation_id="getPostBySlug")
@blp.arguments(schemas.NoQuery, location="query")
@blp.response(200, schemas.Post, headers={"Last-Modified": http_doc.LAST_MODIFIED})
@blp.problem(404, "No public post has this slug.")
@blp.problem(410, "The post was deleted.")
@built_before_flask(dumps=schemas.Post)
def get_post_by_slug(_args, slug):
    """One public post by slug."""
    return _with_last_modified(posts.get_public_by_slug(slug))


def _with_last_modified(post):
    """The post and its Last-Modified: its last change, or its publication if later."""
    return post, {"Last-Modified": http_date(max(post.updated, post.publication_time))}


@blp.route("/tags", methods=["GET"], operation_id="listTags")
@blp.arguments(schemas.NoQuery, location="query")
@blp.response(200, schemas.TagCounts)
def list_tags(_args):
    """Tags of public posts with how many public posts carry each."""
    return {"items": posts.public_tags()}
