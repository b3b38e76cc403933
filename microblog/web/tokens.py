"""JWT set-up: claims of a login session, revocation checks and auth failures as problems."""
from flask import current_app
from flask_jwt_extended import JWTManager, create_access_token, create_refresh_token

from ..service import auth as auth_service
from .errors import problem_response

jwt = JWTManager()

INVALID_TOKEN_CHALLENGE = 'Bearer realm="microblog", error="invalid_token"'


def issue_tokens(user, session_id):
    """Access and refresh tokens of one login, sharing its session id; the access token counts
    as fresh (a recent password login) for JWT_FRESH_LOGIN_EXPIRES. They name the admin by
    its creation time too, so that an admin created anew (a new database, the same secret)
    honours no token issued before."""
    claims = {"sid": session_id, "gen": user.token_generation, "adm": auth_service.admin_mark(user)}
    fresh = current_app.config["JWT_FRESH_LOGIN_EXPIRES"]
    return (
        create_access_token(identity=str(user.id), fresh=fresh, additional_claims=claims),
        create_refresh_token(identity=str(user.id), additional_claims=claims),
    )


def reissue_access_token(refresh_claims):
    """A new, not fresh, access token of the same login session."""
    claims = {name: refresh_claims[name] for name in ("sid", "gen", "adm")}
    return create_access_token(identity=refresh_claims["sub"], fresh=False, additional_claims=claims)


@jwt.token_in_blocklist_loader
def _is_revoked(_header, payload):
    try:
        user_id, session_id, generation, mark = int(payload["sub"]), payload["sid"], payload["gen"], payload["adm"]
    except (KeyError, TypeError, ValueError):
        return True
    return auth_service.is_revoked(user_id, session_id, generation, mark)


def _invalid(detail):
    return problem_response(401, detail, headers={"WWW-Authenticate": INVALID_TOKEN_CHALLENGE})


@jwt.unauthorized_loader
def _missing(_reason):
    return problem_response(401, "This endpoint needs an 'Authorization: Bearer <token>' header.")


@jwt.invalid_token_loader
def _malformed(reason):
    return _invalid(f"The token is not valid: {reason}.")


@jwt.expired_token_loader
def _expired(_header, _payload):
    return _invalid("The token has expired.")


@jwt.revoked_token_loader
def _revoked(_header, _payload):
    return _invalid("The token has been revoked.")


@jwt.needs_fresh_token_loader
def _not_fresh(_header, _payload):
    return _invalid("This action needs a fresh token: log in again with the password.")
