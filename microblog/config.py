"""Configuration: defaults < instance/config.py < environment; the secret policy."""
import os
import re
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

import click

MIN_SECRET_BYTES = 32
# BCP 47's shape (language, then subtags), which is what feeds may carry
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*")
SECRET_FILE = "secret_key"


class Defaults:
    """Values used when neither instance/config.py nor the environment sets them."""

    MICROBLOG_ENV = "production"
    DATABASE_URL = None  # sqlite:///<instance>/microblog.sqlite3
    SQLITE_SYNCHRONOUS = "NORMAL"
    DB_POOL_SIZE = 4
    DB_POOL_TIMEOUT = 5
    DB_POOL_IDLE_TIMEOUT = 30
    SECRET_KEY = None
    JWT_SECRET_KEY = None
    JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=15)
    JWT_REFRESH_TOKEN_EXPIRES = timedelta(days=30)
    JWT_FRESH_LOGIN_EXPIRES = timedelta(minutes=15)
    IDEMPOTENCY_KEY_TTL = timedelta(hours=24)
    JWT_TOKEN_LOCATION = ["headers"]
    JWT_ALGORITHM = "HS256"
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:600000"
    MAX_CONTENT_LENGTH = 1024 * 1024
    IMPORT_MAX_CONTENT_LENGTH = 256 * 1024 * 1024
    MAX_MICROPUB_BYTES = 32 * 1024 * 1024  # a multipart Micropub create with its photos
    MAX_POST_LENGTH = 5000
    MAX_MEDIA_BYTES = 10 * 1024 * 1024  # an uploaded image
    MEDIA_MAX_PIXELS = 50_000_000  # an image's width × height (× frames): above it, a decompression bomb
    MEDIA_KEEP_METADATA = False  # True stores uploads as sent, EXIF and XMP (GPS, camera) included
    CACHE_MAX_AGE = 60
    READER_CACHE_BYTES = 2 * 1024 * 1024  # per worker process; 0 turns the cache off (docs/configuration.md)
    CORS_ORIGINS = ""
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_READS = "600 per minute"
    RATELIMIT_WRITES = "120 per minute"
    PROXY_COUNT = 0
    PUBLIC_BASE_URL = None  # e.g. https://blog.example/ ; else the request's host
    SITE_TITLE = "microblog"
    SITE_DESCRIPTION = None
    SITE_AUTHOR = None
    SITE_HOME_URL = None
    SITE_LANGUAGE = "en"  # a BCP 47 tag: the pages' lang, feeds' <language>, xml:lang and language
    # URLs per sitemap file; past it /sitemap.xml is an index of files. Small enough that a file
    # costs about a page of posts to build and fits the reader cache (service/sitemap.py).
    SITEMAP_MAX_URLS = 500
    POST_LINK_TEMPLATE = None  # None: <base>posts/{slug}, the post's page; {id} and {slug}
    ADMIN_USERNAME = None
    INDIEAUTH_CODE_LIFETIME = timedelta(minutes=10)  # at most 10 minutes, as IndieAuth advises
    INDIEAUTH_TOKEN_LIFETIME = timedelta(days=365)
    INDIEAUTH_ALLOW_NO_PKCE = False  # True lets old clients that send no code_challenge sign in
    BROWSER_SESSION_LIFETIME = timedelta(hours=12)  # a browser's sign-in (the consent page, /write), at most
    BROWSER_SESSION_IDLE = timedelta(hours=1)  # … and while it is used at least this often
    OUTBOUND_ALLOW_LOOPBACK = False  # tests only: the safe fetcher may reach loopback, any port
    ADMIN_PASSWORD = None
    WEBSUB_HUB = None  # a WebSub hub's URL: feeds advertise it, the worker pings it on every change
    FEDIVERSE_USERNAME = None  # the handle's user part (@USER@HOST); None: the admin's username
    ACTIVITYPUB_MAX_BODY = 256 * 1024  # bytes an inbox reads of one activity
    ACTIVITYPUB_HOST_RATE = "300 per minute"  # activities taken from one remote host
    SERVE_RUNS_WORKER = True  # `serve` runs a delivery worker beside granian; off where workers run apart
    DELIVERY_RETRY_BASE = timedelta(seconds=60)  # the first wait after a failure, doubled each time
    DELIVERY_RETRY_CAP = timedelta(hours=6)  # the longest wait between two tries
    DELIVERY_MAX_AGE = timedelta(days=3)  # a delivery not made by then is given up (failed)
    DELIVERY_LEASE = timedelta(seconds=45)  # a worker's hold on the deliveries it took
    DELIVERY_POLL_INTERVAL = 1.0  # seconds between a worker's looks for due deliveries
    DELIVERY_THREADS = 4  # deliveries one worker sends at once
    DELIVERY_HOST_CONCURRENCY = 2  # deliveries in flight to one host, over every worker
    DELIVERY_HOST_FAILURES = 3  # failures in a row after which a host is backed off as a whole
    DELIVERY_CONNECT_TIMEOUT = 5.0  # seconds
    DELIVERY_TIMEOUT = 15.0  # seconds for a whole request
    DELIVERY_KEEP_DONE = timedelta(days=7)  # done and cancelled deliveries are listed this long
    MENTIONS_NEED_APPROVAL = False  # True: a verified Webmention is shown once the admin approves it
    WEBMENTION_SOURCE_LIMIT = 10  # Webmentions received from one source URL per window
    WEBMENTION_TARGET_LIMIT = 100  # Webmentions received for one post per window
    WEBMENTION_LIMIT_WINDOW = timedelta(hours=1)
    WEBMENTION_MAX_BODY = 16 * 1024  # bytes of a Webmention request's form; larger is a 413
    JSON_SORT_KEYS = False
    API_TITLE = "microblog"
    API_VERSION = "1.0.0"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "/docs"
    OPENAPI_SWAGGER_UI_URL = "/docs/assets/"


