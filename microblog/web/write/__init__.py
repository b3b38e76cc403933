"""The writer's pages under /write: a first-party client of the same service as the admin API,
signed in by the browser session of the IndieAuth sign-in (web/browser_session.py).

Every page needs that session (else a 303 to the sign-in page), every POST a valid form token
(else nothing changes), and no answer is ever stored by a cache or indexed."""
import re

from flask import Blueprint, current_app, redirect, request, url_for
from werkzeug.exceptions import NotFound

from ...data.models import utcnow
from .. import browser_session, routes
from ..api.admin import etag_of
from ..site.error_pages import error_page
from ..site.meta import excerpt

bp = Blueprint("write", __name__, url_prefix="/write")
routes.declare(bp, routes.SITE, routes.OWN, paths=["/write"])  # never stored: below
SIGN_IN = "write.sign_in"  # the one page open without a session
FORM = "write"  # the CSRF purpose of every form shown in a session
WRITER_PATH = re.compile(r"/write(?:[/?][A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?")  # printable URL characters only
kept_on_refusal = {}  # endpoint → the view that shows its form again, with what was typed, when its token fails


EDITOR_FORMS = {"write.publish", "write.save"}  # they may carry a photo
MULTIPART_ALLOWANCE = 64 * 1024  # room for the form's other fields around the photo


@bp.before_request
def _signed_in_with_a_valid_form():
    if request.endpoint == SIGN_IN:
        return None
    if browser_session.signed_in_user() is None:
        return redirect(url_for(SIGN_IN, next=request.full_path.rstrip("?")), 303)
    if request.endpoint in EDITOR_FORMS:  # an image of MAX_MEDIA_BYTES, as the media API takes
        request.max_content_length = current_app.config["MAX_MEDIA_BYTES"] + MULTIPART_ALLOWANCE
    if request.method == "POST":
        try:
            browser_session.check_csrf(request.form.get("csrf_token"), FORM)
        except browser_session.FormExpired:
            return _refused()
    return None


def _refused():
    """Nothing is changed; a form whose text matters is shown again with it, others get a 400 page."""
    problem = "This form has expired or lost its security token, so nothing was changed: send it again."
    keep = kept_on_refusal.get(request.endpoint)
    if keep is not None:
        return keep(problem, **request.view_args)
    return error_page(400, problem)


@bp.after_request
def _never_stored(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    response.vary.add("Cookie")
    return response


def writer_path(wanted, default):
    """`wanted` when it is the path of a writer's page (never another site, nothing a header
    cannot carry), under the app's mount point; else `default`."""
    if WRITER_PATH.fullmatch(wanted or ""):
        return request.script_root + wanted
    return default


def form_token():
    """The CSRF token of the writer's forms in this session."""
    return browser_session.csrf_token(FORM)


@bp.context_processor
def _writer_context():
    return {"csrf_token": form_token, "etag_of": etag_of, "excerpt": excerpt, "now": utcnow()}


@bp.route("/<path:_rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def _elsewhere(_rest):
    """Any other path or method under /write: for the signed-in, a 404 or 405; for the others the
    same 303 to sign-in as everywhere here (so nothing tells which pages exist)."""
    raise NotFound("There is no such page among the writer's pages.")


from . import editor, manage, sign_in  # noqa: E402,F401 (their routes join the blueprint)
