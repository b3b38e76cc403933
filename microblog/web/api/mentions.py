"""Admin API of received Webmentions: list, read, show (approve) or hide, delete; block a domain
and unblock it. Bearer access token required."""
import re

from ...service import errors, mentions
from .. import routes, schemas
from . import Blueprint, require_access_token

blp = Blueprint("mentions", __name__, url_prefix="/api/v1/admin/mentions",
                description="Webmentions received, and the domains they are refused from.")
routes.declare(blp, routes.API, routes.PRIVATE)
blp.before_request(require_access_token)
LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
DOMAIN = re.compile(rf"{LABEL}(?:\.{LABEL})*")
DOMAIN_PARAMETER = [{"in": "path", "name": "domain", "required": True, "description": "A domain name, e.g. `example.com`.",
                     "schema": {"type": "string", "maxLength": 253, "pattern": f"^{DOMAIN.pattern}$"}}]


@blp.route("", methods=["GET"], operation_id="listMentions")
@blp.bearer()
@blp.arguments(schemas.MentionQuery, location="query")
@blp.response(200, schemas.MentionPage)
def list_mentions(args):
    """Mentions, newest first, by post, status, kind and way in (Webmention or ActivityPub);
    pending ones await approval."""
    items, next_before = mentions.page(args.pop("limit"), args.pop("before", None), **args)
    return {"items": items, "next_before": next_before}


@blp.route("/<int:mention_id>", methods=["GET"], operation_id="getMention")
@blp.bearer()
@blp.arguments(schemas.NoQuery, location="query")
@blp.response(200, schemas.Mention)
@blp.problem(404)
def get_mention(_args, mention_id):
    """One mention."""
    return mentions.get(mention_id)


@blp.route("/<int:mention_id>", methods=["PATCH"], operation_id="setMentionStatus")
@blp.bearer()
@blp.arguments(schemas.NoQuery, location="query")
@blp.arguments(schemas.MentionStatusInput)
@blp.response(200, schemas.Mention)
@blp.problem(404)
def set_mention_status(_args, data, mention_id):
    """Show a mention (approve one pending), or hide it; the post's page changes at once."""
    return mentions.set_status(mention_id, data["status"])


@blp.route("/<int:mention_id>", methods=["DELETE"], operation_id="deleteMention")
@blp.bearer()
@blp.arguments(schemas.NoQuery, location="query")
@blp.response(204)
@blp.problem(404)
def delete_mention(_args, mention_id):
    """Forget a mention; its source may send it again (block its domain to refuse it)."""
    mentions.delete(mention_id)


@blp.route("/blocks", methods=["GET"], operation_id="listMentionBlocks")
@blp.bearer()
@blp.arguments(schemas.NoQuery, location="query")
@blp.response(200, schemas.MentionBlockList)
def list_blocks(_args):
    """The domains whose Webmentions are refused."""
    return {"items": mentions.blocks()}


@blp.route("/blocks/<domain>", methods=["PUT"], operation_id="blockMentionDomain", parameters=DOMAIN_PARAMETER)
@blp.bearer()
@blp.arguments(schemas.NoQuery, location="query")
@blp.response(200, schemas.MentionBlock)
@blp.problem(422, "Not a domain name.")
def block_domain(_args, domain):
    """Refuse Webmentions from the domain and its subdomains, and forget those already received
    (idempotent)."""
    return mentions.block(_domain(domain))


@blp.route("/blocks/<domain>", methods=["DELETE"], operation_id="unblockMentionDomain", parameters=DOMAIN_PARAMETER)
@blp.bearer()
@blp.arguments(schemas.NoQuery, location="query")
@blp.response(204)
@blp.problem(404, "The domain is not blocked.")
@blp.problem(422, "Not a domain name.")
def unblock_domain(_args, domain):
    """Accept the domain's Webmentions again."""
    mentions.unblock(_domain(domain))


def _domain(value):
    domain = value.lower().strip(".")
    if len(domain) > 253 or not DOMAIN.fullmatch(domain):
        raise errors.Invalid("Give a domain name, such as example.com.", field="domain")
    return domain
