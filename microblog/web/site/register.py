"""Puts the reading site into the app: its pages, the sitemap, its assets and template globals."""
import os

from flask import current_app, request

from .. import urls
from . import assets, sitemap, views  # noqa: F401 (sitemap adds its routes to the blueprint)
from .highlight import highlighted
from .meta import site, site_facts


def init_app(app):
    """Register the pages, read the hashed assets once, give templates the site's facts."""
    app.extensions["site_assets"] = assets.Assets(os.path.join(app.root_path, "web", "static"))
    app.register_blueprint(views.bp)
    app.register_blueprint(assets.bp)
    app.extensions["site"] = site_facts(app.config)
    app.context_processor(template_context)
    app.add_template_filter(highlighted)


def template_context():
    """What every page's template uses: the site's facts, the path the app is mounted at, the
    home page's absolute URL (the author's h-card), the assets' current URLs; built once for
    each public origin and mount (rendered anew while templates reload, as in debug mode)."""
    if current_app.jinja_env.auto_reload:
        return _template_context()
    return urls.kept_under_origin("template context", _template_context)


def _template_context():
    root = request.script_root
    names = current_app.extensions["site_assets"].names
    context = {"site": site(), "root": root, "home_url": urls.root(),
               "assets": {name: f"{root}/assets/{hashed}" for name, hashed in names.items()}}
    # the header, footer and head links these alone name, rendered here rather than on every page
    return {**context, "chrome": current_app.jinja_env.get_template("site/chrome.html").make_module(context)}
