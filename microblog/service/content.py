"""A post's content (Markdown source, or HTML a Micropub client sent) to sanitized HTML, and
HTML to plain text."""
import html
import re
from urllib.parse import urljoin

import nh3
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])

CONTENT_FORMATS = ("markdown", "html")
# What Markdown makes, and the inline formatting HTML from clients carries (b and i as well as
# strong and em), so that a client's bold stays bold.
ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "i", "img", "li", "ol", "p", "pre", "s", "strong", "table", "tbody", "td", "th", "thead", "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "code": {"class"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "td": {"style"},
    "th": {"style"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
# a link or image URL without a scheme, as nh3 writes attributes (may match text too: then the
# fragment only takes the slower, exact path)
MAYBE_RELATIVE_URL = re.compile(r'\b(?:href|src)="(?![A-Za-z][A-Za-z0-9+.-]*:)')
# A fenced block's language, as markdown-it writes it and highlighters read it: one class of
# this form on <code>, nothing else.
CODE_LANGUAGE_CLASS = re.compile(r"language-[A-Za-z0-9_+#.-]{1,40}")


def _attribute_filter(tag, attribute, value):
    if attribute == "class":
        return value if tag == "code" and CODE_LANGUAGE_CLASS.fullmatch(value) else None
    return value


SANITIZING = {
    "tags": ALLOWED_TAGS,
    "attributes": ALLOWED_ATTRIBUTES,
    "url_schemes": ALLOWED_URL_SCHEMES,
    "filter_style_properties": {"text-align"},
    "attribute_filter": _attribute_filter,
    "link_rel": "nofollow noopener noreferrer",
}
# Sanitizers built once: nh3.clean builds its sanitizer from the options on every call, which
# costs it several times the cleaning of a post's HTML.
_SANITIZER = nh3.Cleaner(**SANITIZING)
_TEXT_ONLY = nh3.Cleaner(tags=set())
_WHITE_SPACE = re.compile(r"\s+")


def sanitize_html(html, url_relative=None):
    """Keep only the elements, attributes and URL schemes Markdown needs (relative URLs kept,
    unless `url_relative` rewrites them: see nh3.clean)."""
    if url_relative is None:
        return _SANITIZER.clean(html)
    return nh3.clean(html, **SANITIZING, url_relative=url_relative)


def absolute_urls(fragment, base_url, page_url):
    """Sanitized HTML with each relative link and image URL made absolute: resolved against
    base_url, or against page_url (the page showing it) when it is only a `#fragment`."""
    if not MAYBE_RELATIVE_URL.search(fragment):
        return fragment  # most posts: nothing to resolve, and no second pass through nh3
    return sanitize_html(
        fragment, lambda url: urljoin(page_url if url.startswith("#") else base_url, url))


def plain_text(fragment):
    """The text of an HTML fragment, tags dropped and entities decoded."""
    return html.unescape(_TEXT_ONLY.clean(fragment))


def one_line_text(fragment):
    """plain_text on one line: each run of white space one space, none at the ends."""
    return _WHITE_SPACE.sub(" ", plain_text(fragment)).strip()


def cut_at_word(text, length):
    """The text, or its start cut at a word and marked "…" when it is longer than `length`."""
    if len(text) <= length:
        return text
    return text[:length].rsplit(" ", 1)[0] + "…"


def render(content, content_format):
    """A post's content as the sanitized HTML readers get: Markdown rendered, HTML sanitized."""
    return sanitize_html(content) if content_format == "html" else render_markdown(content)


def searched_text(content, content_format):
    """What search indexes of a post's content: Markdown source as it is, HTML's text."""
    return plain_text(content) if content_format == "html" else content


def render_markdown(source):
    """CommonMark (plus tables and strikethrough) with raw HTML escaped, then sanitized."""
    return sanitize_html(_markdown.render(source))
