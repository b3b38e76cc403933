"""Feeds of the latest public posts: Atom, RSS and JSON Feed, each with ?tag=."""
from flask import current_app, json
from marshmallow import EXCLUDE, Schema, fields

from ...service import feeds, posts
from ...service.posts import PostFilter
from .. import routes, schemas, urls
from . import Blueprint

blp = Blueprint("feeds", __name__, description="Feeds of public posts.")
routes.declare(blp, routes.API, routes.PUBLIC, paths=["/feed."])

FEED_SIZE = 50
ATOM = "application/atom+xml"
RSS = "application/rss+xml"
JSON_FEED = "application/feed+json"
XML_DOCUMENT = {"type": "string", "description": "The feed's XML document."}


class JsonFeedAuthor(Schema):
    name = fields.String()


class JsonFeedAttachment(Schema):
    url = fields.String(metadata={"description": "A photo of the post."})
    mime_type = fields.String(metadata={"description": "Its type, from its URL's extension."})
    title = fields.String(metadata={"description": "Its alt text, when it has one."})


class JsonFeedItem(Schema):
    id = fields.String()
    url = fields.String()
    title = fields.String()
    content_html = fields.String(metadata={"description": "Links and images made absolute."})
    date_published = fields.String(metadata={"format": "date-time"})
    date_modified = fields.String(metadata={"format": "date-time"})
    tags = fields.List(fields.String())
    image = fields.String(metadata={"description": "The post's first photo, when it has one."})
    attachments = fields.List(fields.Nested(JsonFeedAttachment), metadata={
        "description": "The post's photos whose type is known, when there are any."})


class JsonFeed(Schema):
    """A JSON Feed 1.1 document (https://www.jsonfeed.org/version/1.1/), `version` first."""

    version = fields.String()
    title = fields.String()
    description = fields.String()
    home_page_url = fields.String()
    feed_url = fields.String()
    language = fields.String()
    authors = fields.List(fields.Nested(JsonFeedAuthor))
    items = fields.List(fields.Nested(JsonFeedItem))


def _site():
    config = current_app.config
    root = urls.root()
    return feeds.Site(
        base_url=root,
        language=config["SITE_LANGUAGE"],
        title=config["SITE_TITLE"],
        description=config["SITE_DESCRIPTION"] or f"Posts from {config['SITE_TITLE']}",
        author=config["SITE_AUTHOR"] or config["SITE_TITLE"],
        home_url=config["SITE_HOME_URL"] or root,
        post_link_template=config["POST_LINK_TEMPLATE"] or urls.post_link_template(),
        post_id_template=urls.post_id_template(),
    )


def _latest(args):
    return posts.list_public(PostFilter(limit=FEED_SIZE, tag=args.get("tag"))).items


def _xml(document, media_type):
    return current_app.response_class(document, content_type=f"{media_type}; charset=utf-8")


@blp.route("/feed.atom", methods=["GET"], operation_id="getAtomFeed")
@blp.arguments(schemas.FeedQuery, location="query", unknown=EXCLUDE)
@blp.response(200, XML_DOCUMENT, content_type=ATOM, description="Atom 1.0")
def atom(args):
    """The latest 50 public posts as Atom 1.0."""
    return _xml(feeds.atom(_site(), _latest(args), urls.feed("atom", args.get("tag"))), ATOM)


@blp.route("/feed.rss", methods=["GET"], operation_id="getRssFeed")
@blp.arguments(schemas.FeedQuery, location="query", unknown=EXCLUDE)
@blp.response(200, XML_DOCUMENT, content_type=RSS, description="RSS 2.0")
def rss(args):
    """The latest 50 public posts as RSS 2.0."""
    return _xml(feeds.rss(_site(), _latest(args), urls.feed("rss", args.get("tag"))), RSS)


@blp.route("/feed.json", methods=["GET"], operation_id="getJsonFeed")
@blp.arguments(schemas.FeedQuery, location="query", unknown=EXCLUDE)
@blp.response(200, JsonFeed, content_type=JSON_FEED, description="JSON Feed 1.1")
def json_feed(args):
    """The latest 50 public posts as JSON Feed 1.1."""
    document = feeds.json_feed(_site(), _latest(args), urls.feed("json", args.get("tag")))
    # in the spec's order (version first), not the app's sorted keys
    return current_app.response_class(json.dumps(document, sort_keys=False), mimetype=JSON_FEED)
