"""Feeds of posts: Atom 1.0 and RSS 2.0 (feedgen) and JSON Feed 1.1.

Every date comes from the posts (none from the clock), so an unchanged feed is byte-for-byte
the same and its ETag holds. Relative links and images in posts are made absolute: a feed is
read away from the site, where a relative URL would resolve against the reader's own.
"""
import mimetypes
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from urllib.parse import urlsplit

from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem
from lxml import etree

from .content import absolute_urls, cut_at_word, one_line_text

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
ATOM_NAMESPACE = "http://www.w3.org/2005/Atom"
CONTENT_NAMESPACE = "http://purl.org/rss/1.0/modules/content/"  # feedgen's content:encoded
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
TITLE_FROM_CONTENT_LENGTH = 80
ENTRIES_KEPT = 256  # built feed entries kept: a few feeds' 50 posts each


@dataclass(frozen=True)
class Site:
    """What a feed says about the site, and where its posts live (absolute URLs)."""

    title: str
    description: str
    base_url: str  # relative URLs in posts resolve against it; ends with "/"
    language: str  # a BCP 47 tag
    author: str
    home_url: str
    post_link_template: str  # e.g. "https://blog.example/posts/{slug}"; {id} and {slug}
    post_id_template: str  # a permanent URL per post, used as the entry id
    hub: str | None = None  # the WebSub hub the feeds name, if any

    def link(self, post):
        return self.post_link_template.format(id=post.id, slug=post.slug)

    def entry_id(self, post):
        return self.post_id_template.format(id=post.id, slug=post.slug)

    def content_html(self, post):
        """The post's HTML with absolute URLs: against base_url, but a fragment (`#…`)
        against the post's own page."""
        return absolute_urls(post.content_html, self.base_url, self.link(post))


def atom(site, posts, self_url):
    shell = _shell(site, posts, self_url).atom_str(pretty=False)
    return _spliced(shell, b"</feed>", [_entry(site, post).atom for post in posts])


def rss(site, posts, self_url):
    shell = _shell(site, posts, self_url).rss_str(pretty=False)
    return _spliced(shell, b"</channel></rss>", [_entry(site, post).rss for post in posts])


def _spliced(shell, closing, entries):
    """feedgen's document of no entries with the entries' own bytes where feedgen writes them,
    last inside the feed (Atom) or the channel (RSS): what feedgen writes for the whole feed,
    with each entry serialized once per version instead of on every build."""
    if not shell.endswith(closing):
        raise ValueError(f"feedgen's document no longer ends with {closing!r}")
    return b"".join([shell[:-len(closing)], *entries, closing])


def json_feed(site, posts, self_url):
    """A JSON Feed 1.1 document."""
    return {
        "version": JSON_FEED_VERSION,
        "title": site.title,
        "home_page_url": site.home_url,
        "feed_url": self_url,
        "description": site.description,
        "authors": [{"name": site.author}],
        "language": site.language,
        **({"hubs": [{"type": "WebSub", "url": site.hub}]} if site.hub else {}),
        "items": [_entry(site, post).json_item for post in posts],
    }


def _json_item(site, post, html):
    return {
        "id": site.entry_id(post),
        "url": site.link(post),
        "title": entry_title(post),
        "content_html": html,
        "date_published": _rfc3339(published(post)),
        "date_modified": _rfc3339(modified(post)),
        "tags": post.tags,
        **_json_feed_photos(post.photos),
    }


def photo_type(url):
    """The image type a photo's URL names by its extension (this site's always do), or None:
    photo URLs are stored as sent, never fetched, so this is all that is known of an outside one."""
    guessed = mimetypes.guess_type(urlsplit(url).path)[0]
    return guessed if guessed is not None and guessed.startswith("image/") else None


