"""Readable summaries of what the warehouse holds, for the `cynare` command and the demo."""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table

from cynare.domain.lifecycle import State
from cynare.extract.datasets import DOCUMENT_DATASETS
from cynare.service_layer.import_batch import ImportOutcome, ImportStatus
from cynare.service_layer.reconciliation.run import ReconcileOutcome
from cynare.service_layer.status import EntityStatus

_STATES = [state.value for state in State]


def print_outcome(console: Console, outcome: ImportOutcome) -> None:
    read = sum(counts.read for counts in outcome.rows.values())
    rejected = sum(counts.rejected for counts in outcome.rows.values())
    line = f"{outcome.entity} batch {outcome.batch_id}: {outcome.status}"
    if outcome.status is ImportStatus.IMPORTED:
        documents = outcome.documents
        line += (
            f", {read:,} rows read, {rejected:,} rejected; documents {documents.created:,} new, "
            f"{documents.changed:,} changed, {documents.unchanged:,} unchanged, {documents.older:,} older than "
            f"what is held; {outcome.waiting:,} held, {outcome.released:,} released, {outcome.cancelled:,} cancelled"
        )
    elif outcome.reason:
        line += f": {outcome.reason}"
    console.print(line, highlight=False)


def status_view(status: EntityStatus) -> Group:
    parts: list[Table] = [_documents(status)]
    xero = Table(title=f"Entity {status.entity}: Xero", title_justify="left", show_header=False)
    xero.add_column("what")
    xero.add_column("")
    xero.add_row("organisation", status.connection)
    usage = status.usage_today
    xero.add_row("calls today", f"{usage.calls:,} ({usage.throttled} answered 429, {usage.failed_throttled} of them "
                 f"ending in a failure); {usage.bytes_read:,} bytes read")  # fmt: skip
    for issue in status.issues:
        xero.add_row(f"stopped: {issue.kind.value}", issue.message)
    parts.append(xero)
    if status.refused_by_xero:
        refused = Table(title=f"Entity {status.entity}: documents Xero refused, by reason", title_justify="left")
        refused.add_column("Xero's words and the action")
        refused.add_column("documents", justify="right")
        for reason, count in status.refused_by_xero:
            refused.add_row(reason, f"{count:,}")
        parts.append(refused)
    if status.holds:
        holds = Table(title=f"Entity {status.entity}: documents held, by reason", title_justify="left")
        holds.add_column("reason")
        holds.add_column("datasets")
        holds.add_column("documents", justify="right")
        for hold in status.holds:
            holds.add_row(hold.reason, hold.datasets, f"{hold.documents:,}")
        parts.append(holds)
    if status.cancelled:
        cancelled = Table(title=f"Entity {status.entity}: documents cancelled in the PMS", title_justify="left")
        cancelled.add_column("document", no_wrap=True)
        cancelled.add_column("what was done")
        for key, reason in status.cancelled:
            cancelled.add_row(key, reason)
        parts.append(cancelled)
    if status.rejections:
        rejections = Table(title=f"Entity {status.entity}: rows rejected at import, by rule", title_justify="left")
        for column in ("file", "column", "rule (first such row)"):
            rejections.add_column(column)
        rejections.add_column("rows", justify="right")
        for item in status.rejections:
            rejections.add_row(item.file, item.column, item.rule, f"{item.rows:,}")
        parts.append(rejections)
    if status.refused_batches:
        refused = Table(title=f"Entity {status.entity}: batches refused or held whole", title_justify="left")
        refused.add_column("batch")
        refused.add_column("state")
        refused.add_column("reason")
        for record in status.refused_batches:
            refused.add_row(record.batch_id, record.state.value, record.reason)
        parts.append(refused)
    return Group(*parts)


def _documents(status: EntityStatus) -> Table:
    table = Table(title=f"Entity {status.entity}: documents by state (extract rows in brackets)", title_justify="left")
    table.add_column("dataset", no_wrap=True, min_width=20)
    for state in _STATES:
        table.add_column(state, justify="right")
    cells: dict[str, dict[str, tuple[int, int]]] = {}
    for count in status.documents:
        cells.setdefault(count.dataset, {})[count.state.value] = (count.documents, count.rows)
    for dataset in DOCUMENT_DATASETS:
        if dataset not in cells:
            continue
        row = [dataset]
        for state in _STATES:
            documents, rows = cells[dataset].get(state, (0, 0))
            row.append("" if not documents else f"{documents:,}" + (f" ({rows:,})" if rows != documents else ""))
        table.add_row(*row)
    return table


def print_reconciliation(console: Console, outcome: ReconcileOutcome) -> None:
    """Each entity's result per currency, where the report was kept, and how each channel went."""
    report = outcome.report
    table = Table(title=f"Reconciliation {report.day:%d %b %Y}: "
                  + ("all clear" if report.all_clear else "needs attention"), title_justify="left")  # fmt: skip
    for column in ("entity", "currency", "PMS", "Xero", "difference", "explained", "unexplained", "result"):
        table.add_column(column, justify="right" if column in {"PMS", "Xero", "difference", "explained",
                                                                "unexplained"} else "left")  # fmt: skip
    for entity in report.entities:
        if entity.problem:
            table.add_row(entity.entity, "", "", "", "", "", "", f"{entity.status.value}: {entity.problem}")
        for line in entity.currencies:
            causes = ", ".join(f"{t.count} {t.cause.value}" for t in line.by_cause)
            table.add_row(entity.entity, line.currency, f"{line.pms_total:,.2f}", f"{line.xero_total:,.2f}",
                          f"{line.difference:,.2f}", f"{line.explained:,.2f}", f"{line.unexplained:,.2f}",
                          line.status.value + (f" ({causes})" if causes else ""))  # fmt: skip
        if entity.control is not None:
            control = entity.control
            table.add_row(entity.entity, control.currency, "", f"{control.trial_balance:,.2f}",
                          f"{control.difference:,.2f}", "", "", f"control account {control.account} against "
                          f"open items: {control.status.value}")  # fmt: skip
    console.print(table)
    for what, where in outcome.saved.items():
        console.print(f"  report {what}: {where}", highlight=False)
    for delivery in outcome.deliveries:
        console.print(f"  {delivery}", highlight=False, markup=False)
