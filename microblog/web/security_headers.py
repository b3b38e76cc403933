"""The headers every answer carries that tell a browser what it may do with it, chosen once
per kind of answer (a page, or data) rather than header by header on every request."""
from flask import request

# The API's responses are data (JSON, feeds), never pages: they may load nothing and never be
# framed. Swagger UI's page has its own policy (openapi.DOCS_POLICY).
API_POLICY = "default-src 'none'; frame-ancestors 'none'"
# The reading site's pages (web/site): no script at all (their JSON-LD is data, never run), the
# site's own stylesheet and icon, images in posts from this origin or any https: one (authors
# link them; they are content, not the site's assets), the search form sent here only;
# connect-src 'self' only lets tools that audit a page from inside it (Lighthouse reads
# robots.txt so) reach this origin: with no script allowed, the page itself fetches nothing.
SITE_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self' https:; connect-src 'self'; "
               "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")

SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
                    "Content-Security-Policy": API_POLICY, "Referrer-Policy": "no-referrer"}
FOR_DATA = tuple(SECURITY_HEADERS.items())
FOR_PAGES = tuple((name, SITE_POLICY if name == "Content-Security-Policy" else value) for name, value in FOR_DATA)
LOWER_NAMES = frozenset(name.lower() for name in SECURITY_HEADERS)


def for_type(mimetype):
    """The security headers of an answer of this type that sets none of them itself."""
    return FOR_PAGES if mimetype == "text/html" else FOR_DATA


def add(response):
    """An after_request step: the security headers, a view's own (Swagger UI's policy) kept."""
    if response.status_code == 204 or request.method == "OPTIONS" and response.calculate_content_length() == 0:
        del response.headers["Content-Type"]  # no body, no type (Flask's OPTIONS answers claim text/html)
    headers = response.headers
    chosen = for_type(response.mimetype)
    present = {name.lower() for name, _value in headers.items()}  # one pass, not one per name
    if present.isdisjoint(LOWER_NAMES):
        headers.extend(chosen)
    else:
        for name, value in chosen:
            headers.setdefault(name, value)
    return response
