"""Cross-origin access for the browsers of the origins in CORS_ORIGINS (none by default)."""
from flask_cors import CORS

from . import steps

ALLOWED_HEADERS = ["Authorization", "Content-Type", "If-Match", "If-None-Match",
                   "If-Modified-Since", "Idempotency-Key"]
EXPOSED_HEADERS = ["ETag", "Last-Modified", "Link", "Location", "Retry-After",
                   "Idempotent-Replayed"]


def origins(setting):
    """The comma-separated origins of CORS_ORIGINS, as a list."""
    return [origin.strip() for origin in (setting or "").split(",") if origin.strip()]


def init_app(app):
    """Access-Control-* headers only for a request from an allowed Origin (never for one
    without: always_send=False), so every answer depends on Origin and says so."""
    allowed = origins(app.config["CORS_ORIGINS"])
    if allowed:
        CORS(app, origins=allowed, allow_headers=ALLOWED_HEADERS, expose_headers=EXPOSED_HEADERS,
             supports_credentials=False, max_age=600, always_send=False)
        steps.after_request(app, _vary_by_origin)


def _vary_by_origin(response):
    """flask-cors adds Vary: Origin only where several origins could be named; with one, an
    answer without Origin (no Access-Control-Allow-Origin) still differs from one with it."""
    response.vary.add("Origin")
    return response
