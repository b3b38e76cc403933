"""Discovery on the home page and every post page: Link headers and <link> elements naming the
Micropub endpoint, the IndieAuth metadata and, for older clients, the authorization and token
endpoints, and on post pages the Webmention endpoint, all as absolute URLs."""
import functools

from flask import request

from . import endpoint_urls, steps, urls

PAGES = {"site.home", "site.post"}
RELS = (("micropub", endpoint_urls.micropub_endpoint), ("indieauth-metadata", endpoint_urls.metadata),
        ("authorization_endpoint", endpoint_urls.authorization_endpoint),
        ("token_endpoint", endpoint_urls.token_endpoint))


def links():
    """(rel, absolute URL) of each endpoint a client discovers here; none off the pages above."""
    if request.endpoint not in PAGES:
        return ()
    return _built(urls.root(), request.script_root, request.endpoint)[0]


@functools.lru_cache(maxsize=16)
def _built(_base, _script_root, endpoint):
    """The links and their Link header for one public root and page (built once: pages are read often)."""
    found = tuple((rel, url()) for rel, url in RELS)
    if endpoint == "site.post":  # what a Webmention may target
        found += (("webmention", urls.webmention_endpoint()),)
    return found, ", ".join(f'<{url}>; rel="{rel}"' for rel, url in found)


def _template_links():
    return {"discovery_links": links()}


def _link_headers(response):
    """Runs after the site's own hooks (the reader cache keeps the page without these), so that
    every answer, fresh or cached, 200 or 304, gets them once."""
    if response.status_code in (200, 304) and request.endpoint in PAGES:
        response.headers.add("Link", _built(urls.root(), request.script_root, request.endpoint)[1])
    return response


def init_app(app):
    app.context_processor(_template_links)
    steps.after_request(app, _link_headers)
