"""Sending Webmentions: when readers' view of a post changes, each page it links to (or linked
to before the change) is told, so that it can show, update or remove the mention.

A post readers can see now, or could see before the change (edited, published, hidden,
deleted, restored), owes a Webmention to each link of its text before and after the change:
a link an edit removed is told too, and a post that went away is told as its page answers 410.
A scheduled post's are planned for its publication; a change readers could never see sends
nothing. Links to this site itself are not sent.
"""
from html.parser import HTMLParser
from urllib.parse import urlsplit

from .websub import destination

KIND = "webmention"  # outbound/webmention.py sends it: url is the linked page, subject the post's URL


def plan(change, settings):
    """The Webmentions this change owes, now if readers see the difference now, and at the
    post's publication if it is scheduled."""
    before, after, now = change.before, change.after, change.now
    planned = []
    if before.public_at(now) or after.public_at(now):
        seen = after if after.public_at(now) else before
        links = set(before.links if before.public_at(now) else ()) | set(after.links if after.public_at(now) else ())
        planned += _mentions(settings, change.post_id, seen.slug, links, now)
    if after.public_from is not None and after.public_from > now:
        planned += _mentions(settings, change.post_id, after.slug, set(after.links), after.public_from)
    return planned


def _mentions(settings, post_id, slug, links, due):
    source = settings.post_url(slug)
    if source is None:
        return []
    own = _origin(source)
    return [{"kind": KIND, "destination": destination(link), "url": link, "subject": source, "post_id": post_id,
             "due": due} for link in sorted(links) if _origin(link) != own]


def links_in(html):
    """The absolute http(s) URLs the post's HTML links to (a[href]), fragments dropped, in order."""
    finder = _LinkFinder()
    finder.feed(html or "")
    finder.close()
    return tuple(dict.fromkeys(finder.links))


def _origin(url):
    parts = urlsplit(url)
    return parts.scheme, parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


class _LinkFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href") if tag == "a" else None
        if href and urlsplit(href).scheme in ("http", "https") and urlsplit(href).hostname:
            self.links.append(href.split("#", 1)[0])
