"""WebSub publishing: when the feeds' content changes, the hub is told which feeds to fetch.

A feed changes when a post readers could see before the change, or can see after it, changes
(published, edited, hidden, deleted, restored), and again when a scheduled post comes due. A
change readers could never see (a hidden or scheduled post edited) pings nothing, so the hub
learns nothing it could not read in the feeds.
"""
from urllib.parse import urlsplit

KIND = "websub"


def plan(change, settings):
    """The pings this change owes: the site's feeds and those of the tags it touched, now if
    readers see the difference now, and at the post's publication if it is scheduled."""
    if not settings.websub_hub:
        return []
    before, after, now = change.before, change.after, change.now
    planned = []
    if before.public_at(now) or after.public_at(now):
        tags = set(before.tags if before.public_at(now) else ()) | set(after.tags if after.public_at(now) else ())
        planned += _pings(settings, change.post_id, tags, now)
    if after.public_from is not None and after.public_from > now:
        planned += _pings(settings, change.post_id, set(after.tags), after.public_from)
    return planned


def _pings(settings, post_id, tags, due):
    hub = settings.websub_hub
    topics = [url for tag in [None, *sorted(tags)] for url in settings.feed_urls(tag)]
    return [{"kind": KIND, "destination": destination(hub), "url": hub, "subject": topic,
             "post_id": post_id, "due": due} for topic in topics]


def destination(url):
    """The host and port a request to `url` goes to: what per-host limits count."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.hostname}:{port}"
