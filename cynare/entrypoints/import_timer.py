"""Timer: import the night's extracts (`import_extracts`)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import azure.functions as func

bp = func.Blueprint()
log = logging.getLogger(__name__)


@bp.timer_trigger(schedule="%CYNARE_IMPORT_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
def import_extracts(timer: func.TimerRequest) -> None:
    # Heavy SDKs are imported here, not at module import, so a cold start stays short.
    from cynare.bootstrap import AppSettings, cloud_ports
    from cynare.domain.schedule import is_local_run_time
    from cynare.service_layer.import_extracts import import_extracts as run

    settings = AppSettings.from_env()
    now = datetime.now(UTC)
    if not is_local_run_time(now, settings.local_run_time, settings.time_zone):
        log.info("not %s in %s yet: nothing to do on this firing", settings.local_run_time, settings.time_zone)
        return
    ports = cloud_ports(settings.storage, settings.inbound_container)
    outcomes = run(ports.inbox, ports.warehouse, ports.queue, lambda: datetime.now(UTC))
    for outcome in outcomes:
        log.info("batch %s/%s: %s %s", outcome.entity, outcome.batch_id, outcome.status, outcome.reason)
