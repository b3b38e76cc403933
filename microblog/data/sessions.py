"""The reads that check an access token on every authenticated request, their SQL built once
(data/prepared.py)."""
from .models import RevokedToken, User
from .prepared import PreparedQuery

_token_state = PreparedQuery(lambda user_id: User.select(User.token_generation, User.created)
                             .where(User.id == user_id), user_id=User.id)
_revoked = PreparedQuery(lambda session_id: RevokedToken.select(RevokedToken.session_id)
                         .where(RevokedToken.session_id == session_id).limit(1), session_id=RevokedToken.session_id)


def token_state(user_id):
    """The user's token_generation and created (a User with those fields only), or None."""
    return next(iter(_token_state(user_id=user_id)), None)


def is_session_revoked(session_id):
    return _revoked.first_raw_row(session_id=session_id) is not None
