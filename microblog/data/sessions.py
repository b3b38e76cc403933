"""The reads that check an access token on every authenticated request, their SQL built once
(data/prepared.py)."""
from .models import AccessToken, RevokedToken, User
from .prepared import PreparedQuery

_token_state = PreparedQuery(lambda user_id: User.select(User.token_generation, User.created)
                             .where(User.id == user_id), user_id=User.id)
_revoked = PreparedQuery(lambda session_id: RevokedToken.select(RevokedToken.session_id)
                         .where(RevokedToken.session_id == session_id).limit(1), session_id=RevokedToken.session_id)

_live_access_token = PreparedQuery(
    lambda token_hash, now: AccessToken.select(AccessToken, User.token_generation).join(User).where(
        AccessToken.token_hash == token_hash, AccessToken.expires > now,
        AccessToken.generation == User.token_generation), token_hash=AccessToken.token_hash, now=AccessToken.expires)


def token_state(user_id):
    """The user's token_generation and created (a User with those fields only), or None."""
    return next(iter(_token_state(user_id=user_id)), None)


def is_session_revoked(session_id):
    return _revoked.first_raw_row(session_id=session_id) is not None


def live_access_token(token_hash, now):
    """The IndieAuth access token of this hash if it works at `now` (not expired, of its user's
    current token generation), or None."""
    return next(iter(_live_access_token(token_hash=token_hash, now=now)), None)
