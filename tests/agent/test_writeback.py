"""Write-back on Azurite and the demo PMS: applied once and only once, then acknowledged."""

from __future__ import annotations

import csv
import hashlib
import json
import socket
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from azure.storage.blob import BlobServiceClient, ContainerSasPermissions, generate_container_sas

from cynare.adapters.azurite import ACCOUNT, KEY
from cynare.agent.blob_store import ContainerStore, Downloaded
from cynare.agent.bootstrap import backoff, build_applier, build_extractor, build_writeback, inbound, writeback_inbox
from cynare.agent.errors import StorageError
from cynare.agent.extract import Silent
from cynare.agent.writeback import Applier, WritebackRunner
from cynare.extract.writeback import (
    Acknowledgement,
    PaymentDeleted,
    Posted,
    Rejected,
    WritebackDocument,
    XeroAllocation,
    XeroReceipt,
)
from tests.agent.conftest import AS_AT, Workspace

pytestmark = pytest.mark.azurite


def _facts(database: Path, entity: str = "UK") -> tuple[str, str, str, str]:
    """An unpaid bill of the entity with its client, and a PMS receipt of another bill."""
    with sqlite3.connect(database) as db:
        bill, client, total = db.execute(
            "SELECT b.bill_id, b.client_id, b.total FROM bills b WHERE b.entity = ? AND b.currency = 'GBP' "
            "AND NOT EXISTS (SELECT 1 FROM receipt_allocations a WHERE a.bill_id = b.bill_id) "
            "AND NOT EXISTS (SELECT 1 FROM credit_notes c WHERE c.bill_id = b.bill_id) "
            "AND NOT EXISTS (SELECT 1 FROM write_offs w WHERE w.bill_id = b.bill_id) "
            "AND NOT EXISTS (SELECT 1 FROM allocations l WHERE l.bill_id = b.bill_id) ORDER BY b.bill_id LIMIT 1",
            (entity,),
        ).fetchone()
        receipt = db.execute(
            "SELECT receipt_id FROM receipts WHERE entity = ? ORDER BY receipt_id LIMIT 1", (entity,)
        ).fetchone()[0]
    return bill, client, total, receipt


def _document(database: Path, writeback_id: str = "WB-0001") -> WritebackDocument:
    bill, _, total, receipt = _facts(database)
    return WritebackDocument(
        writeback_id=writeback_id,
        entity="UK",
        created_at=datetime(2026, 11, 26, 6, 0, tzinfo=UTC),
        items=(
            Posted(dataset="bills", pms_id=bill, xero_id="1f0a0000-0000-4000-8000-000000000001", xero_number="INV-0001"),
            Rejected(dataset="clients", pms_id="C000002", reason="Contact name is already used by another contact in Xero"),
            XeroReceipt(
                xero_payment_id="2f0a0000-0000-4000-8000-000000000002", pms_bill_id=bill, date=date(2026, 11, 24),
                currency="GBP", amount=Decimal(total), xero_bank_account_code="090", reference="BACS 123",
            ),
            XeroAllocation(
                xero_allocation_id="3f0a0000-0000-4000-8000-000000000003", source_kind="overpayment",
                source_xero_id="4f0a0000-0000-4000-8000-000000000004", pms_bill_id=bill, date=date(2026, 11, 24),
                currency="GBP", amount=Decimal("0.01"),
            ),
            PaymentDeleted(
                xero_payment_id="5f0a0000-0000-4000-8000-000000000005", pms_receipt_id=receipt, pms_bill_id=bill,
                date=date(2026, 11, 25),
            ),
        ),
    )  # fmt: skip


def _service(storage_connection: str) -> BlobServiceClient:
    return BlobServiceClient.from_connection_string(storage_connection)


def _put(storage_connection: str, container: str, document: WritebackDocument) -> None:
    client = _service(storage_connection).get_container_client(container)
    if not client.exists():
        client.create_container()
    client.upload_blob(document.blob_name, document.to_json(), overwrite=True)


_TOUCHED = ("receipts", "receipt_allocations", "returned_receipts", "allocations", "xero_links", "cynare_writebacks")


