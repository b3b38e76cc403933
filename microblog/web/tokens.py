"""JWT set-up: claims of a login session, revocation checks and auth failures as problems."""
from datetime import datetime, timedelta, timezone

import jwt as pyjwt
from flask import current_app
from flask_jwt_extended import JWTManager, create_access_token, create_refresh_token
from flask_jwt_extended.config import config as jwt_config
from jwt.algorithms import HMACAlgorithm

from ..service import auth as auth_service
from .errors import problem_response

VERIFIED = "microblog.verified_tokens"  # app.extensions' key of the tokens verified
MAX_VERIFIED = 256  # tokens kept per app (an admin has a few at a time); all forgotten when full
MAX_SECRETS_CHECKED = 8  # an app has one; tests build apps of a few


class KeepingVerifiedTokens(JWTManager):
    """flask-jwt-extended's manager, which keeps the claims of each token it verified, by the
    token's text, and gives them again for that same text while its times (exp, nbf, iat) hold:
    PyJWT decodes a token three times over, checking every character, and checks its signature
    (about a sixth of an admin write). What a token says cannot change (its signature covers it
    and the app's secret does not change); what can (its session revoked, every token of the
    admin revoked) is checked afresh on every request after this, as before."""

    def init_app(self, app, add_context_processor=False):
        super().init_app(app, add_context_processor)
        app.extensions[VERIFIED] = {}
        for name, algorithm in HMAC_ALGORITHMS.items():
            pyjwt.unregister_algorithm(name)
            pyjwt.register_algorithm(name, algorithm)
        algorithm = HMAC_ALGORITHMS.get(app.config["JWT_ALGORITHM"])
        if algorithm is not None:
            algorithm.prepare_key(app.config["JWT_SECRET_KEY"])

    def _decode_jwt_from_config(self, encoded_token, csrf_value=None, allow_expired=False):
        kept = current_app.extensions[VERIFIED]
        if allow_expired or csrf_value is not None:
            return super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)
        now = datetime.now(timezone.utc).timestamp()
        claims, valid_from, valid_until = kept.get(encoded_token, (None, None, None))
        if claims is not None and valid_from <= now < valid_until:
            return dict(claims)
        claims = super()._decode_jwt_from_config(encoded_token)
        if "exp" in claims:
            leeway = jwt_config.leeway
            leeway = leeway.total_seconds() if isinstance(leeway, timedelta) else leeway
            if len(kept) >= MAX_VERIFIED:
                kept.clear()
            kept[encoded_token] = (dict(claims), max(claims.get("nbf", 0), claims.get("iat", 0)) - leeway,
                                   claims["exp"] + leeway)
        return claims


class SecretCheckedOnce(HMACAlgorithm):
    """PyJWT's HMAC, which checks a secret (no PEM, SSH or DER key may be one) once, not for every
    token it signs or verifies: the check parses the secret with cryptography's DER readers, whose
    first run in a process maps 4 MB of that library into it. init_app checks the app's secret, so
    `serve` checks it before granian forks the workers, which inherit the answer and never run it."""

    def __init__(self, hash_alg):
        super().__init__(hash_alg)
        self.checked = {}  # secret: its prepared key

    def prepare_key(self, key):
        prepared = self.checked.get(key)
        if prepared is None:
            if len(self.checked) >= MAX_SECRETS_CHECKED:
                self.checked.clear()
            prepared = self.checked[key] = super().prepare_key(key)
        return prepared


HMAC_ALGORITHMS = {name: SecretCheckedOnce(hash_alg) for name, hash_alg in (
    ("HS256", HMACAlgorithm.SHA256), ("HS384", HMACAlgorithm.SHA384), ("HS512", HMACAlgorithm.SHA512))}

jwt = KeepingVerifiedTokens()

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
