"""Errors for people: on the site's paths (its pages and assets, as routes.py declares them) a
browser (asking for text/html first) gets a small HTML page with the error's status; the API's
paths, and every other client, keep problem+json."""
from http import HTTPStatus

from flask import current_app, render_template, request
from werkzeug.exceptions import SecurityError

from .. import routes
from . import meta

PROBLEM_FIRST = ["application/problem+json", "application/json", "text/html"]
HEADINGS = {404: "Page not found", 410: "This post has been deleted"}


def is_site_path():
    """A path of the site's pages or assets; a path no route matches belongs to the site
    unless an API blueprint claims it."""
    return routes.current().kind != routes.API


def wants_page():
    """A site path, asked for by a client that puts text/html before any JSON: of higher
    quality, or of the same and named first (`text/html, application/problem+json`). A client
    naming none of them (`*/*`, curl's) gets problem+json, as does a Host outside TRUSTED_HOSTS
    (a page names the site by its Host)."""
    if not is_site_path() or not _host_is_trusted():
        return False
    accept = request.accept_mimetypes
    html, problem = accept["text/html"], max(accept[kind] for kind in PROBLEM_FIRST[:2])
    if html != problem:
        return html > problem
    named = [kind.split(";")[0].strip().lower() for kind in request.headers.get("Accept", "").split(",")]
    return html > 0 and next((kind for kind in named if kind in PROBLEM_FIRST), None) == "text/html"


def _host_is_trusted():
    """Whether the request's Host is one TRUSTED_HOSTS allows (werkzeug checks it as it reads it)."""
    try:
        return request.host is not None
    except SecurityError:
        return False


def error_page(status, detail, headers=(), errors=None):
    """The HTML page of an error: its status, a heading, what went wrong (and in which of the
    request's parts: a problem's `errors`), a way back."""
    heading = HEADINGS.get(status, HTTPStatus(status).phrase)
    body = render_template("site/error.html", status=status, heading=heading, detail=detail,
                           errors=errors or [], feeds=meta.feeds())
    response = current_app.response_class(body, status=status, mimetype="text/html")
    response.headers.extend(headers)
    return response
