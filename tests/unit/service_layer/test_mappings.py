"""Mappings set without the PMS: they win over the PMS's rows, release what waited on them, survive the next
import, and go out and back in as CSV; only a value in Xero's lists is taken."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from cynare.domain.documents import DocKey
from cynare.domain.lifecycle import State
from cynare.service_layer.holding import mapping_book
from cynare.service_layer.mappings import (
    CsvRefused,
    MappingKind,
    MappingRefused,
    export_csv,
    import_csv,
    list_mappings,
    remove_mapping,
    set_mapping,
    unmapped_codes,
)
from cynare.service_layer.mappings_csv import read_csv
from cynare.service_layer.xero_lists import (
    XeroListsUnreadable,
    XeroOptions,
    keep,
    options_from_xero,
    refresh_xero_options,
    xero_options,
)
from cynare.service_layer.xero_port import Binding, ConnectionKind, ConnectionRepository, Usage, XeroReply
from tests.batches import bill, merge, sample_rows
from tests.unit.service_layer.conftest import NOW, Importer, RecordingQueue, clock
from tests.unit.service_layer.fakes import FakeUnitOfWork

ACCOUNTS = {"Accounts": [
    {"Code": "200", "Name": "Sales", "Type": "REVENUE", "Class": "REVENUE", "Status": "ACTIVE"},
    {"Code": "201", "Name": "Fees", "Type": "REVENUE", "Class": "REVENUE", "Status": "ACTIVE"},
    {"Code": "202", "Name": "Old fees", "Type": "REVENUE", "Class": "REVENUE", "Status": "ARCHIVED"},
    {"Code": "684", "Name": "Bad Debts", "Type": "EXPENSE", "Class": "EXPENSE", "Status": "ACTIVE"},
    {"Code": "610", "Name": "Accounts Receivable", "Type": "CURRENT", "Class": "ASSET", "Status": "ACTIVE"},
    {"Code": "090", "Name": "Business Bank Account", "Type": "BANK", "Class": "ASSET", "Status": "ACTIVE",
     "CurrencyCode": "GBP"},
    {"Name": "No code", "Type": "REVENUE", "Class": "REVENUE", "Status": "ACTIVE"},
]}  # fmt: skip
TAX_RATES = {"TaxRates": [
    {"Name": "20% (VAT on Income)", "TaxType": "OUTPUT2", "Status": "ACTIVE"},
    {"Name": "Old rate", "TaxType": "OLD", "Status": "DELETED"},
]}  # fmt: skip
TRACKING = {"TrackingCategories": [
    {"Name": "Office", "Status": "ACTIVE", "Options": [{"Name": "London", "Status": "ACTIVE"},
                                                       {"Name": "Paris", "Status": "ACTIVE"},
                                                       {"Name": "Rome", "Status": "ARCHIVED"}]},
    {"Name": "Department", "Status": "ACTIVE", "Options": [{"Name": "Litigation", "Status": "ACTIVE"}]},
    {"Name": "A/B", "Status": "ACTIVE", "Options": [{"Name": "X", "Status": "ACTIVE"}]},
]}  # fmt: skip


def read_lists(uow: FakeUnitOfWork, entity: str = "UK") -> None:
    """Xero's lists as a refresh keeps them."""
    with uow.for_entity(entity) as work:
        keep(work, XeroOptions(entity, *options_from_xero(ACCOUNTS, TAX_RATES, TRACKING), NOW, "Ann"))


def state(uow: FakeUnitOfWork, firm_id: str, dataset: str = "bills") -> State:
    return uow.documents("UK")[DocKey(dataset, firm_id)].state


@pytest.fixture
def held(load: Importer, uow: FakeUnitOfWork) -> FakeUnitOfWork:
    """The sample night and a bill B9 held on nominal 4999, which nothing maps; Xero's lists read."""
    load(merge(sample_rows(), bill("B9", "C001", "90.00", "18.00", nominal="4999")))
    read_lists(uow)
    assert state(uow, "B9") is State.WAITING
    return uow


