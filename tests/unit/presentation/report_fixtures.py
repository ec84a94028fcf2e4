"""Realistic reconciliation reports for the presentation tests (email, workbook, chart, Teams card).

Stable for other tests to import:

- `busy_report()`: three entities on 30 Nov 2026. UK (GBP and EUR) has every `Cause`, unexplained
  differences of both signs on separate clients, and two hostile client names (`FORMULA_NAME`,
  `SCRIPT_NAME`); IE (EUR) has only explained differences and its control account off; US (USD)
  could not be reconciled (`US_PROBLEM`). One delivery notice (`NOTICE`). 30 days of history.
- `all_clear_report()`: the same entities, nothing for anyone to do (an exchange difference within
  tolerance on UK EUR, control accounts within tolerance). 30 days of history.
- `yen_report()`: one entity in JPY (no minor units), for the currency formats.
- `large_report(compared, differing)`: many clients, spread over the three entities, for timing.
- `without_history(report)`: the same report with no history (no trend, no chart).

Every report is consistent with the model: each currency's PMS and Xero totals are the matched
balances plus its differing clients' balances, so the clients' differences add up to the currency's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from cynare.domain.reconciliation import (
    Cause,
    ClientDifference,
    ControlCheck,
    CurrencyReconciliation,
    DayFigure,
    EntityReconciliation,
    Explanation,
    ReconciliationReport,
    Status,
)

DAY = date(2026, 11, 30)
MADE_AT = datetime(2026, 11, 30, 6, 15, tzinfo=UTC)
FIRM = "Harper & Vale LLP"
FORMULA_NAME = '=HYPERLINK("http://evil","x")'
SCRIPT_NAME = "<script>alert(1)</script>"
US_PROBLEM = "The Xero connection expired on 28 Nov 2026: reconnect the organisation (cynare connect US)."
NOTICE = "Yesterday's report could not be sent to finance@harpervale.example (mailbox full); it was kept in reports/2026-11-29."
IE_NOTE = "The Xero connection lapses on 14 Dec 2026: reconnect it before then."
STATUS_URL = "http://127.0.0.1:7071/status"

# The largest day of UK GBP's history, which the trend text must name.
UK_GBP_PEAK = (date(2026, 11, 18), Decimal("3900.00"))


def d(text: str) -> Decimal:
    return Decimal(text)


def explanation(cause: Cause, amount: str, document: str, detail: str = "") -> Explanation:
    return Explanation(cause, d(amount), document, detail)


def client(
    client_id: str, name: str, currency: str, pms: str, xero: str, *explanations: Explanation
) -> ClientDifference:
    return ClientDifference(client_id, name, currency, d(pms), d(xero), tuple(explanations))


def currency_reconciliation(
    code: str, compared: int, matched: str, clients: Sequence[ClientDifference]
) -> CurrencyReconciliation:
    """Totals = the balances of the clients that agree (`matched`) plus the differing clients' own."""
    pms = d(matched) + sum((c.pms for c in clients), Decimal(0))
    xero = d(matched) + sum((c.xero for c in clients), Decimal(0))
    ordered = sorted(clients, key=lambda c: (-abs(c.unexplained), -abs(c.difference), c.client_id))
    return CurrencyReconciliation(code, pms, xero, compared, tuple(ordered))


def history(
    entity: str, code: str, earlier: Sequence[Decimal], today: CurrencyReconciliation | None, last_day: date = DAY
) -> tuple[DayFigure, ...]:
    """`earlier` are the days before `last_day`, oldest first; today's figure comes from the model."""
    start = last_day - timedelta(days=len(earlier))
    figures = [
        DayFigure(
            entity, code, start + timedelta(days=i), value, Decimal(0), Status.EXPLAINED if value else Status.BALANCED
        )
        for i, value in enumerate(earlier)
    ]
    if today is not None:
        figures.append(DayFigure(entity, code, last_day, today.difference, today.unexplained, today.status))
    return tuple(figures)


def wave(days: int, peak: Decimal, peak_at: int, base: Decimal = Decimal(0)) -> list[Decimal]:
    """A rise to `peak` on day `peak_at` (0-based) and back, to the cent, for a recognisable trend."""
    values = []
    for i in range(days):
        distance = abs(i - peak_at)
        values.append(max(base, peak - peak * Decimal(distance) / Decimal(6)).quantize(Decimal("0.01")))
    return values


