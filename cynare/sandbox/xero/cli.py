"""`cynare sandbox xero`: serve the emulator on 127.0.0.1 until interrupted.

At start it prints this run's admin token (send it as X-Sandbox-Token on /_sandbox/ requests), the
snapshot folder (the only place /_sandbox/snapshot/save|load may read or write) and each organisation
with the client id of its custom connection. `--books FILE` chooses the organisations (books_file.py);
a file that cannot be used stops the command with every problem listed.
"""

from __future__ import annotations

import gc
import threading
from pathlib import Path

from cynare.sandbox.xero.books_file import BooksError
from cynare.sandbox.xero.emulator import Emulator
from cynare.sandbox.xero.guard import TOKEN_HEADER

# The snapshot folder when none is given: under the directory the emulator is started from, made on
# the first save.
DEFAULT_SNAPSHOT_DIR = "xero-snapshots"


def tune_gc_for_serving() -> None:
    """Garbage-collector settings for a long-running emulator process; call once the books are seeded.

    The books only grow (every record is kept in memory), and with CPython's default thresholds the
    collector ran after every ~700 new objects and kept walking the whole, growing heap: about a
    quarter of the time of a PUT of 50 invoices after a few thousand calls. Freezing moves the seeded
    objects out of the collector's sight, and the higher thresholds collect young objects every
    100,000 allocations (cycles are still collected; the records are not cyclic garbage). Only the
    served process calls this: tests that import the emulator keep Python's defaults.
    """
    gc.freeze()
    gc.set_threshold(100_000, 50, 10)


def start(
    port: int,
    snapshot: str | None,
    time_scale: float,
    snapshot_dir: str | Path | None = None,
    books: str | Path | None = None,
) -> Emulator:
    """Start a served emulator and print how to reach it, its admin token and snapshot folder.

    `snapshot` is a file the developer names on the command line, loaded from wherever it is;
    `snapshot_dir` (default `./xero-snapshots`) confines the snapshots web requests save and load;
    `books` is the books file of organisations (default: the sample organisations).
    """
    folder = Path(snapshot_dir) if snapshot_dir is not None else Path.cwd() / DEFAULT_SNAPSHOT_DIR
    emulator = Emulator(time_scale=time_scale, snapshot_path=snapshot, snapshot_dir=folder, books=books)
    url = emulator.start(port)
    print(f"Xero emulator on {url} (time scale {time_scale:g}); accounting at {emulator.accounting_url}")
    print(f"token endpoint {emulator.token_url}; admin under {url}/_sandbox/")
    print(f"  admin token for this run (send as header {TOKEN_HEADER}): {emulator.admin_token}")
    print(f"  snapshot folder (/_sandbox/snapshot/save|load take plain file names in it): {emulator.snapshot_dir}")
    print(f"organisations from {emulator.books.label}:")
    connections = {c.custom_tenant_id: c.client_id for c in emulator.clients.values() if c.custom_tenant_id}
    for tenant in emulator.tenants.values():
        client_id = connections.get(tenant.tenant_id, "none (not in the books file)")
        print(f"  {tenant.entity_code}: {tenant.name}, tenant {tenant.tenant_id}, client id {client_id}")
    print("Client secrets are in the books file (the samples' in docs/xero-emulator.md). Ctrl-C to stop.", flush=True)
    return emulator


def serve(
    port: int,
    snapshot: str | None,
    time_scale: float,
    snapshot_dir: str | Path | None = None,
    books: str | Path | None = None,
) -> None:
    try:
        emulator = start(port, snapshot, time_scale, snapshot_dir, books)
    except BooksError as exc:
        raise SystemExit(str(exc)) from exc
    # The books are seeded (or loaded); the process does nothing else from here on.
    tune_gc_for_serving()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
