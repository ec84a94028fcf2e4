"""What the demo's night did, per entity: printed, written to night.json, and checked.

Three checks decide the demo's exit code, with two more that say the night itself ran:

- every PMS document counted here is in Xero exactly once if it was posted, and not at all if it was
  not, counted in the local Xero's books by the number or reference the poster gives it (a voided
  or deleted record still counts: it was made);
- the local Xero found no call that broke Xero's contract (its OpenAPI spec);
- every row the import read was accepted, or rejected with a reason, and every batch was imported;
- every function run succeeded and the queues drained; the agent applied every write-back.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.table import Table

from cynare.entrypoints.demo import utc_now

if TYPE_CHECKING:
    from cynare.bootstrap import App
    from cynare.domain.lifecycle import StoredDocument
    from cynare.entrypoints.demo_night import DemoNight
    from cynare.sandbox.xero.state import Tenant
    from cynare.service_layer.status import EntityStatus
    from cynare.service_layer.unit_of_work import EntityWork

# The PMS documents counted in Xero, and what finds each one there.
MATCHED_BY = {
    "clients": "Contact ContactNumber (the client id)",
    "bills": "Invoice InvoiceNumber",
    "credit_notes": "CreditNote CreditNoteNumber",
    "write_offs": "CreditNote CreditNoteNumber WO-<write-off id>",
    "receipts": "Payment (not in a batch) or BatchPayment Reference",
    "unallocated_receipts": "Overpayment Reference",
}
EXAMPLES_KEPT = 10  # documents named per dataset when their count in Xero is not the expected one
TOP_REASONS = 3


@dataclass
class DatasetCount:
    """One dataset of one entity: its documents by state, and how many Xero records each PMS document has."""

    states: dict[str, int] = field(default_factory=dict)
    rows: int = 0
    per_document: Counter[int] = field(default_factory=Counter)  # Xero records per PMS document -> documents
    wrong: int = 0  # documents whose count is not the one expected
    examples: list[dict[str, Any]] = field(default_factory=list)
    gone: int = 0  # of the PMS documents' records, those voided, deleted or archived in Xero
    not_from_pms: int = 0  # Xero records that no PMS document of the dataset explains

    def as_json(self, counted: bool) -> dict[str, Any]:
        found: dict[str, Any] = {"documents_by_state": self.states, "extract_rows": self.rows}
        if counted:
            found |= {
                "xero_documents_per_pms_document": {str(n): docs for n, docs in sorted(self.per_document.items())},
                "not_as_expected": self.wrong,
                "examples_not_as_expected": self.examples,
                "of_which_voided_deleted_or_archived_in_xero": self.gone,
                "xero_documents_not_from_the_pms": self.not_from_pms,
            }
        return found


@dataclass
class EntityNight:
    entity: str
    status: EntityStatus
    datasets: dict[str, DatasetCount]
    calls: int
    throttled: int
    failed_throttled: int
    emulator_calls: int
    rows_problems: list[str]
    batches: int


def finish(night: DemoNight) -> int:
    """Print each entity's night, write night.json, print the checks; the demo's exit code."""
    from cynare.bootstrap import AppSettings, bootstrap

    console = night.console
    started = time.perf_counter()
    app = bootstrap(AppSettings.from_env())
    days = _days(night.record.started.date(), utc_now().date())
    nights = [_entity_night(app, night, entity, days) for entity in night.entities]
    night.record.phases["report"] = round(time.perf_counter() - started, 1)
    for found in nights:
        _print_entity(night, found)
    violations = list(night.xero.violations)
    wrong = sum(count.wrong for found in nights for count in found.datasets.values())
    rows_problems = [problem for found in nights for problem in found.rows_problems]
    checks = {
        "one_xero_document_per_posted_pms_document": wrong == 0,
        "no_contract_violation": not violations,
        "every_row_accepted_or_rejected_with_a_reason": not rows_problems and all(f.batches for f in nights),
        "the_night_ran": not night.record.problems,
        "the_reconciliation_went_out_by_email_and_teams": _delivered(night),
    }
    path = night.work / "night.json"
    path.write_text(json.dumps(_night_json(night, nights, checks, violations), indent=2) + "\n", encoding="utf-8")
    console.rule("The night, per entity")
    console.print(_summary(nights, night.record.written_back.items))
    console.print(f"{night.record.nights} night(s); seconds per phase: "
                  + ", ".join(f"{name} {seconds:.0f}" for name, seconds in night.record.phases.items()),
                  highlight=False, markup=False)  # fmt: skip
    _print_reconciliation(night)
    console.rule("Checks")
    console.print(f"each posted PMS document is exactly one document in Xero, the others none: "
                  f"{_yes(checks['one_xero_document_per_posted_pms_document'])}"
                  + (f" ({wrong:,} not as expected: see night.json)" if wrong else ""), highlight=False, markup=False)  # fmt: skip
    console.print(f"calls that broke Xero's contract: {len(violations)}", highlight=False, markup=False)
    for violation in violations[:5]:
        console.print(f"  [red]{escape(violation)}[/]", highlight=False)
    console.print(f"every row read is accepted or rejected with a reason: "
                  f"{_yes(checks['every_row_accepted_or_rejected_with_a_reason'])}", highlight=False, markup=False)  # fmt: skip
    for problem in rows_problems[:5]:
        console.print(f"  [red]{escape(problem)}[/]", highlight=False)
    console.print(f"every function run succeeded, the queues drained and the agent applied every write-back: "
                  f"{_yes(checks['the_night_ran'])}", highlight=False, markup=False)  # fmt: skip
    for problem in night.record.problems[:5]:
        console.print(f"  [red]{escape(problem)}[/]", highlight=False)
    console.print(f"the reconciliation went out by email and to Teams: "
                  f"{_yes(checks['the_reconciliation_went_out_by_email_and_teams'])}", highlight=False, markup=False)  # fmt: skip
    console.print(f"written: {path}", highlight=False, markup=False)
    return 0 if all(checks.values()) else 1


def _reconciliation(night: DemoNight) -> dict[str, Any]:
    files = night.record.report_files
    found: dict[str, Any] = {"files": {name: str(path) for name, path in files.items()}}
    for name, key in (("summary.json", "summary"), ("delivery.json", "deliveries")):
        if name in files:
            found[key] = json.loads(files[name].read_text(encoding="utf-8"))
    return found


def _grouped(amount: str) -> str:
    """An amount as summary.json keeps it (exact, as text), with thousands separators for a person."""
    return f"{Decimal(amount):,}"


def _delivered(night: DemoNight) -> bool:
    deliveries = _reconciliation(night).get("deliveries", [])
    return bool(deliveries) and all(d["sent"] for d in deliveries)


def _print_reconciliation(night: DemoNight) -> None:
    """Each entity's result per currency, then where the report, the workbook, the email and the card are."""
    console = night.console
    summary = _reconciliation(night).get("summary")
    console.rule("The reconciliation, per entity")
    if summary is None:
        console.print("[red]no reconciliation report was made[/]")
        return
    for entity in summary["entities"]:
        line = f"{entity['entity']} ({entity['organisation'] or 'not connected'}): {entity['status']}"
        console.print(line + (f": {entity['problem']}" if entity["problem"] else ""), highlight=False, markup=False)
        for c in entity["currencies"]:
            causes = ", ".join(f"{v['count']} {k} ({_grouped(v['amount'])})" for k, v in c["causes"].items())
            console.print(f"  {c['currency']}: PMS {_grouped(c['pms'])}, Xero {_grouped(c['xero'])}, difference "
                          f"{_grouped(c['difference'])} (explained {_grouped(c['explained'])}, unexplained "
                          f"{_grouped(c['unexplained'])}){': ' + causes if causes else ''}",
                          highlight=False, markup=False)  # fmt: skip
        if entity["control"]:
            control = entity["control"]
            console.print(f"  control account {control['account']}: trial balance {_grouped(control['trial_balance'])}, "
                          f"open items {_grouped(control['open_items'])} {control['currency']}: {control['status']}",
                          highlight=False, markup=False)  # fmt: skip
    console.print("all clear" if summary["all_clear"] else "needs attention: see the report", highlight=False)
    labels = {"reconciliation.html": "HTML report", "email": "captured email", "Teams card": "Teams card"}
    for name, path in night.record.report_files.items():
        if name.endswith(".xlsx") or name in labels:
            console.print(f"  {labels.get(name, 'XLSX workbook')}: {path}", highlight=False, markup=False)


