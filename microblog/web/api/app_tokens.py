"""Admin API: the IndieAuth access tokens (Micropub apps'): list, mint one for an app that takes a
pasted token, revoke. Bearer access token required."""
from flask import current_app
from flask_jwt_extended import get_jwt

from ...service import tokens
from .. import routes, schemas
from . import Blueprint, require_access_token

blp = Blueprint("app_tokens", __name__, url_prefix="/api/v1/admin/tokens",
                description="IndieAuth access tokens for Micropub apps.")
routes.declare(blp, routes.API, routes.PRIVATE)
blp.before_request(require_access_token)


@blp.route("", methods=["GET"], operation_id="listAppTokens")
@blp.bearer()
@blp.arguments(schemas.NoQuery, location="query")
@blp.response(200, schemas.AppTokenList)
def list_tokens(_args):
    """Every live token, newest first, without its secret."""
    return {"items": tokens.list_live()}


@blp.route("", methods=["POST"], operation_id="createAppToken")
@blp.bearer()
@blp.arguments(schemas.NoQuery, location="query")
@blp.arguments(schemas.AppTokenInput)
@blp.response(201, schemas.NewAppToken)
def create_token(_args, data):
    """Mint a token for an app that takes a pasted one; its secret is in this answer alone."""
    lifetime = current_app.config["INDIEAUTH_TOKEN_LIFETIME"]
    scopes = tokens.app_scopes(data["scope"])
    secret, row = tokens.mint(int(get_jwt()["sub"]), data["client_id"], scopes, lifetime)
    return {**{name: getattr(row, name) for name in schemas.AppToken().fields}, "access_token": secret, "token_type": "Bearer",
            "expires_in": int(lifetime.total_seconds())}


@blp.route("/<int:token_id>", methods=["DELETE"], operation_id="revokeAppToken")
@blp.bearer()
@blp.arguments(schemas.NoQuery, location="query")
@blp.response(204)
@blp.problem(404)
def revoke_token(_args, token_id):
    """Revoke a token: it stops working at once, everywhere."""
    tokens.revoke(token_id)
