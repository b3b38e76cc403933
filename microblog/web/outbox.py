"""The outbox's settings from the app's configuration, bound in every app context (as the
database is), so that a change planned in a request or a command names the right hub, feeds,
pages and ActivityPub actor."""
from contextlib import nullcontext
from functools import partial
from urllib.parse import urlsplit

from flask import current_app, has_request_context
from werkzeug.exceptions import HTTPException

from ..service import federation, outbox, posts
from . import urls


def init_app(app):
    app.extensions["outbox_settings"] = outbox.Settings(websub_hub=app.config["WEBSUB_HUB"],
                                                        feed_urls=partial(feed_urls, app),
                                                        post_url=partial(post_url, app),
                                                        federation=partial(federation_site, app))
    app.bind_in_every_context(_bind)


def _bind(app):
    outbox.use(app.extensions["outbox_settings"])


def feed_urls(app, tag):
    """The absolute URLs of the site's feeds (tag None) or a tag's: none without PUBLIC_BASE_URL.
    Outside a request (a command) they are built as for a request to the site's root."""
    if not app.config["PUBLIC_BASE_URL"]:
        return []
    with _for_the_site(app):
        return [urls.feed(kind, tag) for kind in urls.FEED_ENDPOINTS]


def post_url(app, slug):
    """A post's page (a Webmention's source): None without PUBLIC_BASE_URL."""
    if not app.config["PUBLIC_BASE_URL"]:
        return None
    with _for_the_site(app):
        return urls.post(slug)


def _for_the_site(app):
    """Outside a request (a command, the worker), URLs are built as for a request to the site's root."""
    return nullcontext() if has_request_context() else app.test_request_context()


def federation_site(app):
    """The ActivityPub actor's URLs and profile (federation.Site); None without PUBLIC_BASE_URL,
    since a handle and the ids other servers keep need the site's one stable address."""
    config = app.config
    if not config["PUBLIC_BASE_URL"]:
        return None
    with _for_the_site(app):
        return federation.Site(
            username=config["FEDIVERSE_USERNAME"], host=urlsplit(config["PUBLIC_BASE_URL"]).netloc.lower(),
            name=config["SITE_AUTHOR"] or config["SITE_TITLE"], summary=config["SITE_DESCRIPTION"] or "",
            home=urls.root(), icon=urls.icon(), actor=urls.actor(), inbox=urls.actor_inbox(),
            shared_inbox=urls.shared_inbox(), outbox=urls.actor_outbox(), followers=urls.followers(),
            following=urls.following(), post_url=_in_context(app, urls.post), tag_url=_in_context(app, urls.tag),
            object_url=_in_context(app, urls.activity_object), post_of=_in_context(app, post_of))


def _in_context(app, build):
    def built(*args):
        with _for_the_site(app):
            return build(*args)
    return built


def post_of(url):
    """The id of the post a URL of this site names (its page or its ActivityPub object), or None."""
    root = urls.root()
    if not isinstance(url, str) or not url.startswith(root):
        return None
    try:
        endpoint, values = current_app.url_map.bind("localhost").match("/" + urlsplit(url).path[len(urlsplit(root).path):])
    except HTTPException:
        return None
    if endpoint == "activitypub.post_object":
        return values["post_id"]
    if endpoint == "site.post":
        return posts.public_id_by_slug(values["slug"])
    return None
