"""The OpenAPI document and Swagger UI, served from local assets (no outside network)."""
import os

import flask_smorest
import flask_swagger_ui
from flask import Blueprint, send_from_directory

from . import schemas
from .api import StrictIntegerConverter, integer_parameter_schema

SWAGGER_UI_ASSETS = os.path.join(os.path.dirname(flask_swagger_ui.__file__), "dist")

assets = Blueprint("docs_assets", __name__)


@assets.route("/docs/assets/<path:filename>")
def swagger_ui_asset(filename):
    return send_from_directory(SWAGGER_UI_ASSETS, filename, max_age=86400)


class Api(flask_smorest.Api):
    """flask-smorest's Api with errors documented as RFC 9457 problems (see errors.init_app)."""

    ERROR_SCHEMA = schemas.Problem


api = Api()


def init_app(app, blueprints):
    app.url_map.converters["int"] = StrictIntegerConverter
    api.init_app(app)
    api.register_converter(StrictIntegerConverter, integer_parameter_schema)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    app.register_blueprint(assets)
