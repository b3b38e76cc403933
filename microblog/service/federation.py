"""ActivityPub's rules: the actor and its key, the Note a public post is, what a post's change
sends to followers (Create, Update, Delete: one delivery per shared inbox), and what an inbox
does with a verified activity (Follow, Undo, Delete; replies, likes and boosts of public posts
are kept as mentions, shown and moderated as received Webmentions are: service/mentions.py).

Nothing that is not public is ever a Note or sent: the planner sees what readers see before and
after a change (outbox.Seen), as WebSub's does. A post's object id carries a generation that a
Delete moves on, so that a restored post is a new object to servers that dropped the old one.
"""
import json
import secrets
from dataclasses import dataclass
from datetime import timezone
from urllib.parse import urlsplit

from ..data import deliveries
from ..data import federation as data
from ..data.db import write_transaction
from ..data.models import Post, User, utcnow
from ..outbound import signatures
from . import errors, mention_source, mentions, posts, websub

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]
ACTIVITY_TYPE = "application/activity+json"
KIND_PREFIX = "ap-"  # the deliveries' kinds: ap-create, ap-update, ap-delete, ap-accept, ap-reject, ap-undo


@dataclass(frozen=True)
class Site:
    """The actor's absolute URLs and profile, from the configuration and web/urls.py."""

    username: str | None  # FEDIVERSE_USERNAME; None: the admin's
    host: str  # the handle's host (with the port, where the public URL has one)
    name: str
    summary: str
    home: str
    icon: str
    actor: str
    inbox: str
    shared_inbox: str
    outbox: str
    followers: str
    following: str
    post_url: object  # slug → the post's page
    tag_url: object  # tag → the tag's page
    object_url: object  # (post_id, generation) → the Note's id
    post_of: object = lambda url: None  # a URL of ours → the id of the post it names (its page or object), or None

    @property
    def key_id(self):
        return self.actor + "#main-key"

    def preferred_username(self):
        if self.username:
            return self.username
        admin = User.select(User.username).order_by(User.id).first()
        return admin.username if admin else "admin"

    def handle_resource(self):
        return f"acct:{self.preferred_username()}@{self.host}"


def iso(moment):
    return moment.replace(tzinfo=timezone.utc, microsecond=0).isoformat().replace("+00:00", "Z")


def actor_key(now=None):
    """The actor's key, made the first time it is asked for."""
    key = data.actor_key()
    if key is None:
        private, public = signatures.new_key_pair()
        data.add_actor_key(private, public, now or utcnow())
        key = data.actor_key()
    return key


def actor(site):
    """The site's actor: a Person."""
    key = actor_key()
    return {
        "@context": CONTEXT, "id": site.actor, "type": "Person",
        "preferredUsername": site.preferred_username(), "name": site.name, "summary": site.summary,
        "url": site.home, "icon": {"type": "Image", "url": site.icon},
        "inbox": site.inbox, "outbox": site.outbox, "followers": site.followers, "following": site.following,
        "endpoints": {"sharedInbox": site.shared_inbox},
        "manuallyApprovesFollowers": False, "discoverable": True, "indexable": True,
        "published": iso(key.created),
        "publicKey": {"id": site.key_id, "owner": site.actor, "publicKeyPem": key.public_pem},
    }