def _snapshot(database: Path) -> str:
    """The content of every table a write-back may change."""
    digest = hashlib.sha256()
    with sqlite3.connect(database) as db:
        for table in _TOUCHED:
            for row in db.execute(f"SELECT * FROM {table} ORDER BY 1, 2"):
                digest.update(repr(row).encode())
    return digest.hexdigest()


def test_document_round_trips_with_amounts_as_strings() -> None:
    document = WritebackDocument(
        writeback_id="W1", entity="UK", created_at=datetime(2026, 11, 26, tzinfo=UTC),
        items=(XeroReceipt(xero_payment_id="p", pms_bill_id="B1", date=date(2026, 11, 1), currency="GBP",
                           amount=Decimal("10.50"), xero_bank_account_code="090"),),
    )  # fmt: skip
    data = json.loads(document.to_json())
    assert data["items"][0]["amount"] == "10.50" and data["format_version"] == "1"
    assert WritebackDocument.parse(document.to_json()) == document
    with pytest.raises(ValueError, match="more decimal places than JPY allows"):
        XeroReceipt(xero_payment_id="p", pms_bill_id="B1", date=date(2026, 11, 1), currency="JPY",
                    amount=Decimal("10.5"), xero_bank_account_code="090")  # fmt: skip


def test_applied_once_and_only_once_then_acknowledged(storage_workspace: Workspace, storage_connection: str) -> None:
    config = storage_workspace.config()
    database = storage_workspace.database
    bill, client, total, receipt = _facts(database)
    document = _document(database)
    _put(storage_connection, config.storage.writeback_container, document)
    state = storage_workspace.state()

    outcomes, problems = build_writeback(config, state).run(["UK", "IE"])
    assert problems == [] and [(o.writeback_id, o.note, o.items) for o in outcomes] == [("WB-0001", "applied", 5)]
    with sqlite3.connect(database) as db:
        assert db.execute(
            "SELECT status, xero_id, xero_number FROM xero_links WHERE pms_id = ?", (bill,)
        ).fetchone() == ("posted", "1f0a0000-0000-4000-8000-000000000001", "INV-0001")
        assert db.execute("SELECT status FROM xero_links WHERE pms_id = 'C000002'").fetchone() == ("rejected",)
        assert db.execute(
            "SELECT client_id, amount, bank_code, origin FROM receipts WHERE xero_payment_id LIKE '2f0a%'"
        ).fetchone() == (client, total, "UK-BANK1", "xero")
        assert db.execute(
            "SELECT COUNT(*) FROM returned_receipts WHERE receipt_id = ? AND origin = 'xero'", (receipt,)
        ).fetchone() == (1,)
        balance = db.execute(
            "SELECT SUM(cents) FROM client_ledger WHERE client_id = ? AND currency = 'GBP'", (client,)
        ).fetchone()[0]

    service = _service(storage_connection)
    inbound = service.get_container_client(config.storage.inbound_container)
    ack_blob = f"_acks/UK/WB-0001/{document.version}.json"
    ack = Acknowledgement.model_validate_json(inbound.download_blob(ack_blob).readall())
    assert ack.items == 5 and ack.writeback_id == "WB-0001" and ack.version == document.version
    assert list(service.get_container_client(config.storage.writeback_container).list_blobs()) == []

    # The cloud sends it again: nothing changes in the PMS, and it is acknowledged again.
    before = _snapshot(database)
    _put(storage_connection, config.storage.writeback_container, document)
    outcomes, _ = build_writeback(config, state).run(["UK"])
    assert [o.note for o in outcomes] == ["already applied"]
    assert _snapshot(database) == before
    # Even with the agent's own state lost, the PMS's record refuses a second application.
    state.close()
    (config.work_folder / "state.sqlite").unlink()
    _put(storage_connection, config.storage.writeback_container, document)
    outcomes, _ = build_writeback(config, storage_workspace.state()).run(["UK"])
    assert [o.note for o in outcomes] == ["already in the PMS"]
    assert _snapshot(database) == before
    with sqlite3.connect(database) as db:
        assert (
            db.execute(
                "SELECT SUM(cents) FROM client_ledger WHERE client_id = ? AND currency = 'GBP'", (client,)
            ).fetchone()[0]
            == balance
        )


