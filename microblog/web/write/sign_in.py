"""Signing in and out of the writer's pages: the IndieAuth sign-in's check, throttle and session."""
from flask import redirect, render_template, request, url_for

from ...service import errors
from .. import browser_session
from . import bp, writer_path

SIGN_IN_FORM = "write-sign-in"  # its CSRF purpose: a token shown before any session exists


def _next_page():
    """Where to go once signed in: a writer's page named by `next`, else /write (never another site)."""
    wanted = request.values.get("next", "")
    return url_for("write.new_post") if wanted.startswith("/write/sign-") else writer_path(wanted, url_for("write.new_post"))


def _page(problem=None, status=200, headers=(), signed_out=False):
    body = render_template("write/sign_in.html", problem=problem, signed_out=signed_out,
                           next=request.values.get("next", ""), token=browser_session.csrf_token(SIGN_IN_FORM))
    return body, status, headers


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    if request.method == "GET":
        if browser_session.signed_in_user() is not None:
            return redirect(_next_page(), 303)
        return _page(signed_out="signed-out" in request.args)
    try:
        browser_session.check_csrf(request.form.get("csrf_token"), SIGN_IN_FORM)
    except browser_session.FormExpired:
        return _page("This form had expired: sign in again.", 400)
    try:
        user_id = browser_session.check_credentials(request.form)
    except errors.Throttled as error:
        return _page(error.detail, 429, {"Retry-After": str(error.retry_after)})
    except errors.AuthenticationFailed as error:
        return _page(error.detail)
    return browser_session.sign_in(redirect(_next_page(), 303), user_id)


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    """Ends this browser's session (the form token was checked before)."""
    return browser_session.sign_out(redirect(url_for("write.sign_in", **{"signed-out": ""}), 303))
