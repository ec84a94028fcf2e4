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
    from cynare.bootstrap import AppSettings, bootstrap
    from cynare.domain.schedule import is_local_run_time

    settings = AppSettings.from_env()
    if not is_local_run_time(datetime.now(UTC), settings.local_run_time, settings.time_zone):
        log.info("not %s in %s yet: nothing to do on this firing", settings.local_run_time, settings.time_zone)
        return
    for outcome in bootstrap(settings).import_extracts(None):
        log.info("batch %s/%s: %s %s", outcome.entity, outcome.batch_id, outcome.status, outcome.reason)