def test_xero_receipts_reach_debtors_but_are_not_extracted_again(
    storage_workspace: Workspace, storage_connection: str
) -> None:
    config = storage_workspace.config()
    state = storage_workspace.state()
    extractor = build_extractor(config, state, Silent())
    extractor.extract_entity("UK", as_at=AS_AT, full=False)
    _put(storage_connection, config.storage.writeback_container, _document(storage_workspace.database))
    build_writeback(config, state).run(["UK"])
    outcome = extractor.extract_entity("UK", as_at=date(2026, 11, 26), full=False)
    assert outcome.batch_id
    folder = config.work_folder / "batches" / "UK" / outcome.batch_id
    with (folder / "receipts.csv").open(encoding="utf-8") as stream:
        assert list(csv.DictReader(stream)) == []
    _, client, _, _ = _facts(storage_workspace.database)
    with (folder / "debtors.csv").open(encoding="utf-8") as stream:
        balances = {row["client_id"]: row["balance"] for row in csv.DictReader(stream) if row["currency"] == "GBP"}
    assert client in balances


def test_a_document_that_fails_applies_nothing_and_stays_for_the_next_run(
    storage_workspace: Workspace, storage_connection: str
) -> None:
    config = storage_workspace.config()
    database = storage_workspace.database
    good = _document(database)
    broken = good.model_copy(
        update={"items": (*good.items[:2], good.items[2].model_copy(update={"pms_bill_id": "NO-SUCH-BILL"}))}
    )
    _put(storage_connection, config.storage.writeback_container, broken)
    before = _snapshot(database)
    outcomes, problems = build_writeback(config, storage_workspace.state()).run(["UK"])
    assert outcomes == []
    assert problems == [
        "write-back UK/WB-0001 item 3 (xero_receipt): bill NO-SUCH-BILL is not a document of entity UK in the PMS "
        "(writeback.sql.targets.xero_receipt found no row); nothing of the document was applied, and it waits for a "
        "corrected version"
    ]
    assert _snapshot(database) == before
    remaining = [
        b.name
        for b in _service(storage_connection).get_container_client(config.storage.writeback_container).list_blobs()
    ]
    assert remaining == ["UK/WB-0001.json"]


def test_csv_mode_writes_files_for_the_pms_import(storage_workspace: Workspace, storage_connection: str) -> None:
    storage_workspace.edit_config('mode = "sql"', 'mode = "csv"')
    config = storage_workspace.config()
    _put(storage_connection, config.storage.writeback_container, _document(storage_workspace.database))
    outcomes, problems = build_writeback(config, storage_workspace.state()).run(["UK"])
    assert problems == [] and outcomes[0].note == "applied"
    document = _document(storage_workspace.database)
    folder = config.resolve(config.writeback.csv_folder) / "UK" / "WB-0001" / document.version[:16]
    assert sorted(path.name for path in folder.iterdir()) == [
        "applied.txt", "payment_deleted.csv", "posted.csv", "rejected.csv", "xero_allocation.csv", "xero_receipt.csv"]  # fmt: skip
    with (folder / "xero_receipt.csv").open(encoding="utf-8") as stream:
        row = next(csv.DictReader(stream))
    assert row["currency"] == "GBP" and row["xero_bank_account_code"] == "090"


def _blob_names(storage_connection: str, container: str) -> list[str]:
    return sorted(b.name for b in _service(storage_connection).get_container_client(container).list_blobs())


def _posted(pms_id: str, xero_number: str, *, entity: str = "UK", writeback_id: str = "WB-0001",
            dataset: str = "bills", created_at: datetime | None = None) -> WritebackDocument:  # fmt: skip
    return WritebackDocument(
        writeback_id=writeback_id, entity=entity, created_at=created_at or datetime(2026, 11, 26, 6, 0, tzinfo=UTC),
        items=(Posted(dataset=dataset, pms_id=pms_id, xero_id="1f0a0000-0000-4000-8000-00000000000a",  # type: ignore[arg-type]
                      xero_number=xero_number),),
    )  # fmt: skip


def _link(database: Path, pms_id: str) -> tuple[str, str, str] | None:
    with sqlite3.connect(database) as db:
        row = db.execute("SELECT entity, status, xero_number FROM xero_links WHERE pms_id = ?", (pms_id,)).fetchone()
    return None if row is None else (row[0], row[1], row[2])


# A document is its entity, its id and its version (the SHA-256 of its content).


