"""`make demo`: a daily cycle on the sample firm, on this machine.

It starts Azurite, builds the demo PMS (three entities: UK, IE, US), runs the on-premises agent
to extract and upload the night's batches, runs the cloud import, and shows what the warehouse
holds per entity and dataset. Everything it starts, it stops.
"""

from __future__ import annotations

import json
import os
import shutil
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
# What the cloud knows of each demo entity's Xero organisation: UK has no CHF, so a CHF bill is held.
DEMO_ENTITIES = json.dumps({
    "UK": {"base_currency": "GBP", "currencies": ["GBP", "EUR", "USD"]},
    "IE": {"base_currency": "EUR", "currencies": ["EUR", "GBP"]},
    "US": {"base_currency": "USD", "currencies": ["USD"]},
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
        if _run_agent(console, config, azurite.connection_string) != 0:
            console.print("[bold red]The agent failed: see its log above and in the demo folder.[/]")
            return 1
        settings = AppSettings.from_env(
            {"CYNARE_STORAGE_CONNECTION": azurite.connection_string, "CYNARE_TABLE_PREFIX": "demo",
             "CYNARE_ENTITIES": DEMO_ENTITIES}
        )  # fmt: skip
        app = bootstrap(settings)
        console.rule("Cloud: import_extracts")
        started = time.perf_counter()
        outcomes = app.import_extracts(lambda outcome: print_outcome(console, outcome))
        console.print(f"imported {len(outcomes)} batch(es) in {time.perf_counter() - started:.1f} s")
        for entity in ENTITIES:
            console.print(status_view(entity_status(app.uow, entity)))
        console.print(f"entities queued for posting to Xero: {', '.join(app.queue.peek_entities()) or 'none'}")
        failed = [outcome for outcome in outcomes if outcome.status in {ImportStatus.REJECTED, ImportStatus.FAILED}]
        conserved = all(read == accepted + rejected for o in outcomes for read, accepted, rejected in o.rows.values())
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


def _run_agent(console: Console, config: Path, connection_string: str) -> int:
    console.rule("On premises: cynare-agent run")
    env = {**os.environ, "CYNARE_AGENT_STORAGE_CONNECTION": connection_string}
    launcher = "from cynare.agent.cli import main; main()"
    agent = [sys.executable, "-c", launcher, "run", "--config", str(config), "--full"]
    return subprocess.run(agent, env=env, cwd=config.parent, check=False).returncode  # noqa: S603
