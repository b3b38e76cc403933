"""Auth API: log in, refresh, log out, who am I, change the password."""
from flask import current_app
from flask_jwt_extended import get_jwt, jwt_required

from ...service import auth as auth_service
from .. import routes, schemas
from ..request_limits import client_address
from ..tokens import issue_tokens, reissue_access_token
from . import Blueprint

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Tokens and the admin.")
routes.declare(blp, routes.API, routes.PRIVATE)


def _access_lifetime_seconds():
    return int(current_app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds())


@blp.route("/login", methods=["POST"], operation_id="login")
@blp.arguments(schemas.NoQuery, location="query")
@blp.arguments(schemas.Login)
@blp.response(200, schemas.Tokens)
@blp.problem(401, "Wrong username or password.")
@blp.problem(429, "Too many failed logins from this client; see Retry-After.")
def login(_args, credentials):
    """Exchange the admin's username and password for access and refresh tokens."""
    user = auth_service.authenticate(
        credentials["username"],
        credentials["password"],
        current_app.config["PASSWORD_HASH_METHOD"],
        client=client_address(),
    )
    access, refresh = issue_tokens(user, auth_service.new_session_id())
    return {
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "Bearer",
        "expires_in": _access_lifetime_seconds(),
    }


@blp.route("/refresh", methods=["POST"], operation_id="refreshToken")
@jwt_required(refresh=True)
@blp.bearer()
@blp.arguments(schemas.NoQuery, location="query")
@blp.response(200, schemas.AccessToken)
def refresh(_args):
    """A new access token (not fresh) for the refresh token's login."""
    return {
        "access_token": reissue_access_token(get_jwt()),
        "token_type": "Bearer",
        "expires_in": _access_lifetime_seconds(),
    }


@blp.route("/logout", methods=["POST"], operation_id="logout")
@jwt_required()
@blp.bearer()
@blp.arguments(schemas.NoQuery, location="query")
@blp.response(204)
def logout(_args):
    """Revoke this login: its access and refresh tokens stop working everywhere."""
    auth_service.revoke_session(get_jwt()["sid"], current_app.config["JWT_REFRESH_TOKEN_EXPIRES"])


@blp.route("/me", methods=["GET"], operation_id="getCurrentUser")
@jwt_required()
@blp.bearer()
@blp.arguments(schemas.NoQuery, location="query")
@blp.response(200, schemas.User)
def me(_args):
    """The admin's profile (never the password hash)."""
    return auth_service.get_user(int(get_jwt()["sub"]))


@blp.route("/password", methods=["PUT"], operation_id="changePassword")
@jwt_required(fresh=True)
@blp.bearer("Missing, stale or not fresh token.")
@blp.arguments(schemas.NoQuery, location="query")
@blp.arguments(schemas.PasswordChange)
@blp.response(204)
@blp.problem(403, "The current password is wrong.")
@blp.problem(429, "Too many wrong current passwords from this client; see Retry-After.")
def change_password(_args, change):
    """Set a new password; every token issued before stops working."""
    claims = get_jwt()
    auth_service.change_password(
        int(claims["sub"]),
        claims["gen"],
        change["current_password"],
        change["new_password"],
        current_app.config["PASSWORD_HASH_METHOD"],
        client=client_address(),
    )
