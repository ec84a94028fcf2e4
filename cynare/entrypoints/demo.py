"""`make demo`: a daily cycle on the sample firm, on this machine.

It starts Azurite, builds the demo PMS (three entities: UK, IE, US), runs the on-premises agent
to extract and upload the night's batches and the cloud import; then deletes a row in the PMS
and runs a second night, whose batch carries the agent's cancellation. It shows what the
warehouse holds per entity: documents by state, every hold and cancellation with its reason.
Everything it starts, it stops.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console

from cynare.adapters.azurite import Azurite
from cynare.bootstrap import AppSettings, bootstrap
from cynare.entrypoints.reporting import print_outcome, status_view
from cynare.service_layer.import_batch import ImportStatus
from cynare.service_layer.status import entity_status

ENTITIES = ("UK", "IE", "US")
# Deleted between the two nights: the agent sees it gone and sends a cancellation, never guessed by the cloud.
DELETED_ALLOCATION = "AX-CREDIT-APPLIED"
# What the cloud knows of each demo entity's Xero organisation: UK has no CHF, so a CHF bill is held.
DEMO_ENTITIES = json.dumps({
    "UK": {"base_currency": "GBP", "currencies": ["GBP", "EUR", "USD"], "sources": ["demo-pms-1"]},
    "IE": {"base_currency": "EUR", "currencies": ["EUR", "GBP"], "sources": ["demo-pms-1"]},
    "US": {"base_currency": "USD", "currencies": ["USD"], "sources": ["demo-pms-1"]},
})  # fmt: skip


def run_demo(workdir: str) -> int:
    console = Console(width=max(110, Console().width))  # the per-state table needs the room
    work = Path(workdir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    console.rule("Cynare Link demo: the sample firm's daily cycle")
    with Azurite() as azurite:
        console.print(
            f"Azurite (in memory) on 127.0.0.1 ports {azurite.blob_port}/{azurite.queue_port}/{azurite.table_port}"
        )
        config = _build_demo_pms(console, work)
        settings = AppSettings.from_env(
            {"CYNARE_STORAGE_CONNECTION": azurite.connection_string, "CYNARE_TABLE_PREFIX": "demo",
             "CYNARE_ENTITIES": DEMO_ENTITIES}
        )  # fmt: skip
        outcomes = []
        for night in (1, 2):
            if night == 2:
                console.rule("Next day, in the PMS: a row is deleted")
                _delete_allocation(config.parent / "demo-pms.sqlite", DELETED_ALLOCATION)
                console.print(f"allocation {DELETED_ALLOCATION} deleted from the PMS (its row is simply gone)")
            if _run_agent(console, config, azurite.connection_string, full=night == 1) != 0:
                console.print("[bold red]The agent failed: see its log above and in the demo folder.[/]")
                return 1
            app = bootstrap(settings)
            console.rule(f"Cloud: import_extracts (night {night})")
            started = time.perf_counter()
            outcomes += app.import_extracts(lambda outcome: print_outcome(console, outcome))
            console.print(f"imported in {time.perf_counter() - started:.1f} s")
        for entity in ENTITIES:
            console.print(status_view(entity_status(app.uow, entity)))
        console.print(f"entities queued for posting to Xero: {', '.join(app.queue.peek_entities()) or 'none'}")
        failed = [outcome for outcome in outcomes if outcome.status in {ImportStatus.REJECTED, ImportStatus.FAILED}]
        conserved = all(c.read == c.accepted + c.rejected for o in outcomes for c in o.rows.values())
        console.print(f"every row read is accepted or rejected with a reason: {'yes' if conserved else 'NO'}")
        return 1 if failed or not conserved or not outcomes else 0


def _build_demo_pms(console: Console, work: Path) -> Path:
    from cynare.agent.demo_pms import write_demo_workspace

    console.rule("On premises: the demo PMS")
    folder = work / "pms"
    # Azurite starts empty each time, so the office side starts afresh too (PMS, agent state, batches).
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    database = folder / "demo-pms.sqlite"
    started = time.perf_counter()
    config = write_demo_workspace(database)
    console.print(f"demo PMS at {database} ({time.perf_counter() - started:.1f} s); agent configuration {config}")
    return config


def _delete_allocation(database: Path, allocation_id: str) -> None:
    with sqlite3.connect(database) as db:
        db.execute("DELETE FROM allocations WHERE allocation_id = ?", (allocation_id,))


def _run_agent(console: Console, config: Path, connection_string: str, *, full: bool) -> int:
    console.rule("On premises: cynare-agent run" + (" --full" if full else ""))
    env = {**os.environ, "CYNARE_AGENT_STORAGE_CONNECTION": connection_string}
    launcher = "from cynare.agent.cli import main; main()"
    agent = [sys.executable, "-c", launcher, "run", "--config", str(config), *(["--full"] if full else [])]
    return subprocess.run(agent, env=env, cwd=config.parent, check=False).returncode  # noqa: S603
