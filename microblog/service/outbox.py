"""The outbox: what is due, to whom, and when to try again.

Every change of a post asks each kind of delivery what it now owes the outside world
(`PLANNERS`: one function per kind, given what readers saw before the change and see after
it), in the change's own write transaction; a crash after the commit loses nothing, and a
rolled-back change sends nothing. Workers claim due deliveries under a lease, send them
(outbound/), and report here: done, or tried again after a growing wait, or given up.
"""
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..data import deliveries
from ..data.models import shown_to_readers, utcnow
from . import errors, federation, mentions, webmention, websub


@dataclass(frozen=True)
class Settings:
    """What planning needs from the configuration: the WebSub hub, the absolute URLs of the
    feeds of a tag (None: the site's), empty when the site's public URL is not set; a post's
    page from its slug (None without that URL); and the ActivityPub actor's URLs
    (federation.Site), None when the site's public URL is not set."""

    websub_hub: str | None = None
    feed_urls: object = field(default=lambda tag: [])
    post_url: object = field(default=lambda slug: None)
    federation: object = field(default=lambda: None)


_settings = Settings()


def use(settings):
    """Plan with these settings from now on (the app binds its own in every app context)."""
    global _settings
    _settings = settings


@dataclass(frozen=True)
class Seen:
    """What readers see of a post: from when (None: not at all, as it stands), with which tags,
    at which slug, linking to which pages."""

    public_from: datetime | None
    tags: tuple
    slug: str | None = None
    links: tuple = ()

    def public_at(self, now):
        return self.public_from is not None and self.public_from <= now

    @classmethod
    def of(cls, post):
        """From a post row, or an imported post's fields; None (no post) sees nothing."""
        if post is None:
            return cls(None, ())
        get = post.get if isinstance(post, dict) else lambda name: getattr(post, name)
        shown = shown_to_readers(get("visible"), get("deleted"))
        return cls(get("publication_time") if shown else None, tuple(get("tags")), get("slug"),
                   webmention.links_in(get("content_html")) if shown else ())


@dataclass(frozen=True)
class PostChange:
    """A post's change as the planners see it: `post` is the post after it (None once purged);
    `imported` when an import wrote it (followers are not sent a site's whole history again)."""

    post_id: int
    before: Seen
    after: Seen
    now: datetime
    post: object = None
    imported: bool = False


PLANNERS = (websub.plan, webmention.plan, federation.plan)  # a new kind of delivery adds its planner here


def posts_changed(changes, now, imported=False):
    """Record what the changes of posts, (post_id, before, after) each, owe the outside world,
    in the caller's transaction: their deliveries planned for later are planned anew, from the
    posts as they now stand (a post new to the blog has none: its id, if a purged post's before,
    was left nothing for later by the purge)."""
    planned_before = [post_id for post_id, before, _ in changes if before is not None]
    if planned_before:
        deliveries.drop_future(planned_before, now)
    purged = [post_id for post_id, _, after in changes if after is None]
    if purged:  # the mentions of a post gone for good went with it: nothing is left to check
        deliveries.forget_of_posts(purged, mentions.CHECK_KIND)
    post_changes = [PostChange(post_id, Seen.of(before), Seen.of(after), now, after, imported)
                    for post_id, before, after in changes]
    deliveries.add([planned for change in post_changes for plan in PLANNERS for planned in plan(change, _settings)], now)


@dataclass(frozen=True)
class RetryPolicy:
    """When a failed delivery is tried again, and when it and its host are given up on."""

    base: timedelta
    cap: timedelta
    max_age: timedelta
    lease: timedelta
    host_failures: int
    per_host: int
    keep_done: timedelta

    def wait(self, failures):
        """base × 2^(failures-1), at most cap, with ±25 % jitter so that retries spread out."""
        exponent = min(failures - 1, 40)
        seconds = min(self.cap.total_seconds(), self.base.total_seconds() * 2 ** exponent)
        return timedelta(seconds=seconds * random.uniform(0.75, 1.25))

    def host_wait(self, failures):
        """How long a host is backed off after `failures` in a row (None below the threshold)."""
        if failures < self.host_failures:
            return None
        return self.wait(failures - self.host_failures + 1)