def _uk_gbp() -> CurrencyReconciliation:
    return currency_reconciliation("GBP", 5_214, "1284310.55", [
        client("C1001", "Smith & Jones LLP", "GBP", "1500.00", "1000.00",
               explanation(Cause.NOT_POSTED, "300.00", "bill B1042", "held: no account mapping for matter type LIT"),
               explanation(Cause.AMOUNT_DIFFERS, "150.00", "bill B1040 (INV-0040)", "1,150.00 in the PMS, 1,000.00 in Xero")),
        client("C1002", FORMULA_NAME, "GBP", "0.00", "240.00",
               explanation(Cause.ONLY_IN_XERO, "-240.00", "Xero invoice INV-0099", "not from the PMS")),
        client("C1003", SCRIPT_NAME, "GBP", "1200.00", "0.00",
               explanation(Cause.REJECTED, "1200.00", "bill B1050", "Xero: Account code '200' is not a valid code")),
        client("C1004", "Müller & Søn GmbH", "GBP", "500.00", "200.00",
               explanation(Cause.RECEIPT_NOT_WRITTEN_BACK, "300.00", "Xero payment ref 4411",
                           "taken in Xero; written back, waiting for the agent")),
        client("C1005", "O'Brien Partners", "GBP", "800.00", "0.00",
               explanation(Cause.CANCELLED_IN_XERO, "800.00", "bill B1011 (INV-0011)", "invoice INV-0011 is voided or deleted in Xero")),
        client("C1006", "Acme Holdings plc", "GBP", "2000.00", "1000.00",
               explanation(Cause.RETURN_NOT_REVERSED, "1000.00", "receipt R77", "returned receipt RR12: ready: posts on the next run")),
        client("C1007", "Patel Family Trust", "GBP", "0.00", "450.00",
               explanation(Cause.CANCELLATION_NOT_APPLIED, "-450.00", "bill B0990 (INV-0990)", "cancelled in the PMS on 27 Nov 2026")),
        client("C1008", "Blue Sky Ltd", "GBP", "100.03", "100.00",
               explanation(Cause.EXCHANGE_DIFFERENCE, "0.03", "client balance", "within the GBP tolerance of 0.05")),
        client("C1009", "Northwind Traders", "GBP", "700.00", "612.34"),
        client("C1010", "Fabrikam Legal", "GBP", "100.00", "150.00"),
        client("C1011", "Whitfield Estates", "GBP", "360.00", "0.00",
               explanation(Cause.SETTLED_OUTSIDE, "360.00", "bill B1060", "skipped on 26 Nov 2026: entered by hand in Xero")),
        client("", "Jane Doe (in Xero only)", "GBP", "0.00", "99.00",
               explanation(Cause.ONLY_IN_XERO, "-99.00", "Xero invoice INV-0101", "not from the PMS")),
    ])  # fmt: skip


def _uk_eur() -> CurrencyReconciliation:
    return currency_reconciliation("EUR", 420, "210455.10", [
        client("C2001", "Dupont SARL", "EUR", "1000.02", "1000.00",
               explanation(Cause.EXCHANGE_DIFFERENCE, "0.02", "client balance", "within the EUR tolerance of 0.05")),
        client("C2002", "Rossi SpA", "EUR", "1250.00", "0.00",
               explanation(Cause.NOT_POSTED, "1250.00", "bill B2001", "ready: posts on the next run")),
    ])  # fmt: skip


def _ie_eur() -> CurrencyReconciliation:
    return currency_reconciliation("EUR", 812, "402118.40", [
        client("C3001", "Murphy & Co", "EUR", "575.00", "500.00",
               explanation(Cause.RECEIPT_NOT_WRITTEN_BACK, "75.00", "Xero payment ref 9120",
                           "taken in Xero; written back, waiting for the agent")),
    ])  # fmt: skip


def busy_report() -> ReconciliationReport:
    """Every cause, unexplained both ways, a control account off, an entity not reconciled, a notice."""
    uk_gbp, uk_eur, ie_eur = _uk_gbp(), _uk_eur(), _ie_eur()
    peak_day, peak = UK_GBP_PEAK
    entities = (
        EntityReconciliation(
            "UK", "Harper & Vale (UK) Ltd", "GBP", DAY, (uk_gbp, uk_eur),
            ControlCheck("610 Accounts Receivable", "GBP", d("1289544.10"), d("1289544.10"), d("1.00")),
        ),
        EntityReconciliation(
            "IE", "Harper & Vale Ireland DAC", "EUR", DAY, (ie_eur,),
            ControlCheck("610 Trade Debtors", "EUR", d("402618.40"), d("402578.40"), d("1.00")), notes=(IE_NOTE,),
        ),
        EntityReconciliation("US", "Harper & Vale US Inc", "USD", None, problem=US_PROBLEM),
    )  # fmt: skip
    gbp_days = wave(29, peak, peak_at=(peak_day - (DAY - timedelta(days=29))).days)
    return ReconciliationReport(
        firm=FIRM,
        day=DAY,
        made_at=MADE_AT,
        entities=entities,
        history={
            ("UK", "GBP"): history("UK", "GBP", gbp_days, uk_gbp),
            ("UK", "EUR"): history("UK", "EUR", wave(29, d("1250.00"), 27), uk_eur),
            ("IE", "EUR"): history("IE", "EUR", [d("75.00")] * 29, ie_eur),
            ("US", "USD"): history("US", "USD", wave(29, d("640.00"), 10), None),
        },
        status_url=STATUS_URL,
        notices=(NOTICE,),
    )


