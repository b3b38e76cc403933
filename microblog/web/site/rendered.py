"""Pages rendered once for each state of what they show, then served from memory.

A page's HTML is a function of what it shows of its posts (every field the templates read), the
page's place in the list (its cursor and the next one), the public root it links to and the
site's settings (fixed for an app: each app keeps its own store). Keyed on those, a repeated
request skips Jinja2 and costs what the API's answer costs: the same read, then bytes out. The
posts are still read on every request, so a change shows at once, and a post that stops being
public is never served from here (the read raises first). The key holds the fields themselves,
not an id and a version: ids can come back (a purged post's, an import's) with a version of 1.
"""
import threading
from collections import OrderedDict

MAX_PAGES = 256  # per worker process; pages are a few to a few hundred KB


class RenderedPages:
    """A bounded LRU of page bodies by key."""

    def __init__(self, size=MAX_PAGES):
        self.size, self.pages, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key, render):
        """The body stored under `key`, or render() stored there now."""
        with self.lock:
            body = self.pages.get(key)
            if body is not None:
                self.pages.move_to_end(key)
                return body
        body = render()
        with self.lock:
            self.pages[key] = body
            if len(self.pages) > self.size:
                self.pages.popitem(last=False)
        return body


def shown(post):
    """Everything of a post that its page or list entry shows, as a key."""
    return (post.id, post.slug, post.title, post.content_html, tuple(post.tags), post.publication_time,
            post.updated, post.edited)


def state(posts):
    """What a list of posts shows, as a key."""
    return tuple(shown(post) for post in posts)
