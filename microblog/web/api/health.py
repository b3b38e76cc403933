"""Liveness with a real database round trip."""
from flask import current_app
from peewee import PeeweeException

from ...data import migrations
from ...service import outbox
from .. import routes, schemas
from ..errors import handle_database_error, problem_response
from ..request_limits import exempt
from . import Blueprint

blp = Blueprint("health", __name__, description="Service health.")
routes.declare(blp, routes.API, routes.OWN, paths=["/healthz"])  # no-store on its 200


@blp.route("/healthz", methods=["GET"], operation_id="getHealth")
@exempt
@blp.response(200, schemas.Health)
@blp.problem(503, "The database is not answering, no pooled connection became free in time, "
                  "or the database's schema is older than the code.")
def healthz():
    """200 when the database answers and its schema is the one this code needs, else 503;
    says how long the oldest pending delivery has waited; names Redis's state when request
    limits count there."""
    try:
        version = migrations.current_version(current_app.extensions["database"])
    except PeeweeException as error:
        return handle_database_error(error)
    if version < migrations.LATEST_VERSION:
        return problem_response(
            503,
            f"The database schema is at version {version}; this code needs version "
            f"{migrations.LATEST_VERSION}. Run `flask --app microblog init-db`.",
        )
    health = {"status": "ok", "database": "ok", "oldest_pending_delivery_age": outbox.oldest_pending_age()}
    limits = current_app.extensions.get("request_limits")
    if limits and limits.store_is_redis():
        # not a failure: without Redis each worker counts requests itself (request_limits.py)
        health["redis"] = "ok" if limits.counters.available() else "unavailable"
    return health, 200, {"Cache-Control": "no-store"}