def _json_feed_photos(photos):
    """The first photo as the item's `image`; each of known type as an attachment, its alt text
    as the title."""
    if not photos:
        return {}
    attachments = [{"url": photo["url"], "mime_type": kind, **({"title": photo["alt"]} if photo["alt"] else {})}
                   for photo, kind in _typed(photos)]
    return {"image": photos[0]["url"], **({"attachments": attachments} if attachments else {})}


def _typed(photos):
    """(photo, type) for each photo whose type is known."""
    return [(photo, kind) for photo in photos if (kind := photo_type(photo["url"]))]


def entry_title(post, text=None):
    """The post's title, or the start of its text (without Markdown or HTML; `text`, its
    one_line_text, if the caller has it), or its slug when it has no text (an image alone):
    feeds require a non-empty title."""
    if post.title:
        return post.title
    if text is None:
        text = one_line_text(post.content_html)
    return cut_at_word(text or post.slug, TITLE_FROM_CONTENT_LENGTH)


def published(post):
    return post.publication_time.replace(tzinfo=timezone.utc)


def modified(post):
    """When readers last saw it change: its last edit, or its publication if later."""
    return max(post.updated, post.publication_time).replace(tzinfo=timezone.utc)


def _rfc3339(moment):
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


class _Edits(BaseExtension):
    """Registers _EditsInRss (feedgen wants a feed-level class too); atom: is declared already."""


class _HubInRss(BaseExtension):
    """RSS's channel names the WebSub hub as an atom:link, beside the self link feedgen writes."""

    def __init__(self):
        self.href = None

    def hub(self, href):
        self.href = href

    def extend_rss(self, rss_feed):
        etree.SubElement(rss_feed[0], f"{{{ATOM_NAMESPACE}}}link", href=self.href, rel="hub")
        return rss_feed


class _EditsInRss(BaseEntryExtension):
    """RSS 2.0 has no element for an edit; an item's atom:updated carries its last change
    (feedparser reads it as `updated`, the W3C validator accepts it), pubDate staying the
    first publication and guid staying the same."""

    def __init__(self):
        self.moment = None

    def updated(self, moment):
        self.moment = moment

    def extend_rss(self, item):
        etree.SubElement(item, f"{{{ATOM_NAMESPACE}}}updated").text = _rfc3339(self.moment)
        return item


class _Photos(BaseExtension):
    """Registers _PhotosOfEntry (feedgen wants a feed-level class too)."""


class _PhotosOfEntry(BaseEntryExtension):
    """A post's photos as enclosures, written here rather than by feedgen's entry links, whose
    Atom output (feedgen 1.0.0) drops every attribute but href. Atom: an enclosure link per
    photo, in order, with its type when known and its alt text as title. RSS carries one
    enclosure an item: the first photo of known type, length 0 (unknown, as the RSS Advisory
    Board's practice has it)."""

    def __init__(self):
        self.shown = []

    def photos(self, photos):
        self.shown = photos

    def extend_atom(self, entry):
        for photo in self.shown:
            described = {"rel": "enclosure", "href": photo["url"], "type": photo_type(photo["url"]),
                         "title": photo["alt"]}
            xml_elem("link", entry, **{name: value for name, value in described.items() if value})
        return entry

    def extend_rss(self, item):
        typed = _typed(self.shown)
        if typed:
            photo, kind = typed[0]
            xml_elem("enclosure", item, url=photo["url"], length="0", type=kind)
        return item


def _shell(site, posts, self_url):
    """The feed without its entries, dated by the posts' last change."""
    feed = FeedGenerator()
    feed.register_extension("edits", _Edits, _EditsInRss, atom=False, rss=True)
    feed.register_extension("photos", _Photos, _PhotosOfEntry, atom=True, rss=True)
    feed.id(self_url)
    feed.language(site.language)  # RSS <language>, Atom xml:lang
    feed.title(site.title)
    feed.subtitle(site.description)
    feed.author({"name": site.author})
    feed.link(href=self_url, rel="self")
    if site.hub:
        feed.link(href=site.hub, rel="hub")
        feed.register_extension("websub", _HubInRss, atom=False, rss=True)
        feed.websub.hub(site.hub)
    feed.link(href=site.home_url, rel="alternate")  # the last link is RSS's channel link
    last_change = max((modified(post) for post in posts), default=EPOCH)
    feed.updated(last_change)
    feed.lastBuildDate(last_change)
    return feed


