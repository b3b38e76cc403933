"""/sitemap.xml (one file, or an index of files of at most 50,000 URLs) and /robots.txt."""
from flask import current_app, render_template
from werkzeug.exceptions import NotFound

from ...service import sitemap
from .. import urls
from . import meta
from .views import bp

XML = "application/xml"


def _size():
    return current_app.config["SITEMAP_MAX_URLS"]


@bp.route("/sitemap.xml")
def sitemap_xml():
    """The sitemap itself while one file holds it, else the index of its files."""
    if sitemap.chunk_count(_size()) == 1:
        return _urlset(1)
    files = [urls.sitemap_part(k) for k in sitemap.chunks_with_posts(_size())]
    return current_app.response_class(render_template("site/sitemap_index.xml", files=files), mimetype=XML)


@bp.route("/sitemap-<int:number>.xml")
def sitemap_part(number):
    """One file of a split sitemap; a sitemap of one file has no parts, and a part with no
    public post is a 404."""
    count = sitemap.chunk_count(_size())
    if count == 1 or not 1 <= number <= count:
        raise NotFound("The sitemap has no such part.")
    entries = sitemap.chunk(number, _size())
    if number > 1 and not entries:
        raise NotFound("The sitemap has no such part.")
    return _urlset(number, entries)


def _urlset(number, entries=None):
    """A file of the sitemap: the home page (in the first) and the posts of a chunk."""
    entries = sitemap.chunk(number, _size()) if entries is None else entries
    home = urls.root() if number == 1 else None
    listed = [(urls.post(entry.slug), meta.rfc3339(entry.modified)) for entry in entries]
    return current_app.response_class(render_template("site/sitemap.xml", home=home, urls=listed), mimetype=XML)


@bp.route("/robots.txt")
def robots_txt():
    """Everything may be crawled but the API's JSON; the sitemap is named."""
    body = f"User-agent: *\nDisallow: /api/\n\nSitemap: {urls.sitemap()}\n"
    return current_app.response_class(body, mimetype="text/plain")
