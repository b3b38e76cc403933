"""The OpenAPI document and Swagger UI, served from local assets (no outside network)."""
import os

import flask_smorest
import flask_swagger_ui
from flask import Blueprint, current_app, request, send_from_directory

from . import routes, schemas, steps
from .api import StrictIntegerConverter, http_doc, integer_parameter_schema
from .errors import PROBLEM_MIMETYPE

SWAGGER_UI_ASSETS = os.path.join(os.path.dirname(flask_swagger_ui.__file__), "dist")
# Swagger UI's page (templates/swagger_ui.html): scripts, styles, images and requests from this
# origin only (its CSS embeds images as data: URLs), no inline script, never framed.
DOCS_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")

assets = Blueprint("docs_assets", __name__)
routes.declare(assets, routes.API, routes.OWN)  # Swagger UI's files: the API's documentation, its errors problems


@assets.route("/docs/assets/<path:filename>")
def swagger_ui_asset(filename):
    return send_from_directory(SWAGGER_UI_ASSETS, filename, max_age=86400)


class Api(flask_smorest.Api):
    """flask-smorest's Api with errors documented as RFC 9457 problems (see errors.init_app)."""

    ERROR_SCHEMA = schemas.Problem

    def _register_responses(self):
        """Its generic error responses (422, default), with the media type they are sent with."""
        success_type = self.DEFAULT_RESPONSE_CONTENT_TYPE
        self.DEFAULT_RESPONSE_CONTENT_TYPE = PROBLEM_MIMETYPE
        try:
            super()._register_responses()
        finally:
            self.DEFAULT_RESPONSE_CONTENT_TYPE = success_type


api = Api()


def init_app(app, blueprints):
    app.url_map.converters["int"] = StrictIntegerConverter
    api.init_app(app)
    routes.declare(app.blueprints["api-docs"], routes.API, routes.OWN, paths=["/openapi.json", "/docs"])
    api.register_converter(StrictIntegerConverter, integer_parameter_schema)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    http_doc.register_components(api.spec)
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    app.register_blueprint(assets)
    steps.after_request(app, _docs_policy)


def _docs_policy(response):
    if request.path == current_app.config["OPENAPI_SWAGGER_UI_PATH"]:
        response.headers["Content-Security-Policy"] = DOCS_POLICY
    return response
