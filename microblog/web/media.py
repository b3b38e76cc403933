"""Uploaded images served at /media/<key>.<extension>, from the database, with their real type.

A key names one image's bytes for good (an import never changes them), so an answer may be
kept a year and revalidated by the key alone, without reading the bytes to hash them.
"""
import re

from flask import Blueprint, abort, current_app

from ..service import media
from . import routes
from .caching import cached_as
from .site.assets import IMMUTABLE

FILENAME = re.compile(rf"({media.KEY_PATTERN})\.([a-z]+)")

bp = Blueprint("media", __name__)
routes.declare(bp, routes.ASSET, routes.OWN, paths=["/media/"])  # cached for a year, below


@bp.after_request
def cached_for_a_year(response):
    return cached_as(response, IMMUTABLE)


@bp.route("/media/<name>")
def serve(name):
    """An image by key and extension; an unknown key, or another extension, is a 404."""
    found = FILENAME.fullmatch(name)
    if found is None:
        abort(404)
    item, data = media.get(found[1])
    if item.filename != name:
        abort(404)
    response = current_app.response_class(data, mimetype=item.media_type)
    response.set_etag(item.key)
    return response
