"""Warehouse benchmark: our document writes against plain azure-data-tables batch upserts, side by side.

Also: the whole import of a large extract from Blob Storage (read, validate, assemble, write) against
plain batch creates of the same documents in the same run, with the import's peak memory at two
sizes; the extract's parse-and-validate rate on a 200,000-row file (one core); and the time to
import `function_app` in a fresh interpreter (a cold start).
Targets: ours >= 0.8 of the plain rate (writes and whole import); import peak < 300 MB at any
size; >= 50,000 rows/s; import < 1 s.
Usage: python bench/warehouse.py [--transactions 50000] [--import-documents 20000]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from azure.data.tables import TableClient, TableServiceClient  # noqa: E402
from azure.storage.blob import BlobServiceClient  # noqa: E402

from cynare.adapters.azurite import Azurite  # noqa: E402
from cynare.adapters.tables.codec import to_entity  # noqa: E402
from cynare.adapters.tables.connection import StorageSettings  # noqa: E402
from cynare.adapters.tables.transactions import chunks  # noqa: E402
from cynare.adapters.tables.unit_of_work import TableUnitOfWork  # noqa: E402
from cynare.domain.documents import Bill, DocKey, Document, Line  # noqa: E402
from cynare.domain.lifecycle import Stamp, StoredDocument, arrive  # noqa: E402
from cynare.domain.money import Money, quantize  # noqa: E402
from cynare.extract.datasets import DATASETS  # noqa: E402
from cynare.extract.manifest import MANIFEST_NAME, Manifest, Period  # noqa: E402
from cynare.extract.reader import read_csv  # noqa: E402
from cynare.extract.writer import DatasetWriter, commit_manifest  # noqa: E402

STAMP = Stamp("bench", "bench-pms", 1)
IMPORT_ENTITIES = ("UK", "IE", "US", "FR")
IMPORT_SOURCE = "bench-pms"
IMPORT_MEMORY_TARGET_MB = 300


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


# The whole import: a synthetic extract for one entity, ten documents per client (the client, five
# bills of one to three lines, two receipts and their allocations), with its mappings and debtors.
_OFFICES = ("LON", "MAN", "EDI", "BRS")
_DEPARTMENTS = ("LIT", "CORP", "PROP", "PRIV")
_NOMINALS = ("4000", "4010", "4020", "4030")
_DOCUMENTS_PER_CLIENT = 10
_YEAR = date(2026, 1, 1)
_FIRST = ("Abbott", "Baker", "Carter", "Dalton", "Ellis", "Fraser", "Gould", "Hughes", "Irwin", "Jones",
          "Keane", "Lowry", "Moran", "Nolan", "Owens", "Price", "Quinn", "Reid", "Shaw", "Turner")  # fmt: skip


def _cents(value: int) -> str:
    return f"{value // 100}.{value % 100:02d}"


def _client_rows(number: int, rows: dict[str, list[list[str]]]) -> None:
    client = f"C{number:07d}"
    rows["clients"].append([client, f"{_FIRST[number % 20]} {number} Holdings Ltd", f"accounts{number}@example.com",
                            f"{number % 300 + 1} High Street", "", "London", "", f"EC{number % 9 + 1}A 1BB", "GB",
                            f"GB{number:09d}", "GBP", "active", ""])  # fmt: skip
    totals = []
    for index in range(5):
        bill_id = f"B{number * 5 + index:08d}"
        day = _YEAR + timedelta(days=(number + index * 7) % 300)
        total = 0
        for line_no in range(1, 2 + index % 3):
            net = 10_000 + (number * 37 + index * 11 + line_no * 5) % 200_000
            total += net + net // 5
            rows["bill_lines"].append([bill_id, str(line_no), f"Professional fees: matter {number}-{index}, work to date",
                                       _NOMINALS[line_no % 4], "S", "", "", _cents(net), _cents(net // 5),
                                       _OFFICES[number % 4], _DEPARTMENTS[index % 4], f"FE{number % 40}"])  # fmt: skip
        totals.append(total)
        rows["bills"].append([bill_id, f"INV-{number * 5 + index:08d}", client, day.isoformat(),
                              (day + timedelta(days=30)).isoformat(), "GBP", "1", _cents(total),
                              f"Matter {number}-{index}"])  # fmt: skip
    for index in range(2):
        receipt_id, bill_id = f"R{number * 2 + index:08d}", f"B{number * 5 + index:08d}"
        day = _YEAR + timedelta(days=(number + index * 7) % 300 + 20)
        rows["receipts"].append([receipt_id, client, day.isoformat(), "GBP", "1", _cents(totals[index]), "BANK1",
                                 f"Payment for {bill_id}"])  # fmt: skip
        rows["receipt_allocations"].append([receipt_id, bill_id, _cents(totals[index])])
    rows["debtors"].append([client, "GBP", _cents(sum(totals[2:])), "2026-11-25"])


_REFERENCE: dict[str, list[dict[str, Any]]] = {
    "vat_codes": [{"vat_code": "S", "description": "Standard", "treatment": "rated", "rate": "20"}],
    "map_nominal": [{"nominal_code": code, "xero_account_code": f"2{code[1:]}"} for code in _NOMINALS],
    "map_vat": [{"vat_code": "S", "xero_tax_type": "OUTPUT2"}],
    "map_tracking": [
        *({"dimension": "office", "pms_value": v, "xero_category": "Office", "xero_option": v} for v in _OFFICES),
        *(
            {"dimension": "department", "pms_value": v, "xero_category": "Department", "xero_option": v}
            for v in _DEPARTMENTS
        ),
        *(
            {"dimension": "fee_earner", "pms_value": f"FE{i}", "xero_category": "Fee earner", "xero_option": f"FE{i}"}
            for i in range(40)
        ),
    ],
    "map_bank": [{"bank_account": "BANK1", "xero_account_code": "090"}],
}


def write_extract(folder: Path, documents: int, entity: str) -> Manifest:
    """A committed batch of `documents` documents (a multiple of ten) for `entity`, with the project's writer."""
    folder.mkdir(parents=True, exist_ok=True)
    names = ("clients", "bills", "bill_lines", "receipts", "receipt_allocations", "debtors")
    writers = {name: DatasetWriter(folder, name) for name in names}
    rows: dict[str, list[list[str]]] = {name: [] for name in names}
    for number in range(documents // _DOCUMENTS_PER_CLIENT):
        _client_rows(number, rows)
        if number % 1000 == 999:
            for name, pending in rows.items():
                writers[name].write_rows(pending)
                pending.clear()
    for name, pending in rows.items():
        writers[name].write_rows(pending)
    entries = [writer.close() for writer in writers.values()]
    organisation = [{"entity": entity, "organisation_name": f"Bench {entity}", "base_currency": "GBP"}]
    for name, reference in {**_REFERENCE, "organisation": organisation}.items():
        writer = DatasetWriter(folder, name)
        for row in reference:
            writer.write(row)
        entries.append(writer.close())
    return commit_manifest(folder, firm="bench-firm", source_system=IMPORT_SOURCE, entity=entity, sequence=1,
                           pms_product="Bench PMS", extracted_at=datetime(2026, 11, 26, 1, tzinfo=UTC),
                           period=Period(start=_YEAR, end=date(2026, 11, 25)), files=entries)  # fmt: skip


def _upload(service: BlobServiceClient, container_name: str, folder: Path, manifest: Manifest) -> None:
    container = service.get_container_client(container_name)
    if not container.exists():
        container.create_container()
    prefix = f"{manifest.entity}/{manifest.batch_id}/"
    for entry in manifest.files:  # the data files first, the manifest last: it commits the batch
        with (folder / entry.file).open("rb") as data:
            container.upload_blob(prefix + entry.file, data, overwrite=True)
    container.upload_blob(prefix + MANIFEST_NAME, (folder / MANIFEST_NAME).read_bytes(), overwrite=True)


def _peak_mb() -> float:
    """This process's peak resident memory. VmHWM, not getrusage's maxrss: Linux carries a parent's peak
    over fork and exec into the child's maxrss, and this parent holds the plain rows when it starts the child."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _import_environment(connection: str, inbound: str, prefix: str) -> dict[str, str]:
    declared = {entity: {"base_currency": "GBP", "currencies": ["GBP"], "sources": [IMPORT_SOURCE]}
                for entity in IMPORT_ENTITIES}  # fmt: skip
    return {"CYNARE_STORAGE_CONNECTION": connection, "CYNARE_INBOUND_CONTAINER": inbound,
            "CYNARE_TABLE_PREFIX": prefix, "CYNARE_ENTITIES": json.dumps(declared)}  # fmt: skip


def _import_child() -> None:
    """In a fresh interpreter: the app's import run (bootstrap, as the timer calls it); print its figures as JSON."""
    from cynare.bootstrap import AppSettings, bootstrap

    app = bootstrap(AppSettings.from_env(os.environ))
    before = _peak_mb()
    started = time.perf_counter()
    outcomes = app.import_extracts(None)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "peak_mb": _peak_mb(), "before_mb": before,
                      "outcomes": [[o.entity, str(o.status), o.reason, o.documents.created, o.waiting]
                                   for o in outcomes]}))  # fmt: skip