class _BuiltEntries:
    """Feed entries (_Written) as built last, by everything each is built from: the site and the
    post's fields that it shows. An edit, a retag, a new photo or another host's links make
    another key, so no old entry is ever found for a new version; unchanged posts are built
    and written once however many feeds show them."""

    def __init__(self, most):
        self.most, self._entries, self._lock = most, OrderedDict(), threading.Lock()

    def get(self, key, build):
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                return entry
        entry = build()
        with self._lock:
            self._entries[key] = entry
            if len(self._entries) > self.most:
                self._entries.popitem(last=False)
        return entry


_built = _BuiltEntries(ENTRIES_KEPT)


def _entry(site, post):
    key = (site, post.id, post.slug, post.title, post.content_html, post.publication_time, post.updated,
           tuple(post.tags), tuple(tuple(sorted(photo.items())) for photo in post.photos))
    return _built.get(key, lambda: _Written(site, post))


class _Frame:
    """The elements feedgen writes a feed's entries inside, made anew for each entry: Atom's
    feed, RSS's rss (which declares the atom: and content: prefixes its items use) and channel.
    An entry appended to them is written as feedgen writes it in a whole feed (the test of
    feeds' bytes holds the two equal)."""

    def __init__(self, parent):
        self.parent = parent
        self.start, _, self.end = self._written_in(etree.Element("x")).partition(b"<x/>")

    def written(self, element):
        """The element's bytes as written inside the frame."""
        return self._written_in(element)[len(self.start):-len(self.end)]

    def _written_in(self, element):
        parent = self.parent()
        parent.append(element)
        return etree.tostring(parent.getroottree(), encoding="UTF-8", xml_declaration=False)


def _rss_channel():
    root = etree.Element("rss", version="2.0", nsmap={"atom": ATOM_NAMESPACE, "content": CONTENT_NAMESPACE})
    return etree.SubElement(root, "channel")


_ATOM_FRAME = _Frame(lambda: etree.Element("feed", xmlns=ATOM_NAMESPACE))
_RSS_FRAME = _Frame(_rss_channel)


class _Written:
    """One post as feeds show it, each form made when first asked for: its HTML with absolute
    links, its entry (feedgen's) and that entry's Atom and RSS bytes, and its JSON Feed item
    (which callers must not change)."""

    def __init__(self, site, post):
        self.site, self.post = site, post

    @cached_property
    def html(self):
        return self.site.content_html(self.post)

    @cached_property
    def entry(self):
        return _new_entry(self.site, self.post, self.html)

    @cached_property
    def json_item(self):
        return _json_item(self.site, self.post, self.html)

    @cached_property
    def atom(self):
        return _ATOM_FRAME.written(self.entry.atom_entry())

    @cached_property
    def rss(self):
        return _RSS_FRAME.written(self.entry.rss_entry())


def _new_entry(site, post, html):
    entry = FeedEntry()
    entry.register_extension("edits", _EditsInRss, atom=False, rss=True)
    entry.register_extension("photos", _PhotosOfEntry, atom=True, rss=True)
    entry.id(site.entry_id(post))
    entry.guid(site.entry_id(post), permalink=False)
    entry.title(entry_title(post))
    entry.link(href=site.link(post))
    entry.description(html)
    entry.content(html, type="html")  # after description, which resets it
    entry.published(published(post))
    entry.updated(modified(post))
    entry.edits.updated(modified(post))
    for tag in post.tags:
        entry.category(term=tag)
    entry.photos.photos(post.photos)
    return entry
