"""microblog: a small, correct, fast blog API."""
import gc

from flask.sessions import SessionInterface

from . import cli, config
from .service import auth as auth_service
from .web import (
    activitypub,
    bodies,
    cors,
    database,
    discovery,
    errors,
    head_limits,
    icons,
    indieauth,
    media,
    openapi,
    outbound,
    outbox,
    reader_cache,
    request_limits,
    routes,
    security_headers,
    steps,
    webmention,
)
from .web.api import admin, app_tokens, auth, deliveries, fediverse, feeds, health, mentions, public, transfer
from .web.api import media as admin_media
from .web.app_class import MicroblogFlask
from .web.micropub import bp as micropub_endpoint
from .web.site import register as site
from .web.tokens import jwt
from .web.write import bp as write


def create_app(test_config=None):
    """Build the app: config, database, JWT, API blueprints, errors and CLI. Touches no table."""
    app = MicroblogFlask(__name__, instance_relative_config=True,
                         template_folder="web/templates", static_folder="web/static")
    app.request_class = bodies.Request
    app.session_interface = NoCookieSessions()
    app.config.from_object(config.Defaults)
    try:
        _configure(app, test_config)
    except config.ConfigurationError:
        if not cli.help_requested():
            raise
        cli.init_app(app)  # a command line that asks only for help needs no working configuration
        return app

    reader_cache.init_app(app)
    head_limits.init_app(app)
    outbox.init_app(app)
    request_limits.init_app(app)
    cors.init_app(app)
    jwt.init_app(app)
    openapi.init_app(app, [public.blp, feeds.blp, admin.blp, app_tokens.blp, admin_media.blp, deliveries.blp,
                           mentions.blp, fediverse.blp, transfer.blp, auth.blp, health.blp])
    app.register_blueprint(icons.icons)
    app.register_blueprint(media.bp)
    site.init_app(app)
    outbound.init_app(app)
    app.register_blueprint(indieauth.bp)
    app.register_blueprint(micropub_endpoint)
    app.register_blueprint(write)
    webmention.init_app(app)
    app.register_blueprint(activitypub.bp)
    app.register_blueprint(activitypub.inbox_bp)
    discovery.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    auth_service.dummy_hash(app.config["PASSWORD_HASH_METHOD"])  # a first failed login costs one hash
    routes.check_declared(app)
    reader_cache.index_routes(app)
    steps.after_request(app, routes.private_no_store)
    steps.after_request(app, security_headers.add)
    steps.install(app)
    return app


def create_served_app():
    """create_app for a server's worker process (`microblog serve`, wsgi.py), which serves from
    the app until it ends. Every object made so far (the code's, the app's: about 100,000) is
    moved out of the garbage collector's sight: none of them ever becomes garbage, and each full
    collection, every few thousand requests, walked them all (docs/benchmarks.md, "Eleventh pass")."""
    app = create_app()
    gc.freeze()
    return app


def _configure(app, test_config):
    """Settings, checked; the database, built and (outside tests) reached once."""
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        config.load_environment(app.config)
    else:
        app.config.from_mapping(test_config)
    config.finalize(app.config, app.instance_path, debug=app.debug)
    database.init_app(app)
    if test_config is None:
        database.check_reachable(app)


class NoCookieSessions(SessionInterface):
    """The API keeps no state in cookies (tokens travel in headers): no session is read or
    signed on any request, and no Set-Cookie is ever sent. Every request shares one empty
    session: a null session refuses every change, so none can carry anything to the next."""

    _empty = SessionInterface.null_session_class()

    def open_session(self, app, request):
        return self._empty

    def save_session(self, app, session, response):
        pass
