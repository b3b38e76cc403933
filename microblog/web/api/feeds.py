"""Feeds of the latest public posts: Atom, RSS and JSON Feed, each with ?tag=."""
from urllib.parse import urlencode

from flask import current_app, json, request
from marshmallow import EXCLUDE

from ...service import feeds, posts
from ...service.posts import PostFilter
from .. import schemas
from . import Blueprint, public_caching

blp = Blueprint("feeds", __name__, description="Feeds of public posts.")
blp.after_request(public_caching)

FEED_SIZE = 50
ATOM = "application/atom+xml"
RSS = "application/rss+xml"
JSON_FEED = "application/feed+json"


def _site():
    config = current_app.config
    base = config["PUBLIC_BASE_URL"] or request.host_url
    base = base.rstrip("/") + "/"
    return feeds.Site(
        title=config["SITE_TITLE"],
        description=config["SITE_DESCRIPTION"] or f"Posts from {config['SITE_TITLE']}",
        author=config["SITE_AUTHOR"] or config["SITE_TITLE"],
        home_url=config["SITE_HOME_URL"] or base,
        post_link_template=config["POST_LINK_TEMPLATE"] or base + "posts/{slug}",  # the post's page
        post_id_template=base + "api/v1/posts/{id}",
    )


def _latest(args):
    return posts.list_public(PostFilter(limit=FEED_SIZE, tag=args.get("tag"))).items


def _self_url(args):
    """The feed's canonical URL: its path and, if any, its tag (other parameters dropped)."""
    base = (current_app.config["PUBLIC_BASE_URL"] or request.host_url).rstrip("/")
    query = f"?{urlencode({'tag': args['tag']})}" if args.get("tag") else ""
    return base + request.path + query


def _xml(document, media_type):
    return current_app.response_class(document, content_type=f"{media_type}; charset=utf-8")


@blp.route("/feed.atom", methods=["GET"])
@blp.arguments(schemas.FeedQuery, location="query", unknown=EXCLUDE)
@blp.response(200, content_type=ATOM, description="Atom 1.0")
def atom(args):
    """The latest 50 public posts as Atom 1.0."""
    return _xml(feeds.atom(_site(), _latest(args), _self_url(args)), ATOM)


@blp.route("/feed.rss", methods=["GET"])
@blp.arguments(schemas.FeedQuery, location="query", unknown=EXCLUDE)
@blp.response(200, content_type=RSS, description="RSS 2.0")
def rss(args):
    """The latest 50 public posts as RSS 2.0."""
    return _xml(feeds.rss(_site(), _latest(args), _self_url(args)), RSS)


@blp.route("/feed.json", methods=["GET"])
@blp.arguments(schemas.FeedQuery, location="query", unknown=EXCLUDE)
@blp.response(200, content_type=JSON_FEED, description="JSON Feed 1.1")
def json_feed(args):
    """The latest 50 public posts as JSON Feed 1.1."""
    document = feeds.json_feed(_site(), _latest(args), _self_url(args))
    return current_app.response_class(json.dumps(document), mimetype=JSON_FEED)
