"""Admin export and import: the whole site as NDJSON, over HTTP."""
import io

from flask import Response, abort, current_app, request, stream_with_context

from ...data.models import utcnow
from ...service import export_format, transfer
from .. import routes, schemas
from . import Blueprint, http_doc, require_fresh_token

blp = Blueprint("transfer", __name__, url_prefix="/api/v1/admin", description="Export and import.")
routes.declare(blp, routes.API, routes.PRIVATE)

NDJSON_BODY = {
    "required": True,
    "content": {export_format.MEDIA_TYPE: {"schema": {"type": "string"}}},
    "description": "An export: a header line, then one record per line.",
}

FRESH_TOKEN_NEEDED = "Missing, stale or not fresh token (it carries the admin's password hash)."

BODY_BUFFER_BYTES = 1024 * 1024

blp.before_request(require_fresh_token)


@blp.route("/export", methods=["GET"], operation_id="exportSite")
@blp.bearer(FRESH_TOKEN_NEEDED)
@blp.arguments(schemas.NoQuery, location="query")
@blp.response(200, {"type": "string", "format": "binary"}, content_type=export_format.MEDIA_TYPE,
              description="NDJSON: a header line, then one record a line.",
              headers={"Content-Disposition": http_doc.CONTENT_DISPOSITION})
def export(_args):
    """Everything (admin, revoked tokens, every post with every field) as NDJSON."""
    lines = export_format.export_lines(transfer.export_records())
    filename = f"microblog-export-{utcnow():%Y%m%dT%H%M%SZ}.ndjson"
    return Response(
        stream_with_context(lines),
        mimetype=export_format.MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@blp.route("/import", methods=["POST"], operation_id="importSite")
@blp.bearer(FRESH_TOKEN_NEEDED)
@blp.doc(requestBody=NDJSON_BODY)
@blp.arguments(schemas.NoQuery, location="query")
@blp.response(200, schemas.ImportCounts)
@blp.problem(409, "A record clashes with stored data (slug, admin); nothing was imported.")
@blp.problem(422, "An invalid line, or an admin password hash cheaper than PASSWORD_HASH_METHOD; nothing was imported.")
@blp.problem(413, "Larger than IMPORT_MAX_CONTENT_LENGTH.")
@blp.problem(415, "Not application/x-ndjson.")
def import_(_args):
    """Upsert an export (idempotent: the same file twice changes nothing); all or nothing."""
    if request.mimetype != export_format.MEDIA_TYPE:
        abort(415)
    request.max_content_length = current_app.config["IMPORT_MAX_CONTENT_LENGTH"]
    # buffered: lines read from the raw stream would be read a byte at a time
    body = io.BufferedReader(request.stream, BODY_BUFFER_BYTES)
    records = export_format.read_records(body, current_app.config["MAX_POST_LENGTH"])
    return transfer.upsert_records(records, current_app.config["PASSWORD_HASH_METHOD"])
