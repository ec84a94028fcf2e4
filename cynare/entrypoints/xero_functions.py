"""Posting and sync: the `xero-post` queue, its poison queue, the sync timer and the on-demand starts.

Each function only turns its trigger into one call of a use case bound by cynare.bootstrap.
"""

from __future__ import annotations

import json
import logging

import azure.functions as func

bp = func.Blueprint()
log = logging.getLogger(__name__)
QUEUE = "xero-post"
MAX_DEQUEUE = 5  # host.json's maxDequeueCount: the last try records the error before the host gives up


@bp.queue_trigger(arg_name="message", queue_name=QUEUE, connection="AzureWebJobsStorage")
def post_to_xero(message: func.QueueMessage) -> None:
    from cynare.bootstrap import AppSettings, bootstrap

    entity = _entity(message)
    app = bootstrap(AppSettings.from_env())
    try:
        outcome = app.post_to_xero(entity)
    except Exception as error:
        if (message.dequeue_count or 0) >= MAX_DEQUEUE:
            app.poisoned(entity, f"the last of {MAX_DEQUEUE} tries failed: {type(error).__name__}: {error}")
        raise
    log.info("post_to_xero %s: %s %s", entity, outcome.status, outcome.message,
             extra={"entity": entity, "calls": outcome.usage.calls})  # fmt: skip


@bp.queue_trigger(arg_name="message", queue_name=f"{QUEUE}-poison", connection="AzureWebJobsStorage")
def xero_post_poisoned(message: func.QueueMessage) -> None:
    from cynare.bootstrap import AppSettings, bootstrap

    entity = _entity(message)
    bootstrap(AppSettings.from_env()).poisoned(entity, "a posting message failed 5 times and was set aside")
    log.error("posting message for %s set aside after %d tries", entity, MAX_DEQUEUE, extra={"entity": entity})


@bp.timer_trigger(schedule="%CYNARE_SYNC_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
def sync_from_xero(timer: func.TimerRequest) -> None:
    from cynare.bootstrap import AppSettings, bootstrap

    for outcome in bootstrap(AppSettings.from_env()).sync_all():
        log.info("sync_from_xero %s: %s", outcome.entity, outcome, extra={"entity": outcome.entity})


@bp.route(route="night", methods=["POST"], auth_level=func.AuthLevel.FUNCTION, trigger_arg_name="request")
def start_night(request: func.HttpRequest) -> func.HttpResponse:
    """An admin starts the night on demand: import what is committed, then queue every entity with work."""
    from cynare.bootstrap import AppSettings, bootstrap

    app = bootstrap(AppSettings.from_env())
    outcomes = app.import_extracts(None)
    queued = app.queue_all("started on demand")
    body = {"imported": [f"{o.entity}/{o.batch_id}: {o.status}" for o in outcomes], "queued": queued}
    return func.HttpResponse(json.dumps(body), status_code=202, mimetype="application/json")


@bp.route(route="sync", methods=["POST"], auth_level=func.AuthLevel.FUNCTION, trigger_arg_name="request")
def start_sync(request: func.HttpRequest) -> func.HttpResponse:
    from cynare.bootstrap import AppSettings, bootstrap

    outcomes = bootstrap(AppSettings.from_env()).sync_all()
    body = [{"entity": o.entity, "writeback_id": o.writeback_id} for o in outcomes]
    return func.HttpResponse(json.dumps(body), status_code=200, mimetype="application/json")


def _entity(message: func.QueueMessage) -> str:
    return str(json.loads(message.get_body().decode())["entity"])