def test_a_corrected_document_under_the_same_id_is_applied(
    storage_workspace: Workspace, storage_connection: str
) -> None:
    config = storage_workspace.config()
    database = storage_workspace.database
    bill = _facts(database)[0]
    first, corrected = _posted(bill, "INV-0001"), _posted(bill, "INV-0099")
    assert first.version != corrected.version
    state = storage_workspace.state()
    for document, number in ((first, "INV-0001"), (corrected, "INV-0099")):
        _put(storage_connection, config.storage.writeback_container, document)
        outcomes, problems = build_writeback(config, state).run(["UK"])
        assert problems == [] and [o.note for o in outcomes] == ["applied"]
        assert _link(database, bill) == ("UK", "posted", number)
    acks = [
        name for name in _blob_names(storage_connection, config.storage.inbound_container) if name.startswith("_acks")
    ]
    assert acks == sorted(f"_acks/UK/WB-0001/{d.version}.json" for d in (first, corrected))

    # The same content sent again, even written at another time, is the same document: not applied again.
    again = _posted(bill, "INV-0099", created_at=datetime(2026, 11, 27, 6, 0, tzinfo=UTC))
    assert again.version == corrected.version
    before = _snapshot(database)
    _put(storage_connection, config.storage.writeback_container, again)
    outcomes, _ = build_writeback(config, state).run(["UK"])
    assert [o.note for o in outcomes] == ["already applied"] and _snapshot(database) == before
    # With the agent's state lost, the PMS's own record knows the versions it has.
    state.close()
    (config.work_folder / "state.sqlite").unlink()
    state = storage_workspace.state()
    _put(storage_connection, config.storage.writeback_container, first)
    outcomes, _ = build_writeback(config, state).run(["UK"])
    assert [o.note for o in outcomes] == ["already in the PMS"] and _snapshot(database) == before
    with sqlite3.connect(database) as db:
        versions = db.execute(
            "SELECT entity, writeback_id, version FROM cynare_writebacks ORDER BY applied_at"
        ).fetchall()
    assert sorted(versions) == sorted([("UK", "WB-0001", first.version), ("UK", "WB-0001", corrected.version)])


def test_a_corrected_document_gets_a_csv_folder_of_its_own(
    storage_workspace: Workspace, storage_connection: str
) -> None:
    storage_workspace.edit_config('mode = "sql"', 'mode = "csv"')
    config = storage_workspace.config()
    bill = _facts(storage_workspace.database)[0]
    state = storage_workspace.state()
    documents = (_posted(bill, "INV-0001"), _posted(bill, "INV-0099"))
    for document in documents:
        _put(storage_connection, config.storage.writeback_container, document)
        outcomes, problems = build_writeback(config, state).run(["UK"])
        assert problems == [] and [o.note for o in outcomes] == ["applied"]
    folder = config.resolve(config.writeback.csv_folder) / "UK" / "WB-0001"
    assert sorted(path.name for path in folder.iterdir()) == sorted(d.version[:16] for d in documents)
    for document, number in zip(documents, ("INV-0001", "INV-0099"), strict=True):
        with (folder / document.version[:16] / "posted.csv").open(encoding="utf-8") as stream:
            assert next(csv.DictReader(stream))["xero_number"] == number


# A document of one entity never touches another entity's rows.


def _ie_facts(database: Path) -> tuple[str, str]:
    bill, _, _, receipt = _facts(database, "IE")
    return bill, receipt


def _items_naming_ie(database: Path) -> dict[str, tuple[object, str]]:
    bill, receipt = _ie_facts(database)
    return {
        "xero_receipt": (
            XeroReceipt(xero_payment_id="2f0a0000-0000-4000-8000-0000000000ie", pms_bill_id=bill,
                        date=date(2026, 11, 24), currency="GBP", amount=Decimal("10.00"), xero_bank_account_code="090"),
            f"bill {bill}",
        ),
        "posted": (
            Posted(dataset="bills", pms_id=bill, xero_id="1f0a0000-0000-4000-8000-0000000000uk", xero_number="INV-UK-1"),
            f"bills {bill}",
        ),
        "payment_deleted": (
            PaymentDeleted(xero_payment_id="5f0a0000-0000-4000-8000-0000000000ie", pms_receipt_id=receipt,
                           pms_bill_id=bill, date=date(2026, 11, 25)),
            f"bill {bill} with receipt {receipt}",
        ),
        "xero_allocation": (
            XeroAllocation(xero_allocation_id="3f0a0000-0000-4000-8000-0000000000ie", source_kind="overpayment",
                           source_xero_id="4f0a0000-0000-4000-8000-0000000000ie", pms_bill_id=bill,
                           date=date(2026, 11, 24), currency="EUR", amount=Decimal("1.00")),
            f"bill {bill}",
        ),
    }  # fmt: skip


