"""The app's one safe fetcher (microblog/outbound/fetch.py), set up from the configuration: for
fetches made in a request, and for the delivery worker's requests (its own time limits)."""
from flask import current_app

from ..outbound.fetch import Fetcher

LOOPBACK_WARNING = ("OUTBOUND_ALLOW_LOOPBACK is on: the server fetches loopback addresses on any port. "
                    "It is for tests alone; turn it off.")


def init_app(app):
    site = app.config["PUBLIC_BASE_URL"] or app.config["SITE_TITLE"]
    user_agent = f"microblog/{app.config['API_VERSION']} (+{site})"
    app.extensions["fetcher"] = Fetcher(user_agent, allow_loopback=app.config["OUTBOUND_ALLOW_LOOPBACK"])
    app.extensions["delivery_fetcher"] = Fetcher(
        user_agent, allow_loopback=app.config["OUTBOUND_ALLOW_LOOPBACK"], time_limit=app.config["DELIVERY_TIMEOUT"],
        connect_timeout=app.config["DELIVERY_CONNECT_TIMEOUT"])


def fetch(url, accept="*/*"):
    return current_app.extensions["fetcher"].get(url, accept=accept)
