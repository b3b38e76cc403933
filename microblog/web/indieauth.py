"""IndieAuth: the metadata document, the authorization endpoint (the consent page, and sign-in
by code), the token, introspection and revocation endpoints. Errors of the token exchange are
OAuth's JSON ({"error", "error_description"}); the consent page's are pages."""
from calendar import timegm
from urllib.parse import urlencode, urlsplit, urlunsplit

from flask import Blueprint, current_app, jsonify, redirect, render_template, request
from flask_jwt_extended import verify_jwt_in_request

from ..service import auth as auth_service
from ..service import errors, indieauth, tokens
from . import browser_session, endpoint_urls, outbound, routes
from .caching import cached_as
from .request_limits import client_address
from .site import error_pages

bp = Blueprint("indieauth", __name__)
routes.declare(bp, routes.SITE, routes.OWN, paths=["/indieauth/"])  # the consent page; no-store below
CONSENT = "indieauth-consent"  # the consent form's CSRF purpose
SCOPE_TEXT = {"create": "create posts (and upload their photos)", "post": "create posts (and upload their photos)",
              "update": "edit posts", "delete": "delete and restore posts", "media": "upload photos"}
CONSENT_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'{target}; "
                  "base-uri 'none'; frame-ancestors 'none'")


@bp.after_request
def _never_stored(response):
    if request.endpoint != "indieauth.metadata":
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


@bp.errorhandler(errors.Refused)
def _oauth_error(error):
    return oauth_error(error.code, error.detail)


def oauth_error(code, description, status=400):
    response = jsonify(error=code, error_description=description)
    response.status_code = status
    return response


@bp.route("/.well-known/oauth-authorization-server")
def metadata():
    """The authorization server's metadata (RFC 8414, as IndieAuth uses it)."""
    response = jsonify(
        issuer=endpoint_urls.issuer(),
        authorization_endpoint=endpoint_urls.authorization_endpoint(),
        token_endpoint=endpoint_urls.token_endpoint(),
        introspection_endpoint=endpoint_urls.introspection_endpoint(),
        revocation_endpoint=endpoint_urls.revocation_endpoint(),
        revocation_endpoint_auth_methods_supported=["none"],
        scopes_supported=list(tokens.SCOPES),
        response_types_supported=["code"],
        grant_types_supported=["authorization_code"],
        code_challenge_methods_supported=["S256"],
        authorization_response_iss_parameter_supported=True,
    )
    return cached_as(response, f"public, max-age={current_app.config['CACHE_MAX_AGE']}")


@bp.route("/indieauth/auth", methods=["GET"])
def authorize():
    """The consent page of an authorization request (or an error page; or, when only the
    request's other parameters are wrong, the error sent back to its redirect_uri)."""
    try:
        args = _single_values(request.args)
    except errors.Refused as error:
        return _error_page(error.detail)
    try:
        wanted = indieauth.check_request(args, outbound.fetch, current_app.config["INDIEAUTH_ALLOW_NO_PKCE"])
    except indieauth.ClientRefused as error:
        return _error_page(error.detail)
    except errors.Refused as error:
        return _back_to_client(args["redirect_uri"], args.get("state"),
                               error=error.code, error_description=error.detail)
    return _consent_page(wanted)


@bp.route("/indieauth/auth", methods=["POST"])
def decide():
    """The consent form's Approve or Deny; or, with no form token, a code redeemed to learn
    who signed in ({"me"} only)."""
    if "csrf_token" not in request.form and "code" in request.form:
        return _redeem_for_profile()
    try:
        wanted = indieauth.AuthorizationRequest.from_dict(
            browser_session.check_csrf(request.form.get("csrf_token"), CONSENT))
    except (browser_session.FormExpired, KeyError, TypeError):
        return _error_page("This form has expired or lost its security token: start again from the application.")
    if request.form.get("decision", "approve") == "deny":
        return _back_to_client(wanted.redirect_uri, wanted.state, error="access_denied",
                               error_description="The request was denied.")
    user_id = browser_session.signed_in_user()
    signing_in = user_id is None
    if signing_in:
        try:
            user_id = auth_service.authenticate(
                request.form.get("username", ""), request.form.get("password", ""),
                current_app.config["PASSWORD_HASH_METHOD"], client=client_address()).id
        except errors.Throttled as error:
            return _consent_page(wanted, error.detail, 429, {"Retry-After": str(error.retry_after)})
        except errors.AuthenticationFailed as error:
            return _consent_page(wanted, error.detail)
    chosen = {name for value in request.form.getlist("scope") for name in value.split()}
    granted = [name for name in wanted.scopes if name in chosen]
    code = tokens.issue_code(user_id, wanted.client_id, wanted.redirect_uri, granted, wanted.code_challenge,
                             current_app.config["INDIEAUTH_CODE_LIFETIME"])
    response = _back_to_client(wanted.redirect_uri, wanted.state, code=code)
    return browser_session.sign_in(response, user_id) if signing_in else response


