"""Receiving Webmentions: a request is checked and queued for the worker, which fetches the
source (outbound/webmention.py) and hands its answer here to verify, store, update or remove
the mention; what readers see of them; the admin's moderation. Replies, likes and boosts from
the fediverse (service/federation.py) are mentions too, kept and withdrawn by their actor.

Every change of what readers see of a post's mentions is in the change feed (action
"mention"), in the change's own write transaction: the reader cache sees it as any change.
"""
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from ..data import deliveries
from ..data import mentions as stored
from ..data.db import write_transaction
from ..data.models import Change, Post, utcnow
from . import errors, mention_source, posts

CHECK_KIND = "webmention-check"  # outbound/webmention.py fetches its source: url is the source, subject the target
ACTION = "mention"  # the change feed's action when what readers see of a post's mentions changed
SHOWN, PENDING, HIDDEN = stored.SHOWN, stored.PENDING, stored.HIDDEN
WEBMENTION, ACTIVITYPUB = stored.WEBMENTION, stored.ACTIVITYPUB
STATUSES = stored.STATUSES
MAX_URL = 2_048


@dataclass(frozen=True)
class Settings:
    """Receiving's settings: approval first or not, and how many Webmentions one source or one
    post may receive per window."""

    need_approval: bool = False
    per_source: int = 10
    per_target: int = 100
    window: timedelta = timedelta(hours=1)


_settings = Settings()


def use(settings):
    """Receive with these settings from now on (the app binds its own in every app context)."""
    global _settings
    _settings = settings


def receive(source, target, post_id, now=None):
    """Queue the check of a Webmention from `source` to `target` (post `post_id`'s page, its
    fragment dropped); the uid its status is read by. The same source and target still waiting
    are checked once."""
    now = now or utcnow()
    host = urlsplit(source).hostname or ""
    with write_transaction():
        if stored.blocked(host.lower()):
            raise errors.Refused("blocked", "Webmentions from this domain are not accepted.")
        since = now - _settings.window
        retry_after = int(_settings.window.total_seconds())
        if stored.received_since(CHECK_KIND, since, source=source) >= _settings.per_source:
            raise errors.Throttled("This source has sent as many Webmentions as it may for now.", retry_after)
        if stored.received_since(CHECK_KIND, since, post_id=post_id) >= _settings.per_target:
            raise errors.Throttled("This post has received as many Webmentions as it may for now.", retry_after)
        deliveries.add([{"kind": CHECK_KIND, "destination": _destination(source), "url": source, "subject": target,
                         "post_id": post_id, "due": now}], now)
        return stored.newest_pending_check(CHECK_KIND, source, target)


def status(uid):
    """Where a received Webmention stands: queued, accepted, rejected or failed, and why."""
    check = stored.check_by_uid(CHECK_KIND, uid)
    if check is None:
        raise errors.NotFound("No Webmention has this status URL (or it was received long ago).")
    state = {"pending": "queued", "done": "accepted", "failed": "failed", "cancelled": "failed"}[check.state]
    detail = check.last_error
    if state == "accepted" and detail:
        state = "rejected"
    return {"status": state, "source": check.url, "target": check.subject, "detail": detail,
            "received": check.created, "checked": check.finished}


def checked(delivery, answer, now=None):
    """The worker fetched a received Webmention's source: store, update or remove the mention
    as the answer says. Returns why it was not accepted, or None."""
    now = now or utcnow()
    source, target = delivery.url, delivery.subject
    with write_transaction():
        post = Post.find(delivery.post_id) if delivery.post_id else None
        if post is None or not post.is_public(now):
            return "the target is not a public post"
        existing = stored.find(post.id, source)
        if existing is not None and existing.via != WEBMENTION:
            return "this response came from the fediverse: its actor alone changes it"
        if answer.status == 410:
            _remove(existing, now)
            return "the source is gone (410): its mention is removed"
        if not 200 <= answer.status < 300:
            return f"the source answered {answer.status}"
        response = mention_source.read(source, answer.url, answer.media_type, answer.body, target)
        if response is None:
            _remove(existing, now)
            return "the source does not link to the target"
        _keep(existing, {"post": post.id, "source": source, "target": target,
                         "domain": (urlsplit(source).hostname or ""), "via": WEBMENTION, "kind": response.kind,
                         "url": response.url, "author_name": response.author_name,
                         "author_url": response.author_url, "author_photo": response.author_photo,
                         "content_html": response.content_html, "published": response.published}, now)
        return None


def react(post_id, fields, now):
    """A reply, like or repost received from the fediverse, kept as a mention of the post: its
    signature vouches for its actor (`author_url`), so nothing is fetched. One per source (the
    reply's or the activity's id); a repeat updates it. Called in the inbox's write transaction.
    Returns whether it was kept: never from a domain blocked here, nor over a Webmention or
    another actor's response."""
    if stored.blocked(fields["domain"]):
        return False
    existing = stored.find(post_id, fields["source"])
    if existing is not None and (existing.via, existing.author_url) != (ACTIVITYPUB, fields["author_url"]):
        return False
    _keep(existing, {**fields, "post": post_id}, now)
    return True


def withdraw(source, author_url, now):
    """A fediverse reaction undone or deleted by its actor: removed from every post; how many."""
    found = stored.by_source(source, ACTIVITYPUB, author_url)
    for mention in found:
        _remove(mention, now)
    return len(found)


