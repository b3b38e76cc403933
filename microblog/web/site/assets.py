"""The site's own assets (its stylesheet and icon), each served under a name holding a hash of
its content: a changed file gets a new URL, so browsers may keep each version for a year."""
import hashlib
import mimetypes
import os

from flask import Blueprint, abort, current_app

from .. import routes
from ..caching import cached_as

IMMUTABLE = "public, max-age=31536000, immutable"
FILES = {"site.css": "site/site.css", "favicon.svg": "favicon.svg"}  # name → path in static/; the
# icon is the one /favicon.svg serves (scripts/favicon.py draws it)


class Assets:
    """The files read once at start-up: hashed name → (content, media type)."""

    def __init__(self, folder):
        self.names, self.files = {}, {}
        for filename, path in FILES.items():
            with open(os.path.join(folder, path), "rb") as handle:
                content = handle.read()
            stem, extension = os.path.splitext(filename)
            hashed = f"{stem}.{hashlib.sha256(content).hexdigest()[:12]}{extension}"
            self.names[filename] = hashed
            self.files[hashed] = content, mimetypes.guess_type(filename)[0]


bp = Blueprint("site_assets", __name__)  # apart from the pages: no reader cache, no database
routes.declare(bp, routes.ASSET, routes.OWN)  # cached for a year, below


@bp.after_request
def cached_for_a_year(response):
    return cached_as(response, IMMUTABLE)


@bp.route("/assets/<name>")
def asset(name):
    """An asset by its hashed name; an old or unknown name is a 404."""
    found = current_app.extensions["site_assets"].files.get(name)
    if found is None:
        abort(404)
    content, media_type = found
    return current_app.response_class(content, mimetype=media_type)