def webfinger(site, resource):
    """The JRD for the site's handle (or its actor's URL); NotFound for any other resource."""
    if resource not in (site.handle_resource(), site.actor, site.home):
        raise errors.NotFound("No account here has this name.")
    return {"subject": site.handle_resource(), "aliases": [site.actor, site.home],
            "links": [{"rel": "self", "type": ACTIVITY_TYPE, "href": site.actor},
                      {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": site.home}]}


def _get(post, name, default=None):
    return post.get(name, default) if isinstance(post, dict) else getattr(post, name, default)


def note(post, site, updated=None):
    """The post as a Note (an Article when titled), under its current object id."""
    generation = data.generation(_get(post, "id"))
    tags = list(_get(post, "tags") or ())
    document = {
        "id": site.object_url(_get(post, "id"), generation), "type": "Article" if _get(post, "title") else "Note",
        "attributedTo": site.actor, "to": [PUBLIC], "cc": [site.followers],
        "content": _get(post, "content_html"),
        "source": {"content": _get(post, "content"), "mediaType": "text/markdown"},
        "url": site.post_url(_get(post, "slug")), "published": iso(_get(post, "publication_time")),
        "tag": [{"type": "Hashtag", "href": site.tag_url(tag), "name": f"#{tag}"} for tag in tags],
        "attachment": [{"type": "Image", "url": photo["url"], "name": photo.get("alt") or ""}
                       for photo in _get(post, "photos", None) or ()],
        "sensitive": False,
    }
    if _get(post, "title"):
        document["name"] = _get(post, "title")
    if updated is not None:
        document["updated"] = iso(updated)
    return document


def create(post, site):
    document = note(post, site)
    return {"@context": CONTEXT, "id": document["id"] + "#create", "type": "Create", "actor": site.actor,
            "published": document["published"], "to": [PUBLIC], "cc": [site.followers], "object": document}


def _update(post, site, now):
    document = note(post, site, updated=now)
    return {"@context": CONTEXT, "id": f"{document['id']}#update-{secrets.token_hex(8)}", "type": "Update",
            "actor": site.actor, "published": iso(now), "to": [PUBLIC], "cc": [site.followers], "object": document}


def _delete(object_id, site):
    return {"@context": CONTEXT, "id": object_id + "#delete", "type": "Delete", "actor": site.actor,
            "to": [PUBLIC], "cc": [site.followers], "object": {"id": object_id, "type": "Tombstone"}}


def plan(change, settings):
    """What the change sends to followers: Create when readers start seeing the post (now, or
    at its publication when scheduled), Update when they saw it and still do, Delete with a
    Tombstone when they stop (hidden, deleted, purged, or put back into the future)."""
    site = settings.federation()
    if site is None or change.imported:
        return []
    before, after, now = change.before, change.after, change.now
    inboxes = deliverable_inboxes()
    planned = []
    if before.public_at(now) and not after.public_at(now):
        object_id = site.object_url(change.post_id, data.generation(change.post_id))
        planned += _to_all(inboxes, "delete", _delete(object_id, site), change.post_id, now)
        data.next_generation(change.post_id)
    elif before.public_at(now) and after.public_at(now):
        planned += _to_all(inboxes, "update", _update(change.post, site, now), change.post_id, now)
    elif after.public_at(now):
        planned += _to_all(inboxes, "create", create(change.post, site), change.post_id, now)
    if after.public_from is not None and after.public_from > now:
        planned += _to_all(inboxes, "create", create(change.post, site), change.post_id, after.public_from)
    return planned


def deliverable_inboxes():
    """The followers' distinct inboxes, a server's shared one where it has one; none blocked."""
    return [inbox for inbox in data.shared_inboxes() if not data.is_blocked(urlsplit(inbox).hostname or "")]


def _to_all(inboxes, kind, activity, post_id, due):
    body = json.dumps(activity, ensure_ascii=False, separators=(",", ":"))
    return [{"kind": KIND_PREFIX + kind, "destination": websub.destination(inbox), "url": inbox,
             "subject": activity["id"], "post_id": post_id, "due": due, "body": body} for inbox in inboxes]


def request_signer(site):
    """sign(method, url, body=None) → the headers that sign a request as the actor."""
    key = actor_key()

    def sign(method, url, body=None):
        return signatures.sign(method, url, site.key_id, key.private_pem, utcnow(), body)

    return sign


def public_post_count(now=None):
    return Post.select().where(Post.shown(), Post.publication_time <= (now or utcnow())).count()


def outbox_page(site, after, limit, now=None):
    """The public posts' Create activities, newest first, from keyset position `after`."""
    page = posts.list_public(posts.PostFilter(limit=limit, after=after), now)
    return [create(post, site) for post in page.items], page.next_key


def post_object(site, post_id, generation=None, now=None):
    """A public post's object in its current generation (None: whichever that is); NotFound for
    any other post or generation."""
    post = posts.get_public(post_id, now)
    if generation is not None and data.generation(post_id) != generation:
        raise errors.NotFound("No public post matches.")
    return {"@context": CONTEXT, **note(post, site)}


def followers_collection(site):
    """The followers as others see them: a count, never the list."""
    return {"@context": CONTEXT, "id": site.followers, "type": "OrderedCollection",
            "totalItems": data.follower_count()}


def following_collection(site):
    return {"@context": CONTEXT, "id": site.following, "type": "OrderedCollection", "totalItems": 0,
            "orderedItems": []}


def nodeinfo(software_version, site, now=None):
    """NodeInfo 2.1: the software, the protocols, and the counts statistics crawlers read."""
    return {"version": "2.1",
            "software": {"name": "microblog", "version": software_version},
            "protocols": ["activitypub"], "services": {"inbound": [], "outbound": ["atom1.0", "rss2.0"]},
            "openRegistrations": False,
            "usage": {"users": {"total": 1, "activeMonth": 1, "activeHalfyear": 1},
                      "localPosts": public_post_count(now)},
            "metadata": {"nodeName": site.name}}


class FetchFailed(Exception):
    """A remote document could not be fetched or read (the web layer's fetcher says why)."""


@dataclass(frozen=True)
class Incoming:
    """A POST to an inbox as the signature sees it: `headers` is case-insensitive with getlist."""

    method: str
    path: str  # with its query, as in the request line
    target_uri: str  # the absolute URL it was sent to (RFC 9421's @target-uri)
    headers: object
    body: bytes


@dataclass(frozen=True)
class RemoteActor:
    owner: str
    public_pem: str
    inbox: str | None
    shared_inbox: str | None
    name: str | None  # shown with the actor's replies, likes and boosts


def receive(site, incoming, fetch_json, now=None):
    """Take a signed activity posted to an inbox: verify it (AuthenticationFailed: 401, nothing
    stored), then do what it asks in one transaction. `fetch_json(url)` fetches a remote
    document with a signed GET (FetchFailed). Returns what was done, for the log."""
    now = now or utcnow()
    activity = _activity(incoming.body)
    actor_id = _id_of(activity.get("actor")) if activity else ""
    if actor_id and activity.get("type") == "Delete" and not data.known_actor(actor_id):
        return "ignored: a Delete from an actor never seen"
    try:
        signed = signatures.read(incoming.method, incoming.path, incoming.headers, incoming.body, now,
                                 incoming.target_uri)
    except signatures.SignatureError as error:
        raise errors.AuthenticationFailed(str(error)) from None
    if activity is None or not isinstance(activity.get("type"), str) or not _is_url(actor_id):
        raise errors.Invalid("The body is not an activity with a type and an actor.")
    if data.is_blocked(urlsplit(actor_id).hostname or ""):
        raise errors.Forbidden("Activities from this domain are refused.")
    if data.is_blocked(urlsplit(signed.key_id).hostname or ""):
        raise errors.Forbidden("Activities from this domain are refused.")
    remote, fetched = _verified_key(signed, fetch_json)
    if remote.owner != actor_id:
        raise errors.AuthenticationFailed("The signing key's owner is not the activity's actor.")
    with write_transaction():
        if fetched:
            data.keep_remote_key(signed.key_id, remote.owner, remote.public_pem, remote.inbox, remote.shared_inbox,
                                 remote.name, now)
        return _apply(site, activity, actor_id, remote, now)


def _activity(body):
    """The body as a JSON object, or None (refused once the signature has been read: an
    unsigned request is told 401 before anything about its body)."""
    try:
        activity = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return activity if isinstance(activity, dict) else None


def _id_of(value):
    """An object's id, whether it is given by reference (a string) or embedded; "" for none, and
    for one with a NUL (no URL has one, and PostgreSQL refuses them in text)."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and "\x00" not in value else ""


def _verified_key(signed, fetch_json):
    """The key named by the signature, kept from before or fetched (again, should the kept one
    no longer verify: keys are rotated), once the signature verifies with it; and whether it
    was fetched (to be kept once the activity is accepted)."""
    kept = data.remote_key(signed.key_id)
    if kept is not None and signed.verify(kept.public_pem):
        return RemoteActor(kept.owner, kept.public_pem, kept.inbox, kept.shared_inbox, kept.name), False
    remote = _fetch_key(signed.key_id, fetch_json)
    if not signed.verify(remote.public_pem):
        raise errors.AuthenticationFailed("The signature does not verify with the key at keyId.")
    return remote, True


def _fetch_key(key_id, fetch_json):
    """The key at key_id and its owner: the owner's actor document must name this key, and be on
    the key's own server (a key document cannot claim someone else's actor)."""
    try:
        document = fetch_json(key_id)
        if "publicKeyPem" in document and "owner" in document:
            owner_document = fetch_json(_id_of(document["owner"]))
        else:
            owner_document = document
    except FetchFailed as error:
        raise errors.AuthenticationFailed(f"The key could not be fetched: {error}") from None
    owner = _id_of(owner_document)
    keys = owner_document.get("publicKey")
    keys = keys if isinstance(keys, list) else [keys]
    key = next((key for key in keys if isinstance(key, dict) and key.get("id") == key_id), None)
    if key is None or not isinstance(key.get("publicKeyPem"), str) or _id_of(key.get("owner", owner)) != owner:
        raise errors.AuthenticationFailed("The key's owner does not name this key.")
    if _origin(owner) != _origin(key_id):
        raise errors.AuthenticationFailed("The key and its owner are on different servers.")
    endpoints = owner_document.get("endpoints")
    shared = endpoints.get("sharedInbox") if isinstance(endpoints, dict) else None
    inbox = owner_document.get("inbox")
    return RemoteActor(owner, key["publicKeyPem"], inbox if _is_url(inbox) else None,
                       shared if _is_url(shared) else None, _actor_name(owner_document))


def _actor_name(document):
    """How the actor is shown with its replies: its name, else @preferredUsername@host."""
    name, username = _plain(document.get("name")), _plain(document.get("preferredUsername"))
    if not name and username:
        name = f"@{username}@{urlsplit(_id_of(document)).netloc}"
    return name[:mention_source.MAX_NAME] if name else None


def _plain(value):
    """A string without NULs (PostgreSQL refuses them in text), stripped; "" for anything else."""
    return value.replace("\x00", "").strip() if isinstance(value, str) else ""


def _origin(url):
    parts = urlsplit(url)
    return parts.scheme, parts.netloc.lower()


def _is_url(value):
    return isinstance(value, str) and value.startswith(("https://", "http://")) and "\x00" not in value


def _apply(site, activity, actor_id, remote, now):
    kind, target = activity["type"], activity.get("object")
    object_id = _id_of(target)
    if kind == "Follow" and object_id == site.actor:
        return _follow(site, activity, actor_id, remote, now)
    if kind in REACTIONS:
        return _react(site, activity, actor_id, remote, now)
    if kind in ("Undo", "Delete") and object_id not in ("", actor_id) and mentions.withdraw(object_id, actor_id, now):
        return "withdrew a reaction"
    if kind == "Delete" and object_id != actor_id:
        return "ignored: a Delete of nothing kept"
    if kind == "Undo" and isinstance(target, (dict, str)):
        follower = data.follower_by_actor(actor_id)
        if follower is not None and (object_id == follower.follow_id or (
                isinstance(target, dict) and target.get("type") == "Follow" and _id_of(target.get("object")) == site.actor)):
            _unfollowed(follower)
            return "unfollowed"
        return "ignored: an Undo of nothing kept"
    if kind == "Delete":
        follower = data.follower_by_actor(actor_id)
        if follower is not None:
            _unfollowed(follower)
        data.forget_remote_keys(actor_id)
        return "forgot a deleted actor"
    return f"ignored: {kind[:40]}"


REACTIONS = {"Like": "like", "Announce": "repost", "Create": "reply", "Update": "reply"}  # type → mention kind


def _react(site, activity, actor_id, remote, now):
    """A like or boost of one of the site's public posts, or a reply to one (new or edited):
    kept as a mention of the post, under the id of the reply or of the activity, which must be
    on the actor's own server (an id elsewhere could stand for someone else's response)."""
    kind = REACTIONS[activity["type"]]
    target = activity.get("object")
    if kind == "reply":
        if not isinstance(target, dict) or _id_of(target.get("attributedTo")) not in ("", actor_id):
            return "ignored: a reply that is not the actor's own object"
        named, source = _id_of(target.get("inReplyTo")), _id_of(target)
        url = target["url"] if _is_url(target.get("url")) else source
        content = mention_source.shown_html(_plain(target.get("content")), url)
        published = mention_source.moment(_plain(target.get("published")))
    else:
        named, source, url, content, published = _id_of(target), _id_of(activity), _id_of(activity), "", None
    if not _is_url(source) or _origin(source) != _origin(actor_id):
        return f"ignored: a {kind} whose id is not on its actor's server"
    if any(len(value) > mentions.MAX_URL for value in (source, url, named, actor_id)):
        return f"ignored: a {kind} with a URL too long"
    post_id = site.post_of(named)
    if post_id is None or not posts.is_public(post_id, now):
        return f"ignored: a {kind} of nothing public here"
    fields = {"source": source, "target": named, "domain": (urlsplit(actor_id).hostname or "").lower(),
              "via": mentions.ACTIVITYPUB, "kind": kind, "url": url, "author_name": remote.name,
              "author_url": actor_id, "author_photo": None, "content_html": content, "published": published}
    return f"kept a {kind}" if mentions.react(post_id, fields, now) else f"ignored: a {kind} refused here"


def _follow(site, activity, actor_id, remote, now):
    if not remote.inbox:
        raise errors.Invalid("The follower's actor has no inbox.")
    data.add_follower(actor_id, remote.inbox, remote.shared_inbox or remote.inbox, _id_of(activity),
                      urlsplit(actor_id).hostname or "", now)
    accept = {"@context": CONTEXT, "id": f"{site.actor}#accepts/{secrets.token_hex(12)}", "type": "Accept",
              "actor": site.actor, "object": activity}
    deliveries.add(_to_all([remote.inbox], "accept", accept, None, now), now)
    return "followed"


def _unfollowed(follower):
    """A follower gone: nothing pending is sent to its inbox once no other follower shares it."""
    data.remove_follower(follower.actor)
    if not data.inbox_in_use(follower.shared_inbox):
        deliveries.cancel_to(follower.shared_inbox, KIND_PREFIX, utcnow())


KEY_FIELDS = ("private_pem", "public_pem", "created")
FOLLOWER_FIELDS = ("actor", "inbox", "shared_inbox", "follow_id", "host", "created")


def export_records():
    """The actor's key and the followers, as export records: a move keeps both."""
    key = data.actor_key()
    if key is not None:
        yield "actor_key", {name: getattr(key, name) for name in KEY_FIELDS}
    for follower in data.all_followers():
        yield "follower", {name: getattr(follower, name) for name in FOLLOWER_FIELDS}


def _import_key(fields):
    key = data.actor_key()
    if key is not None and (key.private_pem, key.public_pem) == (fields["private_pem"], fields["public_pem"]):
        return "unchanged"
    data.replace_actor_key(fields["private_pem"], fields["public_pem"], fields["created"])
    return "created" if key is None else "updated"


def _import_follower(fields):
    found = data.follower_by_actor(fields["actor"])
    if found is not None and all(getattr(found, name) == fields[name] for name in FOLLOWER_FIELDS[1:5]):
        return "unchanged"
    data.add_follower(*(fields[name] for name in FOLLOWER_FIELDS))
    return "created" if found is None else "updated"


IMPORTED = {"actor_key": _import_key, "follower": _import_follower}  # export record kind → its upsert


def followers(limit, after=None):
    """The followers for the admin, by id; and the `after` of the next page, if more follow."""
    rows = data.followers_page(limit, after)
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def remove_follower(site, follower_id, now=None):
    """The admin removes a follower: its server is sent a Reject of its Follow."""
    now = now or utcnow()
    with write_transaction():
        follower = data.follower(follower_id)
        if follower is None:
            raise errors.NotFound("No follower has this id.")
        reject = {"@context": CONTEXT, "id": f"{site.actor}#rejects/{secrets.token_hex(12)}", "type": "Reject",
                  "actor": site.actor, "object": {"id": follower.follow_id, "type": "Follow",
                                                  "actor": follower.actor, "object": site.actor}}
        _unfollowed(follower)
        deliveries.add(_to_all([follower.inbox], "reject", reject, None, now), now)


def blocked_domains():
    return data.blocked_domains()


def block_domain(domain, now=None):
    """Refuse the domain's activities and stop delivering to it; its followers are removed, and
    the replies, likes and boosts it sent (with any Webmention from it) forgotten."""
    now = now or utcnow()
    with write_transaction():
        data.block_domain(domain.lower(), now)
        mentions.forget_domain(domain.lower().strip("."), now)
        for follower in data.all_followers():
            if data.is_blocked(follower.host) or data.is_blocked(urlsplit(follower.shared_inbox).hostname or ""):
                _unfollowed(follower)


def unblock_domain(domain):
    if not data.unblock_domain(domain.lower()):
        raise errors.NotFound("This domain is not blocked.")


def post_deliveries(post_id):
    """A post's ActivityPub deliveries, newest first, and how many are in each state."""
    posts.get_admin(post_id)
    rows = deliveries.of_post(post_id, KIND_PREFIX)
    counts = dict.fromkeys(deliveries.STATES, 0)
    for row in rows:
        counts[row.state] += 1
    return {"counts": counts, "items": rows}


def resend(site, post_id, now=None):
    """Send a public post's Create again to every follower's inbox; how many deliveries."""
    now = now or utcnow()
    with write_transaction():
        post = posts.get_admin(post_id)
        if not post.is_public(now):
            raise errors.Conflict("Only a public post is sent to followers.")
        planned = _to_all(deliverable_inboxes(), "create", create(post, site), post_id, now)
        return deliveries.add(planned, now)
