"""`cynare sandbox xero`: serve the emulator on 127.0.0.1 until interrupted."""

from __future__ import annotations

import gc
import threading

from cynare.sandbox.xero import seed
from cynare.sandbox.xero.emulator import Emulator


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


def serve(port: int, snapshot: str | None, time_scale: float) -> None:
    emulator = Emulator(time_scale=time_scale, snapshot_path=snapshot)
    tune_gc_for_serving()
    url = emulator.start(port)
    print(f"Xero emulator on {url} (time scale {time_scale:g}); accounting at {emulator.accounting_url}")
    print(f"token endpoint {emulator.token_url}; admin under {url}/_sandbox/")
    for code, tenant_id in seed.TENANT_IDS.items():
        print(f"  {code}: tenant {tenant_id}, client id {seed.ENTITY_CLIENTS[code].client_id}")
    print("Client secrets are in docs/xero-emulator.md. Ctrl-C to stop.")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
