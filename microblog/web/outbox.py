"""The outbox's settings from the app's configuration, bound in every app context (as the
database is), so that a change planned in a request or a command names the right hub, feeds and pages."""
from contextlib import nullcontext
from functools import partial

from flask import appcontext_pushed, has_request_context

from ..service import outbox
from . import urls


def init_app(app):
    app.extensions["outbox_settings"] = outbox.Settings(websub_hub=app.config["WEBSUB_HUB"],
                                                        feed_urls=partial(feed_urls, app),
                                                        post_url=partial(post_url, app))
    appcontext_pushed.connect(_bind, app, weak=False)


def _bind(app, **_extra):
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
