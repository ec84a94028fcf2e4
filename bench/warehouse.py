"""Warehouse benchmark: our document writes against plain azure-data-tables batch upserts, side by side.

Also: the extract's parse-and-validate rate on a 200,000-row file (one core), and the time to
import `function_app` in a fresh interpreter (a cold start).
Targets: ours >= 0.8 of the plain rate; >= 50,000 rows/s; import < 1 s.
Usage: python bench/warehouse.py [--transactions 50000]
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from azure.data.tables import TableClient, TableServiceClient  # noqa: E402

from cynare.adapters.azurite import Azurite  # noqa: E402
from cynare.adapters.tables.codec import to_entity  # noqa: E402
from cynare.adapters.tables.connection import StorageSettings  # noqa: E402
from cynare.adapters.tables.transactions import chunks  # noqa: E402
from cynare.adapters.tables.unit_of_work import TableUnitOfWork  # noqa: E402
from cynare.domain.documents import Bill, DocKey, Document, Line  # noqa: E402
from cynare.domain.lifecycle import Stamp, StoredDocument, arrive  # noqa: E402
from cynare.domain.money import Money, quantize  # noqa: E402
from cynare.extract.datasets import DATASETS  # noqa: E402
from cynare.extract.reader import read_csv  # noqa: E402

STAMP = Stamp("bench", "bench-pms", 1)


def documents(first: int, count: int, entity: str) -> list[Document]:
    result = []
    for index in range(first, first + count):
        net = Money(Decimal(1000 + index % 9000) / 100, "GBP")
        vat = Money(quantize(net.amount / 5, "GBP"), "GBP")
        line = Line(1, "Professional fees", "4000", "S", net, vat)
        body = Bill(f"B{index:07d}", f"INV-{index:07d}", f"C{index % 2000:05d}", date(2026, 11, 2),
                    date(2026, 12, 2), Decimal(1), net + vat, (line,))  # fmt: skip
        result.append(Document(entity, DocKey("bills", body.bill_id), "bench-pms", body.bill_id, body, rows=2))
    return result


def arrivals(docs: list[Document], now: datetime) -> list[StoredDocument]:
    return [stored for doc in docs if (stored := arrive(None, doc, (), STAMP, now)) is not None]


def plain_round(table: TableClient, rows: list[dict[str, Any]], operation: str) -> float:
    started = time.perf_counter()
    for chunk in chunks((operation, row) for row in rows):
        table.submit_transaction(chunk)
    return time.perf_counter() - started


def ours_round(uow: TableUnitOfWork, entity: str, docs: list[Document], now: datetime) -> float:
    started = time.perf_counter()
    with uow.for_entity(entity) as work:
        lost = work.documents.save(arrivals(docs, now))
    assert not lost, lost
    return time.perf_counter() - started


def bench_tables(transactions: int, entities: int = 10, round_size: int = 2_500) -> None:
    """The paths write the same transactions in rounds, taking turns to go first, so each meets the
    same machine load and the same partition sizes.

    The transactions are spread over `entities` partitions: Azurite's in-memory tables slow down as
    one partition grows (an upsert there costs in proportion to the partition's size, which Azure's
    does not), and the figure is meant to measure our code, not that.
    """
    with Azurite() as azurite:
        now = datetime.now(UTC)
        service = TableServiceClient.from_connection_string(azurite.connection_string)
        plain_tables = {"upsert": service.create_table("plainUpserts"), "create": service.create_table("plainCreates")}
        uow = TableUnitOfWork(StorageSettings(connection_string=azurite.connection_string, table_prefix="ours"), {})
        seconds = {"ours": 0.0, "upsert": 0.0, "create": 0.0}
        done = 0
        while done < transactions:
            size = min(round_size, transactions - done)
            entity = f"BENCH{(done // round_size) % entities}"
            docs = documents(done, size, entity)
            rows = [to_entity(stored) for stored in arrivals(docs, now)]
            turn = (done // round_size) % 3
            for contender in ("ours", "upsert", "create")[turn:] + ("ours", "upsert", "create")[:turn]:
                if contender == "ours":
                    seconds["ours"] += ours_round(uow, entity, docs, now)
                else:
                    seconds[contender] += plain_round(plain_tables[contender], rows, contender)
            done += size
            rates = ", ".join(f"{name} {done / spent:5.0f}/s" for name, spent in seconds.items())
            print(f"  {done:,}/{transactions:,}: {rates}", flush=True)
        rate = {name: transactions / spent for name, spent in seconds.items()}
        print(
            f"plain azure-data-tables batch upserts: {rate['upsert']:8.0f} transactions/s ({seconds['upsert']:.1f} s)"
        )
        print(
            f"plain azure-data-tables batch creates: {rate['create']:8.0f} transactions/s ({seconds['create']:.1f} s)"
        )
        print(f"warehouse documents.save:             {rate['ours']:8.0f} transactions/s ({seconds['ours']:.1f} s)")
        print(
            f"ratio ours/plain upserts: {rate['ours'] / rate['upsert']:.2f} (target >= 0.80); "
            f"ours/plain creates: {rate['ours'] / rate['create']:.2f}; "
            f"Azurite, {transactions:,} transactions over {entities} entities"
        )


def _fee_earner(index: int) -> str:
    # One line in four has no fee earner: blank optional cells take the reader's slower path.
    return "" if index % 4 == 0 else f"FE{index % 40}"


def bench_parse(rows: int = 200_000) -> None:
    header = ",".join(DATASETS["bill_lines"].columns)
    lines = [header] + [
        f"B{i // 3:07d},{i % 3 + 1},Professional fees,4000,S,,,{(i % 99999) / 100:.2f},12.34,LON,LIT,{_fee_earner(i)}"
        for i in range(rows)
    ]
    data = ("\r\n".join(lines) + "\r\n").encode()
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        parsed = read_csv(DATASETS["bill_lines"], io.BytesIO(data))
        timings.append(time.perf_counter() - started)
        assert len(parsed.accepted) == rows
    best = min(timings)
    print(
        f"extract parse-and-validate: {rows / best:8.0f} rows/s on one core ({rows} rows, a quarter with a blank cell, best of 3; target >= 50,000)"
    )


def bench_cold_import() -> None:
    code = "import time; t = time.perf_counter(); import function_app; print(time.perf_counter() - t)"
    samples = [
        float(subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout)
        for _ in range(5)
    ]
    print(f"import function_app in a fresh interpreter: {statistics.median(samples):.3f} s median of 5 (target < 1 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--transactions", type=int, default=50_000)
    args = parser.parse_args()
    bench_cold_import()
    bench_parse()
    bench_tables(args.transactions)


if __name__ == "__main__":
    main()
