"""Admin API of the fediverse: the followers (list, remove with a Reject), the blocked domains,
a post's ActivityPub deliveries, and sending a post again. Bearer access token required."""
from flask import current_app
from werkzeug.exceptions import NotFound

from ...service import federation
from .. import routes, schemas
from . import Blueprint, require_access_token

blp = Blueprint("fediverse", __name__, url_prefix="/api/v1/admin/fediverse",
                description="Followers on the fediverse, blocked domains, and a post's ActivityPub deliveries.")
routes.declare(blp, routes.API, routes.PRIVATE)
blp.before_request(require_access_token)


def _site():
    found = current_app.extensions["outbox_settings"].federation()
    if found is None:
        raise NotFound("This site is not on the fediverse: PUBLIC_BASE_URL is not set.")
    return found


@blp.route("/followers", methods=["GET"], operation_id="listFollowers")
@blp.bearer()
@blp.arguments(schemas.FollowerQuery, location="query")
@blp.response(200, schemas.FollowerPage)
def list_followers(args):
    """Followers, oldest first."""
    items, next_after = federation.followers(args["limit"], args.get("after"))
    return {"items": items, "next_after": next_after}


@blp.route("/followers/<int:follower_id>", methods=["DELETE"], operation_id="removeFollower")
@blp.bearer()
@blp.arguments(schemas.NoQuery, location="query")
@blp.response(204)
@blp.problem(404)
def remove_follower(_args, follower_id):
    """Remove a follower; its server is sent a Reject of its Follow."""
    federation.remove_follower(_site(), follower_id)


@blp.route("/blocked-domains", methods=["GET"], operation_id="listBlockedDomains")
@blp.bearer()
@blp.arguments(schemas.NoQuery, location="query")
@blp.response(200, schemas.BlockedDomainList)
def list_blocked(_args):
    """The blocked domains (each with its subdomains)."""
    return {"items": federation.blocked_domains()}


@blp.route("/blocked-domains/<domain>", methods=["PUT"], operation_id="blockDomain")
@blp.doc(parameters=[{"in": "path", "name": "domain", "required": True,
                      "schema": {"type": "string", "maxLength": 253, "pattern": schemas.DOMAIN_RE.pattern}}])
@blp.bearer()
@blp.arguments(schemas.NoQuery, location="query")
@blp.response(204)
@blp.problem(422)
def block_domain(_args, domain):
    """Refuse the domain's activities, deliver nothing there, and remove its followers."""
    federation.block_domain(schemas.checked_domain(domain))


@blp.route("/blocked-domains/<domain>", methods=["DELETE"], operation_id="unblockDomain")
@blp.bearer()
@blp.arguments(schemas.NoQuery, location="query")
@blp.response(204)
@blp.problem(404)
def unblock_domain(_args, domain):
    federation.unblock_domain(domain)


@blp.route("/posts/<int:post_id>/deliveries", methods=["GET"], operation_id="getPostDeliveries")
@blp.bearer()
@blp.arguments(schemas.NoQuery, location="query")
@blp.response(200, schemas.PostDeliveries)
@blp.problem(404)
def post_deliveries(_args, post_id):
    """The post's ActivityPub deliveries (Create, Update, Delete) and how many are in each state."""
    return federation.post_deliveries(post_id)


@blp.route("/posts/<int:post_id>/resend", methods=["POST"], operation_id="resendPost")
@blp.bearer()
@blp.arguments(schemas.NoQuery, location="query")
@blp.response(202, schemas.Resent)
@blp.problem(404)
@blp.problem(409, "The post is not public.")
def resend_post(_args, post_id):
    """Send the post's Create again to every follower's server (once per shared inbox)."""
    return {"deliveries": federation.resend(_site(), post_id)}
