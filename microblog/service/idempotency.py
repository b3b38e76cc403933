"""Idempotency keys of post creation: a retried create gets the first response, once."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import IntegrityError

from ..data.db import database, locked, write_transaction
from ..data.models import IdempotencyKey, utcnow
from . import errors

# A claim this old whose request has not finished is taken over by a retry: no create takes
# this long unless its worker died. Taking over is safe: only the current claim completes.
ABANDONED_AFTER = timedelta(seconds=10)


@dataclass(frozen=True)
class Replay:
    """What the first request with the key did: the post it made and, once stored, its response."""

    post_id: int
    response: str | None


@dataclass(frozen=True)
class Claim:
    """A request's hold on a key, taken at `at`: it completes only while it is the current one."""

    key: str
    at: datetime


def claim(key, request_hash, ttl, now=None):
    """Hold `key` for a request about to run (a Claim), or the Replay of the request that
    already ran with it. The same key with another body → Invalid; still running → Conflict."""
    now = now or utcnow()
    with write_transaction():
        IdempotencyKey.delete().where(IdempotencyKey.created < now - ttl).execute()
        found = locked(IdempotencyKey.select().where(IdempotencyKey.key == key)).first()
        if found is None:
            _insert(key, request_hash, now)
            return Claim(key, now)
        if found.request_hash != request_hash:
            raise errors.Invalid("This Idempotency-Key was already used with another request body.")
        if found.post_id is not None:
            return Replay(found.post_id, found.response)
        if found.created > now - ABANDONED_AFTER:
            raise errors.Conflict("A request with this Idempotency-Key is still running.")
        IdempotencyKey.update(created=now).where(IdempotencyKey.key == key).execute()
        return Claim(key, now)


def complete(held, post_id):
    """Mark the claimed key done by `post_id`, in the caller's transaction; Conflict if a retry
    took the key over meanwhile (its request completes it, not this one)."""
    done = IdempotencyKey.update(post_id=post_id).where(_current(held)).execute()
    if done != 1:
        raise errors.Conflict("A retry with this Idempotency-Key took it over; repeat the request "
                              "to get that retry's response.")


def record_response(key, response):
    """Keep the response of the request that held `key`, for its replays."""
    with write_transaction():
        IdempotencyKey.update(response=response).where(IdempotencyKey.key == key).execute()


def release(held):
    """Let a retry run again after the request holding the claim failed (unless one took it over)."""
    with write_transaction():
        IdempotencyKey.delete().where(_current(held)).execute()


def _current(held):
    """The key's row while `held` is its current, unfinished claim."""
    return ((IdempotencyKey.key == held.key) & IdempotencyKey.post_id.is_null()
            & (IdempotencyKey.created == held.at))


def _insert(key, request_hash, now):
    try:
        with database.atomic():  # a savepoint: a concurrent twin's insert must not abort ours
            IdempotencyKey.insert(key=key, request_hash=request_hash, created=now).execute()
    except IntegrityError:
        raise errors.Conflict("A request with this Idempotency-Key is still running.") from None