@pytest.mark.parametrize("kind", ["xero_receipt", "posted", "payment_deleted", "xero_allocation"])
def test_a_uk_writeback_naming_an_ie_document_changes_nothing_and_is_reported(
    storage_workspace: Workspace, storage_connection: str, kind: str
) -> None:
    config = storage_workspace.config()
    database = storage_workspace.database
    uk_bill = _facts(database)[0]
    item, target = _items_naming_ie(database)[kind]
    document = WritebackDocument(
        writeback_id="WB-CROSS", entity="UK", created_at=datetime(2026, 11, 26, tzinfo=UTC),
        items=(Posted(dataset="bills", pms_id=uk_bill, xero_id="1f0a0000-0000-4000-8000-00000000000b"), item),  # type: ignore[arg-type]
    )  # fmt: skip
    _put(storage_connection, config.storage.writeback_container, document)
    before = _snapshot(database)
    outcomes, problems = build_writeback(config, storage_workspace.state()).run(["UK", "IE"])
    assert outcomes == [] and _snapshot(database) == before  # not even the UK item: all or nothing
    assert problems == [
        f"write-back UK/WB-CROSS item 2 ({kind}): {target} is not a document of entity UK in the PMS "
        f"(writeback.sql.targets.{kind} found no row); nothing of the document was applied, and it waits for a "
        "corrected version"
    ]
    assert _blob_names(storage_connection, config.storage.writeback_container) == ["UK/WB-CROSS.json"]


def test_the_demo_statements_alone_never_reach_another_entity(
    storage_workspace: Workspace, storage_connection: str
) -> None:
    """Without the target queries, each statement still reaches its rows through :entity."""
    text = storage_workspace.config_path.read_text(encoding="utf-8")
    start = text.index("[writeback.sql.targets]")
    storage_workspace.config_path.write_text(
        text[:start] + text[text.index("[writeback.sql.statements]") :], encoding="utf-8"
    )
    config = storage_workspace.config()
    assert config.writeback.sql.targets == {}
    items = [item for item, _ in _items_naming_ie(storage_workspace.database).values()]
    document = WritebackDocument(
        writeback_id="WB-CROSS",
        entity="UK",
        created_at=datetime(2026, 11, 26, tzinfo=UTC),
        items=tuple(items),  # type: ignore[arg-type]
    )
    _put(storage_connection, config.storage.writeback_container, document)
    before = _pms_rows(storage_workspace.database)
    outcomes, problems = build_writeback(config, storage_workspace.state()).run(["UK"])
    assert problems == [] and [o.note for o in outcomes] == ["applied"]  # what `check` warns about: see below
    assert _pms_rows(storage_workspace.database) == before


def _pms_rows(database: Path) -> str:
    """Every table a write-back item may change (not the PMS's record of applied documents)."""
    digest = hashlib.sha256()
    with sqlite3.connect(database) as db:
        for table in (*_TOUCHED[:-1], "returned_allocations"):
            for row in db.execute(f"SELECT * FROM {table} ORDER BY 1, 2"):
                digest.update(repr(row).encode())
    return digest.hexdigest()


