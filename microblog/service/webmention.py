"""Sending Webmentions: when readers' view of a post changes, each page it links to (or linked
to before the change) is told, so that it can show, update or remove the mention.

A post readers can see now, or could see before the change (edited, published, hidden,
deleted, restored), owes a Webmention to each link of its text before and after the change:
a link an edit removed is told too, and a post that went away is told as its page answers 410.
A scheduled post's are planned for its publication; a change readers could never see sends
nothing. Links to this site itself are not sent.
"""
import re
from html import unescape
from urllib.parse import urlsplit

from .websub import destination

KIND = "webmention"  # outbound/webmention.py sends it: url is the linked page, subject the post's URL
_LINK = re.compile(r'<a\s[^>]*?\bhref="(https?://[^"]*)"', re.IGNORECASE)


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
    """The absolute http(s) URLs a post's HTML links to (a[href]), fragments dropped, in order.
    The HTML is the sanitizer's (service/content.py): every attribute is double-quoted and its
    value escaped, and markup shown as text is escaped, so a pattern reads its links exactly."""
    if not html or "<a " not in html:
        return ()
    found = (unescape(href).split("#", 1)[0] for href in _LINK.findall(html))
    return tuple(dict.fromkeys(url for url in found if urlsplit(url).hostname))


def _origin(url):
    parts = urlsplit(url)
    return parts.scheme, parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)

