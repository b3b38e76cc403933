"""Queries of received Webmentions and of the domains they are refused from."""
from peewee import fn

from .models import Delivery, Mention, MentionBlock, Post
from .prepared import PreparedQuery

SHOWN, PENDING, HIDDEN = "shown", "pending", "hidden"
STATUSES = (SHOWN, PENDING, HIDDEN)
WEBMENTION, ACTIVITYPUB = "webmention", "activitypub"  # how a mention came (mention.via)
VIAS = (WEBMENTION, ACTIVITYPUB)
DISPLAY_ORDER = (fn.COALESCE(Mention.published, Mention.received), Mention.id)


def find(post_id, source):
    return Mention.get_or_none((Mention.post == post_id) & (Mention.source == source))


def by_source(source, via, author_url):
    """The mentions from `source` that came `via` a protocol from `author_url` (a fediverse
    reaction: its id and its actor)."""
    return list(Mention.select().where(Mention.source == source, Mention.via == via, Mention.author_url == author_url))


def get(mention_id):
    return Mention.get_or_none(Mention.id == mention_id)


def save(existing, fields):
    """Insert the mention, or update `existing` (the stored one for its post and source)."""
    if existing is None:
        return Mention.insert(**fields).execute()
    Mention.update(**fields).where(Mention.id == existing.id).execute()
    return existing.id


def remove(mention_id):
    return Mention.delete().where(Mention.id == mention_id).execute() == 1


def set_status(mention_id, status):
    return Mention.update(status=status).where(Mention.id == mention_id).execute() == 1


# every post page asks it: its SQL built once (data/prepared.py)
_shown_for = PreparedQuery(lambda post_id: Mention.select().where(Mention.post == post_id, Mention.status == SHOWN)
                           .order_by(*DISPLAY_ORDER), post_id=None)


def shown_for(post_id):
    """A post's mentions readers see, oldest first."""
    return list(_shown_for(post_id=post_id))


# a post page's read: whether readers see any mention of the post comes in the post's own row,
# so that the page of a post without (most posts) asks nothing more
_post_by_slug = PreparedQuery(lambda slug: Post.select_with_tags((*Post.READ_FIELDS, fn.EXISTS(
    Mention.select(Mention.id).where(Mention.post == Post.id, Mention.status == SHOWN)).alias("has_responses")))
    .where(Post.slug == slug), slug=Post.slug)


def post_by_slug(slug):
    """Post.view_by_slug(slug), with `has_responses`: whether readers see any mention of it."""
    return Post.view_by_slug(slug, _post_by_slug)


def page(limit, before=None, post_id=None, status=None, kind=None, via=None):
    """Mentions newest first (by id), below id `before`, filtered; one more than `limit`."""
    query = Mention.select()
    for column, value in ((Mention.post, post_id), (Mention.status, status), (Mention.kind, kind), (Mention.via, via)):
        if value is not None:
            query = query.where(column == value)
    if before is not None:
        query = query.where(Mention.id < before)
    return list(query.order_by(Mention.id.desc()).limit(limit + 1))


def every():
    return Mention.select().order_by(Mention.id).iterator()


def of_domain(domain):
    """The condition of a mention whose source is on `domain` or one of its subdomains."""
    return (Mention.domain == domain) | Mention.domain.endswith("." + domain)


def post_ids_of_domain(domain):
    return [post_id for (post_id,) in Mention.select(Mention.post).where(of_domain(domain)).distinct().tuples()]


def remove_domain(domain):
    return Mention.delete().where(of_domain(domain)).execute()


def block(domain, now):
    MentionBlock.insert(domain=domain, created=now).on_conflict_ignore().execute()
    return MentionBlock.get(MentionBlock.domain == domain)


def add_block(domain, created):
    """Block the domain from `created`, unless it is blocked already; whether it was added."""
    return MentionBlock.insert(domain=domain, created=created).on_conflict_ignore().as_rowcount().execute() == 1


def unblock(domain):
    return MentionBlock.delete().where(MentionBlock.domain == domain).execute() == 1


def blocks():
    return list(MentionBlock.select().order_by(MentionBlock.domain))


def blocked(host):
    """Whether `host` or a domain above it is blocked."""
    labels = host.split(".")
    candidates = [".".join(labels[start:]) for start in range(len(labels))]
    return MentionBlock.select().where(MentionBlock.domain.in_(candidates)).exists()


def received_since(kind, since, source=None, post_id=None):
    """How many Webmentions (deliveries of `kind`) were received since then, from this source or for this post."""
    query = Delivery.select().where(Delivery.kind == kind, Delivery.created >= since)
    if source is not None:
        query = query.where(Delivery.url == source)
    if post_id is not None:
        query = query.where(Delivery.post_id == post_id)
    return query.count()


def check_by_uid(kind, uid):
    return Delivery.get_or_none((Delivery.uid == uid) & (Delivery.kind == kind))


def newest_pending_check(kind, source, target):
    """The uid of the newest pending check of this source and target (the one just queued or
    the one it joined)."""
    row = (Delivery.select(Delivery.uid).where(Delivery.kind == kind, Delivery.url == source,
                                               Delivery.subject == target, Delivery.state == "pending")
           .order_by(Delivery.id.desc()).limit(1).tuples().first())
    return row[0] if row else None
