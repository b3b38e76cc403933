"""What a Webmention's source page says: whether it links to the target exactly, and, read
with mf2py, its h-entry's kind of response, author, text and date. Nothing it names (an avatar,
a link) is fetched; its HTML is sanitized as a post's is."""
import html
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urldefrag, urljoin, urlsplit

from .content import absolute_urls, plain_text, sanitize_html

HTML_TYPES = {"text/html", "application/xhtml+xml"}
# elements whose attribute is a link to something, as the Recommendation lists them ("and the like")
LINK_ATTRIBUTES = {"a": "href", "area": "href", "link": "href", "img": "src", "video": "src", "audio": "src",
                   "source": "src", "iframe": "src"}
KINDS = (("in-reply-to", "reply"), ("repost-of", "repost"), ("like-of", "like"), ("bookmark-of", "bookmark"))
KIND_NAMES = ("reply", "like", "repost", "bookmark", "mention")
MAX_CONTENT_HTML = 20_000  # past it, the text alone, cut
MAX_CONTENT_TEXT = 2_000
MAX_NAME = 200
MAX_URL = 2_048


@dataclass(frozen=True)
class Response:
    """A verified mention as the source page tells it."""

    kind: str
    url: str
    author_name: str | None
    author_url: str | None
    author_photo: str | None
    content_html: str
    published: datetime | None


def read(source, page_url, media_type, body, target):
    """The Response at `source` (whose answer came from `page_url`) if it links to `target`, else None."""
    text = body.decode("utf-8", "replace")
    if media_type in HTML_TYPES:
        # imported here: mf2py and BeautifulSoup (with html5lib) are about 16 MB of a worker's
        # memory, which a worker that never reads a source page need not carry (docs/benchmarks.md)
        import mf2py
        from bs4 import BeautifulSoup

        soup = BeautifulSoup(text, "lxml")
        if not _links_in_html(soup, page_url, target):
            return None
        try:
            parsed = mf2py.parse(doc=soup, url=page_url)
        except RecursionError:  # nested too deeply to read its microformats: a plain mention, the link being there
            return _plain_mention(source)
        return _from_microformats(parsed, source, page_url, target)
    if media_type == "application/json" or media_type.endswith("+json"):
        linked = _links_in_json(text, target)
    else:
        linked = target in text
    return _plain_mention(source) if linked else None


def _plain_mention(source):
    return Response("mention", source, None, None, None, "", None)


def _same(url, target):
    return urldefrag(url.strip())[0] == target


def _links_in_html(soup, page_url, target):
    for tag, attribute in LINK_ATTRIBUTES.items():
        for element in soup.find_all(tag, attrs={attribute: True}):
            value = element[attribute]
            if _same(value, target) or _same(urljoin(page_url, value.strip()), target):
                return True
    return False


def _links_in_json(text, target):
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return False
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, str) and _same(value, target):
            return True
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def _from_microformats(parsed, source, page_url, target):
    entry = _entry(parsed["items"])
    if entry is None:
        return Response("mention", source, *_author(None, parsed["items"]), "", None)
    properties = entry["properties"]
    kind = next((kind for name, kind in KINDS if any(_same(url, target) for url in _urls(properties.get(name)))),
                "mention")
    return Response(kind, _http_url(_first_url(properties.get("url")), page_url) or source,
                    *_author(properties.get("author"), parsed["items"]),
                    _content(properties, page_url) if kind in ("reply", "mention") else "",
                    _date(properties.get("published")))


def _entry(items):
    """The page's first h-entry, at its top level or in its first h-feed."""
    for item in items:
        if "h-entry" in item.get("type", []):
            return item
        if "h-feed" in item.get("type", []):
            return _entry(item.get("children", []))
    return None


def _urls(values):
    for value in values or []:
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            yield from (url for url in (value.get("properties", {}).get("url") or [value.get("value")])
                        if isinstance(url, str))


def _first_url(values):
    return next(iter(_urls(values)), None)


def _author(values, items):
    """(name, url, photo) of the entry's author, else of the page's h-card; Nones if neither."""
    author = (values or [None])[0]
    if author is None:
        author = next((item for item in items if "h-card" in item.get("type", [])), None)
    if isinstance(author, str):
        url = _http_url(author)
        return (None if url else _short(author, MAX_NAME)), url, None
    if not isinstance(author, dict):
        return None, None, None
    properties = author.get("properties", {})
    name = _text(properties.get("name")) or (author.get("value") if isinstance(author.get("value"), str) else None)
    photo = (properties.get("photo") or [None])[0]
    photo = photo.get("value") if isinstance(photo, dict) else photo
    return (_short(name, MAX_NAME) if name else None, _http_url(_first_url(properties.get("url"))),
            _http_url(photo) if isinstance(photo, str) else None)


def _content(properties, page_url):
    content = (properties.get("content") or [None])[0]
    if isinstance(content, dict) and isinstance(content.get("html"), str):
        return shown_html(content["html"], page_url)
    return _paragraph(_text([content]) or _text(properties.get("summary")) or "")


def shown_html(markup, page_url):
    """Markup from elsewhere as a mention shows it: sanitized as posts are, its links made
    absolute, and within MAX_CONTENT_HTML (past it, its text alone, cut)."""
    fragment = absolute_urls(sanitize_html(markup), page_url, page_url)
    return fragment if len(fragment) <= MAX_CONTENT_HTML else _paragraph(plain_text(fragment))


def _paragraph(text):
    return f"<p>{html.escape(_short(text.strip(), MAX_CONTENT_TEXT))}</p>" if text.strip() else ""


def _text(values):
    value = (values or [None])[0]
    if isinstance(value, dict):
        value = value.get("value")
    return value.strip() if isinstance(value, str) and value.strip() else None


def _date(values):
    return moment(_text(values))


def moment(value):
    """An ISO 8601 date and time as naive UTC, or None."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace(" ", "T", 1))
        return parsed.astimezone(timezone.utc).replace(tzinfo=None) if parsed.tzinfo is not None else parsed
    except (ValueError, OverflowError):
        return None


def _http_url(value, base=None):
    if not isinstance(value, str):
        return None
    url = urljoin(base, value.strip()) if base else value.strip()
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.hostname and len(url) <= MAX_URL else None


def _short(text, limit):
    return text if len(text) <= limit else text[:limit - 1] + "…"
