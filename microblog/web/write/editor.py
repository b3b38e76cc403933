"""Writing: a new post, and editing one under If-Match's rule (the form carries the version it
was opened at; a post changed since is shown beside what the writer typed, which is kept).
Preview shows the post as its page will, through the post page's own template."""
from flask import current_app, redirect, render_template, request, url_for

from ...data.models import PostRow, utcnow
from ...service import errors, media, posts
from ...service.content import render_markdown
from ...service.slugs import slugify
from .. import urls
from ..api.admin import etag_of
from ..site.views import post_context
from . import bp, kept_on_refusal
from .forms import TIME_EXAMPLE, PostForm

NOTES = {"draft": "Saved as a draft: readers do not see it.",
         "scheduled": "Saved: readers will see it from its publish time.",
         "undescribed": "Published. Some photos have no alt text yet: describe them below and save.",
         "saved": "Saved."}


@bp.route("", methods=["GET"])
def new_post():
    return _editor(PostForm())


def _sent_form():
    """The form as sent, with the photo chosen in it (if any) stored through the media service
    and added with its alt text; an image refused is a problem at the Photo field."""
    form = PostForm.from_request(request.form)
    chosen = request.files.get("photo")
    if chosen is not None and chosen.filename:
        settings = media.MediaSettings.from_config(current_app.config)
        try:
            item = media.store(chosen.stream.read(settings.max_bytes + 1), settings)
        except (errors.TooLarge, errors.UnsupportedMedia) as error:
            form.problems["photo"] = error.detail
        else:
            form.photos.append({"url": urls.media(item.filename), "alt": request.form.get("new_photo_alt", "")})
    return form


@bp.route("", methods=["POST"])
def publish():
    form = _sent_form()
    fields = form.fields()
    if fields is None:
        return _editor(form, status=422)
    if request.form.get("action") == "preview":
        return _editor(form, preview=fields)
    try:
        post = posts.create_post(fields)
    except errors.Conflict as error:
        form.problems[error.field or "content"] = error.detail
        return _editor(form, status=409)
    return _after_saving(post, form)


@bp.route("/posts/<int:post_id>", methods=["GET"])
def edit(post_id):
    post = posts.get_admin(post_id)
    return _editor(PostForm.of_post(post), post=post, note=NOTES.get(request.args.get("saved")))


@bp.route("/posts/<int:post_id>", methods=["POST"])
def save(post_id):
    post = posts.get_admin(post_id)
    form = _sent_form()
    fields = form.fields()
    if fields is None:
        return _editor(form, post=post, version=request.form.get("version"), status=422)
    if request.form.get("action") == "preview":
        return _editor(form, post=post, version=request.form.get("version"), preview=fields)
    opened_at = request.form.get("version", "")
    try:
        saved = posts.update_post(post_id, fields, replace=True, precondition=lambda current: etag_of(current) == opened_at)
    except errors.PreconditionFailed:
        current = posts.get_admin(post_id)
        return _editor(form, post=current, conflict=PostForm.of_post(current), status=409)
    except errors.Conflict as error:
        form.problems[error.field or "content"] = error.detail
        return _editor(form, post=post, version=opened_at, status=409)
    return _after_saving(saved, form)


def _after_saving(post, form):
    """To the post's page when readers see it now and every photo has alt text; else back to its
    editor, saying why readers do not see it, or which photos still need alt text."""
    now = utcnow()
    if post.is_public(now) and not form.undescribed():
        return redirect(url_for("site.post", slug=post.slug), 303)
    if post.is_public(now):
        return redirect(url_for("write.edit", post_id=post.id, saved="undescribed"), 303)
    note = "scheduled" if post.visible else "draft"  # a deleted post cannot be saved
    return redirect(url_for("write.edit", post_id=post.id, saved=note), 303)


def _editor(form, post=None, version=None, preview=None, conflict=None, note=None, problem=None, status=200):
    """The editor: a new post's, or an existing post's (its version, unless one is given, the
    post's current), with a preview, a conflict or a note above the form."""
    context = {"form": form, "stored": post, "version": version or (etag_of(post) if post else None),
               "conflict": conflict, "note": note, "problem": problem, "time_example": TIME_EXAMPLE,
               "heading": "Edit post" if post else "New post"}
    if preview is None:
        return render_template("write/editor.html", **context), status
    return render_template("write/preview.html", **context, **post_context(_preview_row(preview, post)),
                           responses=None), status  # readers' responses are not the writer's to preview


def _preview_row(fields, post):
    """The post as it would be once saved, for the post page's template (nothing is stored)."""
    now = utcnow()
    created = post.created if post else now
    return PostRow(
        id=post.id if post else 0, title=fields["title"], content=fields["content"],
        content_html=render_markdown(fields["content"]), tags=fields["tags"], photos=fields["photos"],
        slug=fields.get("slug") or (post.slug if post else slugify(fields["title"] or fields["content"])),
        visible=fields["visible"], publish_at=fields["publish_at"],
        publication_time=fields["publish_at"] or created, created=created,
        edited=now if post else None, deleted=None, updated=now, version=post.version if post else 1,
        public_when_deleted=False)


def _kept(problem, post_id=None):
    """A refused form (its token failed) shown again with what was typed; nothing is saved."""
    form = PostForm.from_request(request.form)  # a photo chosen is not stored: the form was refused
    post = posts.get_admin(post_id) if post_id is not None else None
    return _editor(form, post=post, version=request.form.get("version"), problem=problem, status=400)


kept_on_refusal.update({"write.publish": _kept, "write.save": _kept})
