"""The local Xero's OAuth consent page meets WCAG 2.2 AA."""

from __future__ import annotations

from urllib.parse import urlencode

from cynare.sandbox.xero import seed
from cynare.sandbox.xero.emulator import Emulator
from tests.a11y import assert_accessible


def test_consent_page_meets_wcag_22_aa(xero_emulator: Emulator) -> None:
    query = urlencode(
        {
            "response_type": "code",
            "client_id": seed.WEB_CLIENT_ID,
            "redirect_uri": "http://localhost:5000/callback",
            "scope": "openid offline_access accounting.transactions accounting.contacts accounting.invoices "
            "accounting.reports.trialbalance.read",
            "state": "a11y",
        }
    )
    report = assert_accessible(f"{xero_emulator.url}/identity/connect/authorize?{query}", name="xero-consent-page")
    # axe could decide every rule (contrast included), and each organisation and both buttons take focus.
    assert report.incomplete == [], report.incomplete
    assert len(report.focus_stops) == 5, report.focus_stops
    assert not report.blocked_requests
