"""Puts the reading site into the app: its pages, the sitemap, its assets and template globals."""
import os

from . import sitemap, views  # noqa: F401 (sitemap adds its routes to the blueprint)
from .assets import Assets, asset_url
from .meta import site


def init_app(app):
    """Register the pages, read the hashed assets once, give templates the site's facts."""
    app.extensions["site_assets"] = Assets(os.path.join(app.root_path, "web", "static", "site"))
    app.register_blueprint(views.bp)
    app.add_template_global(asset_url)
    app.context_processor(lambda: {"site": site()})
