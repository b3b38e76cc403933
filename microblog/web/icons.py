"""The site's icon at /favicon.ico and /favicon.svg, where browsers and feed readers look for it
(made by scripts/favicon.py); cached a day, with an ETag for revalidation."""
from flask import Blueprint, current_app, send_from_directory

from . import routes

ICON_MAX_AGE = 86400

icons = Blueprint("icons", __name__)
routes.declare(icons, routes.ASSET, routes.OWN)  # a day's max-age


@icons.route("/favicon.ico")
def favicon_ico():
    return _icon("favicon.ico")


@icons.route("/favicon.svg")
def favicon_svg():
    return _icon("favicon.svg")


def _icon(name):
    return send_from_directory(current_app.static_folder, name, max_age=ICON_MAX_AGE)
