"""The reading site: HTML pages of the public posts, rendered on the server (no script)."""
from flask import Blueprint, redirect, render_template, request, url_for
from marshmallow import ValidationError
from webargs.flaskparser import abort as abort_with_messages
from werkzeug.exceptions import BadRequest, NotFound

from ...service import media, mentions, posts
from ...service.fields import TAG_RE, Text
from .. import activitypub, negotiation, routes, urls
from ..api import REPEATED
from ..pagination import decode_cursor, encode_cursor
from ..reader_cache import built_before_flask
from . import meta, skeleton

PAGE_SIZE = 20  # the API's default page
MAX_QUERY_LENGTH = 200  # as the API's `q`
POST_PAGE_SITE_BLOCKS = ("robots", "feeds")  # base.html's blocks that a post page leaves as they are: the site's
bp = Blueprint("site", __name__)
routes.declare(bp, routes.SITE, routes.PUBLIC)  # the API's caching: strong ETag, 304, public max-age, the reader cache
_search_text = Text()


@bp.before_request
def _each_parameter_once():
    """A repeated query parameter (`?q=a&q=b`) is refused as the API refuses it: a 422 naming
    it (an HTML page for a browser); which of the values was meant is nobody's guess."""
    repeated = sorted({name for name in request.args if len(request.args.getlist(name)) > 1})
    if repeated:
        abort_with_messages(422, messages={"query": {name: [REPEATED] for name in repeated}})


@bp.route("/")
def home():
    page = posts.list_public(posts.PostFilter(limit=PAGE_SIZE, after=_after()))
    return _list_page("site/home.html", page, "site.home")


@bp.route("/posts/<slug>")
@built_before_flask()
def post(slug):
    found, responses = mentions.post_page(slug)
    if negotiation.wants_activity():
        return activitypub.post_as_activity(found.id)
    return skeleton.render_page("site/post.html", *post_page_context(found, responses), site_blocks=POST_PAGE_SITE_BLOCKS), \
        {"Vary": "Accept"}  # servers get the post's ActivityPub object here


def post_page_context(post, responses):
    """The post page's context: the site's part (the same for every post) and the page's own."""
    context = post_context(post)
    facts = context["facts"]
    return {"feeds": meta.feeds()}, {**context, "json_ld": meta.blog_posting(post, facts),
                                     "canonical": facts.url, "responses": responses}


def post_context(post):
    """What the post page's article is rendered from (the writer's preview renders it the same way)."""
    return {"post": post, "facts": meta.post_facts(post), "sizes": _photo_sizes([post])}


@bp.route("/tags")
def tags():
    return render_template("site/tags.html", tags=posts.public_tags(), canonical=urls.absolute("site.tags"),
                           feeds=meta.feeds())


@bp.route("/tags/<tag>")
def tag(tag):
    if tag != tag.lower() and TAG_RE.fullmatch(tag.lower()):
        cursor = request.args.get("cursor")
        return redirect(url_for("site.tag", tag=tag.lower(), **({"cursor": cursor} if cursor else {})), 301)
    if not TAG_RE.fullmatch(tag):
        raise NotFound("No tag has this name.")
    page = posts.list_public(posts.PostFilter(limit=PAGE_SIZE, after=_after(), tag=tag))
    return _list_page("site/tag.html", page, "site.tag", tag=tag)


@bp.route("/search")
def search():
    query = _query()
    if query is None:
        return render_template("site/search.html", query="", page=None, canonical=urls.absolute("site.search"),
                               feeds=meta.feeds())
    page = posts.list_public(posts.PostFilter(limit=PAGE_SIZE, after=_after(searching=True), q=query))
    return _list_page("site/search.html", page, "site.search", q=query)


def _list_page(template, page, endpoint, **values):
    """A page of posts with its canonical URL (its cursor included), the link to the next page
    and, past the first, to the newest."""
    cursor = request.args.get("cursor")
    here = {**values, "cursor": cursor} if cursor else values
    older = url_for(endpoint, **values, cursor=encode_cursor(page.next_key)) if page.next_key else None
    newest = url_for(endpoint, **values) if cursor else None
    return render_template(template, page=page, older=older, newest=newest, sizes=_photo_sizes(page.items),
                           canonical=urls.absolute(endpoint, **here), feeds=meta.feeds(values.get("tag")), **values)


def _photo_sizes(shown):
    """{url: MediaItem} of the shown posts' photos that are this site's own images: their width
    and height, so the page does not move as they load (an outside photo's are unknown)."""
    return media.described_by_url([photo["url"] for post in shown for photo in post.photos])


def _after(searching=False):
    """The sort key in `?cursor=` (None without one); a cursor that is not one is a 400."""
    cursor = request.args.get("cursor")
    if cursor is None:
        return None
    try:
        return decode_cursor(cursor, searching)
    except ValueError:
        raise BadRequest("This link to older posts is not valid; start again from the newest.") from None


def _query():
    """The search text of `?q=` (None when empty); too long or with control characters is a 400."""
    try:
        query = _search_text.deserialize(request.args.get("q", ""))
    except ValidationError:
        raise BadRequest("The search text has characters that cannot be searched.") from None
    if len(query) > MAX_QUERY_LENGTH:
        raise BadRequest(f"The search text is longer than {MAX_QUERY_LENGTH} characters.")
    return query or None
