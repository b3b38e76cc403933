"""Every public URL of the service in one place: the absolute ones feeds, pages, the sitemap and
robots.txt give out, and the host-relative ones of the Link and Location headers.

An absolute URL is the public origin (PUBLIC_BASE_URL, else the request's scheme and host),
then the path the app is mounted at (SCRIPT_NAME), then the route's path as Flask builds it.
A new kind of public URL (a protocol's endpoint, a media file, an actor) is one function here.
"""
import threading
from collections import OrderedDict
from urllib.parse import urlencode

from flask import current_app, has_request_context, request, url_for

FEED_ENDPOINTS = {"atom": "feeds.atom", "rss": "feeds.rss", "json": "feeds.json_feed"}
MOUNTS_KEPT = 16  # mounts whose paths are kept (one in practice; a proxy's prefix header can name more)
ORIGINS_KEPT = 16  # page parts kept for public origins and mounts, of every kind (kept_under_origin)
_origins_lock = threading.Lock()
ORIGIN_KEY = "microblog.origin"  # a request's WSGI environ key of its public origin


def _origin():
    """PUBLIC_BASE_URL without its trailing slash, else the request's scheme and host."""
    return _request_origin(request.environ) if has_request_context() else _origin_now()


def _request_origin(environ):
    """The request's _origin, worked out once and kept in its WSGI environ: a page names it
    several times, and each look at Flask's globals costs as much as a dict's hundred."""
    origin = environ.get(ORIGIN_KEY)
    if origin is None:
        origin = environ[ORIGIN_KEY] = _origin_now()
    return origin


def _origin_now():
    configured = current_app.config["PUBLIC_BASE_URL"]
    return configured.rstrip("/") if configured else f"{request.scheme}://{request.host}"


def absolute(endpoint, **values):
    """The absolute URL of a route, on the public root."""
    return _origin() + _path(endpoint, values)


def _path(endpoint, values):
    """url_for(endpoint, **values); a route without values has one path under each mount
    (SCRIPT_NAME), built once: a page names the site's root and feeds several times."""
    if values or not has_request_context():
        return url_for(endpoint, **values)
    return _kept((endpoint,), lambda: url_for(endpoint))


def _kept(key, build):
    """What `build()` gives for this key under the request's mount (SCRIPT_NAME), built once."""
    paths = current_app.extensions.setdefault("route_paths", {})
    key = request.environ.get("SCRIPT_NAME", ""), *key
    path = paths.get(key)
    if path is None:
        if len(paths) >= MOUNTS_KEPT * len(current_app.view_functions):
            paths.clear()
        path = paths[key] = build()
    return path


def kept_under_mount(name, build):
    """What `build()` gives under the request's mount (SCRIPT_NAME), built once (`name` is no endpoint's)."""
    return _kept((name,), build)


def kept_under_origin(name, build):
    """What `build()` gives under the request's public origin and mount, built once for each of
    the ORIGINS_KEPT last asked (without PUBLIC_BASE_URL the origin is the client's Host: any
    it likes, so the real one's must outlive a stream of others)."""
    kept = current_app.extensions.get("origins_kept")
    if kept is None:
        kept = current_app.extensions.setdefault("origins_kept", OrderedDict())
    environ = request.environ
    key = name, _request_origin(environ), environ.get("SCRIPT_NAME", "")
    with _origins_lock:
        value = kept.get(key)
        if value is not None:
            kept.move_to_end(key)
            return value
    value = build()
    with _origins_lock:
        kept[key] = value
        if len(kept) > ORIGINS_KEPT:
            kept.popitem(last=False)
    return value


def root():
    """The site's home page, and the base relative links in posts resolve against: ends with a slash."""
    return absolute("site.home")


def post(slug):
    """A post's page: its canonical URL (the path up to the slug built once a mount: every page,
    feed entry and activity names one; a slug, models.SLUG_PATTERN, is a path segment as it is)."""
    if not has_request_context():
        return absolute("site.post", slug=slug)
    return _origin() + _path_before_value("site.post", "slug") + slug


def media(filename):
    """An uploaded image (`<key>.<extension>`): what an upload answers, and what posts show."""
    return absolute("media.serve", name=filename)


def webmention_endpoint():
    """Where Webmentions are received: what every post page advertises."""
    return absolute("webmention.receive")


def webmention_status(uid):
    """A received Webmention's status page."""
    return absolute("webmention.status", uid=uid)


def webmention_status_path(uid):
    """A received Webmention's status, relative to the host: the 202's Location."""
    return url_for("webmention.status", uid=uid)


def feed(kind, tag=None):
    """A feed ("atom", "rss" or "json") of the whole site, or of one tag."""
    return absolute(FEED_ENDPOINTS[kind], **({"tag": tag} if tag else {}))


def feed_path(kind, tag=None):
    """A feed's URL relative to the host, for the pages' alternate links."""
    return _path(FEED_ENDPOINTS[kind], {"tag": tag} if tag else {})


def sitemap():
    return absolute("site.sitemap_xml")


def sitemap_part(number):
    return absolute("site.sitemap_part", number=number)


def post_link_template():
    """A post's page with `{slug}` where its slug goes (the feeds format it for each post)."""
    return _template(post("1"), "slug")


def post_id_template():
    """A post's permanent URL in the API with `{id}` where its id goes (the feeds' entry ids)."""
    return _template(absolute("public.get_post", post_id=1), "id")


def _template(url, name):
    """A URL built with the value 1 as its last path segment, with `{name}` in its place."""
    return _before_last_value(url) + "{" + name + "}"


def _before_last_value(url):
    """A URL built with the value 1 as its last path segment, up to that value."""
    return url.removesuffix("1")


def _path_before_value(endpoint, name):
    """The path of a route whose last segment is the value `name`, up to that value (under the
    request's mount, built once)."""
    return _kept((endpoint, name), lambda: _before_last_value(url_for(endpoint, **{name: 1})))


def next_page(params):
    """This request's URL relative to the host, with these query parameters: a Link header's
    target, right behind any proxy and never echoing a Host (RFC 8288 allows relative)."""
    return f"{request.script_root}{request.path}?{urlencode(params)}"


def admin_post_path(post_id):
    """A post's URL in the admin API relative to the host: a Location header's (the path up to
    the id built once: each create answers one)."""
    return _path_before_value("admin.get_post", "post_id") + str(post_id)


def tag(name):
    """A tag's page on the reading site."""
    return absolute("site.tag", tag=name)


def icon():
    return absolute("icons.favicon_ico")


def actor():
    """The site's ActivityPub actor (a Person), and the collections and inboxes it names."""
    return absolute("activitypub.actor")


def actor_inbox():
    return absolute("activitypub_inbox.actor_inbox")


def shared_inbox():
    return absolute("activitypub_inbox.shared_inbox")


def actor_outbox():
    return absolute("activitypub.outbox")


def followers():
    return absolute("activitypub.followers")


def following():
    return absolute("activitypub.following")


def activity_object(post_id, generation):
    """A post's ActivityPub object, in its generation (a restored post is a new object)."""
    return absolute("activitypub.post_object", post_id=post_id, generation=generation)


def nodeinfo():
    return absolute("activitypub.nodeinfo")
