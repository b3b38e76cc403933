"""The app's one safe fetcher (microblog/outbound/fetch.py), set up from the configuration."""
from flask import current_app

from ..outbound.fetch import Fetcher

LOOPBACK_WARNING = ("OUTBOUND_ALLOW_LOOPBACK is on: the server fetches loopback addresses on any port. "
                    "It is for tests alone; turn it off.")


def init_app(app):
    site = app.config["PUBLIC_BASE_URL"] or app.config["SITE_TITLE"]
    user_agent = f"microblog/{app.config['API_VERSION']} (+{site})"
    app.extensions["fetcher"] = Fetcher(user_agent, allow_loopback=app.config["OUTBOUND_ALLOW_LOOPBACK"])


def fetch(url, accept="*/*"):
    return current_app.extensions["fetcher"].get(url, accept=accept)