def _yes(passed: bool) -> str:
    return "yes" if passed else "[bold red]NO[/]"


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


# Gathering ---------------------------------------------------------------------------------------


def _entity_night(app: App, night: DemoNight, entity: str, days: list[date]) -> EntityNight:
    from cynare.service_layer.status import entity_status

    status = entity_status(app.uow, entity)
    with night.xero.lock:
        tenant = night.xero.tenant(entity)
        in_xero = _xero_records(tenant)
        emulator_calls = night.xero.counts().get(tenant.tenant_id)
    with app.uow.for_entity(entity) as work:
        usage = [work.usage.for_day(day) for day in days]
        datasets = _datasets(work, status, in_xero)
        rows_problems, batches = _rows_accounted(work)
    return EntityNight(
        entity, status, datasets,
        calls=sum(u.calls for u in usage), throttled=sum(u.throttled for u in usage),
        failed_throttled=sum(u.failed_throttled for u in usage),
        emulator_calls=emulator_calls.calls if emulator_calls else 0,
        rows_problems=rows_problems, batches=batches,
    )  # fmt: skip


@dataclass
class XeroRecords:
    """One dataset's records in an organisation, by the number or reference that names their PMS document."""

    every: Counter[str] = field(default_factory=Counter)
    gone: Counter[str] = field(default_factory=Counter)  # voided, deleted or archived: made, and still counted


