"""`cynare sandbox xero`: serve the emulator on 127.0.0.1 until interrupted."""

from __future__ import annotations

import threading

from cynare.sandbox.xero import seed
from cynare.sandbox.xero.emulator import Emulator


def serve(port: int, snapshot: str | None, time_scale: float) -> None:
    emulator = Emulator(time_scale=time_scale, snapshot_path=snapshot)
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
