"""/sitemap.xml (one file, or an index of files of at most SITEMAP_MAX_URLS) and /robots.txt."""
from xml.sax.saxutils import escape

from flask import current_app, render_template
from werkzeug.exceptions import NotFound

from ...service import sitemap
from .. import urls
from .views import bp

XML = "application/xml"
URLSET_START = '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'


def _size():
    return current_app.config["SITEMAP_MAX_URLS"]


@bp.route("/sitemap.xml")
def sitemap_xml():
    """The sitemap itself while one file holds it, else the index of its files."""
    if sitemap.chunk_count(_size()) == 1:
        return _urlset(1, sitemap.chunk(1, _size()))
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


def _urlset(number, entries):
    """A file of the sitemap: the home page (in the first) and the posts of a chunk. Written
    here, not by a template or url_for, which cost several times the rest per URL; slugs and
    times need no escaping (a-z, 0-9, '-'; digits), the public root does."""
    lines = [URLSET_START]
    if number == 1:
        lines.append(f"<url><loc>{escape(urls.root())}</loc></url>\n")
    posts = escape(urls.post_link_template().removesuffix("{slug}"))
    lines.extend(f"<url><loc>{posts}{entry.slug}</loc><lastmod>{entry.modified:%Y-%m-%dT%H:%M:%SZ}</lastmod></url>\n"
                 for entry in entries)  # modified: naive UTC
    lines.append("</urlset>\n")
    return current_app.response_class("".join(lines), mimetype=XML)


@bp.route("/robots.txt")
def robots_txt():
    """Everything may be crawled but the API's JSON; the sitemap is named."""
    body = f"User-agent: *\nDisallow: /api/\n\nSitemap: {urls.sitemap()}\n"
    return current_app.response_class(body, mimetype="text/plain")
