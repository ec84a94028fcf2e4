"""The posting side's warehouse on Azurite: sealed credentials, ETag races, entity isolation, usage,
the outbox, cursors, the poster's lease and the write-back blobs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any, TypeVar

import pytest
from azure.data.tables import TableClient, TableServiceClient
from azure.storage.blob import BlobServiceClient

from cynare.adapters.poster_lock import BlobPosterLock
from cynare.adapters.secrets_box import SealBroken, SecretsBox
from cynare.adapters.tables.connection import StorageSettings, open_tables
from cynare.adapters.tables.connections import TableConnections
from cynare.adapters.tables.cursors import TableCursors
from cynare.adapters.tables.issues import TableIssues
from cynare.adapters.tables.outbox import TableOutbox
from cynare.adapters.tables.usage import TableUsage
from cynare.adapters.writeback_blobs import BlobWritebackOutbox
from cynare.service_layer.xero_port import (
    Binding,
    ConnectionKind,
    ConnectionRepository,
    Credentials,
    CursorRepository,
    EntityIssue,
    IssueKind,
    IssueRepository,
    OutboxItem,
    OutboxRepository,
    PosterLock,
    Usage,
    UsageRepository,
    WritebackOutbox,
)

pytestmark = pytest.mark.azurite

NOW = datetime(2026, 11, 26, 2, 0, 0, 123456, tzinfo=UTC)
SECRET = "client-secret-0f9e8d"
ACCESS = "access-token-eyJhbGciOiJSUzI1NiJ9"
REFRESH = "refresh-token-7c1b2a"
T = TypeVar("T")


@pytest.fixture
def settings(storage_connection: str, unique_name: str) -> StorageSettings:
    return StorageSettings(connection_string=storage_connection, table_prefix=unique_name)


@pytest.fixture
def tables(settings: StorageSettings) -> dict[str, TableClient]:
    return open_tables(settings)


@pytest.fixture
def box() -> SecretsBox:
    return SecretsBox.from_setting(SecretsBox.new_key_text())


def raw_table(settings: StorageSettings, name: str) -> TableClient:
    service = TableServiceClient.from_connection_string(settings.connection_string)
    return service.get_table_client(f"{settings.table_prefix}{name}")


def credentials(etag: str = "") -> Credentials:
    return Credentials(
        client_secret=SECRET,
        access_token=ACCESS,
        access_expires_at=NOW + timedelta(minutes=30),
        refresh_token=REFRESH,
        refresh_issued_at=NOW,
        scopes=("offline_access", "accounting.transactions", "accounting.contacts"),
        etag=etag,
    )


def binding(entity: str = "UK") -> Binding:
    return Binding(entity, "tenant-1", "Acme LLP", "GBP", ConnectionKind.APP, "client-1", NOW, "ops@acme.example")


def race(*workers: Callable[[], T]) -> list[T]:
    """Run the workers at the same moment, one thread each; their answers in order."""
    start = threading.Barrier(len(workers))
    answers: list[Any] = [None] * len(workers)

    def run(index: int) -> None:
        start.wait()
        answers[index] = workers[index]()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


# --- connections


def test_binding_and_credentials_round_trip_and_unbind_removes_both(
    tables: dict[str, TableClient], box: SecretsBox
) -> None:
    connections: ConnectionRepository = TableConnections(tables["Connections"], "UK", box)
    assert connections.binding() is None and connections.credentials() is None
    connections.bind(binding())
    assert connections.save_credentials(credentials())

    assert connections.binding() == binding()
    stored = connections.credentials()
    assert stored is not None and stored.etag
    assert dataclass_fields(stored) == dataclass_fields(credentials(stored.etag))
    assert SECRET not in repr(stored) and ACCESS not in repr(stored)

    connections.unbind()
    assert connections.binding() is None and connections.credentials() is None
    connections.unbind()  # nothing left: nothing to do


def dataclass_fields(value: Credentials) -> tuple[Any, ...]:
    return (
        value.client_secret, value.access_token, value.access_expires_at, value.refresh_token,
        value.refresh_issued_at, value.scopes, value.etag,
    )  # fmt: skip


def test_secrets_are_sealed_at_rest(settings: StorageSettings, tables: dict[str, TableClient], box: SecretsBox) -> None:
    TableConnections(tables["Connections"], "UK", box).save_credentials(credentials())
    row = dict(raw_table(settings, "Connections").get_entity("UK", "credentials"))
    text = repr(row)
    for secret in (SECRET, ACCESS, REFRESH):
        assert secret not in text
    assert all(str(row[column]).startswith("v1:") for column in ("ClientSecret", "AccessToken", "RefreshToken"))
    assert row["Scopes"] == "offline_access accounting.transactions accounting.contacts"  # plain, for status
    assert row["AccessExpiresAt"] == NOW + timedelta(minutes=30)


def test_a_credentials_row_copied_to_another_entity_does_not_open(
    settings: StorageSettings, tables: dict[str, TableClient], box: SecretsBox
) -> None:
    TableConnections(tables["Connections"], "UK", box).save_credentials(credentials())
    raw = raw_table(settings, "Connections")
    row = dict(raw.get_entity("UK", "credentials"))
    raw.create_entity({**row, "PartitionKey": "IE"})
    with pytest.raises(SealBroken, match="reconnect the entity") as raised:
        TableConnections(tables["Connections"], "IE", box).credentials()
    assert ACCESS not in str(raised.value)
    # Under another key the entity's own row does not open either: the key changed.
    with pytest.raises(SealBroken, match="CYNARE_TOKEN_KEY"):
        TableConnections(tables["Connections"], "UK", SecretsBox.from_setting(SecretsBox.new_key_text())).credentials()


def test_two_racing_saves_one_wins(tables: dict[str, TableClient], box: SecretsBox) -> None:
    first, second = (TableConnections(tables["Connections"], "UK", box) for _ in range(2))
    assert first.save_credentials(credentials())
    assert not second.save_credentials(credentials())  # a create over a stored row loses
    stored = first.credentials()
    assert stored is not None
    refreshed = [credentials(stored.etag), credentials(stored.etag)]
    answers = race(lambda: first.save_credentials(refreshed[0]), lambda: second.save_credentials(refreshed[1]))
    assert sorted(answers) == [False, True]
    assert not first.save_credentials(credentials(stored.etag))  # the ETag both read is gone


def test_racing_creates_one_wins(tables: dict[str, TableClient], box: SecretsBox) -> None:
    first, second = (TableConnections(tables["Connections"], "UK", box) for _ in range(2))
    answers = race(lambda: first.save_credentials(credentials()), lambda: second.save_credentials(credentials()))
    assert sorted(answers) == [False, True]


def test_two_racing_claims_one_gets_it(tables: dict[str, TableClient], box: SecretsBox) -> None:
    workers = [TableConnections(tables["Connections"], "UK", box) for _ in range(3)]
    assert workers[0].save_credentials(credentials())
    for round_ in range(5):
        now = NOW + timedelta(minutes=10 * round_)  # each round after the last round's claim lapsed
        answers = race(*(partial(worker.claim_refresh, now + timedelta(minutes=5), now) for worker in workers))
        assert sorted(answers) == [False, False, True]


def test_a_lapsed_claim_is_taken_again_and_a_save_ends_it(tables: dict[str, TableClient], box: SecretsBox) -> None:
    connections = TableConnections(tables["Connections"], "UK", box)
    assert not connections.claim_refresh(NOW + timedelta(minutes=5), NOW)  # nothing stored: nothing to refresh
    assert connections.save_credentials(credentials())
    read_before = connections.credentials()
    assert read_before is not None

    assert connections.claim_refresh(NOW + timedelta(minutes=5), NOW)
    assert not connections.claim_refresh(NOW + timedelta(minutes=6), NOW + timedelta(minutes=1))
    assert connections.claim_refresh(NOW + timedelta(minutes=11), NOW + timedelta(minutes=6))  # the first lapsed

    # A claim changes the row's ETag: the claimant reads again, then saves, which ends the claim.
    assert not connections.save_credentials(credentials(read_before.etag))
    read_after = connections.credentials()
    assert read_after is not None and read_after.access_token == ACCESS
    assert connections.save_credentials(credentials(read_after.etag))
    assert connections.claim_refresh(NOW + timedelta(minutes=20), NOW + timedelta(minutes=7))


# --- entity isolation


def test_one_entitys_repositories_never_see_anothers_rows(tables: dict[str, TableClient], box: SecretsBox) -> None:
    def repositories(entity: str) -> tuple[TableConnections, TableIssues, TableUsage, TableOutbox, TableCursors]:
        return (
            TableConnections(tables["Connections"], entity, box),
            TableIssues(tables["Issues"], entity),
            TableUsage(tables["Usage"], entity),
            TableOutbox(tables["Outbox"], entity),
            TableCursors(tables["Cursors"], entity),
        )

    uk, ie = repositories("UK"), repositories("IE")
    uk[0].bind(binding("UK"))
    uk[0].save_credentials(credentials())
    uk[1].raise_issue(EntityIssue("UK", IssueKind.DAY_LIMIT, "the day's 5000 calls are used", NOW))
    uk[2].add(NOW.date(), Usage(calls=7))
    uk[3].put([OutboxItem("posted|bills|B1|v1", {"kind": "posted"}, NOW)])
    uk[4].set("Payments", NOW)

    assert ie[0].binding() is None and ie[0].credentials() is None
    assert not ie[0].claim_refresh(NOW + timedelta(minutes=5), NOW)
    assert ie[1].open() == [] and ie[2].for_day(NOW.date()) == Usage()
    assert ie[3].pending() == [] and ie[4].get("Payments") is None

    ie[0].unbind()
    ie[1].clear(IssueKind.DAY_LIMIT)
    ie[3].remove(["posted|bills|B1|v1"])
    assert uk[0].binding() is not None and uk[0].credentials() is not None
    assert len(uk[1].open()) == 1 and len(uk[3].pending()) == 1

    with pytest.raises(ValueError, match="UK"):
        ie[0].bind(binding("UK"))
    with pytest.raises(ValueError, match="UK"):
        ie[1].raise_issue(EntityIssue("UK", IssueKind.POISONED, "gave up", NOW))
    with pytest.raises(ValueError, match="\\|"):
        TableOutbox(tables["Outbox"], "UK|bills")


# --- issues, usage, outbox, cursors


def test_one_open_issue_per_kind(tables: dict[str, TableClient]) -> None:
    issues: IssueRepository = TableIssues(tables["Issues"], "UK")
    until = NOW + timedelta(hours=10)
    issues.raise_issue(EntityIssue("UK", IssueKind.DAY_LIMIT, "day limit reached", NOW, until))
    issues.raise_issue(
        EntityIssue("UK", IssueKind.DAY_LIMIT, "day limit reached again", NOW + timedelta(hours=1), until)
    )
    issues.raise_issue(EntityIssue("UK", IssueKind.NOT_CONNECTED, "connect UK to Xero", NOW))
    assert issues.open() == [
        EntityIssue("UK", IssueKind.DAY_LIMIT, "day limit reached again", NOW + timedelta(hours=1), until),
        EntityIssue("UK", IssueKind.NOT_CONNECTED, "connect UK to Xero", NOW),
    ]
    issues.clear(IssueKind.DAY_LIMIT)
    issues.clear(IssueKind.POISONED)  # none open: nothing to do
    assert [issue.kind for issue in issues.open()] == [IssueKind.NOT_CONNECTED]


def test_usage_adds_up_and_keeps_the_last_remaining_figures(tables: dict[str, TableClient]) -> None:
    usage: UsageRepository = TableUsage(tables["Usage"], "UK")
    day = date(2026, 11, 26)
    usage.add(day, Usage(calls=10, throttled=1, bytes_sent=5_000_000_000, bytes_read=9, day_remaining=4990))
    usage.add(day, Usage(calls=5, failed_throttled=1, bytes_read=1, minute_remaining=55))
    assert usage.for_day(day) == Usage(15, 1, 1, 5_000_000_000, 10, day_remaining=4990, minute_remaining=55)
    assert usage.for_day(day + timedelta(days=1)) == Usage()


def test_usage_added_from_two_threads_loses_nothing(tables: dict[str, TableClient]) -> None:
    day = date(2026, 11, 26)
    adds = 15

    def run() -> None:
        usage = TableUsage(tables["Usage"], "UK")
        for _ in range(adds):
            usage.add(day, Usage(calls=3, throttled=1, bytes_sent=100, bytes_read=1000))

    race(run, run)
    assert TableUsage(tables["Usage"], "UK").for_day(day) == Usage(6 * adds, 2 * adds, 0, 200 * adds, 2000 * adds)


def test_the_outbox_upserts_by_key_and_answers_in_key_order(tables: dict[str, TableClient]) -> None:
    outbox: OutboxRepository = TableOutbox(tables["Outbox"], "UK")
    odd = "posted|bills|B/7#1?%2F\\x"  # characters a RowKey refuses, and an escape look-alike
    outbox.put([OutboxItem("xero_receipt|p2", {"n": 1}, NOW), OutboxItem(odd, {"n": 2}, NOW)])
    outbox.put([OutboxItem("xero_receipt|p2", {"n": 3}, NOW + timedelta(seconds=1))])
    outbox.put([OutboxItem("xero_receipt|p2", {"n": 3}, NOW + timedelta(seconds=1))])  # a replay
    assert outbox.pending() == [
        OutboxItem(odd, {"n": 2}, NOW),
        OutboxItem("xero_receipt|p2", {"n": 3}, NOW + timedelta(seconds=1)),
    ]
    outbox.put([OutboxItem("posted|bills|B/7#1?%2F/x", {"n": 4}, NOW)])  # escapes differently: another row
    assert len(outbox.pending()) == 3

    many = [OutboxItem(f"posted|bills|B{number:04}|v", {"number": number}, NOW) for number in range(250)]
    outbox.put(many + many[:3])  # more than one transaction, with a key twice
    pending = outbox.pending(limit=1000)
    assert len(pending) == 253
    assert [item.key for item in pending] == sorted(item.key for item in pending)
    assert outbox.pending(limit=10) == pending[:10]

    outbox.remove([item.key for item in pending[:200]])
    outbox.remove([item.key for item in pending[:201]])  # the first 200 already gone
    assert outbox.pending() == pending[201:]


def test_cursors(tables: dict[str, TableClient]) -> None:
    cursors: CursorRepository = TableCursors(tables["Cursors"], "UK")
    assert cursors.get("Payments") is None
    cursors.set("Payments", NOW)
    cursors.set("CreditNotes", NOW - timedelta(days=1))
    cursors.set("Payments", NOW + timedelta(hours=1))
    assert cursors.get("Payments") == NOW + timedelta(hours=1)
    assert type(cursors.get("Payments")) is datetime
    assert cursors.get("CreditNotes") == NOW - timedelta(days=1)


# --- the poster's lease


def test_one_holder_of_an_entitys_lease(settings: StorageSettings, unique_name: str) -> None:
    first: PosterLock = BlobPosterLock(settings, container=unique_name, lease_seconds=15)
    second = BlobPosterLock(settings, container=unique_name, lease_seconds=15)
    with first.hold("UK") as held:
        assert held
        with second.hold("UK") as also:
            assert not also
        with second.hold("IE") as other_entity:
            assert other_entity
    with second.hold("UK") as held_after_release:
        assert held_after_release

    with pytest.raises(RuntimeError, match="posting failed"), first.hold("UK") as held:
        assert held
        raise RuntimeError("posting failed")
    with second.hold("UK") as held_after_an_error:
        assert held_after_an_error


def test_racing_holders_one_gets_the_lease(settings: StorageSettings, unique_name: str) -> None:
    locks = [BlobPosterLock(settings, container=unique_name, lease_seconds=15) for _ in range(3)]
    inside = threading.Barrier(3)

    def run(lock: BlobPosterLock) -> bool:
        with lock.hold("UK") as held:
            inside.wait()  # everyone tried while the winner still holds it
            return held

    assert sorted(race(*(partial(run, lock) for lock in locks))) == [False, False, True]


@pytest.mark.slow
def test_renewal_keeps_the_lease_past_its_duration(settings: StorageSettings, unique_name: str) -> None:
    holder = BlobPosterLock(settings, container=unique_name, lease_seconds=15)
    other = BlobPosterLock(settings, container=unique_name, lease_seconds=15)
    with holder.hold("UK") as held:
        assert held
        time.sleep(20)  # past the 15 s a lease lasts unrenewed
        with other.hold("UK") as taken:
            assert not taken
    with other.hold("UK") as taken:
        assert taken


def test_a_lease_lasts_15_to_60_seconds(settings: StorageSettings) -> None:
    with pytest.raises(ValueError, match="15 to 60"):
        BlobPosterLock(settings, lease_seconds=10)


# --- write-back documents


def test_writeback_documents_waiting_and_acknowledged(
    settings: StorageSettings, storage_connection: str, unique_name: str
) -> None:
    outbox = BlobWritebackOutbox(settings, container=f"{unique_name}-wb", inbound_container=f"{unique_name}-in")
    port: WritebackOutbox = outbox
    blobs = BlobBlobs(storage_connection, f"{unique_name}-wb", f"{unique_name}-in")
    assert list(port.waiting("UK")) == []
    assert outbox.acknowledged("UK", "20261126-UK-0001") == []

    outbox.write("UK", "20261126-UK-0001", '{"items": [1]}')
    outbox.write("UK", "20261126-UK-0001", '{"items": [1, 2]}')  # corrected before the agent came
    outbox.write("UK", "20261126-UK-0002", "{}")
    outbox.write("UKX", "20261126-UKX-0001", "{}")  # a name that starts like UK's
    assert blobs.document("UK/20261126-UK-0001.json") == '{"items": [1, 2]}'
    assert list(outbox.waiting("UK")) == ["20261126-UK-0001", "20261126-UK-0002"]
    assert list(outbox.waiting("IE")) == []

    # The agent applies the first version, acknowledges it, deletes it; then a corrected one comes.
    blobs.acknowledge("UK", "20261126-UK-0001", "a" * 64)
    assert list(outbox.waiting("UK")) == ["20261126-UK-0002"]
    outbox.write("UK", "20261126-UK-0001", '{"items": [1, 2, 3]}')
    blobs.acknowledge("UK", "20261126-UK-0001", "b" * 64)
    blobs.inbound.upload_blob(f"_acks/UKX/20261126-UK-0001/{'c' * 64}.json", b"{}")  # another entity's, same id
    blobs.inbound.upload_blob("_acks/UK/20261126-UK-0001/notes.txt", b"")  # not an acknowledgement
    assert outbox.acknowledged("UK", "20261126-UK-0001") == ["a" * 64, "b" * 64]
    assert outbox.acknowledged("UK", "20261126-UK-0002") == []

    with pytest.raises(ValueError, match="not an id"):
        outbox.write("UK", "../IE/x", "{}")


class BlobBlobs:
    """The agent's side of the containers, for the test."""

    def __init__(self, connection: str, writeback: str, inbound: str) -> None:
        service = BlobServiceClient.from_connection_string(connection)
        self.writeback = service.get_container_client(writeback)
        self.inbound = service.get_container_client(inbound)
        if not self.inbound.exists():
            self.inbound.create_container()

    def document(self, name: str) -> str:
        return bytes(self.writeback.download_blob(name).readall()).decode()

    def acknowledge(self, entity: str, writeback_id: str, version: str) -> None:
        self.inbound.upload_blob(f"_acks/{entity}/{writeback_id}/{version}.json", b"{}")
        self.writeback.delete_blob(f"{entity}/{writeback_id}.json")
