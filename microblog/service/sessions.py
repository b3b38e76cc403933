"""Sign-ins that a browser carries in a cookie (the IndieAuth consent page, the writer's pages).

A session id is random (256 bits) and stored only as its SHA-256. A session lasts its lifetime
from sign-in, and ends at once, on every worker and host, when the admin's password changes or
create-admin runs (both move the admin's token generation), or when it is signed out.
"""
import secrets

from ..data.db import write_transaction
from ..data.models import BrowserSession, User, utcnow
from .tokens import digest


def start(user_id, lifetime):
    """A new session for the user; returns its id (for the cookie; never stored)."""
    session_id = secrets.token_urlsafe(32)
    now = utcnow()
    with write_transaction():
        BrowserSession.delete().where(BrowserSession.expires < now).execute()
        user = User.get_by_id(user_id)
        BrowserSession.create(session_hash=digest(session_id), user=user, generation=user.token_generation,
                              created=now, expires=now + lifetime)
    return session_id


def user_of(session_id):
    """The id of the user signed in by this session, or None when it is unknown or has ended."""
    if not session_id:
        return None
    row = (BrowserSession.select(BrowserSession.user).join(User)
           .where(BrowserSession.session_hash == digest(session_id), BrowserSession.expires > utcnow(),
                  BrowserSession.generation == User.token_generation).first())
    return row.user_id if row else None


def end(session_id):
    with write_transaction():
        BrowserSession.delete().where(BrowserSession.session_hash == digest(session_id or "")).execute()