def _keep(existing, fields, now):
    """Store a mention, new or updated (it keeps its status and first receipt); the change feed
    hears of it when readers see a difference."""
    status = existing.status if existing is not None else (PENDING if _settings.need_approval else SHOWN)
    row = {**fields, "status": status, "received": existing.received if existing is not None else now,
           "verified": now}
    stored.save(existing, row)
    if status == SHOWN and (existing is None or _shown_differently(existing, row)):
        _changed(row["post"], now)


def _shown_differently(existing, fields):
    return any(getattr(existing, name) != value for name, value in fields.items()
               if name not in ("post", "received", "verified"))


def _remove(existing, now):
    if existing is None:
        return
    stored.remove(existing.id)
    if existing.status == SHOWN:
        _changed(existing.post_id, now)


def _changed(post_id, now):
    Change.create(post_id=post_id, action=ACTION, at=now)


@dataclass(frozen=True)
class Responses:
    """A post's mentions as readers see them: likes and reposts counted, the rest listed."""

    likes: list
    reposts: list
    listed: list

    @property
    def any(self):
        return bool(self.likes or self.reposts or self.listed)


def post_page(slug, now=None):
    """The public post with this slug (as posts.get_public_by_slug) and the Responses readers
    see under it, or None when it has none: most posts, told by the post's own read."""
    post = posts.get_public_by_slug(slug, now, stored.post_by_slug)
    return post, (for_post(post.id) if post.has_responses else None)


def for_post(post_id):
    shown = stored.shown_for(post_id)
    return Responses([m for m in shown if m.kind == "like"], [m for m in shown if m.kind == "repost"],
                     [m for m in shown if m.kind not in ("like", "repost")])


def page(limit, before=None, **filters):
    """Mentions for the admin, newest first; and the `before` of the next page, if more follow."""
    rows = stored.page(limit, before, **filters)
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def get(mention_id):
    found = stored.get(mention_id)
    if found is None:
        raise errors.NotFound("No mention has this id.")
    return found


def set_status(mention_id, status, now=None):
    """Show (approve), hold or hide a mention."""
    now = now or utcnow()
    with write_transaction():
        mention = get(mention_id)
        if mention.status != status:
            stored.set_status(mention_id, status)
            if SHOWN in (mention.status, status):
                _changed(mention.post_id, now)
    return get(mention_id)


def delete(mention_id, now=None):
    """Forget a mention (a new Webmention from its source may bring it back; block its domain to refuse it)."""
    with write_transaction():
        _remove(get(mention_id), now or utcnow())


def block(domain, now=None):
    """Refuse the domain's (and its subdomains') Webmentions from now on, and forget those it sent."""
    now = now or utcnow()
    domain = domain.lower().strip(".")
    with write_transaction():
        forget_domain(domain, now)
        return stored.block(domain, now)


def forget_domain(domain, now):
    """Forget the mentions from the domain and its subdomains, in the caller's write transaction."""
    for post_id in stored.post_ids_of_domain(domain):
        _changed(post_id, now)
    stored.remove_domain(domain)


def unblock(domain):
    with write_transaction():
        if not stored.unblock(domain.lower().strip(".")):
            raise errors.NotFound("This domain is not blocked.")


def blocks():
    return stored.blocks()


EXPORTED_FIELDS = ("source", "target", "via", "status", "kind", "url", "author_name", "author_url", "author_photo",
                   "content_html", "published", "received", "verified")


def export_records():
    """Every mention and every blocked domain, as (kind, fields) records of the export."""
    for mention in stored.every():
        yield "mention", {"post_id": mention.post_id, **{name: getattr(mention, name) for name in EXPORTED_FIELDS}}
    for blocked in stored.blocks():
        yield "mention_block", {"domain": blocked.domain, "created": blocked.created}


def write_imported(batch, now):
    """Upsert imported mentions by post and source, in the import's transaction; every post whose
    shown mentions changed is in the change feed. Their posts must be stored by now."""
    post_ids = {fields["post_id"] for fields in batch}
    known = {post_id for (post_id,) in Post.select(Post.id).where(Post.id.in_(post_ids)).tuples()}
    outcomes, changed = Counter(), set()
    for fields in batch:
        if fields["post_id"] not in known:
            raise errors.Conflict(f"A mention from {fields['source']} belongs to post {fields['post_id']}, "
                                  "which is neither in the file before it nor stored.")
        existing = stored.find(fields["post_id"], fields["source"])
        row = {**{name: fields[name] for name in EXPORTED_FIELDS}, "post": fields["post_id"],
               "domain": (urlsplit(fields["source"]).hostname or "")}
        if existing is not None and not _shown_differently(existing, row) and existing.received == row["received"] \
                and existing.verified == row["verified"]:
            outcomes["unchanged"] += 1
            continue
        stored.save(existing, row)
        outcomes["created" if existing is None else "updated"] += 1
        if SHOWN in (row["status"], existing.status if existing is not None else None):
            changed.add(fields["post_id"])
    for post_id in sorted(changed):
        _changed(post_id, now)
    return outcomes


def write_imported_blocks(batch):
    outcomes = Counter()
    for fields in batch:
        outcomes["created" if stored.add_block(fields["domain"].lower().strip("."), fields["created"])
                 else "unchanged"] += 1
    return outcomes


def _destination(url):
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