LIFETIMES = ("JWT_ACCESS_TOKEN_EXPIRES", "JWT_REFRESH_TOKEN_EXPIRES", "JWT_FRESH_LOGIN_EXPIRES",
             "IDEMPOTENCY_KEY_TTL", "INDIEAUTH_CODE_LIFETIME", "INDIEAUTH_TOKEN_LIFETIME",
             "BROWSER_SESSION_LIFETIME", "BROWSER_SESSION_IDLE", "DELIVERY_RETRY_BASE", "DELIVERY_RETRY_CAP",
             "DELIVERY_MAX_AGE", "DELIVERY_LEASE", "DELIVERY_KEEP_DONE", "WEBMENTION_LIMIT_WINDOW")
MAX_CODE_LIFETIME = timedelta(minutes=10)

POOL_SETTINGS = ("DB_POOL_SIZE", "DB_POOL_TIMEOUT", "DB_POOL_IDLE_TIMEOUT")
POSITIVE_SETTINGS = POOL_SETTINGS + ("DELIVERY_POLL_INTERVAL", "DELIVERY_THREADS", "DELIVERY_HOST_CONCURRENCY",
                                     "DELIVERY_HOST_FAILURES", "DELIVERY_CONNECT_TIMEOUT", "DELIVERY_TIMEOUT",
                                     "WEBMENTION_SOURCE_LIMIT", "WEBMENTION_TARGET_LIMIT", "WEBMENTION_MAX_BODY",
                                     "ACTIVITYPUB_MAX_BODY")
COUNTS = ("MAX_MEDIA_BYTES", "MEDIA_MAX_PIXELS")  # positive whole numbers


def _flag(value):
    """An environment variable as a switch: anything but 0, false, no or off is on."""
    return value.lower() not in ("0", "false", "no", "off")


