"""The admin account: passwords, login, token sessions and their revocation."""
import functools
import secrets

from werkzeug.security import check_password_hash, generate_password_hash

from ..db import write_transaction
from ..models import RevokedToken, User, utcnow
from . import errors

INVALID_CREDENTIALS = "Invalid username or password."


@functools.lru_cache(maxsize=4)
def _dummy_hash(method):
    """A hash of the configured cost, checked when the username is unknown (same timing)."""
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def _method_prefix(password_hash):
    return password_hash.split("$", 1)[0]


def authenticate(username, password, hash_method):
    """The user these credentials belong to; one error, in one time, for every failure."""
    user = User.get_or_none(User.username == username)
    stored = user.password_hash if user else _dummy_hash(hash_method)
    if not check_password_hash(stored, password) or user is None:
        raise errors.AuthenticationFailed(INVALID_CREDENTIALS)
    if _method_prefix(stored) != _method_prefix(_dummy_hash(hash_method)):
        user.password_hash = generate_password_hash(password, method=hash_method)
        user.save(only=[User.password_hash])
    return user


def new_session_id():
    """An identifier shared by the access and refresh tokens of one login."""
    return secrets.token_urlsafe(24)


def get_user(user_id):
    user = User.get_or_none(User.id == user_id)
    if user is None:
        raise errors.NotFound("No such user.")
    return user


def admin_exists():
    return User.select().exists()


def set_admin(username, password, hash_method):
    """Create the one admin, or set a new password for it; returns (user, created)."""
    with write_transaction():
        existing = User.select().first()
        if existing is not None and existing.username != username:
            raise errors.Conflict(
                f"An admin already exists ({existing.username}); microblog has exactly one."
            )
        password_hash = generate_password_hash(password, method=hash_method)
        if existing is None:
            return User.create(username=username, password_hash=password_hash), True
        _replace_password(existing, password_hash)
        return existing, False


def change_password(user_id, current_password, new_password, hash_method):
    """Set a new password after checking the current one; every older token stops working."""
    with write_transaction():
        user = get_user(user_id)
        if not check_password_hash(user.password_hash, current_password):
            raise errors.Forbidden("The current password is wrong.", field="current_password")
        _replace_password(user, generate_password_hash(new_password, method=hash_method))


def revoke_session(session_id, expires):
    """Make every token of one login stop working; forget revocations that have expired."""
    with write_transaction():
        RevokedToken.delete().where(RevokedToken.expires < utcnow()).execute()
        RevokedToken.insert(session_id=session_id, expires=expires).on_conflict_ignore().execute()


def is_revoked(user_id, session_id, generation):
    """True when the token's login was revoked or its user's tokens were all invalidated."""
    current = User.select(User.token_generation).where(User.id == user_id).scalar()
    if current is None or current != generation:
        return True
    return RevokedToken.select().where(RevokedToken.session_id == session_id).exists()


def _replace_password(user, password_hash):
    user.password_hash = password_hash
    user.token_generation += 1
    user.save(only=[User.password_hash, User.token_generation])