def all_clear_report() -> ReconciliationReport:
    """Nothing for anyone: balanced, or an exchange difference within tolerance."""
    uk_gbp = currency_reconciliation("GBP", 5_214, "1284310.55", [])
    uk_eur = currency_reconciliation("EUR", 420, "210455.10", [
        client("C2001", "Dupont SARL", "EUR", "1000.02", "1000.00",
               explanation(Cause.EXCHANGE_DIFFERENCE, "0.02", "client balance", "within the EUR tolerance of 0.05")),
    ])  # fmt: skip
    ie_eur = currency_reconciliation("EUR", 812, "402118.40", [])
    us_usd = currency_reconciliation("USD", 233, "98004.00", [])
    entities = (
        EntityReconciliation("UK", "Harper & Vale (UK) Ltd", "GBP", DAY, (uk_gbp, uk_eur),
                             ControlCheck("610 Accounts Receivable", "GBP", d("1284310.55"), d("1284310.55"), d("1.00"))),
        EntityReconciliation("IE", "Harper & Vale Ireland DAC", "EUR", DAY, (ie_eur,),
                             ControlCheck("610 Trade Debtors", "EUR", d("402118.40"), d("402118.00"), d("1.00"))),
        EntityReconciliation("US", "Harper & Vale US Inc", "USD", DAY, (us_usd,)),
    )  # fmt: skip
    return ReconciliationReport(
        firm=FIRM,
        day=DAY,
        made_at=MADE_AT,
        entities=entities,
        history={
            ("UK", "GBP"): history("UK", "GBP", wave(29, d("820.00"), 12), uk_gbp),
            ("UK", "EUR"): history("UK", "EUR", [d("0.00")] * 29, uk_eur),
            ("IE", "EUR"): history("IE", "EUR", [d("0.00")] * 29, ie_eur),
            ("US", "USD"): history("US", "USD", wave(29, d("150.00"), 20), us_usd),
        },
        status_url=STATUS_URL,
    )


def yen_report() -> ReconciliationReport:
    """One entity in JPY: no minor units anywhere, a thousands separator still."""
    jpy = currency_reconciliation("JPY", 90, "48000000", [
        client("J001", "Tanaka KK", "JPY", "1250000", "1000000",
               explanation(Cause.NOT_POSTED, "250000", "bill B7001", "ready: posts on the next run")),
        client("J002", "Sato GK", "JPY", "5000", "0"),
    ])  # fmt: skip
    entity = EntityReconciliation("JP", "Harper & Vale KK", "JPY", DAY, (jpy,))
    return ReconciliationReport(
        firm=FIRM, day=DAY, made_at=MADE_AT, entities=(entity,),
        history={("JP", "JPY"): history("JP", "JPY", [d("5000")] * 5, jpy)},
    )  # fmt: skip


def large_report(compared: int = 100_000, differing: int = 1_000) -> ReconciliationReport:
    """`compared` clients over UK GBP, IE EUR and US USD, `differing` of them with a difference:
    most explained by one or two causes, one in five with an unexplained part."""
    causes = list(Cause)
    places = [("UK", "Harper & Vale (UK) Ltd", "GBP"), ("IE", "Harper & Vale Ireland DAC", "EUR"),
              ("US", "Harper & Vale US Inc", "USD")]  # fmt: skip
    entities = []
    history_map: dict[tuple[str, str], tuple[DayFigure, ...]] = {}
    for index, (entity, organisation, code) in enumerate(places):
        share = range(index, differing, len(places))
        lines = []
        for n in share:
            amount = Decimal(100 + n * 7) + Decimal(n % 100) / 100
            first = explanation(causes[n % len(causes)], str(amount), f"bill B{n:06d}", f"detail for line {n}")
            parts = [first]
            if n % 3 == 0:
                parts.append(explanation(causes[(n + 1) % len(causes)], "25.00", f"receipt R{n:06d}", ""))
            extra = Decimal("12.34") if n % 5 == 0 else Decimal(0)
            explained = sum((p.amount for p in parts), Decimal(0))
            lines.append(client(f"C{n:06d}", f"Client {n} Ltd", code, str(explained + extra + 1000), "1000.00", *parts))
        per_entity = compared // len(places) + (1 if index < compared % len(places) else 0)
        reconciliation = currency_reconciliation(code, per_entity, "5000000.00", lines)
        entities.append(EntityReconciliation(entity, organisation, code, DAY, (reconciliation,)))
        history_map[(entity, code)] = history(entity, code, wave(29, reconciliation.difference, 15), reconciliation)
    return ReconciliationReport(FIRM, DAY, MADE_AT, tuple(entities), history_map, STATUS_URL)


def without_history(report: ReconciliationReport) -> ReconciliationReport:
    return dataclasses.replace(report, history={})