GONE = frozenset({"VOIDED", "DELETED", "ARCHIVED"})


def _records(found: Iterable[tuple[str | None, str]]) -> XeroRecords:
    records = XeroRecords()
    for key, status in found:
        records.every[key or ""] += 1
        if status in GONE:
            records.gone[key or ""] += 1
    return records


def _xero_records(tenant: Tenant) -> dict[str, XeroRecords]:
    """Per dataset, the organisation's records that the poster's numbers and references name."""
    from cynare.domain.xero_requests import WRITE_OFF_PREFIX

    notes = [(n.number, n.status) for n in tenant.credit_notes.values() if n.type == "ACCRECCREDIT"]
    # A receipt paying several bills is one batch payment; its payments repeat the reference and are not counted.
    payments = [(p.reference, p.status) for p in tenant.payments.values()
                if p.payment_type == "ACCRECPAYMENT" and p.batch_payment_id is None]  # fmt: skip
    batches = [(b.reference, b.status) for b in tenant.batch_payments.values() if b.type == "RECBATCH"]
    overpayments = [(o.reference, o.status) for o in tenant.overpayments.values() if o.type == "RECEIVE-OVERPAYMENT"]
    return {
        "clients": _records((c.contact_number, c.status) for c in tenant.contacts.values()),
        "bills": _records((i.number, i.status) for i in tenant.invoices.values() if i.type == "ACCREC"),
        "credit_notes": _records(n for n in notes if not n[0].startswith(WRITE_OFF_PREFIX)),
        "write_offs": _records(n for n in notes if n[0].startswith(WRITE_OFF_PREFIX)),
        "receipts": _records(payments + batches),
        "unallocated_receipts": _records(overpayments),
    }


