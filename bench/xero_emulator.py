"""How many PUT /Invoices batches of 50 the Xero emulator serves a second on loopback.

Starts its own emulator in a child process (spec validation off, as benchmarks run it, so that the
client's own work does not share the server's interpreter), posts batches from a few client threads
for a fixed time, prints the figures and stops the server. Run: `.venv/bin/python bench/xero_emulator.py`.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import threading
import time
from itertools import count

import requests

from cynare.sandbox.xero.emulator import Emulator
from cynare.sandbox.xero.seed import ENTITY_CLIENTS, UK_TENANT_ID

BATCH = 50


def _batch(prefix: str, numbers: count[int]) -> bytes:
    invoices = [
        {
            "Type": "ACCREC",
            "Contact": {"Name": f"Bench client {n % 500}"},
            "Date": "2026-05-01",
            "DueDate": "2026-05-31",
            "Status": "AUTHORISED",
            "InvoiceNumber": f"{prefix}-{n}",
            "LineItems": [
                {
                    "Description": "Fees",
                    "Quantity": 1,
                    "UnitAmount": 123.45,
                    "AccountCode": "200",
                    "TaxType": "OUTPUT2",
                },
                {
                    "Description": "Disbursement",
                    "Quantity": 2,
                    "UnitAmount": 10.10,
                    "AccountCode": "260",
                    "TaxType": "NONE",
                },
            ],
        }
        for n in (next(numbers) for _ in range(BATCH))
    ]
    return json.dumps({"Invoices": invoices}).encode()


def _serve(ports: multiprocessing.Queue[int], stop: threading.Event) -> None:
    emulator = Emulator(validate=False)
    # Rate limits would stop a benchmark at 60 a minute: this measures the emulator's own capacity.
    emulator.limits.enabled = False
    emulator.start()
    ports.put(emulator.port)
    stop.wait()
    emulator.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=8.0, help="how long to post for")
    parser.add_argument(
        "--threads", type=int, default=4, help="client threads posting at once (Xero allows 5 in flight)"
    )
    args = parser.parse_args()

    context = multiprocessing.get_context("spawn")
    ports: multiprocessing.Queue[int] = context.Queue()
    stop = context.Event()
    server = context.Process(target=_serve, args=(ports, stop), daemon=True)
    server.start()
    try:
        base = f"http://127.0.0.1:{ports.get(timeout=30)}"
        client = ENTITY_CLIENTS["UK"]
        token = requests.post(
            f"{base}/connect/token",
            data={"grant_type": "client_credentials"},
            auth=(client.client_id, client.client_secret),
            timeout=10,
        ).json()["access_token"]
        headers = {
            "Authorization": f"Bearer {token}",
            "xero-tenant-id": UK_TENANT_ID,
            "Content-Type": "application/json",
        }
        url = f"{base}/api.xro/2.0/Invoices?summarizeErrors=false"
        numbers = count()
        lock = threading.Lock()
        done: list[float] = []
        failures: list[int] = []
        deadline = time.monotonic() + args.seconds

        def worker(name: int) -> None:
            session = requests.Session()
            while time.monotonic() < deadline:
                with lock:
                    body = _batch(f"B{name}", numbers)
                started = time.monotonic()
                reply = session.put(url, data=body, headers=headers, timeout=30)
                elapsed = time.monotonic() - started
                with lock:
                    (done if reply.status_code == 200 else failures).append(
                        elapsed if reply.status_code == 200 else reply.status_code
                    )  # type: ignore[arg-type]

        started = time.monotonic()
        threads = [threading.Thread(target=worker, args=(n,)) for n in range(args.threads)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.monotonic() - started
        rate = len(done) / wall
        latencies = sorted(done)
        p50 = latencies[len(latencies) // 2] * 1000 if latencies else 0.0
        p95 = latencies[int(len(latencies) * 0.95)] * 1000 if latencies else 0.0
        print(
            f"PUT /Invoices, {BATCH} invoices a request, spec validation off, {args.threads} client threads, {wall:.1f} s"
        )
        print(f"  requests/second: {rate:.1f}  ({rate * BATCH:.0f} invoices/second)")
        print(f"  latency p50 {p50:.1f} ms, p95 {p95:.1f} ms; requests {len(done)}, failed {len(failures)}")
        stored = requests.get(f"{base}/_sandbox/state", timeout=10).json()[UK_TENANT_ID]["invoices"]
        print(f"  invoices stored: {stored}")
        print(f"  target >= 100 requests/second: {'met' if rate >= 100 else 'NOT met'}")
    finally:
        stop.set()
        server.join(timeout=10)


if __name__ == "__main__":
    main()
