"""The reads that check an access token on every authenticated request, their SQL built once
(data/prepared.py)."""
from types import SimpleNamespace

from peewee import fn

from .models import AccessToken, RevokedToken, User
from .prepared import PreparedQuery

# one statement for both: a second costs as much again as the database's work on either
_token_state = PreparedQuery(
    lambda user_id, session_id: User.select(
        User.token_generation, User.created,
        fn.EXISTS(RevokedToken.select(RevokedToken.session_id).where(RevokedToken.session_id == session_id))
        .alias("session_revoked")).where(User.id == user_id).objects(SimpleNamespace),
    user_id=User.id, session_id=RevokedToken.session_id)

_live_access_token = PreparedQuery(
    lambda token_hash, now: AccessToken.select(AccessToken, User.token_generation).join(User).where(
        AccessToken.token_hash == token_hash, AccessToken.expires > now,
        AccessToken.generation == User.token_generation), token_hash=AccessToken.token_hash, now=AccessToken.expires)


def token_state(user_id, session_id):
    """The user's token_generation and created, and whether this login session of theirs was
    revoked (session_revoked), or None when no such user is."""
    return next(iter(_token_state(user_id=user_id, session_id=session_id)), None)


def live_access_token(token_hash, now):
    """The IndieAuth access token of this hash if it works at `now` (not expired, of its user's
    current token generation), or None."""
    return next(iter(_live_access_token(token_hash=token_hash, now=now)), None)
