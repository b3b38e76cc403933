"""Idempotency keys of post creation: a retried create gets the first response, once."""
from dataclasses import dataclass
from datetime import timedelta

from peewee import IntegrityError

from ..data.db import database, locked, write_transaction
from ..data.models import IdempotencyKey, utcnow
from . import errors

ABANDONED_AFTER = timedelta(seconds=60)  # a claim this old whose request never finished


@dataclass(frozen=True)
class Replay:
    """What the first request with the key did: the post it made and, once stored, its response."""

    post_id: int
    response: str | None


def claim(key, request_hash, ttl, now=None):
    """Hold `key` for a request about to run (returns None), or the Replay of the request that
    already ran with it. The same key with another body → Invalid; still running → Conflict."""
    now = now or utcnow()
    with write_transaction():
        IdempotencyKey.delete().where(IdempotencyKey.created < now - ttl).execute()
        found = locked(IdempotencyKey.select().where(IdempotencyKey.key == key)).first()
        if found is None:
            _insert(key, request_hash, now)
            return None
        if found.request_hash != request_hash:
            raise errors.Invalid("This Idempotency-Key was already used with another request body.")
        if found.post_id is not None:
            return Replay(found.post_id, found.response)
        if found.created > now - ABANDONED_AFTER:
            raise errors.Conflict("A request with this Idempotency-Key is still running.")
        IdempotencyKey.update(created=now).where(IdempotencyKey.key == key).execute()
        return None


def record_response(key, response):
    """Keep the response of the request that held `key`, for its replays."""
    with write_transaction():
        IdempotencyKey.update(response=response).where(IdempotencyKey.key == key).execute()


def release(key):
    """Let a retry run again after the request holding `key` failed."""
    with write_transaction():
        IdempotencyKey.delete().where(
            (IdempotencyKey.key == key) & IdempotencyKey.post_id.is_null()).execute()


def _insert(key, request_hash, now):
    try:
        with database.atomic():  # a savepoint: a concurrent twin's insert must not abort ours
            IdempotencyKey.insert(key=key, request_hash=request_hash, created=now).execute()
    except IntegrityError:
        raise errors.Conflict("A request with this Idempotency-Key is still running.") from None
