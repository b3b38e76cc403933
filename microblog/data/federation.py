"""ActivityPub's queries: the actor's key, followers and their inboxes, remote keys, each post's
object generation, and the blocked domains (replies, likes and boosts are mentions: data/mentions.py)."""
from peewee import fn

from .models import ActorKey, BlockedDomain, FederatedPost, Follower, RemoteKey


def actor_key():
    """The actor's key (the oldest made, should two processes have made one at once), or None."""
    return ActorKey.select().order_by(ActorKey.id).first()


def add_actor_key(private_pem, public_pem, now):
    ActorKey.insert(private_pem=private_pem, public_pem=public_pem, created=now).execute()


def replace_actor_key(private_pem, public_pem, created):
    """The imported key becomes the only one (a move keeps the followers' trust in it)."""
    ActorKey.delete().execute()
    ActorKey.insert(private_pem=private_pem, public_pem=public_pem, created=created).execute()


def add_follower(actor, inbox, shared_inbox, follow_id, host, now):
    """A follower, or its inboxes and Follow renewed; True when it is new."""
    updated = Follower.update(inbox=inbox, shared_inbox=shared_inbox, follow_id=follow_id, host=host).where(
        Follower.actor == actor).execute()
    if updated:
        return False
    Follower.insert(actor=actor, inbox=inbox, shared_inbox=shared_inbox, follow_id=follow_id, host=host,
                    created=now).on_conflict_ignore().execute()
    return True


def remove_follower(actor):
    return Follower.delete().where(Follower.actor == actor).execute() == 1


def follower(follower_id):
    return Follower.get_or_none(Follower.id == follower_id)


def follower_by_actor(actor):
    return Follower.get_or_none(Follower.actor == actor)


def follower_count():
    return Follower.select().count()


def followers_page(limit, after=None):
    """Followers by id, after id `after`; one more than `limit`."""
    query = Follower.select().order_by(Follower.id).limit(limit + 1)
    if after is not None:
        query = query.where(Follower.id > after)
    return list(query)


def all_followers():
    return list(Follower.select().order_by(Follower.id))


def shared_inboxes():
    """Every distinct inbox the followers' deliveries go to (a server's shared one where it has one)."""
    return [row[0] for row in Follower.select(Follower.shared_inbox).distinct()
            .order_by(Follower.shared_inbox).tuples()]


def inbox_in_use(inbox):
    return Follower.select().where(Follower.shared_inbox == inbox).exists()


def remote_key(key_id):
    return RemoteKey.get_or_none(RemoteKey.key_id == key_id)


def keep_remote_key(key_id, owner, public_pem, inbox, shared_inbox, name, now):
    fields = {"owner": owner, "public_pem": public_pem, "inbox": inbox, "shared_inbox": shared_inbox, "name": name,
              "fetched": now}
    RemoteKey.insert(key_id=key_id, **fields).on_conflict(
        conflict_target=[RemoteKey.key_id], update={getattr(RemoteKey, name): value for name, value in fields.items()}
    ).execute()


def forget_remote_keys(owner):
    RemoteKey.delete().where(RemoteKey.owner == owner).execute()


def known_actor(actor):
    """Whether the actor follows the site or its key is kept: a Delete of anyone else is ignored."""
    return Follower.select().where(Follower.actor == actor).exists() or \
        RemoteKey.select().where(RemoteKey.owner == actor).exists()


def generation(post_id):
    """The post's current object generation: 1 until a Delete was sent for it."""
    row = FederatedPost.get_or_none(FederatedPost.post_id == post_id)
    return row.generation if row else 1


def next_generation(post_id):
    """The post's next object generation (after a Delete was sent for the current one)."""
    new = generation(post_id) + 1
    FederatedPost.insert(post_id=post_id, generation=new).on_conflict(
        conflict_target=[FederatedPost.post_id], update={FederatedPost.generation: new}).execute()
    return new


def blocked_domains():
    return list(BlockedDomain.select().order_by(BlockedDomain.domain))


def block_domain(domain, now):
    BlockedDomain.insert(domain=domain, created=now).on_conflict_ignore().execute()


def unblock_domain(domain):
    return BlockedDomain.delete().where(BlockedDomain.domain == domain).execute() == 1


def is_blocked(host):
    """Whether the host, or a domain it lies under, is blocked."""
    labels = host.lower().split(".")
    candidates = [".".join(labels[index:]) for index in range(len(labels))]
    return BlockedDomain.select().where(fn.LOWER(BlockedDomain.domain).in_(candidates)).exists()
