"""The outbox's queries: deliveries added in a change's transaction, claimed by workers under a
lease, finished or put off; the hosts backed off; what the admin and /healthz read."""
import contextlib
import secrets

from peewee import fn

from .bulk import insert_rows
from .db import database, is_sqlite, locked
from .models import Delivery, DeliveryHost
from .prepared import PreparedQuery

CLAIM_LOCK = 7_236_003  # PostgreSQL advisory lock: one claim at a time, so per-host counts hold
PENDING, DONE, FAILED, CANCELLED = "pending", "done", "failed", "cancelled"
STATES = (PENDING, DONE, FAILED, CANCELLED)
CANDIDATES_PER_SLOT = 4  # due rows read per free slot, so that hosts at their limit are passed over


def add(planned, now):
    """Write planned deliveries (dicts of kind, destination, url, subject, post_id, due, and a
    body when the kind fixes it at planning), in the
    caller's write transaction. One that an identical pending delivery not yet taken by a worker
    will cover is not added: that one is sent after this transaction commits, no earlier than
    this one would be (both due by now; or due at the same time for the same post, whose next
    change plans both anew)."""
    fresh = {}
    for delivery in planned:
        fresh.setdefault(_cover_key(delivery["kind"], delivery["url"], delivery["subject"], delivery["due"],
                                    delivery["post_id"], now), delivery)
    if not fresh:
        return 0
    waiting = _waiting({delivery["subject"] for delivery in fresh.values()}, now)
    rows = [{**delivery, "body": delivery.get("body"),
             "uid": secrets.token_hex(16), "state": PENDING, "next_try": delivery["due"], "attempts": 0,
             "created": now} for key, delivery in fresh.items() if key not in waiting]
    insert_rows(Delivery, rows)
    return len(rows)


def _cover_key(kind, url, subject, due, post_id, now):
    """What a delivery can be covered by: any twin due by now, or one of its post's at its time."""
    return (kind, url, subject) + (("now",) if due <= now else (due, post_id))


def _waiting(subjects, now):
    """The cover keys of pending deliveries on these subjects that no worker has taken, locked
    until this transaction ends (so that none is taken before this change commits)."""
    query = locked(Delivery.select(Delivery.kind, Delivery.url, Delivery.subject, Delivery.next_try,
                                   Delivery.post_id).where(Delivery.subject.in_(subjects), Delivery.state == PENDING,
                                                           Delivery.leased_until.is_null()))
    return {_cover_key(*row, now) for row in query.tuples()}


def drop_future(post_ids, now):
    """Forget posts' deliveries planned for later and never tried (their next plan replaces them);
    how many. One post's (every edit's) runs as SQL built once."""
    if len(post_ids) == 1:
        return _drop_future_of_one.run(post_id=post_ids[0], now=now).rowcount
    return _future_of(Delivery.post_id.in_(post_ids), now).execute()


def _future_of(posts, now):
    return Delivery.delete().where(posts, Delivery.state == PENDING, Delivery.attempts == 0, Delivery.due > now)


_drop_future_of_one = PreparedQuery(lambda post_id, now: _future_of(Delivery.post_id == post_id, now),
                                    post_id=Delivery.post_id, now=Delivery.due)


def forget_of_posts(post_ids, kind):
    """Forget every delivery of this kind for these posts, whatever its state (a worker holding
    one finds its lease lost)."""
    return Delivery.delete().where(Delivery.post_id.in_(post_ids), Delivery.kind == kind).execute()


@contextlib.contextmanager
def _claim_transaction():
    """One claimer at a time: BEGIN IMMEDIATE on SQLite, an advisory lock on PostgreSQL."""
    with database.atomic():
        if not is_sqlite():
            database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (CLAIM_LOCK,))
        yield


def claim(now, slots, lease_for, per_host):
    """Take up to `slots` due deliveries for one worker, at most `per_host` in flight to a host
    counting every worker's, none to a host backed off: each gets a new lease (its token) held
    until now + lease_for, and one more attempt. Rows a writer holds are skipped (SKIP LOCKED)."""
    with _claim_transaction():
        blocked = DeliveryHost.select(DeliveryHost.host).where(DeliveryHost.blocked_until > now)
        due = (Delivery.select().where(
            Delivery.state == PENDING, Delivery.next_try <= now,
            Delivery.leased_until.is_null() | (Delivery.leased_until < now),
            Delivery.destination.not_in(blocked))
            .order_by(Delivery.next_try, Delivery.id).limit(slots * CANDIDATES_PER_SLOT))
        if not is_sqlite():
            due = due.for_update("FOR UPDATE SKIP LOCKED")
        in_flight = dict(Delivery.select(Delivery.destination, fn.COUNT(Delivery.id))
                         .where(Delivery.state == PENDING, Delivery.leased_until >= now)
                         .group_by(Delivery.destination).tuples())
        taken = []
        for delivery in due:
            if len(taken) == slots:
                break
            if in_flight.get(delivery.destination, 0) < per_host:
                in_flight[delivery.destination] = in_flight.get(delivery.destination, 0) + 1
                taken.append(delivery)
        until = now + lease_for
        for delivery in taken:
            delivery.lease, delivery.leased_until, delivery.attempts = secrets.token_hex(16), until, delivery.attempts + 1
            Delivery.update(lease=delivery.lease, leased_until=until, attempts=delivery.attempts).where(
                Delivery.id == delivery.id).execute()
    return taken


