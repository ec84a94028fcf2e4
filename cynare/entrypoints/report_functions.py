"""The reconciliation: its daily timer (after the night's sync) and its on-demand start.

Each function only turns its trigger into one call of the use case bound by cynare.bootstrap.
"""

from __future__ import annotations

import json
import logging

import azure.functions as func

bp = func.Blueprint()
log = logging.getLogger(__name__)


@bp.timer_trigger(schedule="%CYNARE_RECONCILE_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
def reconcile(timer: func.TimerRequest) -> None:
    from cynare.bootstrap import AppSettings, bootstrap

    outcome = bootstrap(AppSettings.from_env()).reconcile()
    for entity in outcome.report.entities:
        log.info("reconcile %s: %s", entity.entity, entity.status.value, extra={"entity": entity.entity})
    for delivery in outcome.deliveries:
        log.info("reconciliation report %s", delivery)


@bp.route(route="reconcile", methods=["POST"], auth_level=func.AuthLevel.FUNCTION, trigger_arg_name="request")
def start_reconcile(request: func.HttpRequest) -> func.HttpResponse:
    """An admin reconciles now (after fixing a cause, say), and the report goes out again."""
    from cynare.bootstrap import AppSettings, bootstrap

    outcome = bootstrap(AppSettings.from_env()).reconcile()
    body = {
        "entities": {e.entity: e.status.value for e in outcome.report.entities},
        "all_clear": outcome.report.all_clear,
        "saved": dict(outcome.saved),
        "deliveries": [str(d) for d in outcome.deliveries],
    }
    return func.HttpResponse(json.dumps(body), status_code=200, mimetype="application/json")
