"""IndieAuth access tokens at the endpoints that take them (Micropub, media), with Micropub's
errors: JSON {"error", "error_description"}; 401 unauthorized (no token, or one that is not
live), 401 insufficient_scope (Micropub's and its test suite's status, where IndieAuth's text
says 403), 400 invalid_request (a token both in the header and in the form).

A blueprint that takes tokens calls `install(blueprint)`, then either decorates a view with
`token_required(scope)`, or calls `require(scope)` inside it when the scope depends on the
request (Micropub's action). The view finds the token's Grant (its id, client_id and scopes)
in `flask.g.grant`. The admin API's JWTs are not access tokens here, nor these tokens there.
"""
import functools

from flask import g, jsonify, request

from ..service import errors, tokens

CHALLENGE = 'Bearer realm="microblog"'
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class MicropubError(Exception):
    """An answer in Micropub's error format; `challenge` is RFC 6750's error code for the
    WWW-Authenticate header of a 401 (none when the request sent no token at all)."""

    def __init__(self, status, error, description, challenge=None):
        super().__init__(description)
        self.status, self.error, self.description, self.challenge = status, error, description, challenge


def error_response(error):
    response = jsonify(error=error.error, error_description=error.description)
    response.status_code = error.status
    if error.status == 401:
        response.headers["WWW-Authenticate"] = CHALLENGE + (f', error="{error.challenge}"' if error.challenge else "")
    response.headers["Cache-Control"] = "no-store"
    return response


def install(blueprint):
    """Answer the blueprint's MicropubErrors in Micropub's format."""
    blueprint.register_error_handler(MicropubError, error_response)


def raw_token():
    """The token the request carries (header or form field), or None; MicropubError (400)
    when it carries one in both places."""
    header = request.headers.get("Authorization", "")
    in_form = request.form.get("access_token") if request.mimetype in FORM_TYPES else None
    scheme, _, credentials = header.partition(" ")
    from_header = credentials.strip() if scheme.lower() == "bearer" else None
    if header and in_form is not None:
        raise MicropubError(400, "invalid_request", "Send the access token in the Authorization header or in "
                                                    "the access_token field, not both.")
    if header and not from_header:
        raise MicropubError(401, "unauthorized", "The Authorization header must be 'Bearer <token>'.", "invalid_token")
    return from_header or in_form or None


def authenticate():
    """The Grant of the request's token (also set as g.grant); MicropubError 401 without a live one."""
    if "grant" in g:
        return g.grant
    token = raw_token()
    if token is None:
        raise MicropubError(401, "unauthorized", "An access token is required (Authorization: Bearer <token>).")
    try:
        g.grant = tokens.check(token)
    except errors.AuthenticationFailed as error:
        raise MicropubError(401, "unauthorized", error.detail, "invalid_token") from None
    return g.grant


def require(scope):
    """The request's Grant, when its token has `scope`; MicropubError 401 insufficient_scope else."""
    grant = authenticate()
    if not grant.allows(scope):
        raise MicropubError(401, "insufficient_scope", f"The access token lacks the {scope} scope.",
                            "insufficient_scope")
    return grant


def token_required(scope=None):
    """A view that needs a live access token (with `scope`, when given)."""

    def decorate(view):
        @functools.wraps(view)
        def checked(*args, **kwargs):
            require(scope) if scope else authenticate()
            return view(*args, **kwargs)

        return checked

    return decorate
