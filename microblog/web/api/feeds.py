"""Feeds of the latest public posts: Atom, RSS and JSON Feed, each with ?tag=."""
from flask import current_app
from marshmallow import Schema, fields

from ...service import feeds, posts
from .. import reader_cache, routes, schemas, urls
from ..json_text import json_bytes
from . import Blueprint, http_doc

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


class JsonFeedHub(Schema):
    type = fields.String(metadata={"description": "`WebSub`"})
    url = fields.String()


class JsonFeed(Schema):
    """A JSON Feed 1.1 document (https://www.jsonfeed.org/version/1.1/), `version` first."""

    version = fields.String()
    title = fields.String()
    description = fields.String()
    home_page_url = fields.String()
    feed_url = fields.String()
    language = fields.String()
    authors = fields.List(fields.Nested(JsonFeedAuthor))
    hubs = fields.List(fields.Nested(JsonFeedHub), metadata={"description": "The WebSub hub, when one is set."})
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
        hub=config["WEBSUB_HUB"],
    )


def _latest(args):
    return posts.latest_public(FEED_SIZE, args.get("tag"))


def _links(self_url):
    """WebSub discovery: the hub (when there is one) and the feed's own URL as Link headers."""
    hub = current_app.config["WEBSUB_HUB"]
    return {"Link": (f'<{hub}>; rel="hub", ' if hub else "") + f'<{self_url}>; rel="self"'}


def _xml(document, media_type, self_url):
    return current_app.response_class(document + b"\n", content_type=f"{media_type}; charset=utf-8",
                                      headers=_links(self_url))


@blp.route("/feed.atom", methods=["GET"], operation_id="getAtomFeed")
@reader_cache.query_arguments(blp, schemas.FeedQuery)
@blp.response(200, XML_DOCUMENT, content_type=ATOM, description="Atom 1.0",
              headers={"Link": http_doc.FEED_LINKS})
def atom(args):
    """The latest 50 public posts as Atom 1.0."""
    self_url = urls.feed("atom", args.get("tag"))
    return _xml(feeds.atom(_site(), _latest(args), self_url), ATOM, self_url)


@blp.route("/feed.rss", methods=["GET"], operation_id="getRssFeed")
@reader_cache.query_arguments(blp, schemas.FeedQuery)
@blp.response(200, XML_DOCUMENT, content_type=RSS, description="RSS 2.0",
              headers={"Link": http_doc.FEED_LINKS})
def rss(args):
    """The latest 50 public posts as RSS 2.0."""
    self_url = urls.feed("rss", args.get("tag"))
    return _xml(feeds.rss(_site(), _latest(args), self_url), RSS, self_url)


@blp.route("/feed.json", methods=["GET"], operation_id="getJsonFeed")
@reader_cache.query_arguments(blp, schemas.FeedQuery)
@blp.response(200, JsonFeed, content_type=JSON_FEED, description="JSON Feed 1.1",
              headers={"Link": http_doc.FEED_LINKS})
def json_feed(args):
    """The latest 50 public posts as JSON Feed 1.1."""
    self_url = urls.feed("json", args.get("tag"))
    document = feeds.json_feed(_site(), _latest(args), self_url)
    # in the spec's order (version first), not the app's sorted keys
    return current_app.response_class(json_bytes(document, sort_keys=False), mimetype=JSON_FEED,
                                      headers=_links(self_url))
