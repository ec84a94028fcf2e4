"""Timers: import the night's extracts (`import_extracts`), and catch up every hour on a night that failed."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import azure.functions as func

if TYPE_CHECKING:
    from cynare.bootstrap import AppSettings

bp = func.Blueprint()
log = logging.getLogger(__name__)
# Past every hour: whatever a failed or interrupted night left committed and not imported is imported now.
CATCH_UP_SCHEDULE = "0 45 * * * *"


@bp.timer_trigger(schedule="%CYNARE_IMPORT_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
def import_extracts(timer: func.TimerRequest) -> None:
    # Heavy SDKs are imported here, not at module import, so a cold start stays short.
    from cynare.bootstrap import AppSettings
    from cynare.domain.schedule import is_local_run_time

    settings = AppSettings.from_env()
    if not is_local_run_time(datetime.now(UTC), settings.local_run_time, settings.time_zone):
        log.info("not %s in %s yet: nothing to do on this firing", settings.local_run_time, settings.time_zone)
        return
    _run(settings, "nightly import")


@bp.timer_trigger(schedule=CATCH_UP_SCHEDULE, arg_name="timer", run_on_startup=False, use_monitor=True)
def import_catch_up(timer: func.TimerRequest) -> None:
    from cynare.bootstrap import AppSettings

    _run(AppSettings.from_env(), "catch-up")


def _run(settings: AppSettings, run: str) -> None:
    from cynare.bootstrap import bootstrap

    for outcome in bootstrap(settings).import_extracts(None):
        log.info("%s: batch %s/%s %s %s", run, outcome.entity, outcome.batch_id, outcome.status, outcome.reason)