def test_the_same_id_in_uk_and_ie_are_two_documents(storage_workspace: Workspace, storage_connection: str) -> None:
    config = storage_workspace.config()
    database = storage_workspace.database
    uk_bill, (ie_bill, _) = _facts(database)[0], _ie_facts(database)
    uk, ie = _posted(uk_bill, "INV-UK"), _posted(ie_bill, "INV-IE", entity="IE")
    for document in (uk, ie):
        _put(storage_connection, config.storage.writeback_container, document)
    state = storage_workspace.state()
    outcomes, problems = build_writeback(config, state).run(["UK", "IE"])
    assert problems == []
    assert [(o.entity, o.writeback_id, o.note) for o in outcomes] == [
        ("UK", "WB-0001", "applied"),
        ("IE", "WB-0001", "applied"),
    ]
    assert _link(database, uk_bill) == ("UK", "posted", "INV-UK") and _link(database, ie_bill) == (
        "IE",
        "posted",
        "INV-IE",
    )
    # and the PMS's own record keeps them apart too
    state.close()
    (config.work_folder / "state.sqlite").unlink()
    for document in (uk, ie):
        _put(storage_connection, config.storage.writeback_container, document)
    outcomes, _ = build_writeback(config, storage_workspace.state()).run(["UK", "IE"])
    assert [(o.entity, o.note) for o in outcomes] == [("UK", "already in the PMS"), ("IE", "already in the PMS")]


def test_check_warns_about_statements_that_do_not_use_the_entity(workspace: Workspace) -> None:
    from cynare.agent.check import check_writeback

    assert check_writeback(workspace.config()) == []  # the demo's statements are entity-safe
    workspace.edit_config(
        "WHERE entity = :entity AND writeback_id = :writeback_id AND version = :version",
        "WHERE writeback_id = :writeback_id",
    )
    workspace.edit_config(
        'xero_receipt = "SELECT 1 FROM bills WHERE entity = :entity AND bill_id = :pms_bill_id"\n', ""
    )
    messages = [finding.message for finding in check_writeback(workspace.config())]
    assert messages == [
        "writeback.sql.targets: no query for item kind 'xero_receipt': the agent cannot make sure that the PMS "
        "document an item names belongs to the write-back's entity before applying it; give a query that returns a "
        "row when it does (see docs/writeback-format.md)",
        "writeback.sql.already_applied does not use :entity, so it may read or change another entity's rows; add "
        "`entity = :entity` to its WHERE clause (or reach the row through a table that has the entity)",
        "writeback.sql.already_applied does not use :version: a corrected document (same id, new content) would be "
        "taken as already applied; key the record on entity, writeback_id and version",
    ]


# Acknowledgements under a create-only SAS; one entity's failure does not stop the others.


class Killed(BaseException):
    """The agent's process ending: nothing in the agent catches it."""


class KilledAfterAck:
    def __init__(self, store: ContainerStore) -> None:
        self.store = store

    def upload_bytes(self, blob: str, data: bytes, sha256: str) -> None:
        self.store.upload_bytes(blob, data, sha256)
        raise Killed


def test_a_run_killed_after_acknowledging_finishes_under_a_create_only_sas(
    storage_workspace: Workspace, storage_connection: str
) -> None:
    config = storage_workspace.config()
    service = _service(storage_connection)
    acks = service.get_container_client(config.storage.inbound_container)
    acks.create_container()
    sas = generate_container_sas(
        ACCOUNT, acks.container_name, account_key=KEY, permission=ContainerSasPermissions(create=True),
        expiry=datetime.now(UTC) + timedelta(hours=1),
    )  # fmt: skip
    storage_workspace.edit_config("[storage]\n", f'[storage]\ninbound_sas_url = "{acks.url}?{sas}"\n')
    config = storage_workspace.config()
    document = _document(storage_workspace.database)
    _put(storage_connection, config.storage.writeback_container, document)
    state = storage_workspace.state()
    killed = WritebackRunner(
        writeback_inbox(config), KilledAfterAck(inbound(config)), build_applier(config), state, backoff(config),
        agent_name=f"cynare-agent@{socket.gethostname()}",
    )  # fmt: skip
    with pytest.raises(Killed):
        killed.run(["UK"])
    assert [b.name for b in acks.list_blobs()] == [f"_acks/UK/WB-0001/{document.version}.json"]

    # Sending the acknowledgement again is refused with 403 (create-only): the agent knows it sent it.
    before = _snapshot(storage_workspace.database)
    outcomes, problems = build_writeback(config, state).run(["UK"])
    assert problems == [] and [o.note for o in outcomes] == ["already applied"]
    assert _snapshot(storage_workspace.database) == before
    assert _blob_names(storage_connection, config.storage.writeback_container) == []
    assert [(r.writeback_id, r.acknowledged_at is not None) for r in state.writebacks()] == [("WB-0001", True)]