def test_xero_lists_keep_only_what_can_be_posted_to() -> None:
    nominal, rates, tracking, bank = options_from_xero(ACCOUNTS, TAX_RATES, TRACKING)
    assert [(o.value, o.group) for o in nominal] == [
        ("200", "Revenue accounts"), ("201", "Revenue accounts"), ("684", "Expense accounts (bad-debt write-offs)"),
    ]  # fmt: skip
    assert [o.value for o in rates] == ["OUTPUT2"]
    assert [o.value for o in tracking] == ["Office/London", "Office/Paris", "Department/Litigation"]
    assert [(o.value, o.label) for o in bank] == [("090", "090 Business Bank Account (GBP)")]


def test_the_code_a_held_bill_waits_on_is_listed_first_with_its_documents(held: FakeUnitOfWork) -> None:
    codes = list_mappings(held, "UK").codes
    assert (codes[0].kind, codes[0].code, codes[0].pms, codes[0].held, codes[0].mapped) == (
        MappingKind.NOMINAL, "4999", None, 1, False,
    )  # fmt: skip
    assert all(m.mapped for m in codes[1:])
    assert [(m.kind, m.code) for m in unmapped_codes(held, "UK")] == [(MappingKind.NOMINAL, "4999")]


def test_a_code_the_pms_maps_to_nothing_is_not_mapped(load: Importer, uow: FakeUnitOfWork) -> None:
    load(merge(sample_rows(), {"map_bank": [{"bank_account": "BANK1", "xero_account_code": "090"},
                                            {"bank_account": "BANK2"}]}))  # fmt: skip
    [unmapped] = unmapped_codes(uow, "UK")
    assert (unmapped.kind, unmapped.code, unmapped.pms, unmapped.held) == (MappingKind.BANK, "BANK2", "", 0)


def test_setting_the_code_releases_the_bill_and_announces_the_entity(held: FakeUnitOfWork) -> None:
    queue = RecordingQueue()
    outcome = set_mapping(held, queue, "UK", "nominal", "4999", "201", "Ann", clock)
    assert outcome.released == 1 and queue.announced == ["UK"]
    assert [(c.kind, c.code, c.before, c.after) for c in outcome.changes] == [(MappingKind.NOMINAL, "4999", "", "201")]
    assert state(held, "B9") is State.READY
    with held.for_entity("UK") as work:
        assert mapping_book(work).nominal["4999"] == "201"
    mapped = list_mappings(held, "UK").find(MappingKind.NOMINAL, "4999")
    assert mapped is not None and mapped.here is not None
    assert (mapped.value, mapped.here.by, mapped.here.at) == ("201", "Ann", NOW)


def test_a_mapping_set_here_wins_over_the_pms(held: FakeUnitOfWork) -> None:
    set_mapping(held, RecordingQueue(), "UK", "nominal", "4000", "201", "Ann", clock)
    with held.for_entity("UK") as work:
        assert mapping_book(work).nominal["4000"] == "201"
    mapped = list_mappings(held, "UK").find(MappingKind.NOMINAL, "4000")
    assert mapped is not None and (mapped.pms, mapped.value) == ("200", "201")


def test_a_tracking_option_is_set_as_category_and_option(load: Importer, uow: FakeUnitOfWork) -> None:
    load(merge(sample_rows(), bill("B9", "C001", "90.00", "18.00", office="PAR")))
    read_lists(uow)
    assert [(m.kind, m.code) for m in unmapped_codes(uow, "UK")] == [(MappingKind.OFFICE, "PAR")]
    set_mapping(uow, RecordingQueue(), "UK", "office", "PAR", "Office/Paris", "Ann", clock)
    assert state(uow, "B9") is State.READY
    with uow.for_entity("UK") as work:
        assert mapping_book(work).tracking[("office", "PAR")] == "Office/Paris"


@pytest.mark.parametrize("value", ["999", "202", "090", ""])
def test_a_value_xero_lacks_is_refused_and_nothing_changes(held: FakeUnitOfWork, value: str) -> None:
    queue = RecordingQueue()
    with pytest.raises(MappingRefused) as refused:
        set_mapping(held, queue, "UK", "nominal", "4999", value, "Ann", clock)
    assert refused.value.field == "value"
    assert state(held, "B9") is State.WAITING and queue.announced == []
    assert list_mappings(held, "UK").find(MappingKind.NOMINAL, "4999").here is None  # type: ignore[union-attr]