def finish(delivery, state, now, error=None):
    """End a delivery this worker still holds (done or failed); False if its lease was lost."""
    return _release(delivery, state=state, finished=now, last_error=error)


def put_off(delivery, next_try, error):
    """Hand back a delivery this worker still holds, to be tried again at `next_try`."""
    return _release(delivery, next_try=next_try, last_error=error)


def _release(delivery, **fields):
    with database.atomic():
        return Delivery.update(lease=None, leased_until=None, **fields).where(
            Delivery.id == delivery.id, Delivery.lease == delivery.lease, Delivery.state == PENDING).execute() == 1


def host_failed(host, now, block_for):
    """Count a failure of `host`; `block_for(failures)` says how long it is then backed off (None: not)."""
    with database.atomic():
        row = locked(DeliveryHost.select().where(DeliveryHost.host == host)).first()
        failures = (row.failures if row else 0) + 1
        wait = block_for(failures)
        until = now + wait if wait is not None else None
        if row is None:
            DeliveryHost.insert(host=host, failures=failures, blocked_until=until).on_conflict(
                conflict_target=[DeliveryHost.host],
                update={DeliveryHost.failures: DeliveryHost.failures + 1, DeliveryHost.blocked_until: until}).execute()
        else:
            DeliveryHost.update(failures=failures, blocked_until=until).where(DeliveryHost.host == host).execute()


def host_answered(host):
    """The host took a delivery: it is no longer backed off."""
    DeliveryHost.delete().where(DeliveryHost.host == host).execute()


def summary():
    """(kind, destination, state, count) for every combination that has deliveries."""
    rows = (Delivery.select(Delivery.kind, Delivery.destination, Delivery.state, fn.COUNT(Delivery.id))
            .group_by(Delivery.kind, Delivery.destination, Delivery.state)
            .order_by(Delivery.kind, Delivery.destination).tuples())
    return list(rows)


def oldest_pending_due(now):
    """The first due time of the oldest pending delivery already due, or None."""
    row = (Delivery.select(Delivery.due).where(Delivery.state == PENDING, Delivery.due <= now)
           .order_by(Delivery.due).limit(1).tuples().first())
    return row[0] if row else None


def page(limit, before=None, state=None, kind=None, destination=None):
    """Deliveries newest first (by id), below id `before`, filtered; one more than `limit`."""
    query = Delivery.select()
    for column, value in ((Delivery.state, state), (Delivery.kind, kind), (Delivery.destination, destination)):
        if value is not None:
            query = query.where(column == value)
    if before is not None:
        query = query.where(Delivery.id < before)
    return list(query.order_by(Delivery.id.desc()).limit(limit + 1))


def get(delivery_id):
    return Delivery.get_or_none(Delivery.id == delivery_id)


def reopen(delivery_id, now):
    """A failed or cancelled delivery pending again as if new: due now, no try made yet."""
    return Delivery.update(state=PENDING, due=now, next_try=now, attempts=0, finished=None, lease=None,
                           leased_until=None).where(
        Delivery.id == delivery_id, Delivery.state.in_((FAILED, CANCELLED))).execute() == 1


def cancel(delivery_id, now):
    """A pending delivery cancelled (a worker sending it now cannot call it back)."""
    return Delivery.update(state=CANCELLED, finished=now, lease=None, leased_until=None).where(
        Delivery.id == delivery_id, Delivery.state == PENDING).execute() == 1


def give_up_expired(oldest_due, now):
    """Pending deliveries first due before `oldest_due`, not in a worker's hands, become failed."""
    return Delivery.update(state=FAILED, finished=now,
                           last_error=fn.COALESCE(Delivery.last_error, "never tried before its maximum age")).where(
        Delivery.state == PENDING, Delivery.due < oldest_due,
        Delivery.leased_until.is_null() | (Delivery.leased_until < now)).execute()


def prune(finished_before):
    """Forget done and cancelled deliveries finished before then (failed ones stay listed)."""
    return Delivery.delete().where(Delivery.state.in_((DONE, CANCELLED)),
                                   Delivery.finished < finished_before).execute()



def cancel_to(url, kind_prefix, now):
    """Cancel the pending deliveries of these kinds to `url` (its receiver is gone)."""
    return Delivery.update(state=CANCELLED, finished=now, lease=None, leased_until=None).where(
        Delivery.url == url, Delivery.state == PENDING, Delivery.kind.startswith(kind_prefix)).execute()


def of_post(post_id, kind_prefix, limit=500):
    """A post's deliveries of these kinds, newest first."""
    return list(Delivery.select().where(Delivery.post_id == post_id, Delivery.kind.startswith(kind_prefix))
                .order_by(Delivery.id.desc()).limit(limit))