def _datasets(work: EntityWork, status: EntityStatus, in_xero: Mapping[str, XeroRecords]) -> dict[str, DatasetCount]:
    from cynare.domain.lifecycle import State

    datasets: dict[str, DatasetCount] = {}
    for count in status.documents:
        found = datasets.setdefault(count.dataset, DatasetCount())
        found.states[count.state.value] = count.documents
        found.rows += count.rows
    for dataset, records in in_xero.items():
        found = datasets.setdefault(dataset, DatasetCount())
        ours: set[str] = set()
        for state in State:
            for stored in work.documents.in_state(state, dataset):
                key = _xero_key(stored)
                ours.add(key)
                _count(found, stored, records.every[key])
                found.gone += records.gone[key]
        found.not_from_pms = sum(n for key, n in records.every.items() if key not in ours)
    return datasets


def _count(found: DatasetCount, stored: StoredDocument, in_xero: int) -> None:
    from cynare.domain.lifecycle import State

    # Posted, or posted before it was cancelled: one record in Xero (voided or deleted still counts).
    expected = 1 if stored.state is State.POSTED or stored.xero_id else 0
    found.per_document[in_xero] += 1
    if in_xero != expected:
        found.wrong += 1
        if len(found.examples) < EXAMPLES_KEPT:
            found.examples.append({"document": str(stored.document.key), "state": stored.state.value,
                                   "xero_id": stored.xero_id, "expected": expected, "in_xero": in_xero,
                                   "reason": stored.reason})  # fmt: skip


def _xero_key(stored: StoredDocument) -> str:
    """The number or reference the poster gives the document in Xero (cynare.domain.xero_requests)."""
    from cynare.domain.documents import Bill, Client, CreditNote, Receipt, UnallocatedReceipt, WriteOff
    from cynare.domain.xero_requests import payment_reference, write_off_number

    body = stored.document.body
    if isinstance(body, Client):
        return body.client_id
    if isinstance(body, Bill | CreditNote):
        return body.number
    if isinstance(body, WriteOff):
        return write_off_number(body.write_off_id)
    if isinstance(body, Receipt | UnallocatedReceipt):
        return payment_reference(body)
    raise TypeError(f"{stored.document.key} is not a document counted in Xero")


def _rows_accounted(work: EntityWork) -> tuple[list[str], int]:
    """Problems with the import's rows (read = accepted + rejected, each rejection with its reason); batches imported."""
    from cynare.service_layer.unit_of_work import BatchState

    problems: list[str] = []
    imported = 0
    for record in work.batches.all():
        where = f"{record.entity} batch {record.batch_id}"
        if record.state is not BatchState.IMPORTED:
            problems.append(f"{where} was {record.state.value}: {record.reason}")
            continue
        imported += 1
        rejected = 0
        for file, counts in record.counts.get("rows", {}).items():
            read, accepted, rejected_here = (int(n) for n in counts)
            rejected += rejected_here
            if read != accepted + rejected_here:
                problems.append(f"{where} {file}: {read} rows read, {accepted} accepted, {rejected_here} rejected")
        reasons = [r for r in work.rejections.for_batch(record.batch_id) if r.rule.strip()]
        if len(reasons) != rejected:
            problems.append(f"{where}: {rejected} rows rejected, {len(reasons)} with a reason")
    return problems, imported


# Printing ----------------------------------------------------------------------------------------


def _print_entity(night: DemoNight, found: EntityNight) -> None:
    from cynare.entrypoints.reporting import status_view

    console = night.console
    status = found.status
    console.rule(f"Entity {found.entity}: {status.connection}")
    console.print(status_view(status))
    posted = {name: count.states.get("posted", 0) for name, count in found.datasets.items()}
    console.print("posted to Xero: " + (_listed(posted) or "nothing"), highlight=False, markup=False)
    held = sum(hold.documents for hold in status.holds)
    console.print(f"held: {held:,} document(s)" + _top(_kinds_of_hold(status)), highlight=False, markup=False)
    refused = sum(documents for _, documents in status.refused_by_xero)
    console.print(
        f"rejected by Xero: {refused:,} document(s)" + _top(status.refused_by_xero), highlight=False, markup=False
    )
    rejected_rows = sum(item.rows for item in status.rejections)
    console.print(f"rows rejected at import: {rejected_rows:,}" + _top((r.rule, r.rows) for r in status.rejections),
                  highlight=False, markup=False)  # fmt: skip
    written = night.record.written_back
    console.print(f"written back: {_listed(written.items.get(found.entity, {})) or 'nothing'} in "
                  f"{written.documents[found.entity]} document(s); applied by the agent: "
                  f"{written.applied[found.entity]:,} item(s)", highlight=False, markup=False)  # fmt: skip
    console.print(f"Xero API calls: {found.calls:,} (the local Xero counted {found.emulator_calls:,}); "
                  f"429s: {found.throttled} ({found.failed_throttled} not retried to success)", highlight=False, markup=False)  # fmt: skip
    issues = [f"{issue.kind.value}: {issue.message}" for issue in status.issues]
    console.print("open issues: " + ("; ".join(issues) or "none"), highlight=False, markup=False)