def test_before_xero_is_read_a_mapping_says_to_refresh(load: Importer, uow: FakeUnitOfWork) -> None:
    load(merge(sample_rows(), bill("B9", "C001", "90.00", "18.00", nominal="4999")))
    with pytest.raises(MappingRefused, match="Refresh from Xero"):
        set_mapping(uow, RecordingQueue(), "UK", "nominal", "4999", "201", "Ann", clock)


@pytest.mark.parametrize(("kind", "code", "field"), [("account", "4999", "kind"), ("nominal", "a/b", "code"),
                                                     ("nominal", "", "code")])  # fmt: skip
def test_a_wrong_kind_or_code_is_refused_by_its_field(held: FakeUnitOfWork, kind: str, code: str, field: str) -> None:
    with pytest.raises(MappingRefused) as refused:
        set_mapping(held, RecordingQueue(), "UK", kind, code, "201", "Ann", clock)
    assert refused.value.field == field


def test_the_next_import_of_an_empty_pms_row_does_not_undo_the_mapping(held: FakeUnitOfWork, load: Importer) -> None:
    set_mapping(held, RecordingQueue(), "UK", "nominal", "4999", "201", "Ann", clock)
    empty = {"map_nominal": [{"nominal_code": "4000", "xero_account_code": "200"}, {"nominal_code": "4999"}]}
    outcome = load(merge(empty, bill("B10", "C001", "10.00", "2.00", nominal="4999")), sequence=2)
    assert outcome.waiting == 0
    assert state(held, "B9") is State.READY and state(held, "B10") is State.READY
    mapped = list_mappings(held, "UK").find(MappingKind.NOMINAL, "4999")
    assert mapped is not None and (mapped.pms, mapped.value) == ("", "201")


def test_removing_a_mapping_set_here_holds_what_would_use_nothing(held: FakeUnitOfWork) -> None:
    set_mapping(held, RecordingQueue(), "UK", "nominal", "4999", "201", "Ann", clock)
    outcome = remove_mapping(held, RecordingQueue(), "UK", "nominal", "4999", "Bob", clock)
    assert outcome.held == 1 and [(c.before, c.after) for c in outcome.changes] == [("201", "")]
    assert state(held, "B9") is State.WAITING
    with pytest.raises(MappingRefused, match="nothing is set here"):
        remove_mapping(held, RecordingQueue(), "UK", "nominal", "4999", "Bob", clock)


def test_removing_leaves_the_pms_mapping(held: FakeUnitOfWork) -> None:
    set_mapping(held, RecordingQueue(), "UK", "nominal", "4000", "201", "Ann", clock)
    outcome = remove_mapping(held, RecordingQueue(), "UK", "nominal", "4000", "Ann", clock)
    assert [(c.before, c.after) for c in outcome.changes] == [("201", "200")] and outcome.held == 0
    assert state(held, "B001") is State.READY


def test_an_export_imported_again_changes_nothing(held: FakeUnitOfWork) -> None:
    set_mapping(held, RecordingQueue(), "UK", "vat", "S", "OUTPUT2", "Ann", clock)  # the PMS's own: no change
    set_mapping(held, RecordingQueue(), "UK", "office", "LON", "Office/Paris", "Ann", clock)
    exported = export_csv(held, "UK")
    lines = exported.splitlines()
    assert lines[0] == "kind,code,value,pms_value,set_by,set_at"
    assert "nominal,4999,,,," in lines
    assert f"office,LON,Office/Paris,Office/London,Ann,{NOW.isoformat()}" in lines
    again = import_csv(held, RecordingQueue(), "UK", exported.encode("utf-8-sig"), "Ann", clock)
    assert again.changes == [] and again.released == 0


def test_an_export_filled_in_and_imported_maps_the_codes(held: FakeUnitOfWork) -> None:
    exported = export_csv(held, "UK").replace("nominal,4999,,", "nominal,4999,201,")
    queue = RecordingQueue()
    outcome = import_csv(held, queue, "UK", exported.encode(), "Ann", clock)
    assert [(c.code, c.after) for c in outcome.changes] == [("4999", "201")]
    assert outcome.released == 1 and queue.announced == ["UK"]
    assert state(held, "B9") is State.READY


