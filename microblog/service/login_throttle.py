"""Login throttling kept in the database, so it holds across every worker and host.

Per (username, client address): FREE_FAILURES failures, then each further failure locks that
pair for twice as long as the one before (1 s, 2 s, 4 s … up to MAX_WAIT); a success clears it.
Per client address: at most CLIENT_FAILURES_PER_HOUR failures an hour, whatever the usernames.
A stranger elsewhere can thus slow down only their own attempts, never the admin's.

Every attempt is counted as a failure before its password is checked (`reserve`), in one
write transaction with the lock check, and forgiven when the password was right (`release`):
concurrent attempts therefore see each other's counts, so a burst buys no extra guesses. An
attempt past the free ones locks the pair until its check is done (at most CHECK_ALLOWANCE
more), and its wait runs from then (`failed`), so a wait cannot run out while the check that
earned it is still going on, however slowly a busy server gets to it.
"""
from datetime import timedelta
from math import ceil

from peewee import fn

from ..data.db import write_transaction
from ..data.models import LoginFailure, utcnow
from . import errors
from .wording import counted

FREE_FAILURES = 5
MAX_WAIT = timedelta(minutes=15)
CLIENT_WINDOW = timedelta(hours=1)
CLIENT_FAILURES_PER_HOUR = 100
FORGET_AFTER = timedelta(days=1)
CHECK_ALLOWANCE = timedelta(seconds=5)  # far longer than a password check takes


def pair_key(username, client):
    return f"user:{username}|client:{client}"


def client_key(client):
    return f"client:{client}"


def wait_after(failures):
    """How long the pair is locked after its `failures`-th failure (None: not yet)."""
    if failures <= FREE_FAILURES:
        return None
    doublings = min(failures - FREE_FAILURES - 1, 20)  # 2 ** 20 s is far past the cap, yet no overflow
    return min(timedelta(seconds=2**doublings), MAX_WAIT)


def reserve(username, client, now=None):
    """Count one attempt as a failure, or raise Throttled (counting nothing) while locked;
    returns the pair's failures with this one, for `failed`."""
    now = now or utcnow()
    with write_transaction():
        _raise_if_locked(username, client, now)
        LoginFailure.delete().where(LoginFailure.last_at < now - FORGET_AFTER).execute()
        pair = _count(pair_key(username, client), now, window=None)
        wait = wait_after(pair.failures)
        if wait is not None:
            _lock(pair.key, now + CHECK_ALLOWANCE + wait)
        address = _count(client_key(client), now, window=CLIENT_WINDOW)
        if address.failures >= CLIENT_FAILURES_PER_HOUR:
            _lock(address.key, address.first_at + CLIENT_WINDOW)
    return pair.failures


def attempt(username, client, check):
    """Run `check()`, a password check (True when right), as one throttled attempt: reserved
    before it, then its wait started or its pair cleared. Throttled, checking nothing, while locked."""
    reserved = reserve(username, client)
    if not check():
        failed(username, client, reserved)
        return False
    release(username, client)
    return True


def failed(username, client, reserved, now=None):
    """The attempt that `reserve` counted as failure number `reserved` had a wrong password:
    its wait runs from now, unless a later attempt has been counted since (its own lock holds)."""
    now = now or utcnow()
    wait = wait_after(reserved)
    if wait is None:
        return
    with write_transaction():
        LoginFailure.update(locked_until=now + wait).where(
            LoginFailure.key == pair_key(username, client), LoginFailure.failures == reserved).execute()


def release(username, client):
    """The reserved attempt had the right password: clear the pair, uncount it for the client."""
    with write_transaction():
        LoginFailure.delete().where(LoginFailure.key == pair_key(username, client)).execute()
        LoginFailure.update(failures=LoginFailure.failures - 1, locked_until=None).where(
            LoginFailure.key == client_key(client),
            LoginFailure.failures <= CLIENT_FAILURES_PER_HOUR).execute()


def unlock(username=None):
    """Clear the locks of one username (every client), or every lock; returns how many."""
    with write_transaction():
        query = LoginFailure.delete()
        if username is not None:
            query = query.where(LoginFailure.key.startswith(f"user:{username}|"))
        return query.execute()


def _raise_if_locked(username, client, now):
    locks = LoginFailure.select(fn.MAX(LoginFailure.locked_until)).where(
        LoginFailure.key.in_([pair_key(username, client), client_key(client)]),
        LoginFailure.locked_until > now,
    ).scalar()
    if locks is not None:
        seconds = max(1, ceil((locks - now).total_seconds()))
        raise errors.Throttled(
            f"Too many failed attempts; try again in {counted(seconds, 'second')}.", retry_after=seconds
        )


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
