"""Content negotiation between a page and its ActivityPub document: servers ask with
`application/activity+json` or `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`,
browsers with text/html. Every answer that negotiates varies on Accept, the reader cache's too."""
from flask import request

ACTIVITY_TYPES = ("application/activity+json", "application/ld+json")
HTML_TYPES = ("text/html", "application/xhtml+xml", "text/*", "*/*")


def wants_activity():
    """Whether the request prefers an ActivityStreams document to a page (ties go to the page)."""
    activity = html = 0.0
    for value, quality in request.accept_mimetypes:
        media_type = value.split(";", 1)[0].strip().lower()
        if media_type in ACTIVITY_TYPES:
            activity = max(activity, quality)
        elif media_type in HTML_TYPES:
            html = max(html, quality)
    return activity > 0 and activity > html


def variant():
    """The reader cache's part of a key for answers that negotiate."""
    return "activity" if wants_activity() else "page"
