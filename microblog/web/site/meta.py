"""What every page says about the site and itself: names, feeds, social cards."""
from dataclasses import dataclass
from datetime import timezone
from typing import NamedTuple

from flask import current_app
from jinja2.utils import htmlsafe_json_dumps

from ...service.content import cut_at_word, one_line_text
from ...service.feeds import entry_title, modified, published
from .. import urls
from ..json_text import json_bytes

DESCRIPTION_LENGTH = 160  # what search results and link previews show of a description
FEEDS = (("atom", "application/atom+xml", "Atom"), ("rss", "application/rss+xml", "RSS"),
         ("json", "application/feed+json", "JSON Feed"))


# Objects, not dicts, for what templates read: Jinja tries an attribute before an item, and a
# dict's every key read there raised and caught an AttributeError first.
@dataclass(frozen=True)
class Site:
    """The site as the pages name it: the settings the feeds use, and the language."""
    title: str
    description: str
    author: str
    lang: str


@dataclass(frozen=True)
class PostFacts:
    """A post's title, description, dates (RFC 3339) and canonical URL, as its page and cards give them."""
    title: str
    description: str
    published: str
    modified: str
    edited: str | None
    url: str


class FeedLink(NamedTuple):
    href: str
    type: str
    title: str


def site():
    """The site as the pages name it (read from the configuration once, at start-up)."""
    return current_app.extensions["site"]


def site_facts(config):
    return Site(title=config["SITE_TITLE"],
                description=config["SITE_DESCRIPTION"] or f"Posts from {config['SITE_TITLE']}",
                author=config["SITE_AUTHOR"] or config["SITE_TITLE"], lang=config["SITE_LANGUAGE"])


def feeds(tag=None):
    """The alternate links to the feeds: the site's (built once a mount), or a tag's own."""
    if tag is None:
        return urls.kept_under_mount("feed links", _feeds)
    return _feeds(tag)


def _feeds(tag=None):
    label = site().title + (f" — {tag}" if tag else "")
    return tuple(FeedLink(urls.feed_path(kind, tag), media_type, f"{label} ({name})")
                 for kind, media_type, name in FEEDS)


def excerpt(html, length=DESCRIPTION_LENGTH):
    """The start of an HTML fragment's text, cut at a word, for descriptions."""
    return cut_at_word(one_line_text(html), length)


def rfc3339(moment):
    """A time (aware, or naive UTC as stored) as RFC 3339 in UTC, to the second."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def post_facts(post):
    text = one_line_text(post.content_html)
    title = entry_title(post, text)
    return PostFacts(title=title, description=cut_at_word(text, DESCRIPTION_LENGTH) or title,
                     published=rfc3339(published(post)), modified=rfc3339(modified(post)),
                     edited=rfc3339(post.edited) if post.edited else None, url=urls.post(post.slug))


def blog_posting(post, facts):
    """schema.org BlogPosting JSON-LD for a post's page, as the text of its <script> element:
    the API's JSON format (orjson's: about half the time of the `tojson` filter), HTML-safe."""
    return htmlsafe_json_dumps(_blog_posting(post, facts), dumps=lambda data: json_bytes(data).decode().rstrip("\n"))


def _blog_posting(post, facts):
    about = site()
    return {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": facts.title,
        "description": facts.description,
        "datePublished": facts.published,
        "dateModified": facts.modified,
        "url": facts.url,
        "mainEntityOfPage": facts.url,
        "inLanguage": about.lang,
        "keywords": post.tags,
        "author": {"@type": "Person", "name": about.author},
        "publisher": {"@type": "Organization", "name": about.title},
        "isPartOf": {"@type": "Blog", "name": about.title, "url": urls.root()},
        **({"image": [photo["url"] for photo in post.photos]} if post.photos else {}),
    }
