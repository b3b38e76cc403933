"""The outbox's settings from the app's configuration, bound in every app context (as the
database is), so that a change planned in a request or a command names the right hub, feeds and pages."""
from functools import partial

from flask import appcontext_pushed

from ..service import outbox
from . import urls
from .api.feeds import feed_urls


def init_app(app):
    settings = outbox.Settings(websub_hub=app.config["WEBSUB_HUB"],
                               feed_urls=partial(feed_urls, app.config["PUBLIC_BASE_URL"]),
                               post_url=partial(urls.post_on, app.config["PUBLIC_BASE_URL"]))
    app.extensions["outbox_settings"] = settings
    appcontext_pushed.connect(_bind, app, weak=False)


def _bind(app, **_extra):
    outbox.use(app.extensions["outbox_settings"])