def claim(policy, slots, now=None):
    """Due deliveries for one worker: at most `slots`, within the per-host limit."""
    return deliveries.claim(now or utcnow(), slots, policy.lease, policy.per_host)


# kinds whose answer the service takes in when they are done: (delivery, answer, now) -> a note, or None
TAKE_ANSWER = {mentions.CHECK_KIND: mentions.checked}


def delivered(delivery, outcome=None, now=None):
    """The delivery was made: done, never sent again; its host is fine. The answer it brought
    back (`outcome.result`), if any, goes to its kind's taker, whose note it keeps."""
    now = now or utcnow()
    note = outcome.detail if outcome is not None else None
    take = TAKE_ANSWER.get(delivery.kind)
    if take is not None and outcome is not None and outcome.result is not None:
        note = take(delivery, outcome.result, now)
    deliveries.finish(delivery, deliveries.DONE, now, note)
    deliveries.host_answered(delivery.destination)


def not_delivered(delivery, outcome, policy, now=None):
    """The delivery failed: given up if `outcome.permanent` or past its maximum age, else tried
    again after a growing wait; a host that failed (not a refusal it gave) counts towards its
    backing off."""
    now = now or utcnow()
    if outcome.host_failed:
        deliveries.host_failed(delivery.destination, now, policy.host_wait)
    else:
        deliveries.host_answered(delivery.destination)
    next_try = now + policy.wait(delivery.attempts)
    if outcome.permanent or next_try > delivery.due + policy.max_age:
        deliveries.finish(delivery, deliveries.FAILED, now, outcome.detail)
    else:
        deliveries.put_off(delivery, next_try, outcome.detail)


def tidy(policy, now=None):
    """Give up deliveries past their maximum age that no worker holds; forget old finished ones."""
    now = now or utcnow()
    return deliveries.give_up_expired(now - policy.max_age, now), deliveries.prune(now - policy.keep_done)


def summary(now=None):
    """Per kind and destination, how many deliveries are pending, done, failed and cancelled;
    and the oldest pending delivery's age."""
    groups = {}
    for kind, destination, state, count in deliveries.summary():
        group = groups.setdefault((kind, destination), {"kind": kind, "destination": destination,
                                                        **dict.fromkeys(deliveries.STATES, 0)})
        group[state] = count
    return {"items": list(groups.values()), "oldest_pending_age": oldest_pending_age(now)}


def oldest_pending_age(now=None):
    """Seconds since the oldest pending delivery came due (0 when none is waiting)."""
    now = now or utcnow()
    due = deliveries.oldest_pending_due(now)
    return round((now - due).total_seconds(), 3) if due else 0


def page(limit, before=None, **filters):
    """Deliveries, newest first; and the `before` of the next page, if more follow."""
    rows = deliveries.page(limit, before, **filters)
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def get(delivery_id):
    found = deliveries.get(delivery_id)
    if found is None:
        raise errors.NotFound("No delivery has this id.")
    return found


def retry(delivery_id, now=None):
    """A failed or cancelled delivery tried again now, as if new."""
    now = now or utcnow()
    get(delivery_id)
    if not deliveries.reopen(delivery_id, now):
        raise errors.Conflict("Only a failed or cancelled delivery can be retried.")
    return get(delivery_id)


def cancel(delivery_id, now=None):
    """A pending delivery is not sent (one being sent this instant may still arrive)."""
    get(delivery_id)
    if not deliveries.cancel(delivery_id, now or utcnow()):
        raise errors.Conflict("Only a pending delivery can be cancelled.")
    return get(delivery_id)
