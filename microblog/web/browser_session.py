"""A sign-in carried by a browser, and the CSRF tokens of its forms (the IndieAuth consent
page; the writer's pages reuse both).

The cookie holds only a random session id (service/sessions.py keeps its hash): HttpOnly,
SameSite=Lax, Secure when the public URL is https, for BROWSER_SESSION_LIFETIME. The JSON API
never reads or sets it (NoCookieSessions stays the app's session interface).

A form's CSRF token is signed with SECRET_KEY and names the form's purpose, the data the form
acts on (so a view may carry its state in it, tamper-proof) and the session it was shown in
(or none): a token works only for that purpose, in that session, for FORM_LIFETIME. It is the
form's protection: no Origin or Referer check (under no-referrer, browsers send Origin: null).
"""
import hashlib
from datetime import timedelta

from flask import current_app, g, request
from itsdangerous import BadData, URLSafeTimedSerializer

from ..service import sessions

COOKIE = "microblog_session"
FORM_LIFETIME = timedelta(hours=1)


class FormExpired(Exception):
    """The form's CSRF token is missing, forged, too old, for another form or another session."""


def session_id():
    """The session id the request's cookie carries, if it still signs someone in."""
    if "browser_session" not in g:
        candidate = request.cookies.get(COOKIE)
        g.browser_session = (candidate, sessions.user_of(candidate)) if candidate else (None, None)
    return g.browser_session[0] if g.browser_session[1] is not None else None


def signed_in_user():
    """The id of the user the browser's session signs in, or None."""
    session_id()
    return g.browser_session[1]


def sign_in(response, user_id):
    """Start a session for the user and give the browser its cookie."""
    lifetime = current_app.config["BROWSER_SESSION_LIFETIME"]
    new_id = sessions.start(user_id, lifetime)
    response.set_cookie(COOKIE, new_id, max_age=int(lifetime.total_seconds()), path=request.script_root or "/",
                        secure=_secure(), httponly=True, samesite="Lax")
    g.browser_session = (new_id, user_id)
    return response


def sign_out(response):
    sessions.end(request.cookies.get(COOKIE))
    response.delete_cookie(COOKIE, path=request.script_root or "/", secure=_secure(), httponly=True, samesite="Lax")
    g.browser_session = (None, None)
    return response


def _secure():
    configured = current_app.config["PUBLIC_BASE_URL"]
    return (configured or request.url_root).startswith("https:")


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="microblog-form")


def _session_mark():
    current = session_id()
    return hashlib.sha256(current.encode()).hexdigest()[:32] if current else ""


def csrf_token(purpose, data=None):
    """A token for a form of `purpose`, shown in this session (or none), carrying `data`."""
    return _serializer().dumps({"p": purpose, "s": _session_mark(), "d": data})


def check_csrf(token, purpose):
    """The data a form's token carries; FormExpired unless it is this purpose's, of this session."""
    try:
        payload = _serializer().loads(token or "", max_age=int(FORM_LIFETIME.total_seconds()))
    except BadData:
        raise FormExpired from None
    if not isinstance(payload, dict) or payload.get("p") != purpose or payload.get("s") != _session_mark():
        raise FormExpired
    return payload.get("d")
