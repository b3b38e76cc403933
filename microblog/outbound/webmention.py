"""Webmention's requests: sending one (discover the target's endpoint, then POST source and
target to it), and fetching the source of one received, for the service to verify.

Discovery follows the W3C Recommendation: the target is fetched (redirects followed, each hop
checked by the safe fetcher); the first `Link` header value with rel `webmention` wins, then,
in an HTML page, the first <link> or <a> element with that rel and an href, in document order.
The endpoint is resolved against the target's final URL and keeps its query string.
"""
import re
from html.parser import HTMLParser
from urllib.parse import urljoin

from .outcome import Outcome, is_retryable, outcome_of

KIND = "webmention"  # send: url is the target linked from a post, subject the post's URL (the source)
CHECK_KIND = "webmention-check"  # verify one received: url is its source, subject its target
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
SOURCE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, application/json;q=0.5, text/plain;q=0.5, */*;q=0.1"
HTML_TYPES = {"text/html", "application/xhtml+xml"}
NO_ENDPOINT = "the target advertises no Webmention endpoint"

# RFC 8288: <target>; param; param=token; param="quoted", … (commas inside <> and quotes are not separators)
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_QUOTED = r'"(?:[^"\\]|\\.)*"'
_LINK_VALUE = re.compile(rf"<([^>]*)>((?:\s*;\s*{_TOKEN}\s*(?:=\s*(?:{_QUOTED}|[^;,\s]*))?)*)")
_PARAMETER = re.compile(rf"\s*;\s*({_TOKEN})\s*(?:=\s*({_QUOTED}|[^;,\s]*))?")


def send(delivery, client):
    """Discover the target's endpoint and notify it; a target without one is done with."""
    endpoint, failure = discover(client, delivery.url)
    if failure is not None:
        return failure
    if endpoint is None:
        return Outcome(ok=True, detail=NO_ENDPOINT)
    return client.post_form(endpoint, {"source": delivery.subject, "target": delivery.url})


def discover(client, target):
    """(the endpoint's absolute URL or None, None), or (None, the failed fetch as an Outcome)."""
    answer, failure = client.get(target, PAGE_ACCEPT)
    if failure is not None:
        return None, failure
    if is_retryable(answer.status):
        return None, outcome_of(answer.status)
    if not 200 <= answer.status < 300:
        return None, None
    href = endpoint_in_headers(answer.header_values("Link"))
    if href is None and answer.media_type in HTML_TYPES:
        href = endpoint_in_html(answer.body.decode("utf-8", "replace"))
    return (urljoin(answer.url, href) if href is not None else None), None


def endpoint_in_headers(values):
    """The target of the first link with rel webmention in these Link header values, or None."""
    for value in values:
        for match in _LINK_VALUE.finditer(value):
            for name, parameter in _PARAMETER.findall(match.group(2)):
                if name.lower() == "rel" and _names_webmention(_unquote(parameter)):
                    return match.group(1).strip()
    return None


def endpoint_in_html(page):
    """The href of the first <link> or <a> with rel webmention in the page, or None."""
    finder = _EndpointFinder()
    finder.feed(page)
    finder.close()
    return finder.found


def fetch_source(delivery, client):
    """GET a received mention's source; its answer (any but a retryable one) is the result."""
    answer, failure = client.get(delivery.url, SOURCE_ACCEPT)
    if failure is not None:
        return failure
    if is_retryable(answer.status):
        return outcome_of(answer.status)
    return Outcome(ok=True, result=answer)


def _names_webmention(rel):
    return "webmention" in rel.lower().split()


def _unquote(value):
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


class _EndpointFinder(HTMLParser):
    """Reads start tags in document order (comments and text, escaped markup included, are not
    tags) until the first <link> or <a> with rel webmention and an href."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = None

    def handle_starttag(self, tag, attrs):
        if self.found is not None or tag not in ("link", "a"):
            return
        attributes = dict(attrs)
        if _names_webmention(attributes.get("rel") or "") and attributes.get("href") is not None:
            self.found = attributes["href"].strip()
