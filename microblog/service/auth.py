"""The admin account: passwords, login, token sessions and their revocation."""
import functools
import math
import re
import secrets

from werkzeug.security import DEFAULT_PBKDF2_ITERATIONS, check_password_hash, generate_password_hash

from ..data import sessions
from ..data.db import write_transaction
from ..data.models import MAX_USERNAME_LENGTH, RevokedToken, User, utcnow
from . import errors, login_throttle

INVALID_CREDENTIALS = "Invalid username or password."
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
USERNAME_RE = re.compile(rf"[^\s\x00-\x1f]{{1,{MAX_USERNAME_LENGTH}}}")
SCRYPT_DEFAULTS = (2**15, 8, 1)  # Werkzeug's n, r, p when a method names none
MAX_PBKDF2_ITERATIONS = 10_000_000  # about 3 s a login here: dearer would be a denial of service
MAX_SCRYPT_MEMORY = 256 * 1024 * 1024  # scrypt needs 128 * n * r * p bytes a check


@functools.lru_cache(maxsize=4)
def dummy_hash(method):
    """A hash of the configured cost, checked whenever a login fails without one of that cost.

    Built once per process (create_app warms it), so the first failed login costs no more.
    """
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def _method_of(password_hash):
    return password_hash.split("$", 1)[0]


def authenticate(username, password, hash_method, client):
    """The user these credentials belong to; the same error, at the same cost, for every failure.

    A failure always includes one check against a hash of the configured method, whether the
    username is unknown or its stored hash is of an older, cheaper method. While `client` is
    throttled for this username, no password is checked at all (Throttled).
    """
    reference = dummy_hash(hash_method)
    user = User.get_or_none(User.username == username)
    current = user is not None and _method_of(user.password_hash) == _method_of(reference)

    def check():
        if user is not None and check_password_hash(user.password_hash, password):
            return True
        if not current:
            check_password_hash(reference, password)
        return False

    if not login_throttle.attempt(username, client, check):
        raise errors.AuthenticationFailed(INVALID_CREDENTIALS)
    if not current:
        user.password_hash = generate_password_hash(password, method=hash_method)
        user.save(only=[User.password_hash])
    return user


def check_importable_hash(password_hash, hash_method):
    """Refuse (Invalid) a stored hash that logins would check more cheaply than `hash_method`
    (another kind or digest, a lower cost) or at a cost that would stall every login."""
    kind, cost = _kind_and_cost(_method_of(password_hash))
    wanted_kind, wanted_cost = _kind_and_cost(hash_method)
    if kind != wanted_kind or any(have < want for have, want in zip(cost, wanted_cost, strict=True)):
        raise errors.Invalid(f"The password hash must be {hash_method} or dearer (PASSWORD_HASH_METHOD).",
                             "password_hash")
    scrypt_memory = 128 * math.prod(cost) if kind == ("scrypt",) else 0
    if scrypt_memory > MAX_SCRYPT_MEMORY or kind[0] == "pbkdf2" and cost[0] > MAX_PBKDF2_ITERATIONS:
        raise errors.Invalid("The password hash is too costly to check at every login.", "password_hash")


def _kind_and_cost(method):
    """(kind, cost parameters) of a Werkzeug hash method: (("pbkdf2", digest), (iterations,)),
    (("scrypt",), (n, r, p)), or ((name,), ()) for a method this service cannot check."""
    name, *params = method.split(":")
    try:
        if name == "pbkdf2" and len(params) <= 2:
            digest, iterations = (params + ["sha256", DEFAULT_PBKDF2_ITERATIONS][len(params):])
            return ("pbkdf2", digest), (int(iterations),)
        if name == "scrypt" and len(params) in (0, 3):
            return ("scrypt",), tuple(map(int, params)) or SCRYPT_DEFAULTS
    except ValueError:
        pass
    return (method,), ()


def new_session_id():
    """An identifier shared by the access and refresh tokens of one login."""
    return secrets.token_urlsafe(24)


def get_user(user_id):
    user = User.get_or_none(User.id == user_id)
    if user is None:
        raise errors.NotFound("No such user.")
    return user


def the_admin(username=None):
    """The admin (the one whose username this is, if given), for a login on this host's
    command line; NotFound if there is none."""
    query = User.select() if username is None else User.select().where(User.username == username)
    user = query.first()
    if user is None:
        raise errors.NotFound(f"No admin is named '{username}'." if username else
                              "There is no admin yet: create one with create-admin (or make run).")
    return user


def admin_exists():
    return User.select().exists()


def is_admin_password(username, password):
    """Whether `password` is the current password of the admin `username` (a local check, as
    the command line makes it: no throttling, nothing written)."""
    user = User.get_or_none(User.username == username)
    return user is not None and check_password_hash(user.password_hash, password)


def set_admin(username, password, hash_method):
    """Create the one admin, or set a new password for it; returns (user, created)."""
    if not USERNAME_RE.fullmatch(username):
        raise errors.Invalid(
            f"A username is 1 to {MAX_USERNAME_LENGTH} characters without spaces.", "username"
        )
    _check_length(password, "password")
    password_hash = generate_password_hash(password, method=hash_method)
    with write_transaction():
        existing = User.select().first()
        if existing is not None and existing.username != username:
            raise errors.Conflict(
                f"An admin already exists ({existing.username}); microblog has exactly one."
            )
        if existing is None:
            return User.create(username=username, password_hash=password_hash), True
        _replace_password(existing, password_hash)
        return existing, False


def change_password(user_id, generation, current_password, new_password, hash_method, client):
    """Set a new password after checking the current one, throttled as a login is; every
    older token stops working. The new password is hashed only once the current one is right,
    so that a wrong guess costs the server one hash, not two. Of concurrent changes made with
    tokens of one `generation`, one wins; the others find their token revoked by it."""
    _check_length(new_password, "new_password")
    user = get_user(user_id)
    if not login_throttle.attempt(user.username, client,
                                  lambda: check_password_hash(user.password_hash, current_password)):
        raise errors.Forbidden("The current password is wrong.", field="current_password")
    new_hash = generate_password_hash(new_password, method=hash_method)
    with write_transaction():
        changed = User.update(password_hash=new_hash, token_generation=User.token_generation + 1).where(
            User.id == user_id, User.token_generation == generation).execute()
    if not changed:
        raise errors.AuthenticationFailed("The token was revoked by a password change made meanwhile.")


def revoke_session(session_id, lifetime):
    """Make every token of one login stop working (for `lifetime`, the longest a token of it
    can live); forget revocations that have expired."""
    now = utcnow()
    with write_transaction():
        RevokedToken.delete().where(RevokedToken.expires < now).execute()
        RevokedToken.insert(session_id=session_id, expires=now + lifetime).on_conflict_ignore().execute()


def admin_mark(user):
    """What tells this admin from one created later in its place: its creation time."""
    return user.created.isoformat()


def is_revoked(user_id, session_id, generation, mark):
    """True when the token's login was revoked, its user's tokens were all invalidated, or
    its user is not the admin it was issued to (`mark`)."""
    user = sessions.token_state(user_id, session_id)
    return user is None or user.token_generation != generation or admin_mark(user) != mark or bool(user.session_revoked)


def _check_length(password, field):
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise errors.Invalid(
            f"A password is {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters.", field
        )


def _replace_password(user, password_hash):
    user.password_hash = password_hash
    user.token_generation += 1
    user.save(only=[User.password_hash, User.token_generation])
