"""Content negotiation between a page and its ActivityPub document: servers ask with
`application/activity+json` or `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`,
browsers with text/html. Every answer that negotiates varies on Accept, the reader cache's too."""
import functools

from flask import request
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

ACTIVITY_TYPES = ("application/activity+json", "application/ld+json")
HTML_TYPES = ("text/html", "application/xhtml+xml", "text/*", "*/*")


def wants_activity():
    """Whether the request prefers an ActivityStreams document to a page (ties go to the page)."""
    return _prefers_activity(request.environ.get("HTTP_ACCEPT"))


@functools.lru_cache(maxsize=256)  # clients send few distinct Accept values, and every read asks
def _prefers_activity(accept):
    activity = html = 0.0
    for value, quality in parse_accept_header(accept, MIMEAccept):
        media_type = value.split(";", 1)[0].strip().lower()
        if media_type in ACTIVITY_TYPES:
            activity = max(activity, quality)
        elif media_type in HTML_TYPES:
            html = max(html, quality)
    return activity > 0 and activity > html


def variant(environ):
    """The reader cache's part of a key for answers that negotiate, from a request's WSGI environ."""
    return "activity" if _prefers_activity(environ.get("HTTP_ACCEPT")) else "page"
