"""Discovery on the home page and every post page: Link headers and <link> elements naming the
Micropub endpoint, the IndieAuth metadata and, for older clients, the authorization and token
endpoints, and on post pages the Webmention endpoint, all as absolute URLs."""
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
    return _built(request.endpoint)[0]


def _built(endpoint):
    """The links and their Link header for one page (built once for each public origin and
    mount: pages are read often)."""
    return urls.kept_under_origin(f"discovery of {endpoint}", lambda: _build(endpoint))


def _build(endpoint):
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
        response.headers.add("Link", _built(request.endpoint)[1])
    return response


def init_app(app):
    app.context_processor(_template_links)
    steps.after_request(app, _link_headers)
