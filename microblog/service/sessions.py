"""Sign-ins that a browser carries in a cookie (the IndieAuth consent page, the writer's pages).

A session id is random (256 bits) and stored only as its SHA-256. It ends after `idle` without
use, and in any case `lifetime` after sign-in (its absolute limit): its row's `expires` is the
sooner of the two, moved on as it is used. It ends at once, on every worker and host, when the
admin's password changes or create-admin runs (both move the admin's token generation), or when
it is signed out.
"""
import secrets
from datetime import timedelta

from ..data.db import write_transaction
from ..data.models import BrowserSession, User, utcnow
from .tokens import digest

RENEW_AFTER = timedelta(minutes=1)  # a session's expiry is written at most once a minute (or a tenth of its idle time)


def start(user_id, lifetime, idle):
    """A new session for the user; returns its id (for the cookie; never stored)."""
    session_id = secrets.token_urlsafe(32)
    now = utcnow()
    with write_transaction():
        BrowserSession.delete().where(BrowserSession.expires < now).execute()
        user = User.get_by_id(user_id)
        BrowserSession.create(session_hash=digest(session_id), user=user, generation=user.token_generation,
                              created=now, expires=now + min(idle, lifetime))
    return session_id


def user_of(session_id, lifetime, idle):
    """The id of the user signed in by this session, or None when it is unknown or has ended.
    A session in use is kept alive for `idle` more, never past `lifetime` after its sign-in."""
    if not session_id:
        return None
    now = utcnow()
    row = (BrowserSession.select(BrowserSession.session_hash, BrowserSession.user, BrowserSession.created,
                                 BrowserSession.expires).join(User)
           .where(BrowserSession.session_hash == digest(session_id), BrowserSession.expires > now,
                  BrowserSession.generation == User.token_generation).first())
    if row is None:
        return None
    renewed = min(now + idle, row.created + lifetime)
    if renewed - row.expires >= min(RENEW_AFTER, idle / 10):
        with write_transaction():
            (BrowserSession.update(expires=renewed)
             .where(BrowserSession.session_hash == row.session_hash, BrowserSession.expires > now).execute())
    return row.user_id


def end(session_id):
    with write_transaction():
        BrowserSession.delete().where(BrowserSession.session_hash == digest(session_id or "")).execute()
