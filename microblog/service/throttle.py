"""Login throttling kept in the database, so it holds across every worker and host.

Per (username, client address): FREE_FAILURES failures, then each further failure locks that
pair for twice as long as the one before (1 s, 2 s, 4 s … up to MAX_WAIT); a success clears it.
Per client address: at most CLIENT_FAILURES_PER_HOUR failures an hour, whatever the usernames.
A stranger elsewhere can thus slow down only their own attempts, never the admin's.
"""
from datetime import timedelta
from math import ceil

from peewee import fn

from ..db import write_transaction
from ..models import LoginFailure, utcnow
from . import errors

FREE_FAILURES = 5
MAX_WAIT = timedelta(minutes=15)
CLIENT_WINDOW = timedelta(hours=1)
CLIENT_FAILURES_PER_HOUR = 100
FORGET_AFTER = timedelta(days=1)


def pair_key(username, client):
    return f"user:{username}|client:{client}"


def client_key(client):
    return f"client:{client}"


def check(username, client, now=None):
    """Raise Throttled when this login may not be tried now (checks no password)."""
    now = now or utcnow()
    locks = LoginFailure.select(fn.MAX(LoginFailure.locked_until)).where(
        LoginFailure.key.in_([pair_key(username, client), client_key(client)]),
        LoginFailure.locked_until > now,
    ).scalar()
    if locks is not None:
        seconds = max(1, ceil((locks - now).total_seconds()))
        raise errors.Throttled(
            f"Too many failed logins; try again in {seconds} seconds.", retry_after=seconds
        )


def record_failure(username, client, now=None):
    """Count a failed login against the pair and the client, locking them when due."""
    now = now or utcnow()
    with write_transaction():
        LoginFailure.delete().where(LoginFailure.last_at < now - FORGET_AFTER).execute()
        pair = _count(pair_key(username, client), now, window=None)
        if pair.failures > FREE_FAILURES:
            wait = min(timedelta(seconds=2 ** (pair.failures - FREE_FAILURES - 1)), MAX_WAIT)
            _lock(pair.key, now + wait)
        address = _count(client_key(client), now, window=CLIENT_WINDOW)
        if address.failures >= CLIENT_FAILURES_PER_HOUR:
            _lock(address.key, address.first_at + CLIENT_WINDOW)


def record_success(username, client):
    """A right password clears that pair's failures (the client's hourly count stays)."""
    with write_transaction():
        LoginFailure.delete().where(LoginFailure.key == pair_key(username, client)).execute()


def unlock(username=None):
    """Clear the locks of one username (every client), or every lock; returns how many."""
    with write_transaction():
        query = LoginFailure.delete()
        if username is not None:
            query = query.where(LoginFailure.key.startswith(f"user:{username}|"))
        return query.execute()


def _count(key, now, window):
    """One more failure for `key` (a fresh count when its window has passed)."""
    row = LoginFailure.get_or_none(LoginFailure.key == key)
    if row is None or (window is not None and row.first_at < now - window):
        LoginFailure.insert(key=key, failures=1, first_at=now, last_at=now).on_conflict(
            conflict_target=[LoginFailure.key],
            update={LoginFailure.failures: 1, LoginFailure.first_at: now,
                    LoginFailure.last_at: now, LoginFailure.locked_until: None},
        ).execute()
    else:
        LoginFailure.update(failures=LoginFailure.failures + 1, last_at=now).where(
            LoginFailure.key == key).execute()
    return LoginFailure.get(LoginFailure.key == key)


def _lock(key, until):
    LoginFailure.update(locked_until=until).where(LoginFailure.key == key).execute()