ENV_SETTINGS = {
    "MICROBLOG_ENV": str,
    "DATABASE_URL": str,
    "SQLITE_SYNCHRONOUS": str,
    "DB_POOL_SIZE": int,
    "DB_POOL_TIMEOUT": float,
    "DB_POOL_IDLE_TIMEOUT": float,
    "SECRET_KEY": str,
    "JWT_SECRET_KEY": str,
    "JWT_ACCESS_TOKEN_EXPIRES": int,
    "JWT_REFRESH_TOKEN_EXPIRES": int,
    "JWT_FRESH_LOGIN_EXPIRES": int,
    "IDEMPOTENCY_KEY_TTL": int,
    "PASSWORD_HASH_METHOD": str,
    "MAX_CONTENT_LENGTH": int,
    "IMPORT_MAX_CONTENT_LENGTH": int,
    "MAX_MICROPUB_BYTES": int,
    "MAX_POST_LENGTH": int,
    "MAX_MEDIA_BYTES": int,
    "MEDIA_MAX_PIXELS": int,
    "MEDIA_KEEP_METADATA": _flag,
    "CACHE_MAX_AGE": int,
    "READER_CACHE_BYTES": int,
    "CORS_ORIGINS": str,
    "RATELIMIT_ENABLED": _flag,
    "RATELIMIT_STORAGE_URI": str,
    "RATELIMIT_READS": str,
    "RATELIMIT_WRITES": str,
    "PROXY_COUNT": int,
    "PUBLIC_BASE_URL": str,
    "SITE_TITLE": str,
    "SITE_DESCRIPTION": str,
    "SITE_AUTHOR": str,
    "SITE_HOME_URL": str,
    "SITE_LANGUAGE": str,
    "SITEMAP_MAX_URLS": int,
    "POST_LINK_TEMPLATE": str,
    "ADMIN_USERNAME": str,
    "INDIEAUTH_CODE_LIFETIME": int,
    "INDIEAUTH_TOKEN_LIFETIME": int,
    "INDIEAUTH_ALLOW_NO_PKCE": lambda value: value.lower() in ("1", "true", "yes", "on"),
    "BROWSER_SESSION_LIFETIME": int,
    "BROWSER_SESSION_IDLE": int,
    "OUTBOUND_ALLOW_LOOPBACK": lambda value: value.lower() in ("1", "true", "yes", "on"),
    "ADMIN_PASSWORD": str,
    "WEBSUB_HUB": str,
    "FEDIVERSE_USERNAME": str,
    "ACTIVITYPUB_MAX_BODY": int,
    "ACTIVITYPUB_HOST_RATE": str,
    "SERVE_RUNS_WORKER": lambda value: value.lower() not in ("0", "false", "no", "off"),
    "DELIVERY_RETRY_BASE": float,
    "DELIVERY_RETRY_CAP": float,
    "DELIVERY_MAX_AGE": float,
    "DELIVERY_LEASE": float,
    "DELIVERY_POLL_INTERVAL": float,
    "DELIVERY_THREADS": int,
    "DELIVERY_HOST_CONCURRENCY": int,
    "DELIVERY_HOST_FAILURES": int,
    "DELIVERY_CONNECT_TIMEOUT": float,
    "DELIVERY_TIMEOUT": float,
    "DELIVERY_KEEP_DONE": float,
    "MENTIONS_NEED_APPROVAL": lambda value: value.lower() in ("1", "true", "yes", "on"),
    "WEBMENTION_SOURCE_LIMIT": int,
    "WEBMENTION_TARGET_LIMIT": int,
    "WEBMENTION_LIMIT_WINDOW": float,
    "WEBMENTION_MAX_BODY": int,
}


class ConfigurationError(click.ClickException):
    """The configuration is unsafe or incomplete; the service must not start. A ClickException,
    so that every command line (flask, microblog, serve) says it in one line and exits 1."""


def load_environment(config, environ=os.environ):
    """Copy every known setting present in the environment into the config."""
    for name, convert in ENV_SETTINGS.items():
        if environ.get(name):
            try:
                config[name] = convert(environ[name])
            except ValueError as exc:
                raise ConfigurationError(f"{name}: {exc}") from None