def test_an_empty_value_in_a_file_removes_what_is_set_here(held: FakeUnitOfWork) -> None:
    set_mapping(held, RecordingQueue(), "UK", "nominal", "4000", "201", "Ann", clock)
    outcome = import_csv(held, RecordingQueue(), "UK", b"kind,code,value\nnominal,4000,\n", "Ann", clock)
    assert [(c.before, c.after) for c in outcome.changes] == [("201", "200")]


def test_a_file_with_a_wrong_row_is_refused_whole_with_each_row_and_field(held: FakeUnitOfWork) -> None:
    data = (b"kind,code,value\r\nnominal,4999,201\r\naccount,4000,200\r\nvat,S,NOPE\r\n\r\n"
            b"nominal,4999,200\r\nbank,a/b,090\r\n")  # fmt: skip
    queue = RecordingQueue()
    with pytest.raises(CsvRefused) as refused:
        import_csv(held, queue, "UK", data, "Ann", clock)
    assert [(p.row, p.field) for p in refused.value.problems] == [(3, "kind"), (4, "value"), (6, "code"), (7, "code")]
    assert "row 2" in refused.value.problems[2].message
    assert state(held, "B9") is State.WAITING and queue.announced == []
    assert list_mappings(held, "UK").find(MappingKind.NOMINAL, "4999").here is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("data", "field"),
    [(b"\xff\xfe not text", "file"), (b"code,value\n4000,200\n", "header"), (b"", "file")],
)
def test_a_file_that_is_not_a_mappings_csv_is_refused(held: FakeUnitOfWork, data: bytes, field: str) -> None:
    with pytest.raises(CsvRefused) as refused:
        import_csv(held, RecordingQueue(), "UK", data, "Ann", clock)
    assert [p.field for p in refused.value.problems] == [field]


def test_a_cell_a_spreadsheet_would_run_is_written_as_text_and_read_back(load: Importer, uow: FakeUnitOfWork) -> None:
    load(merge(sample_rows(), {"map_nominal": [{"nominal_code": "4000", "xero_account_code": "200"},
                                               {"nominal_code": "=1+2", "xero_account_code": "-3"}]}))  # fmt: skip
    exported = export_csv(uow, "UK")
    assert "nominal,'=1+2,'-3,'-3,," in exported.splitlines()
    rows, problems = read_csv(exported.encode())
    assert not problems and ("=1+2", "-3") in {(row.code, row.value) for row in rows}


class FakeXero:
    entity = "UK"
    tenant_id = "tenant-uk"

    def __init__(self) -> None:
        self.usage = Usage()
        self.paths: list[str] = []

    def call(self, method: str, path: str, **_: Any) -> XeroReply:
        self.paths.append(path)
        self.usage.calls += 1
        answers: Mapping[str, Any] = {"/Accounts": ACCOUNTS, "/TaxRates": TAX_RATES, "/TrackingCategories": TRACKING}
        return XeroReply(200, answers[path])


class FakeConnector:
    def __init__(self) -> None:
        self.xero = FakeXero()

    def connect(self, binding: Binding, connection: ConnectionRepository) -> FakeXero:
        return self.xero


def test_refreshing_reads_xeros_lists_through_the_entitys_door_and_counts_the_calls(uow: FakeUnitOfWork) -> None:
    connector = FakeConnector()
    with pytest.raises(XeroListsUnreadable, match="not connected"):
        refresh_xero_options(uow, connector, "UK", "Ann", clock)
    with uow.for_entity("UK") as work:
        work.connection.bind(Binding("UK", "tenant-uk", "Harrow", "GBP", ConnectionKind.CUSTOM, "id", NOW))
    options = refresh_xero_options(uow, connector, "UK", "Ann", clock)
    assert connector.xero.paths == ["/Accounts", "/TaxRates", "/TrackingCategories"]
    assert xero_options(uow, "UK") == options and (options.read_at, options.read_by) == (NOW, "Ann")
    assert [o.value for o in options.bank] == ["090"]
    with uow.for_entity("UK") as work:
        assert work.usage.for_day(NOW.date()).calls == 3
    assert xero_options(uow, "IE").read_at is None


def test_a_mapping_of_one_entity_is_not_anothers(held: FakeUnitOfWork) -> None:
    set_mapping(held, RecordingQueue(), "UK", "nominal", "4999", "201", "Ann", clock)
    with held.for_entity("IE") as work:
        assert "4999" not in mapping_book(work).nominal
