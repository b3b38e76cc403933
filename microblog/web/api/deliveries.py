"""Admin API of the outbox: deliveries pending, done, failed and cancelled, per kind and
destination; retry a failed one, cancel a pending one. Bearer access token required."""
from ...service import outbox
from .. import routes, schemas
from . import Blueprint, require_access_token

blp = Blueprint("deliveries", __name__, url_prefix="/api/v1/admin/deliveries",
                description="Deliveries to the outside world (the outbox).")
routes.declare(blp, routes.API, routes.PRIVATE)
blp.before_request(require_access_token)


@blp.route("/summary", methods=["GET"], operation_id="summarizeDeliveries")
@blp.bearer()
@blp.arguments(schemas.NoQuery, location="query")
@blp.response(200, schemas.DeliverySummary)
def summary(_args):
    """How many deliveries are pending, done, failed and cancelled, per kind and destination;
    and how long the oldest pending one has been due."""
    return outbox.summary()


@blp.route("", methods=["GET"], operation_id="listDeliveries")
@blp.bearer()
@blp.arguments(schemas.DeliveryQuery, location="query")
@blp.response(200, schemas.DeliveryPage)
def list_deliveries(args):
    """Deliveries, newest first, by state, kind and destination; failed ones keep their last error."""
    items, next_before = outbox.page(args.pop("limit"), args.pop("before", None), **args)
    return {"items": items, "next_before": next_before}


@blp.route("/<int:delivery_id>", methods=["GET"], operation_id="getDelivery")
@blp.bearer()
@blp.arguments(schemas.NoQuery, location="query")
@blp.response(200, schemas.Delivery)
@blp.problem(404)
def get_delivery(_args, delivery_id):
    """One delivery."""
    return outbox.get(delivery_id)


@blp.route("/<int:delivery_id>/retry", methods=["POST"], operation_id="retryDelivery")
@blp.bearer()
@blp.arguments(schemas.NoQuery, location="query")
@blp.response(200, schemas.Delivery)
@blp.problem(404)
@blp.problem(409, "The delivery is not failed or cancelled.")
def retry_delivery(_args, delivery_id):
    """Try a failed (or cancelled) delivery again now; its maximum age counts from now."""
    return outbox.retry(delivery_id)


@blp.route("/<int:delivery_id>/cancel", methods=["POST"], operation_id="cancelDelivery")
@blp.bearer()
@blp.arguments(schemas.NoQuery, location="query")
@blp.response(200, schemas.Delivery)
@blp.problem(404)
@blp.problem(409, "The delivery is not pending.")
def cancel_delivery(_args, delivery_id):
    """Never send a pending delivery (one a worker is sending this instant may still arrive)."""
    return outbox.cancel(delivery_id)