def finalize(config, instance_path, debug=False):
    """Fill derived defaults, turn lifetimes given in seconds into timedeltas, check secrets;
    refuse debug mode (the Werkzeug debugger runs code) outside development."""
    if (debug or config.get("DEBUG")) and config["MICROBLOG_ENV"] != "development":
        raise ConfigurationError(
            f"Debug mode is refused with MICROBLOG_ENV={config['MICROBLOG_ENV']}: unset FLASK_DEBUG."
        )
    if not config["DATABASE_URL"]:
        os.makedirs(instance_path, exist_ok=True)
        config["DATABASE_URL"] = default_database_url(instance_path)
    check_database_url(config["DATABASE_URL"])
    for name in LIFETIMES:
        if isinstance(config[name], (int, float)) and not isinstance(config[name], bool):
            config[name] = timedelta(seconds=config[name])
        if not isinstance(config[name], timedelta) or config[name].total_seconds() <= 0:
            raise ConfigurationError(f"{name} must be a positive number of seconds")
    if config["INDIEAUTH_CODE_LIFETIME"] > MAX_CODE_LIFETIME:
        raise ConfigurationError("INDIEAUTH_CODE_LIFETIME must be at most 600 seconds")
    if not LANGUAGE_TAG.fullmatch(str(config["SITE_LANGUAGE"])):
        raise ConfigurationError(
            f"SITE_LANGUAGE must be a language tag such as en or pt-BR, not {config['SITE_LANGUAGE']!r}")
    for name in ("WEBSUB_HUB", "PUBLIC_BASE_URL"):
        if config[name] and not _is_http_url(config[name]):
            raise ConfigurationError(f"{name} must be an http(s) URL, not {config[name]!r}")
    for name in COUNTS:
        if isinstance(config[name], bool) or not isinstance(config[name], int) or config[name] <= 0:
            raise ConfigurationError(f"{name} must be a positive whole number")
    for name in POSITIVE_SETTINGS:
        if isinstance(config[name], bool) or not isinstance(config[name], (int, float)) or config[name] <= 0:
            raise ConfigurationError(f"{name} must be a positive number")
    if config["DELIVERY_LEASE"].total_seconds() <= config["DELIVERY_TIMEOUT"]:
        raise ConfigurationError("DELIVERY_LEASE must be longer than DELIVERY_TIMEOUT: a worker's hold on a "
                                 "delivery must outlast its request, or another worker sends it again")
    apply_secret_policy(config, instance_path)


def apply_secret_policy(config, instance_path):
    """Require strong secrets in production; generate and keep one in development."""
    if config["MICROBLOG_ENV"] == "development" and not config["SECRET_KEY"]:
        config["SECRET_KEY"] = _development_secret(instance_path)
    if not config["JWT_SECRET_KEY"]:
        config["JWT_SECRET_KEY"] = config["SECRET_KEY"]
    for name in ("SECRET_KEY", "JWT_SECRET_KEY"):
        value = config[name] or ""
        if len(value.encode()) < MIN_SECRET_BYTES:
            raise ConfigurationError(
                f"{name} must be set to at least {MIN_SECRET_BYTES} bytes "
                f"(MICROBLOG_ENV={config['MICROBLOG_ENV']}; MICROBLOG_ENV=development generates one). "
                "Generate one with: python3 -c 'import secrets; print(secrets.token_hex(32))'"
            )


def _is_http_url(value):
    parts = urlsplit(str(value))
    return parts.scheme in ("http", "https") and bool(parts.hostname)


DATABASE_URL_FORMS = ("sqlite:/// and the file's path (sqlite:////srv/blog/microblog.sqlite3 for "
                      "/srv/blog/microblog.sqlite3) or postgresql://user:password@host:5432/name")
DATABASE_SCHEMES = ("sqlite", "postgres", "postgresql")


def check_database_url(url):
    """Refuse a DATABASE_URL whose form could not work (or, as sqlite://name does, would silently
    keep the data in a throwaway database), before anything connects."""
    if "://" not in url:
        raise ConfigurationError(f"DATABASE_URL must be a URL, not {url!r}: use {DATABASE_URL_FORMS}.")
    scheme = url.split("://", 1)[0].removesuffix("+pool")
    if scheme not in DATABASE_SCHEMES:
        raise ConfigurationError(f"DATABASE_URL: the scheme {scheme}:// is not supported: use {DATABASE_URL_FORMS}.")
    if scheme != "sqlite":
        return
    parts = urlsplit(url)
    if parts.netloc or not parts.path:
        raise ConfigurationError(f"DATABASE_URL {url!r} names no SQLite file: use {DATABASE_URL_FORMS}.")


def default_database_url(instance_path):
    return "sqlite:///" + os.path.join(instance_path, "microblog.sqlite3")


def _development_secret(instance_path):
    """Read the instance folder's secret, creating it once (atomic across processes)."""
    path = os.path.join(instance_path, SECRET_FILE)
    os.makedirs(instance_path, exist_ok=True)
    if not os.path.exists(path):
        draft = f"{path}.{os.getpid()}"
        with open(os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(draft)
    if os.stat(path).st_mode & 0o077:
        os.chmod(path, 0o600)  # a secret, readable by its owner only, however it was made
    with open(path) as handle:
        return handle.read().strip()
