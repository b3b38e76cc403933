"""Liveness with a real database round trip."""
from peewee import PeeweeException

from .. import schemas
from ..db import ping
from ..errors import handle_database_error
from . import Blueprint

blp = Blueprint("health", __name__, description="Service health.")


@blp.route("/healthz", methods=["GET"])
@blp.response(200, schemas.Health)
@blp.problem(503, "The database is not answering.")
def healthz():
    """200 when the database answers a query, else 503."""
    try:
        ping()
    except PeeweeException as error:
        return handle_database_error(error)
    return {"status": "ok", "database": "ok"}, 200, {"Cache-Control": "no-store"}