class _RefusingInbox:
    """The writeback container, refusing to list one entity's documents."""

    def __init__(self, store: ContainerStore, refuse: str) -> None:
        self.store, self.refuse = store, refuse

    def list(self, prefix: str) -> Iterator[str]:
        if prefix == f"{self.refuse}/":
            raise StorageError(f"list writeback/{prefix}: AuthorizationPermissionMismatch (HTTP 403)")
        return self.store.list(prefix)

    def download(self, blob: str) -> Downloaded:
        return self.store.download(blob)

    def delete(self, blob: str, etag: str | None = None) -> None:
        self.store.delete(blob, etag)


def test_one_entity_failing_does_not_stop_the_others(storage_workspace: Workspace, storage_connection: str) -> None:
    config = storage_workspace.config()
    database = storage_workspace.database
    ie_bill = _ie_facts(database)[0]
    _put(storage_connection, config.storage.writeback_container, _posted(_facts(database)[0], "INV-UK"))
    _put(storage_connection, config.storage.writeback_container, _posted(ie_bill, "INV-IE", entity="IE"))
    runner = WritebackRunner(
        _RefusingInbox(writeback_inbox(config), "UK"), inbound(config), build_applier(config),
        storage_workspace.state(), backoff(config), agent_name="cynare-agent@test",
    )  # fmt: skip
    outcomes, problems = runner.run(["UK", "IE"])
    assert problems == [
        "write-backs of UK: cannot list them: list writeback/UK/: AuthorizationPermissionMismatch (HTTP 403)"
    ]
    assert [(o.entity, o.note) for o in outcomes] == [("IE", "applied")]
    assert _link(database, ie_bill) == ("IE", "posted", "INV-IE")


def test_a_document_replaced_while_it_was_applied_is_kept_for_the_next_run(
    storage_workspace: Workspace, storage_connection: str
) -> None:
    config = storage_workspace.config()
    bill = _facts(storage_workspace.database)[0]
    first, corrected = _posted(bill, "INV-0001"), _posted(bill, "INV-0099")
    _put(storage_connection, config.storage.writeback_container, first)

    class Replacing:
        """The cloud writes the corrected document while the agent applies the first."""

        def __init__(self, applier: Applier) -> None:
            self.applier = applier

        def apply(self, document: WritebackDocument, applied_at: datetime) -> bool:
            _put(storage_connection, config.storage.writeback_container, corrected)
            return self.applier.apply(document, applied_at)

    state = storage_workspace.state()
    runner = WritebackRunner(
        writeback_inbox(config), inbound(config), Replacing(build_applier(config)), state, backoff(config),
        agent_name="cynare-agent@test",
    )  # fmt: skip
    outcomes, _ = runner.run(["UK"])
    assert [o.note for o in outcomes] == ["applied; a newer version arrived meanwhile and waits for the next run"]
    assert _blob_names(storage_connection, config.storage.writeback_container) == ["UK/WB-0001.json"]
    outcomes, _ = build_writeback(config, state).run(["UK"])
    assert [o.note for o in outcomes] == ["applied"]
    assert _link(storage_workspace.database, bill) == ("UK", "posted", "INV-0099")


def test_a_state_from_before_versions_keeps_its_applied_documents(tmp_path: Path) -> None:
    """A document applied by an older agent is not applied again, whatever version it is now."""
    from cynare.agent.state import AgentState

    path = tmp_path / "state.sqlite"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE writebacks (entity TEXT NOT NULL, writeback_id TEXT NOT NULL, items INTEGER NOT NULL, "
            "applied_at TEXT NOT NULL, acknowledged_at TEXT, PRIMARY KEY (entity, writeback_id))"
        )
        db.execute("INSERT INTO writebacks VALUES ('UK', 'WB-OLD', 3, '2026-11-20T02:00:00+00:00', NULL)")
    state = AgentState(path)
    record = state.writeback_record("UK", "WB-OLD", "a" * 64)
    assert record is not None and (record.version, record.items, record.acknowledged_at) == ("", 3, None)
    assert state.writeback_record("IE", "WB-OLD", "a" * 64) is None
    state.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT name FROM sqlite_master WHERE name = 'writebacks'").fetchone() is None