def _import_round(environment: dict[str, str]) -> dict[str, Any]:
    result = subprocess.run([sys.executable, __file__, "--import-child"], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, **environment}, check=False)  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"the import child failed:\n{result.stderr}")
    figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def _plain_rows(folder: Path, entity: str, now: datetime) -> list[dict[str, Any]]:
    """The table rows of the documents the import writes (all ready: every code is mapped), made beforehand."""
    from cynare.domain.identity import IdentityMap
    from cynare.extract.batch import FolderBatch, validate_batch
    from cynare.service_layer.assembly import assemble

    validated = validate_batch(FolderBatch(folder))
    accepted = {name: [row for _, row in parsed.accepted] for name, parsed in validated.files.items()}
    docs = assemble(entity, IdentityMap(IMPORT_SOURCE, IMPORT_SOURCE, {}), accepted).documents
    stamp = Stamp(validated.manifest.batch_id, IMPORT_SOURCE, validated.manifest.sequence)
    return [to_entity(stored) for doc in docs if (stored := arrive(None, doc, (), stamp, now)) is not None]


def bench_import(documents: int) -> None:
    """The app's whole import run (read each batch from Blob, validate, assemble, write) against plain batch
    creates of the same documents' rows, at two sizes, with the import's peak memory at each.

    The extract is one batch per entity, as the agent uploads it (`IMPORT_ENTITIES`, N / 4 documents
    each): an import writes one entity partition per batch, and Azurite's in-memory tables slow down
    as one partition grows (a create costs in proportion to the partition's size, which Azure's does
    not), so one partition of 100,000 would measure that, not our code. The plain creates write the
    same rows into the same partitions of a fresh table. The order is import N, plain N, plain 2N,
    import 2N, so that each path meets the same machine load on average. Each import runs in a fresh
    child process: its peak resident memory (VmHWM) is the import's own, interpreter and libraries included.
    """
    sizes = (documents, documents * 2)
    with tempfile.TemporaryDirectory() as scratch, Azurite() as azurite:
        blobs = BlobServiceClient.from_connection_string(azurite.connection_string)
        tables = TableServiceClient.from_connection_string(azurite.connection_string)
        plain_rows: dict[int, list[dict[str, Any]]] = {}
        for size in sizes:
            per_batch = size // len(IMPORT_ENTITIES) // _DOCUMENTS_PER_CLIENT * _DOCUMENTS_PER_CLIENT
            plain_rows[size] = []
            for entity in IMPORT_ENTITIES:
                folder = Path(scratch) / f"extract{size}" / entity
                manifest = write_extract(folder, per_batch, entity)
                _upload(blobs, f"inbound{size}", folder, manifest)
                plain_rows[size] += _plain_rows(folder, entity, datetime.now(UTC))
            megabytes = sum((folder / entry.file).stat().st_size for entry in manifest.files) / 1e6
            csv_per_document = megabytes / per_batch
            print(f"  extract of {size:,} documents: {len(IMPORT_ENTITIES)} batches (one per entity) of "
                  f"{per_batch:,} documents, {sum(entry.rows for entry in manifest.files):,} rows, {megabytes:.1f} MB "
                  f"each, in Blob Storage", flush=True)  # fmt: skip
        seconds = {"import": 0.0, "plain": 0.0}
        peaks: dict[int, dict[str, Any]] = {}

        def run_import(size: int) -> None:
            prefix = f"imp{size}"
            figures = _import_round(_import_environment(azurite.connection_string, f"inbound{size}", prefix))
            created = sum(outcome[3] for outcome in figures["outcomes"])
            if created != len(plain_rows[size]) or any(o[1] != "imported" or o[4] for o in figures["outcomes"]):
                raise RuntimeError(f"the import did not create every document ready: {figures['outcomes']}")
            seconds["import"] += figures["seconds"]
            peaks[size] = figures
            print(f"  import of {size:,}: {size / figures['seconds']:5.0f} documents/s, "
                  f"peak {figures['peak_mb']:.0f} MB", flush=True)  # fmt: skip
            tables.delete_table(f"{prefix}Documents")  # Azurite keeps every table in memory

        def run_plain(size: int) -> None:
            name = f"plainCreates{size}"
            spent = plain_round(tables.create_table(name), plain_rows[size], "create")
            seconds["plain"] += spent
            print(f"  plain creates of {size:,}: {size / spent:5.0f} documents/s", flush=True)
            tables.delete_table(name)

        run_import(sizes[0])
        run_plain(sizes[0])
        run_plain(sizes[1])
        run_import(sizes[1])
        total = sum(sizes)
        ours, plain = total / seconds["import"], total / seconds["plain"]
        ratio = ours / plain
        print(f"plain azure-data-tables batch creates: {plain:8.0f} documents/s ({seconds['plain']:.1f} s)")
        print(f"whole import run from Blob Storage:    {ours:8.0f} documents/s ({seconds['import']:.1f} s)")
        print(f"ratio import/plain creates: {ratio:.2f} (target >= 0.80: {'met' if ratio >= 0.8 else 'NOT met'}); "
              f"Azurite, {total:,} documents in batches of one entity each")  # fmt: skip
        for size in sizes:
            peak = peaks[size]["peak_mb"]
            print(f"import peak memory, batches of {size // len(IMPORT_ENTITIES):,} documents: {peak:.0f} MB "
                  f"(interpreter and libraries {peaks[size]['before_mb']:.0f} MB; target < {IMPORT_MEMORY_TARGET_MB}: "
                  f"{'met' if peak < IMPORT_MEMORY_TARGET_MB else 'NOT met'})")  # fmt: skip
        larger = sizes[1] // len(IMPORT_ENTITIES)
        growth = (peaks[sizes[1]]["peak_mb"] - peaks[sizes[0]]["peak_mb"]) / (larger - sizes[0] // len(IMPORT_ENTITIES))
        print(f"import memory grows by {growth * 10_000:.0f} MB per 10,000 documents of a batch "
              f"({csv_per_document * 10_000:.1f} MB of CSV; flat would be 0)")  # fmt: skip
        if growth > 0:
            reach = larger + (IMPORT_MEMORY_TARGET_MB - peaks[sizes[1]]["peak_mb"]) / growth
            print(f"  at that rate a batch of about {reach:,.0f} documents ({reach * csv_per_document:.0f} MB of CSV) "
                  f"reaches {IMPORT_MEMORY_TARGET_MB} MB")  # fmt: skip


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
    parser.add_argument("--import-documents", type=int, default=20_000, help="documents of the smaller extract")
    parser.add_argument("--import-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.import_child:
        _import_child()
        return
    bench_cold_import()
    bench_parse()
    bench_tables(args.transactions)
    bench_import(args.import_documents)


if __name__ == "__main__":
    main()
