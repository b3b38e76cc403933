"""Every post, hidden, scheduled and deleted ones included, in the admin API's pages and filters;
hide or show, delete, restore, purge (after a confirmation), and revisions. Each action names the
version of the post it was shown (If-Match's rule): a post changed since is not touched."""
from flask import redirect, render_template, request, url_for
from marshmallow import ValidationError
from werkzeug.exceptions import BadRequest

from ...data.models import utcnow
from ...service import history, posts
from .. import schemas
from ..api.admin import etag_of
from ..pagination import encode_cursor
from . import bp, writer_path

PAGE_SIZE = 20  # the API's default page
FILTERS = ("q", "tag", "visible", "deleted")  # the admin API's list parameters the filter form sends


@bp.route("/posts", methods=["GET"])
def list_posts():
    """A page of posts as GET /api/v1/admin/posts gives it, with the same filters and cursor."""
    chosen = {name: request.args[name] for name in (*FILTERS, "cursor") if request.args.get(name)}
    scheduled = request.args.get("scheduled") == "on"
    try:
        query = schemas.AdminListQuery().load({**chosen, "limit": str(PAGE_SIZE)})
    except ValidationError as error:
        raise BadRequest("These filters are not valid: " + "; ".join(
            f"{name}: {' '.join(map(str, messages))}" for name, messages in error.messages.items())) from None
    now = utcnow()
    if scheduled:
        query["since"] = now
    page = posts.list_admin(posts.PostFilter(**query))
    kept = {name: value for name, value in chosen.items() if name != "cursor"}
    if scheduled:
        kept["scheduled"] = "on"
    older = url_for("write.list_posts", **kept, cursor=encode_cursor(page.next_key)) if page.next_key else None
    newest = url_for("write.list_posts", **kept) if "cursor" in chosen else None
    return render_template("write/posts.html", page=page, older=older, newest=newest, chosen=chosen,
                           scheduled=scheduled, now=now, here=request.full_path)


def _precondition():
    """The form's version as If-Match's test on the current post."""
    shown = request.form.get("version", "")
    return lambda post: etag_of(post) == shown


def _back():
    """Back to the list as it was shown (a writer's page only), else to the list."""
    return redirect(writer_path(request.form.get("back", ""), url_for("write.list_posts")), 303)


@bp.route("/posts/<int:post_id>/hide", methods=["POST"])
def hide(post_id):
    posts.update_post(post_id, {"visible": False}, precondition=_precondition())
    return _back()


@bp.route("/posts/<int:post_id>/show", methods=["POST"])
def show(post_id):
    posts.update_post(post_id, {"visible": True}, precondition=_precondition())
    return _back()


@bp.route("/posts/<int:post_id>/delete", methods=["POST"])
def delete(post_id):
    posts.delete_post(post_id, precondition=_precondition())
    return _back()


@bp.route("/posts/<int:post_id>/restore", methods=["POST"])
def restore(post_id):
    posts.restore_post(post_id, precondition=_precondition())
    return _back()


@bp.route("/posts/<int:post_id>/purge", methods=["GET"])
def confirm_purge(post_id):
    """The confirmation a purge asks for: what goes, for good."""
    post = posts.get_admin(post_id)
    return render_template("write/purge.html", post=post, version=etag_of(post))


@bp.route("/posts/<int:post_id>/purge", methods=["POST"])
def purge(post_id):
    posts.purge_post(post_id, precondition=_precondition())
    return redirect(url_for("write.list_posts", deleted="only"), 303)


@bp.route("/posts/<int:post_id>/revisions", methods=["GET"])
def revisions(post_id):
    post = posts.get_admin(post_id)
    return render_template("write/revisions.html", post=post, version=etag_of(post),
                           revisions=list(reversed(history.revisions(post_id))))


@bp.route("/posts/<int:post_id>/revisions/<int:rev>/restore", methods=["POST"])
def restore_revision(post_id, rev):
    posts.restore_revision(post_id, rev, precondition=_precondition())
    return redirect(url_for("write.edit", post_id=post_id, saved="saved"), 303)
