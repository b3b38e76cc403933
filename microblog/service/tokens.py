"""IndieAuth authorization codes and access tokens: issued, redeemed, checked, listed, revoked.

Codes and tokens are random (256 bits) and stored only as their SHA-256. Both are bound to the
admin's token generation: a password change or create-admin (which move it) ends them all at
once, on every worker and host. A token works only at the endpoints that ask for its scopes
(Micropub, media), never at the admin API.
"""
import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from ..data.db import write_transaction
from ..data.models import AccessToken, AuthorizationCode, User, utcnow
from ..data.sessions import live_access_token
from . import errors

SCOPES = ("create", "update", "delete", "media")
ALIASES = {"post": "create"}  # Micropublish still asks for the old `post` scope
IMPLIED = {"create": {"media"}}  # a client that may create posts may upload their photos
SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]{1,64}")  # RFC 6749 appendix A, held to 64
MAX_SCOPES = 20
VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")  # RFC 7636 section 4.1
LAST_USE_PRECISION = timedelta(minutes=1)  # last_used is written at most once a minute a token


@dataclass(frozen=True)
class Grant:
    """What a live access token allows: its id, its client, and its scopes as approved."""

    token_id: int
    client_id: str
    scopes: tuple

    def allows(self, scope):
        """Whether the token's scopes cover `scope` (`post` counts as create, create allows media)."""
        held = {ALIASES.get(name, name) for name in self.scopes}
        held |= {implied for name in held for implied in IMPLIED.get(name, ())}
        return ALIASES.get(scope, scope) in held


def parse_scope(text):
    """The scope names of a space-separated scope parameter, each once, in order; Refused
    (invalid_scope) when one is not a scope token or there are too many."""
    names = list(dict.fromkeys((text or "").split()))
    if len(names) > MAX_SCOPES or not all(SCOPE_TOKEN.fullmatch(name) for name in names):
        raise errors.Refused("invalid_scope", f"A scope is at most {MAX_SCOPES} names of printable characters.")
    return names


def app_scopes(text):
    """The scope names of an app token the admin mints: one or more that microblog grants."""
    names = list(dict.fromkeys(text.split()))
    if not names or any(ALIASES.get(name, name) not in SCOPES for name in names):
        raise errors.Invalid(f"A scope is one or more of {', '.join(SCOPES)}, space-separated.", "scope")
    return names


def digest(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


def s256(verifier):
    """The PKCE S256 challenge of a code verifier."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


def issue_code(user_id, client_id, redirect_uri, scopes, code_challenge, lifetime):
    """A new authorization code for an approved request; returns the code (never stored)."""
    code = secrets.token_urlsafe(32)
    now = utcnow()
    with write_transaction():
        AuthorizationCode.delete().where(AuthorizationCode.expires < now).execute()
        user = User.get_by_id(user_id)
        AuthorizationCode.create(code_hash=digest(code), user=user, generation=user.token_generation,
                                 client_id=client_id, redirect_uri=redirect_uri, scope=" ".join(scopes),
                                 code_challenge=code_challenge, expires=now + lifetime)
    return code


def redeem_code(code, client_id, redirect_uri, code_verifier, token_lifetime=None):
    """Use a code once: with `token_lifetime`, for an access token (returns (token, row)), else
    only to learn who signed in (returns (None, None)). Refused (invalid_grant) when it is
    unknown, used, expired, issued to another client or redirect URI, or the verifier does not
    match; a code approved with no scope gives no token, and stays usable for sign-in. The
    writers' lock makes concurrent redemptions of one code take turns: one wins."""
    with write_transaction():
        row = AuthorizationCode.get_or_none(AuthorizationCode.code_hash == digest(code or ""))
        if row is None or row.expires <= utcnow():
            raise errors.Refused("invalid_grant", "The code is unknown, used or expired.")
        if row.client_id != client_id or row.redirect_uri != redirect_uri:
            raise errors.Refused("invalid_grant", "The code was issued to another client_id or redirect_uri.")
        _check_verifier(row.code_challenge, code_verifier)
        if row.user.token_generation != row.generation:
            raise errors.Refused("invalid_grant", "The code was ended by a password change.")
        if token_lifetime is not None and not row.scope:
            raise errors.Refused("invalid_grant", "The code was approved with no scope: it gives no access "
                                                  "token (redeem it at the authorization endpoint to sign in).")
        if AuthorizationCode.delete().where(AuthorizationCode.code_hash == row.code_hash).execute() != 1:
            raise errors.Refused("invalid_grant", "The code is unknown, used or expired.")
        if token_lifetime is None:
            return None, None
        return _mint(row.user, row.client_id, row.scope.split(), token_lifetime)


def _check_verifier(challenge, verifier):
    if challenge is None:
        if verifier:
            raise errors.Refused("invalid_grant", "The code was issued without a code_challenge: send no code_verifier.")
        return
    if not verifier or not VERIFIER.fullmatch(verifier):
        raise errors.Refused("invalid_grant", "The code_verifier is missing or not 43 to 128 unreserved characters.")
    if not hmac.compare_digest(s256(verifier), challenge):
        raise errors.Refused("invalid_grant", "The code_verifier does not match the code_challenge.")


def mint(user_id, client_id, scopes, lifetime):
    """A new access token (for an app that takes a pasted token); returns (token, row)."""
    with write_transaction():
        return _mint(User.get_by_id(user_id), client_id, scopes, lifetime)


def _mint(user, client_id, scopes, lifetime):
    token = secrets.token_urlsafe(32)
    now = utcnow()
    # tokens that can never work again go, so the table holds only live ones
    AccessToken.delete().where((AccessToken.expires <= now) | (AccessToken.generation != user.token_generation)).execute()
    row = AccessToken.create(token_hash=digest(token), user=user, generation=user.token_generation,
                             client_id=client_id, scope=" ".join(scopes), created=now, expires=now + lifetime)
    return token, row


def _live():
    """Tokens that work now: not expired, of the user's current generation (a revoked one is gone)."""
    return (AccessToken.select(AccessToken, User.token_generation).join(User)
            .where(AccessToken.expires > utcnow(),
                   AccessToken.generation == User.token_generation))


def find_live(token):
    """The live token row of a raw token, or None (nothing is written)."""
    if not token:
        return None
    return live_access_token(digest(token), utcnow())


def check(token):
    """The Grant of a live access token, noting its use; AuthenticationFailed else."""
    row = find_live(token)
    if row is None:
        raise errors.AuthenticationFailed("The access token is not valid, has expired or was revoked.")
    now = utcnow()
    if row.last_used is None or row.last_used < now - LAST_USE_PRECISION:
        with write_transaction():
            AccessToken.update(last_used=now).where(AccessToken.id == row.id).execute()
    return Grant(row.id, row.client_id, tuple(row.scope.split()))


def list_live():
    """Every live token, newest first (their hashes stay in the database)."""
    return list(_live().order_by(AccessToken.id.desc()))


def revoke(token_id):
    """Revoke one token by id (its row goes); NotFound when there is none."""
    with write_transaction():
        changed = AccessToken.delete().where(AccessToken.id == token_id).execute()
    if not changed:
        raise errors.NotFound("No such access token.")


def revoke_token(token):
    """Revoke the token with this secret, if there is one (RFC 7009: nothing says whether)."""
    if not token:
        return
    with write_transaction():
        AccessToken.delete().where(AccessToken.token_hash == digest(token)).execute()