def _redeem_for_profile():
    params = _oauth_params()
    if params.get("grant_type", "authorization_code") != "authorization_code":
        raise errors.Refused("unsupported_grant_type", "Only grant_type=authorization_code is supported.")
    tokens.redeem_code(_required(params, "code"), _required(params, "client_id"),
                       _required(params, "redirect_uri"), params.get("code_verifier"))
    return jsonify(me=endpoint_urls.me())


@bp.route("/indieauth/token", methods=["POST"])
def token():
    """An authorization code (with its PKCE verifier) exchanged for an access token."""
    params = _oauth_params()
    grant_type = _required(params, "grant_type")
    if grant_type != "authorization_code":
        raise errors.Refused("unsupported_grant_type", "Only grant_type=authorization_code is supported.")
    lifetime = current_app.config["INDIEAUTH_TOKEN_LIFETIME"]
    access_token, row = tokens.redeem_code(_required(params, "code"), _required(params, "client_id"),
                                           _required(params, "redirect_uri"), params.get("code_verifier"), lifetime)
    return jsonify(access_token=access_token, token_type="Bearer", scope=row.scope, me=endpoint_urls.me(),
                   expires_in=int(lifetime.total_seconds()))


@bp.route("/indieauth/introspect", methods=["POST"])
def introspect():
    """What a token is (RFC 7662, with IndieAuth's `me`), for the admin's access token alone."""
    verify_jwt_in_request()
    row = tokens.find_live(_oauth_params().get("token"))
    if row is None:
        return jsonify(active=False)
    return jsonify(active=True, me=endpoint_urls.me(), client_id=row.client_id, scope=row.scope,
                   iat=_epoch(row.created), exp=_epoch(row.expires))


@bp.route("/indieauth/revoke", methods=["POST"])
def revoke():
    """Revoke a token (RFC 7009): 200 whether or not it was one."""
    tokens.revoke_token(_required(_oauth_params(), "token"))
    return current_app.response_class(status=200)


def _epoch(moment):
    return timegm(moment.timetuple())


def _single_values(multidict):
    """The parameters, each once (OAuth: a parameter sent twice is an invalid request)."""
    repeated = [name for name in multidict if len(multidict.getlist(name)) > 1]
    if repeated:
        raise errors.Refused("invalid_request", f"Parameters may be sent only once: {', '.join(repeated)}.")
    return multidict.to_dict()


def _oauth_params():
    return _single_values(request.form)


def _required(params, name):
    value = params.get(name)
    if not value:
        raise errors.Refused("invalid_request", f"The {name} parameter is required.")
    return value


def _back_to_client(redirect_uri, state, **params):
    """A 302 to the (checked) redirect_uri with these parameters, the exact state, and iss."""
    if state is not None:
        params["state"] = state
    params["iss"] = endpoint_urls.issuer()
    parts = urlsplit(redirect_uri)
    query = "&".join(part for part in (parts.query, urlencode(params)) if part)
    return redirect(urlunsplit(parts._replace(query=query)), 302)


def _consent_page(wanted, problem=None, status=200, headers=()):
    signed_in = browser_session.signed_in_user() is not None
    body = render_template(
        "site/consent.html", wanted=wanted, problem=problem, signed_in=signed_in, scope_text=SCOPE_TEXT,
        other_site=indieauth.origin(wanted.redirect_uri) != indieauth.origin(wanted.client_id),
        csrf_token=browser_session.csrf_token(CONSENT, wanted.as_dict()),
        action=endpoint_urls.authorization_endpoint())
    response = current_app.response_class(body, status=status, mimetype="text/html", headers=headers)
    response.headers["Content-Security-Policy"] = CONSENT_POLICY.format(target=_form_target(wanted.redirect_uri))
    return response


def _form_target(redirect_uri):
    """The CSP source of the redirect_uri (browsers check form-action on the redirect after a
    form's POST, so the consent page must allow it), or none when it cannot be written as one."""
    parts = urlsplit(redirect_uri)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return f" {scheme}:" if indieauth.SCHEME.fullmatch(scheme) else ""
    host = parts.hostname or ""
    if not all(c.isalnum() or c in ".-:" for c in host):
        return ""
    host = f"[{host}]" if ":" in host else host
    return f" {scheme}://{host}" + (f":{parts.port}" if parts.port else "")


def _error_page(detail):
    response = error_pages.error_page(400, detail)
    response.headers["Content-Security-Policy"] = CONSENT_POLICY.format(target="")
    return response