def _kinds_of_hold(status: EntityStatus) -> list[tuple[str, int]]:
    """Holds by kind: a reason's words before its first colon ("waiting on mapping"), without the codes."""
    kinds: Counter[str] = Counter()
    for hold in status.holds:
        kinds[hold.reason.partition(":")[0]] += hold.documents
    return list(kinds.items())


def _listed(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{name} {count:,}" for name, count in sorted(counts.items()) if count)


def _top(reasons: Iterable[tuple[str, int]]) -> str:
    chosen = sorted(reasons, key=lambda item: -item[1])[:TOP_REASONS]
    return "".join(f"\n    {count:>6,}  {reason}" for reason, count in chosen)


def _summary(nights: list[EntityNight], written_back: Mapping[str, Counter[str]]) -> Table:
    table = Table()
    for column in ("entity", "posted", "held", "rejected by Xero", "written back", "Xero calls", "429s", "issues"):
        table.add_column(column, justify="left" if column in {"entity", "issues"} else "right")
    for found in nights:
        status = found.status
        posted = sum(count.states.get("posted", 0) for count in found.datasets.values())
        written = sum(written_back.get(found.entity, Counter()).values())
        table.add_row(
            found.entity, f"{posted:,}", f"{sum(h.documents for h in status.holds):,}",
            f"{sum(n for _, n in status.refused_by_xero):,}", f"{written:,}", f"{found.calls:,}",
            str(found.throttled), ", ".join(issue.kind.value for issue in status.issues) or "none",
        )  # fmt: skip
    return table


# night.json ----------------------------------------------------------------------------------------


def _night_json(
    night: DemoNight, nights: list[EntityNight], checks: dict[str, bool], violations: list[str]
) -> dict[str, Any]:
    record = night.record
    return {
        "format": "cynare-demo-night/1",
        "started_at": record.started.isoformat(timespec="seconds"),
        "finished_at": utc_now().isoformat(timespec="seconds"),
        "nights": record.nights,
        "phases_seconds": record.phases,
        "xero": {"time_scale": "1/60", "contract_violations": violations},
        "matched_in_xero_by": MATCHED_BY,
        "agent_runs": [
            {
                "batches": {o.entity: {"batch_id": o.batch_id, "rows": o.rows, "note": o.note} for o in run.extracted},
                "write_backs_applied": [
                    {"entity": o.entity, "writeback_id": o.writeback_id, "items": o.items, "note": o.note}
                    for o in run.written_back
                ],
            }
            for run in record.agent_runs
        ],
        "by_hand_in_xero": record.by_hand,
        "reconciliation": _reconciliation(night),
        "deleted_allocation": record.deleted_allocation,
        "entities": {
            found.entity: {
                "connection": found.status.connection,
                "xero_calls": found.calls,
                "xero_429s": found.throttled,
                "xero_429s_not_retried_to_success": found.failed_throttled,
                "open_issues": [f"{issue.kind.value}: {issue.message}" for issue in found.status.issues],
                "written_back": dict(record.written_back.items.get(found.entity, Counter())),
                "datasets": {name: count.as_json(name in MATCHED_BY) for name, count in sorted(found.datasets.items())},
            }
            for found in nights
        },
        "problems": record.problems,
        "checks": checks,
        "passed": all(checks.values()),
    }
