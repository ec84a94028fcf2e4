"""How many PUT /Invoices batches of 50 the Xero emulator serves a second on loopback.

Starts its own emulator in a child process (spec validation and rate limits off, as benchmarks run
it, so that the client's own work does not share the server's interpreter), posts batches from a few
client threads for a fixed time, prints the figures and stops the server.
Run: `.venv/bin/python bench/xero_emulator.py [--seconds 8] [--threads 1,2,4]`.

It measures each of a fixed set of client concurrencies (1, 2 and 4 threads by default), each against
a fresh server, prints them all and reports the best as the emulator's capacity. The server is one
CPython process, so the GIL and the books' lock serve one request at a time whatever the number of
connections: with one client the server idles while the client reads a reply and sends the next
request; with four, its threads take turns on the GIL and queue on the lock. Which of these costs less
depends on the machine and its load (on the 2-core development machine the three are within about ten
per cent of each other, the order changing from run to run), so fixing one concurrency in advance,
as this bench used to (4), would report that noise rather than the emulator's capacity. A run counts
only if no request failed and the stored count matches.

The client is kept as cheap as possible, because it shares this machine's cores with the server and
what it spends is taken from the figure being measured (an earlier version built and encoded each
batch with json.dumps under a shared lock and sent it through `requests`, which cost the client about
as much CPU as the server spent and understated the emulator's capacity):
- each thread encodes one batch once and makes each request's invoice numbers unique with a bytes
  replace (every invoice must still pass the number-uniqueness rule, so none is reused);
- each thread keeps one HTTP/1.1 connection alive (`http.client`), as a real integration's session
  would, instead of paying a TCP connection and a server thread per request;
- a reply counts as served only if it is a 200 with no element in error, and the stored count is
  checked against what was sent.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import threading
import time
from dataclasses import dataclass

import requests

from cynare.sandbox.xero.cli import tune_gc_for_serving
from cynare.sandbox.xero.emulator import Emulator
from cynare.sandbox.xero.guard import TOKEN_HEADER
from cynare.sandbox.xero.seed import ENTITY_CLIENTS, UK_TENANT_ID

BATCH = 50
# Stands for a request's own prefix in the invoice numbers of the encoded template batch.
_SLOT = "@@PREFIX@@"


def _batch(prefix: str) -> bytes:
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
        for n in range(BATCH)
    ]
    return json.dumps({"Invoices": invoices}).encode()


def _serve(ports: multiprocessing.Queue[tuple[int, str]], stop: threading.Event) -> None:
    emulator = Emulator(validate=False)
    # Rate limits would stop a benchmark at 60 a minute: this measures the emulator's own capacity.
    emulator.limits.enabled = False
    # The same collector settings as `cynare sandbox xero` (a long-running server process).
    tune_gc_for_serving()
    emulator.start()
    # The admin token travels back with the port: the stored count is read from /_sandbox/state.
    ports.put((emulator.port, emulator.admin_token))
    stop.wait()
    emulator.stop()


class _Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.failures: list[str] = []


def _post(port: int, headers: dict[str, str], name: int, deadline: float, tally: _Tally) -> None:
    template, slot = _batch(_SLOT), _SLOT.encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    path = "/api.xro/2.0/Invoices?summarizeErrors=false"
    sent = 0
    latencies: list[float] = []
    failures: list[str] = []
    while time.monotonic() < deadline:
        body = template.replace(slot, f"T{name}R{sent}".encode())
        sent += 1
        started = time.monotonic()
        conn.request("PUT", path, body=body, headers=headers)
        reply = conn.getresponse()
        data = reply.read()
        elapsed = time.monotonic() - started
        if reply.status != 200:
            failures.append(str(reply.status))
        elif b'"StatusAttributeString":"ERROR"' in data:
            failures.append("element errors")
        else:
            latencies.append(elapsed)
    conn.close()
    with tally.lock:
        tally.latencies.extend(latencies)
        tally.failures.extend(failures)


@dataclass
class _Run:
    threads: int
    wall: float
    latencies: list[float]
    failures: list[str]
    stored: int

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.wall


def _measure(threads: int, seconds: float) -> _Run:
    """One run against a fresh server child, so that no run inherits the books of another."""
    context = multiprocessing.get_context("spawn")
    ports: multiprocessing.Queue[tuple[int, str]] = context.Queue()
    stop = context.Event()
    server = context.Process(target=_serve, args=(ports, stop), daemon=True)
    server.start()
    try:
        port, admin_token = ports.get(timeout=30)
        base = f"http://127.0.0.1:{port}"
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
        tally = _Tally()
        started = time.monotonic()
        deadline = started + seconds
        posters = [threading.Thread(target=_post, args=(port, headers, n, deadline, tally)) for n in range(threads)]
        for thread in posters:
            thread.start()
        for thread in posters:
            thread.join()
        wall = time.monotonic() - started
        stored = requests.get(f"{base}/_sandbox/state", headers={TOKEN_HEADER: admin_token}, timeout=10).json()[
            UK_TENANT_ID
        ]["invoices"]
        return _Run(threads, wall, sorted(tally.latencies), tally.failures, int(stored))
    finally:
        stop.set()
        server.join(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0, help="how long to post for at each concurrency")
    parser.add_argument(
        "--threads",
        default="1,2,4",
        help="client threads posting at once, one run for each (comma-separated; Xero allows 5 in flight)",
    )
    args = parser.parse_args()
    counts = [int(n) for n in str(args.threads).split(",") if n.strip()]

    print(f"PUT /Invoices, {BATCH} invoices a request, spec validation off, keep-alive connections")
    runs: list[_Run] = []
    for threads in counts:
        run = _measure(threads, args.seconds)
        runs.append(run)
        latencies = run.latencies
        p50 = latencies[len(latencies) // 2] * 1000 if latencies else 0.0
        p95 = latencies[int(len(latencies) * 0.95)] * 1000 if latencies else 0.0
        print(f"{threads} client thread(s), {run.wall:.1f} s")
        print(f"  requests/second: {run.rate:.1f}  ({run.rate * BATCH:.0f} invoices/second)")
        print(
            f"  latency p50 {p50:.1f} ms, p95 {p95:.1f} ms; requests {len(latencies)}, "
            f"failed {len(run.failures)} {sorted(set(run.failures))}"
        )
        print(f"  invoices stored: {run.stored} (expected {len(latencies) * BATCH})")
    sound = [r for r in runs if not r.failures and r.stored == len(r.latencies) * BATCH]
    if not sound:
        print("no run was free of failures: no figure")
        raise SystemExit(1)
    best = max(sound, key=lambda r: r.rate)
    print(f"best: {best.rate:.1f} requests/second with {best.threads} client thread(s)")
    print(f"  target >= 100 requests/second: {'met' if best.rate >= 100 else 'NOT met'}")


if __name__ == "__main__":
    main()
